package tests

// SearchKit's inline display settings beyond the attacker's (attack 9):
// the other settings AbstractRunAction::augmentSelectClause selects, and
// the writes SearchDisplay.inlineEdit makes that no read shows.

import (
	"net/url"
	"strings"
	"testing"
)

// TestInlineDisplaySettingsReadThroughJoins: every display setting CiviCRM
// adds to the saved search's query is a read under deny { entity Email }.
func TestInlineDisplaySettingsReadThroughJoins(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "}")
	run := func(settings string) string {
		return `{"savedSearch":{"api_entity":"Contact","api_params":{"version":4,"select":["id","display_name"]}},"display":{"type":"table","settings":` + settings + `}}`
	}
	cases := []struct{ name, params string }{
		{"title token", run(`{"columns":[{"type":"field","key":"id","title":"[email_primary.email]"}]}`)},
		{"empty_value token", run(`{"columns":[{"type":"field","key":"id","empty_value":"[email_primary.email]"}]}`)},
		{"link path token", run(`{"columns":[{"type":"field","key":"id","link":{"path":"civicrm/x?e=[email_primary.email]"}}]}`)},
		{"link condition", run(`{"columns":[{"type":"field","key":"id","link":{"path":"civicrm/x","conditions":[["email_primary.email","=","a"]]}}]}`)},
		{"menu link join", run(`{"columns":[{"type":"menu","links":[{"entity":"Email","action":"view","join":"email_primary","text":"E"}]}]}`)},
		{"icon field", run(`{"columns":[{"type":"field","key":"id","icons":[{"field":"email_primary.email","side":"left"}]}]}`)},
		{"icon condition", run(`{"columns":[{"type":"field","key":"id","icons":[{"icon":"fa-x","if":["email_primary.email","IS NOT EMPTY"]}]}]}`)},
		{"column cssRules", run(`{"columns":[{"type":"field","key":"id","cssRules":[["x","email_primary.email","=","a"]]}]}`)},
		{"subsearch parent_field", run(`{"columns":[{"type":"subsearch","subsearch":{"search":"s","display":"d","filters":[{"subsearch_field":"x","parent_field":"email_primary.email"}]}}]}`)},
		{"draggable", run(`{"draggable":"email_primary.email","columns":[{"type":"field","key":"id"}]}`)},
		{"parent_field", run(`{"parent_field":"email_primary.email","columns":[{"type":"field","key":"id"}]}`)},
		{"a column key of a shape Civigate does not read", run(`{"columns":[{"type":"field","key":{"x":"email_primary.email"}}]}`)},
		{"a display by name", `{"savedSearch":{"id":1,"api_entity":"Contact","api_params":{"version":4,"select":["id"]}},"display":"Contacts_with_emails"}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.reset()
			path := "/civicrm/ajax/api4/SearchDisplay/run"
			st, body := a9Call(t, sim, inst, "POST", path, url.Values{"params": {c.params}})
			if !a9PolicyRefused(st, body) {
				t.Errorf("%s under deny { entity Email }: %d %.200s; want the policy's 403", c.name, st, body)
			}
			if rec.reached(path) {
				t.Errorf("the call reached CiviCRM")
			}
		})
	}
	// The same display through the other routes to APIv4: a GET with
	// params in the query, and APIv3's REST with version 4.
	keyCol := run(`{"columns":[{"type":"field","key":"email_primary.email"}]}`)
	rec.reset()
	if st, body := a9Call(t, sim, inst, "GET", "/civicrm/ajax/api4/SearchDisplay/run?params="+a9q(keyCol), nil); !a9PolicyRefused(st, body) {
		t.Errorf("GET SearchDisplay.run whose display reads email_primary.email: %d %.200s; want the policy's 403", st, body)
	}
	// (CiviCRM's REST refuses a version 4 call with "Unknown api
	// parameter: check_permissions", the answer Civigate gives for it
	// when its policy refuses it: what matters is that it runs nothing.)
	v3 := strings.Replace(keyCol, `{"savedSearch"`, `{"version":4,"savedSearch"`, 1)
	if st, body := a9V3(t, sim, inst, "SearchDisplay", "run", v3); st == 200 && !strings.Contains(body, `"is_error":1`) {
		t.Errorf("APIv3 REST SearchDisplay.run version 4 whose display reads email_primary.email: %d %.200s; want an error", st, body)
	}
	if len(rec.reqs) > 0 {
		t.Errorf("a call reached CiviCRM: %q", rec.reqs)
	}
	// Control: a display of the contact's own fields, with tokens and
	// text that are no field paths, is run.
	rec.reset()
	ok := run(`{"columns":[{"type":"field","key":"display_name","rewrite":"[display_name] (see e.g. https://example.org/)","title":"Dr. [id]"}],"sort":[["display_name","ASC"]]}`)
	if st, body := a9V4(t, sim, inst, "SearchDisplay", "run", ok); a9PolicyRefused(st, body) || !rec.reached("/civicrm/ajax/api4/SearchDisplay/run") {
		t.Errorf("control: a display of the contact's own fields: %d %.200s", st, body)
	}
}

// TestInlineEditWritesAreJudged: SearchDisplay.inlineEdit updates the saved
// search's entity and the entity behind each field it edits (InlineEdit::
// updateExistingRow: an editable column, or a task link's update with the
// call's values), reads or not.
func TestInlineEditWritesAreJudged(t *testing.T) {
	contact := `{"api_entity":"Contact","api_params":{"version":4,"select":["id","display_name","email_primary.email"]}}`
	path := "/civicrm/ajax/api4/SearchDisplay/inlineEdit"
	cases := []struct {
		name   string
		rules  []string
		params string
	}{
		{"an own field under deny { action update }", []string{"deny {", "action update", "}"},
			`{"savedSearch":` + contact + `,"rowKey":2,"values":{"display_name":"x"},"display":{"settings":{"columns":[{"type":"field","key":"display_name","editable":true}]}}}`},
		{"a joined field under deny { entity Email action update }", []string{"deny {", "entity Email", "action update", "}"},
			`{"savedSearch":` + contact + `,"rowKey":2,"values":{"email_primary.email":"x@example.org"},"display":{"settings":{"columns":[{"type":"field","key":"email_primary.email","editable":true}]}}}`},
		{"a task link's values under deny { entity Email action update }", []string{"deny {", "entity Email", "action update", "}"},
			`{"savedSearch":` + contact + `,"rowKey":2,"values":{"email_primary.email":"x@example.org"},` +
				`"display":{"settings":{"columns":[{"type":"links","links":[{"task":"t","action":"update","api_params":{"values":{"email_primary.email":"x@example.org"}}}]}]}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sim, rec, inst := a9Setup(t, c.rules...)
			st, body := a9Call(t, sim, inst, "POST", path, url.Values{"params": {c.params}})
			if !a9PolicyRefused(st, body) {
				t.Errorf("SearchDisplay.inlineEdit, %s: %d %.200s; want the policy's 403", c.name, st, body)
			}
			if rec.reached(path) {
				t.Errorf("the call reached CiviCRM")
			}
			// Control: the same display run (a read) passes.
			rec.reset()
			st, body = a9V4(t, sim, inst, "SearchDisplay", "run", `{"savedSearch":`+contact+`}`)
			if a9PolicyRefused(st, body) || !rec.reached("/civicrm/ajax/api4/SearchDisplay/run") {
				t.Errorf("control: SearchDisplay.run of the search: %d %.200s", st, body)
			}
		})
	}
}
