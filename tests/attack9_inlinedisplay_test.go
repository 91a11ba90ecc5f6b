package tests

// Attack 9, policy: reads through an inline SearchDisplay definition.
//
// SearchKit's "preview mode" takes the `display` parameter of
// SearchDisplay.run (and download, and APIv4's autocomplete) as an array
// (SavedSearchInspectorTrait::loadSearchDisplay; only checkPermissionToLoadSearch
// asks `administer search_kit` of it), and the display's settings add fields
// to the query the run makes: AbstractRunAction::augmentSelectClause selects
// every column's `key`, the `[tokens]` of its rewrite, title and links, its
// cssRules and icons fields, `draggable` and `parent_field`; getOrderByFromSort
// orders by `settings.sort`; AutocompleteAction::augmentSelectClause selects the
// columns' keys and rewrite tokens, `settings.extra`, `settings.sort` and
// `keyField`, and answers with their values (`label` is the first column's
// value, `id` the keyField's, `extra` copies raw values).
//
// Civigate walks an inline savedSearch's api_params into a get of its entity,
// but not the inline display: under `deny { entity Email }` a Contact search
// whose display shows `email_primary.email` reads every contact's e-mail
// address.

import (
	"net/url"
	"testing"
)

func TestA9InlineDisplayReadsThroughJoins(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "}")
	contact := `{"api_entity":"Contact","api_params":{"version":4,"select":["id","display_name"]}}`

	// Controls: the same path in the saved search's own select is refused,
	// a display of the contact's own fields passes.
	if st, body := a9V4(t, sim, inst, "SearchDisplay", "run", `{"savedSearch":{"api_entity":"Contact","api_params":{"version":4,"select":["id","email_primary.email"]}}}`); !a9PolicyRefused(st, body) {
		t.Fatalf("control: email_primary.email in an inline savedSearch: %d %s", st, body)
	}
	if st, body := a9V4(t, sim, inst, "Contact", "autocomplete", `{"input":"a","display":{"type":"autocomplete","settings":{"columns":[{"type":"field","key":"display_name"}]}}}`); a9PolicyRefused(st, body) {
		t.Fatalf("control: a display of display_name was refused: %d %s", st, body)
	}

	cases := []struct{ name, entity, action, params string }{
		{"run column key", "SearchDisplay", "run",
			`{"savedSearch":` + contact + `,"display":{"type":"table","settings":{"columns":[{"type":"field","key":"email_primary.email"}]}}}`},
		{"run column rewrite token", "SearchDisplay", "run",
			`{"savedSearch":` + contact + `,"display":{"type":"table","settings":{"columns":[{"type":"field","key":"id","rewrite":"[email_primary.email]"}]}}}`},
		{"run sort", "SearchDisplay", "run",
			`{"savedSearch":` + contact + `,"display":{"type":"table","settings":{"sort":[["email_primary.email","ASC"]],"columns":[{"type":"field","key":"id"}]}}}`},
		{"run cssRules", "SearchDisplay", "run",
			`{"savedSearch":` + contact + `,"display":{"type":"table","settings":{"cssRules":[["bg-danger","email_primary.email","LIKE","a%"]],"columns":[{"type":"field","key":"id"}]}}}`},
		{"download column key", "SearchDisplay", "download",
			`{"format":"csv","savedSearch":` + contact + `,"display":{"type":"table","settings":{"columns":[{"type":"field","key":"email_primary.email"}]}}}`},
		{"autocomplete column key", "Contact", "autocomplete",
			`{"input":"a","display":{"type":"autocomplete","settings":{"columns":[{"type":"field","key":"email_primary.email"}]}}}`},
		{"autocomplete extra", "Contact", "autocomplete",
			`{"input":"a","display":{"type":"autocomplete","settings":{"extra":{"email_primary.email":"description"},"columns":[{"type":"field","key":"display_name"}]}}}`},
		{"autocomplete keyField", "Contact", "autocomplete",
			`{"ids":["a@example.org"],"display":{"type":"autocomplete","settings":{"keyField":"email_primary.email","columns":[{"type":"field","key":"display_name"}]}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.reset()
			path := "/civicrm/ajax/api4/" + c.entity + "/" + c.action
			st, body := a9Call(t, sim, inst, "POST", path, url.Values{"params": {c.params}})
			if !a9PolicyRefused(st, body) {
				t.Errorf("%s.%s whose inline display reads email_primary.email, under deny { entity Email }: %d %.200s; want the policy's 403",
					c.entity, c.action, st, body)
			}
			if rec.reached(path) {
				t.Errorf("the call reached CiviCRM")
			}
		})
	}
}

// TestA9InlineDisplayEditWritesThroughJoins: SearchDisplay.inlineEdit
// (InlineEdit::updateExistingRow) runs civicrm_api4($editableEntity, 'update'
// or 'create', …) on the entity of each editable column of the display, here
// the Email behind `email_primary.email`; under `deny { entity Email }` it
// may not run.
func TestA9InlineDisplayEditWritesThroughJoins(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Email", "}")
	contact := `{"api_entity":"Contact","api_params":{"version":4,"select":["id","display_name"]}}`
	cases := []struct{ name, params string }{
		{"update an editable joined column", `{"savedSearch":` + contact + `,"rowKey":2,"values":{"email_primary.email":"new@example.org"},` +
			`"display":{"type":"table","settings":{"columns":[{"type":"field","key":"email_primary.email","editable":true}]}}}`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec.reset()
			path := "/civicrm/ajax/api4/SearchDisplay/inlineEdit"
			st, body := a9Call(t, sim, inst, "POST", path, url.Values{"params": {c.params}})
			if !a9PolicyRefused(st, body) {
				t.Errorf("SearchDisplay.inlineEdit writing email_primary.email under deny { entity Email }: %d %.200s; want the policy's 403", st, body)
			}
			if rec.reached(path) {
				t.Errorf("the call reached CiviCRM")
			}
		})
	}
}
