package tests

// Helpers of the attack 17 tests (policy around a case's clients, its
// timeline and activities, and the names CiviCRM resolves while it
// validates a call): each finding is a deny policy, a control call the same
// Civigate already refuses and the calls CiviCRM would run that it admits,
// checked with attack 14's a14Check (a policy refusal, nothing upstream).

import "strings"

// a17Deny is a deny rule's lines for one entity and, optionally, actions.
func a17Deny(entity string, actions ...string) []string {
	lines := []string{"deny {", "entity " + entity}
	if len(actions) > 0 {
		lines = append(lines, "action "+strings.Join(actions, " "))
	}
	return append(lines, "}")
}

// a17V4Calls is an APIv4 multi-call POST to civicrm/ajax/api4 with calls=
// (CRM_Api4_Page_AJAX::run's first format: each call is run as
// execute($entity, $action, $params)).
func a17V4Calls(calls string) a10Req {
	return a10Req{method: "POST", pathQuery: "/civicrm/ajax/api4", ctype: "application/x-www-form-urlencoded",
		body: a10Form("calls", calls)}
}
