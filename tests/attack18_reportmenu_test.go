package tests

import "testing"

// TestA18ReportInstanceWritesMenuAndDashlet: APIv3 ReportInstance.create
// runs CRM_Report_BAO_ReportInstance::create (_civicrm_api3_basic_create
// calls the BAO's create), which with is_navigation adds or edits the
// report's menu item (CRM_Core_BAO_Navigation::add, then the instance's
// navigation_id) and with addToDashboard adds a dashlet
// (CRM_Core_BAO_Dashboard::addDashlet, a civicrm_dashboard row); a report
// instance's delete, through either API, deletes its menu item
// (ReportInstance::self_hook_civicrm_pre, Navigation::deleteRecord). Cached
// Navigation and Dashboard reads stay served.
func TestA18ReportInstanceWritesMenuAndDashlet(t *testing.T) {
	nav := "CRM_Report_BAO_ReportInstance::create adds the report's menu item (CRM_Core_BAO_Navigation::add) when is_navigation is set"
	dash := "CRM_Report_BAO_ReportInstance::create adds a dashlet (CRM_Core_BAO_Dashboard::addDashlet) when addToDashboard is set"
	del := "CRM_Report_BAO_ReportInstance::self_hook_civicrm_pre deletes the instance's navigation menu item on delete"
	navRead := a10bCall{4, "Navigation", "get", `{"where":[["url","LIKE","civicrm/report/instance/%"]]}`}
	controls := []a15Case{{read: a10bCall{4, "ReportInstance", "get", `{}`}, write: a10bCall{3, "ReportInstance", "create", `{"title":"Donors","report_id":"contribute/summary","is_navigation":1}`}}}
	cases := []a15Case{
		{read: navRead, write: a10bCall{3, "ReportInstance", "create", `{"title":"Donors","report_id":"contribute/summary","is_navigation":1,"parent_id":5}`}, why: nav},
		{read: a10bCall{3, "Navigation", "get", `{"parent_id":5}`}, write: a10bCall{3, "ReportInstance", "create", `{"id":3,"title":"Donors","report_id":"contribute/summary","is_navigation":1,"parent_id":5}`}, why: nav},
		{read: a10bCall{4, "Dashboard", "get", `{}`}, write: a10bCall{3, "ReportInstance", "create", `{"title":"Donors","report_id":"contribute/summary","addToDashboard":1}`}, why: dash},
		{read: a10bCall{3, "Dashboard", "get", `{}`}, write: a10bCall{3, "ReportInstance", "create", `{"title":"Donors","report_id":"contribute/summary","addToDashboard":1}`}, why: dash},
		{read: navRead, write: a10bCall{4, "ReportInstance", "delete", `{"where":[["id","=",3]]}`}, why: del},
		{read: navRead, write: a10bCall{3, "ReportInstance", "delete", `{"id":3}`}, why: del},
	}
	a18MustInvalidate(t, controls, cases)
}
