package tests

// Attack 16: APIv3 Case.activity_create, the deprecated name of
// Activity.create, writes an activity under the Case entity's name.

import "testing"

// TestA16V3CaseActivityCreateWritesActivity: civicrm_api3_case_activity_create
// (api/v3/Case.php) is `require_once "api/v3/Activity.php"; return
// civicrm_api3_activity_create($params) + [deprecated…]`: the same activity,
// its ActivityContact rows and its case link as Activity.create, kept since
// _civicrm_api3_case_deprecation() only adds a notice. The README judges
// APIv3 Profile.set as Profile.submit for the same reason (a deprecated name
// running another call); here deny { entity Activity } and deny { entity
// ActivityContact } refuse Activity.create but let Case.activity_create
// through, alone or chained.
func TestA16V3CaseActivityCreateWritesActivity(t *testing.T) {
	const why = "civicrm_api3_case_activity_create returns civicrm_api3_activity_create($params): an Activity write with its ActivityContact and CaseActivity rows"
	params := `{"activity_type_id":1,"subject":"x","source_contact_id":2,"target_contact_id":3,"case_id":1}`
	for _, ent := range []string{"Activity", "ActivityContact"} {
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity " + ent, "}"},
			controls: []a11aCase{
				{"APIv3 Activity.create", a10V3("Activity", "create", params), "the same call under its own name"},
			},
			cases: []a11aCase{
				{"Case.activity_create under deny " + ent, a10V3("Case", "activity_create", params), why},
				{"chained api.Case.activity_create under deny " + ent, a10V3("Contact", "get", `{"id":2,"api.Case.activity_create":`+params+`}`), why},
			},
		})
	}
}
