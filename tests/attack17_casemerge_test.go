package tests

// Attack 17, policy: APIv3 Case.merge writes what a client reassignment
// writes, and more, yet passes every deny rule on those entities.
//
// civicrm_api3_case_merge (api/v3/Case.php) runs
// CRM_Case_BAO_Case::mergeCases($clients1[0], case_id_1, $clients2[0],
// case_id_2): for cases of two clients it copies the other case
// (CRM_Core_DAO::copyGeneric: a Case create), its CaseContact rows and
// custom values, and its roles (Relationship create, and an update of the
// old ones' end_date); for every case it copies each activity of the other
// case into the main one (Activity, CaseActivity and ActivityContact
// creates, copyExtendedActivityData: custom values and attachments), moves
// the other case to the trash (deleteCase with moveToTrash: a Case update,
// its activities' too) and records a "Merge Case" activity filed on the
// main case (CRM_Activity_BAO_Activity::create, processCaseActivity). The
// README lists these writes for an APIv3 edit naming a new client (the same
// mergeCases), which the same policies refuse; Case.merge, alone or
// chained, passes them.

import "testing"

func TestA17V3CaseMergeWrites(t *testing.T) {
	why := "civicrm_api3_case_merge -> CRM_Case_BAO_Case::mergeCases copies the other case's activities into the main case and records a Merge Case activity on it"
	reassign := a10V3("Case", "create", `{"id":1,"contact_id":9}`)
	cases := []a11aCase{
		{"Case.merge", a10V3("Case", "merge", `{"case_id_1":1,"case_id_2":2}`), why},
		{"case.MERGE", a10V3("case", "MERGE", `{"case_id_1":1,"case_id_2":2}`), why + " (entity and action names are normalised)"},
		{"chained Case.merge", a10V3("Contact", "get", `{"id":3,"api.Case.merge":{"case_id_1":1,"case_id_2":2}}`), why},
	}
	for _, p := range []struct {
		name  string
		lines []string
	}{
		{"Activity create", a17Deny("Activity", "create")},
		{"ActivityContact create", a17Deny("ActivityContact", "create")},
		{"CaseActivity create", a17Deny("CaseActivity", "create")},
		{"CaseContact create", a17Deny("CaseContact", "create")},
		{"Case create", a17Deny("Case", "create")},
		{"Case update", a17Deny("Case", "update")},
		{"Relationship", a17Deny("Relationship")},
	} {
		t.Run(p.name, func(t *testing.T) {
			a14Check(t, a14Policy{
				lines:    p.lines,
				controls: []a11aCase{{"Case.create reassigning the client", reassign, "the README's mergeCases writes"}},
				cases:    cases,
			})
		})
	}
}
