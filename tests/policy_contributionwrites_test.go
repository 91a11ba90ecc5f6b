package tests

import "testing"

// TestPolicyContributionWritesEndToEnd: CRM_Contribute_BAO_Contribution::create
// adds a Note for a contribution's note and soft credits for its
// soft_credit (CRM_Contribute_BAO_ContributionSoft::processSoftContribution),
// which APIv3 also makes of soft_credit_to and honor_contact_id, with no
// permission check of their own; Order.create runs that create. So deny {
// entity Note action create } and deny { entity ContributionSoft } refuse
// every call that makes one, in either API, JSON or key-value, alone or
// chained, and nothing goes upstream; a contribution naming neither goes
// through.
func TestPolicyContributionWritesEndToEnd(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Note", "action create", "}", "deny {", "entity ContributionSoft", "}")
	why := "CRM_Contribute_BAO_Contribution::create runs CRM_Core_BAO_Note::add for a note and ContributionSoft::processSoftContribution for soft credits"
	a10MustRefuse(t, sim, rec, inst, "APIv3 JSON note", a10V3("Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"note":"x"}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 key-value note", a10Req{method: "POST", pathQuery: "/civicrm/ajax/rest", ctype: "application/x-www-form-urlencoded",
		body: a10Form("entity", "Contribution", "action", "create", "contact_id", "2", "financial_type_id", "1", "total_amount", "10", "note", "x")}, why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 key-value soft credit", a10Req{method: "POST", pathQuery: "/civicrm/ajax/rest", ctype: "application/x-www-form-urlencoded",
		body: a10Form("entity", "Contribution", "action", "create", "contact_id", "2", "financial_type_id", "1", "total_amount", "10",
			"soft_credit[0][contact_id]", "3", "soft_credit[0][amount]", "10")}, why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 legacy soft_credit_to", a10V3("Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"soft_credit_to":3}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 chained api.Contribution.create",
		a10V3("Contact", "create", `{"contact_type":"Individual","first_name":"x","api.Contribution.create":{"financial_type_id":1,"total_amount":10,"note":"x"}}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 Order.create", a10V3("Order", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"honor_contact_id":3}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv4 Contribution.create",
		a10V4("Contribution", "create", `{"values":{"contact_id":2,"financial_type_id":1,"total_amount":10,"note":"x"}}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv4 Contribution.save", a10V4("Contribution", "save", `{"records":[{"id":1,"soft_credit":[]}]}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv4 Order.create",
		a10V4("Order", "create", `{"contributionValues":{"contact_id":2,"financial_type_id":1,"note":"x"},"lineItems":[]}`), why)

	// Control: a contribution naming neither goes to CiviCRM.
	if _, body, reached, _ := a10Send(t, sim, rec, inst, a10V3("Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10}`)); len(reached) == 0 {
		t.Errorf("a contribution naming no note or soft credit was refused: %s", body)
	}
}
