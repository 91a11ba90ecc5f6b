package tests

import "testing"

// TestA14V4ActivityContactFieldsReadTheirTables: APIv4 Activity's
// source_contact_id, target_contact_id and assignee_contact_id are no
// columns of civicrm_activity: ActivitySpecProvider::modifySpec adds them
// for get (and create, update) with setSqlRenderer(renderSqlForActivityContactIds),
// "(SELECT GROUP_CONCAT(civicrm_activity_contact.contact_id) FROM
// civicrm_activity_contact WHERE activity_id = … AND record_type_id = …)":
// selecting or filtering on them answers ActivityContact rows (who was with
// whom, who was assigned). Its case_id (added when CiviCase is enabled) is
// rendered by Joiner::getExtraJoinSql through civicrm_case_activity, the
// CaseActivity bridge. (civicrm-core Civi/Api4/Service/Spec/Provider/ActivitySpecProvider.php.)
// The README says APIv3 Activity.get reads "its source contact's
// ActivityContact row … always" and "case_id (CaseActivity) when named",
// and an entity rule covers that entity's data however a call reaches it;
// the APIv3 calls are refused (the controls), the APIv4 ones pass.
func TestA14V4ActivityContactFieldsReadTheirTables(t *testing.T) {
	why := "APIv4 Activity's *_contact_id fields are subqueries on civicrm_activity_contact (ActivitySpecProvider::renderSqlForActivityContactIds): ActivityContact data"
	t.Run("deny ActivityContact", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity ActivityContact", "}"},
			controls: []a11aCase{
				{name: "APIv3 Activity.get", r: a10V3("Activity", "get", `{"return":"id"}`), why: "README: Activity.get reads its source contact's ActivityContact row always"},
			},
			cases: []a11aCase{
				{name: "select source_contact_id", r: a10V4("Activity", "get", `{"select":["id","source_contact_id"]}`), why: why},
				{name: "select target_contact_id", r: a10V4("Activity", "get", `{"select":["id","target_contact_id"]}`), why: why},
				{name: "where assignee_contact_id", r: a10V4("Activity", "get", `{"select":["id"],"where":[["assignee_contact_id","CONTAINS",2]]}`), why: why},
				{name: "orderBy source_contact_id", r: a10V4("Activity", "get", `{"select":["id"],"orderBy":{"source_contact_id":"ASC"}}`), why: why},
			},
		})
	})
	t.Run("deny CaseActivity", func(t *testing.T) {
		why := "APIv4 Activity's case_id is rendered through civicrm_case_activity (ActivitySpecProvider: setSqlRenderer Joiner::getExtraJoinSql): CaseActivity data"
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity CaseActivity", "}"},
			controls: []a11aCase{
				{name: "APIv3 Activity.get return case_id", r: a10V3("Activity", "get", `{"return":"case_id"}`), why: "README: Activity.get reads case_id (CaseActivity) when named"},
			},
			cases: []a11aCase{
				{name: "select case_id", r: a10V4("Activity", "get", `{"select":["id","case_id"]}`), why: why},
				{name: "where case_id", r: a10V4("Activity", "get", `{"select":["id"],"where":[["case_id","=",1]]}`), why: why},
			},
		})
	})
}
