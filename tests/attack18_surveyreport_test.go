package tests

import "testing"

// TestA18SurveyDeleteDeletesItsReport: deleting a survey, through either
// API, deletes its survey report (CRM_Campaign_BAO_Survey::
// self_hook_civicrm_pre: on 'delete', getReportID and
// CRM_Report_BAO_ReportInstance::deleteRecord), and the report's delete
// deletes its menu item (CRM_Report_BAO_ReportInstance::
// self_hook_civicrm_pre: on 'delete', the instance's navigation_id,
// CRM_Core_BAO_Navigation::deleteRecord). APIv3 Survey.delete
// (_civicrm_api3_basic_delete) and APIv4 Survey.delete both go through
// deleteRecord, so both pre hooks fire. No foreign key links them (the
// report names the survey in its form values), so the cascade table cannot
// see it; cached ReportInstance and Navigation reads stay served, listing a
// report and a menu entry that are gone.
func TestA18SurveyDeleteDeletesItsReport(t *testing.T) {
	why := "CRM_Campaign_BAO_Survey::self_hook_civicrm_pre deletes the survey's report instance " +
		"(ReportInstance::deleteRecord), whose own pre hook deletes its navigation menu item"
	v4w := a10bCall{4, "Survey", "delete", `{"where":[["id","=",1]]}`}
	v3w := a10bCall{3, "Survey", "delete", `{"id":1}`}
	controls := []a15Case{{read: a10bCall{4, "Survey", "get", `{}`}, write: v4w}}
	var cases []a15Case
	for _, w := range []a10bCall{v4w, v3w} {
		cases = append(cases,
			a15Case{read: a10bCall{4, "ReportInstance", "get", `{"where":[["report_id","=","survey/detail"]]}`}, write: w, why: why},
			a15Case{read: a10bCall{3, "ReportInstance", "get", `{"report_id":"survey/detail"}`}, write: w, why: why},
			a15Case{read: a10bCall{4, "Navigation", "get", `{"where":[["url","LIKE","civicrm/report/instance/%"]]}`}, write: w, why: why},
		)
	}
	a18MustInvalidate(t, controls, cases)
}
