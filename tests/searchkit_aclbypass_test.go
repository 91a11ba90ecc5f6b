package tests

// An inline SearchKit display's acl_bypass: AbstractRunAction::_run runs the
// display's query with checkPermissions = empty($display['acl_bypass'])
// (honoured for a caller with "all CiviCRM permissions and ACLs", or on an
// Afform the caller may use), and InlineEdit writes with the settings'
// acl_bypass. End to end through Caddy, a display that sets it is refused
// as a falsy check_permissions is, even with no rule naming SearchKit.

import "testing"

func TestInlineDisplayACLBypassIsRefused(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Note", "}")
	search := `{"api_entity":"Contact","api_params":{"version":4,"select":["id","display_name"]}}`
	for name, params := range map[string]string{
		"run":                     `{"savedSearch":` + search + `,"display":{"acl_bypass":true,"settings":{"columns":[{"type":"field","key":"display_name"}]}}}`,
		"inlineEdit, in settings": `{"savedSearch":` + search + `,"rowKey":2,"values":{"first_name":"M"},"display":{"settings":{"acl_bypass":1,"columns":[{"type":"field","key":"first_name","editable":true}]}}}`,
	} {
		t.Run(name, func(t *testing.T) {
			rec.reset()
			action := "run"
			if name != "run" {
				action = "inlineEdit"
			}
			st, body := a9V4(t, sim, inst, "SearchDisplay", action, params)
			if !a9PolicyRefused(st, body) {
				t.Errorf("SearchDisplay.%s with acl_bypass: %d %.200s; want the policy's 403", action, st, body)
			}
			if rec.reached("/civicrm/ajax/api4/SearchDisplay/" + action) {
				t.Errorf("the call reached CiviCRM")
			}
		})
	}
	rec.reset()
	ctl := `{"savedSearch":` + search + `,"display":{"settings":{"columns":[{"type":"field","key":"display_name"}]}}}`
	if st, body := a9V4(t, sim, inst, "SearchDisplay", "run", ctl); a9PolicyRefused(st, body) || !rec.reached("/civicrm/ajax/api4/SearchDisplay/run") {
		t.Errorf("control: a display without acl_bypass: %d %.200s", st, body)
	}
}
