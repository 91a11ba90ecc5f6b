package tests

// Attack 17, policy: an APIv4 case runs its case type's Open Case timeline
// too, and Civigate judges the timeline for APIv3 only.
//
// Civi\Api4\Action\CiviCase\CiviCaseSaveTrait::writeObjects (the trait of
// APIv4 Case create, save and, through save, replace) calls openCase() for
// every record without an id: after the CaseContact rows it runs
// CRM_Case_XMLProcessor_Process::run($caseType, ['standardTimeline' => 1,
// 'activityTypeName' => 'Open Case', 'creatorID' => creator_id, …]), the
// same processor _civicrm_api3_case_create_xmlProcessor runs for APIv3:
// the creator's case roles (Relationship; creator_id defaults to the caller,
// CaseCreationSpecProvider) and each timeline activity with its contacts and
// case link (Activity, ActivityContact, CaseActivity). The README says the
// timeline is judged for "a new APIv3 Case"; the same writes through APIv4
// pass every deny rule on those entities, which the APIv3 create meets.

import "testing"

func TestA17V4CaseCreateRunsTimeline(t *testing.T) {
	why := "CiviCaseSaveTrait::openCase runs CRM_Case_XMLProcessor_Process::run with standardTimeline 1 and 'Open Case' for each new case, as APIv3's _civicrm_api3_case_create_xmlProcessor does"
	v3Create := a10V3("Case", "create", `{"contact_id":3,"case_type_id":1,"subject":"x"}`)
	cases := []a11aCase{
		{"Case.create", a10V4("Case", "create", `{"values":{"contact_id":3,"case_type_id":1,"subject":"x"}}`), why},
		{"Case.save", a10V4("Case", "save", `{"records":[{"contact_id":3,"case_type_id":1,"subject":"x"}]}`), why + " (save without an id)"},
		{"Case.replace", a10V4("Case", "replace", `{"where":[["subject","=","x"]],"records":[{"contact_id":3,"case_type_id":1,"subject":"x"}]}`), why + " (replace saves its records)"},
		{"chained Case.create", a10V4("Contact", "get", `{"where":[["id","=",3]],"chain":{"c":["Case","create",{"values":{"contact_id":"$id","case_type_id":1,"subject":"x"}}]}}`), why},
	}
	for _, p := range []struct {
		name  string
		lines []string
	}{
		{"Activity", a17Deny("Activity", "create")},
		{"ActivityContact", a17Deny("ActivityContact", "create")},
		{"CaseActivity", a17Deny("CaseActivity", "create")},
		{"Relationship", a17Deny("Relationship", "create")},
	} {
		t.Run(p.name, func(t *testing.T) {
			a14Check(t, a14Policy{
				lines:    p.lines,
				controls: []a11aCase{{"APIv3 Case.create", v3Create, "a new APIv3 case runs the timeline"}},
				cases:    cases,
			})
		})
	}
}
