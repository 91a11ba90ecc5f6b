package tests

// Attack 17, policy: an APIv3 contribution's note is a Note write.
//
// civicrm_api3_contribution_create saves through
// CRM_Contribute_BAO_Contribution::create, which, after the contribution,
// runs CRM_Core_BAO_Note::add(['entity_table' => 'civicrm_contribution',
// 'note' => $params['note'], …]) whenever $params['note'] is not empty: a
// Note create, as a grant's or a participant's note is (which Civigate
// refuses under deny { entity Note }). The contribution's note passes.

import "testing"

func TestA17V3ContributionNoteWritesNote(t *testing.T) {
	why := "CRM_Contribute_BAO_Contribution::create: if (!empty($params['note'])) CRM_Core_BAO_Note::add(...) on civicrm_contribution"
	a14Check(t, a14Policy{
		lines: a17Deny("Note", "create"),
		controls: []a11aCase{
			{"Grant.create note", a10V3("Grant", "create", `{"contact_id":3,"note":"x"}`), "a grant's note"},
			{"Participant.create participant_note", a10V3("Participant", "create", `{"contact_id":3,"event_id":1,"participant_note":"x"}`), "a participant's note"},
		},
		cases: []a11aCase{
			{"Contribution.create note", a10V3("Contribution", "create", `{"contact_id":3,"financial_type_id":1,"total_amount":10,"note":"x"}`), why},
			{"Contribution.create id note", a10V3("Contribution", "create", `{"id":1,"note":"x"}`), why + " (an edit too)"},
			{"chained api.Contribution.create", a10V3("Contact", "get", `{"id":3,"api.Contribution.create":{"financial_type_id":1,"total_amount":10,"note":"x"}}`), why},
			{"Contribution.replace", a10V3("Contribution", "replace", `{"contact_id":3,"values":[{"financial_type_id":1,"total_amount":10,"note":"x"}]}`), why + " (replace creates each element)"},
		},
	})
}
