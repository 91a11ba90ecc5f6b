package translate

import (
	"slices"
	"strings"
)

// A SearchKit display given inline. SearchKit's "preview mode" takes the
// `display` of SearchDisplay.run, download and inlineEdit, and of APIv4's
// autocomplete, as an array (SavedSearchInspectorTrait::loadSearchDisplay;
// checkPermissionToLoadSearch asks only `administer search_kit` of it), and
// its settings name fields that CiviCRM adds to the saved search's query:
//
//   - AbstractRunAction::augmentSelectClause selects each column's `key`,
//     the [tokens] of its `rewrite`, `title` and `empty_value`, its `link`'s
//     and `links`' tokens (getLinkTokens: `path`, `text`, `title`, each
//     condition's field, and the link's `prefix` or `join` before them),
//     its subsearch filters' `parent_field`, its `cssRules` and `icons`
//     fields, and the display's `draggable`, `parent_field` and `cssRules`;
//     getOrderByFromSort orders by `draggable` or `sort`;
//   - AutocompleteAction::augmentSelectClause selects the columns' keys and
//     rewrite tokens, the keys of `extra` and the fields of `sort`, and
//     getKeyField keys the answer by `keyField`; the answer shows them.
//
// Read by the saved search's get (savedSearch in joins.go), they are judged
// like its api_params. SearchDisplay.inlineEdit also writes (inlineWrites).

// searchDisplay is what a call's `display` makes CiviCRM read and write.
type searchDisplay struct {
	// fields: the select expressions and field names the display adds to
	// the saved search's query.
	fields []string
	// edited: the keys of its editable columns.
	edited []string
	// creates: its editableRow.create lets inlineEdit create rows
	// (InlineEdit::createNewRow).
	creates bool
	// unknown: a display by name (the stored display of the saved search's
	// id), or a setting of a shape the edge does not understand: what it
	// reads cannot be told.
	unknown bool
	// aclBypass: the display's acl_bypass (or its settings', which
	// InlineEdit reads for its writes) is not empty.
	aclBypass bool
}

// ACLBypass is the display setting with which SearchKit runs a display's
// query and InlineEdit's writes with permission checks off
// (AbstractRunAction::_run sets the query's checkPermissions to
// empty($display['acl_bypass']), honoured for a caller with "all CiviCRM
// permissions and ACLs" or on an Afform the caller may use; InlineEdit
// writes with empty($display['settings']['acl_bypass'])). An inline
// display is the client's, so the edge judges it as a falsy
// check_permissions (Subcall.ChecksOff): refused unless a rule names it.
// AutocompleteAction overwrites it with its own checkPermissions, which
// REST forces on, so an autocomplete's is no bypass.
const ACLBypass = "acl_bypass"

// readDisplay reads params' `display`. NULL (or nothing) is the default
// display GetDefault builds from the saved search's own select.
func readDisplay(params *Array) searchDisplay {
	var d searchDisplay
	v, _ := params.Get("display")
	if PHPEmpty(v) {
		return d
	}
	disp, isArr := v.(*Array)
	if !isArr {
		d.unknown = true
		return d
	}
	d.aclBypass = !PHPEmpty(item(disp, ACLBypass))
	st, isArr := d.array(item(disp, "settings"))
	if !isArr {
		return d
	}
	d.aclBypass = d.aclBypass || !PHPEmpty(item(st, ACLBypass))
	d.field(item(st, "draggable"))
	d.field(item(st, "parent_field"))
	d.field(item(st, "keyField"))
	d.cssRules(item(st, "cssRules"))
	d.members(item(st, "sort"), func(pair *Array) { d.field(item(pair, "0")) })
	if extra, ok := d.array(item(st, "extra")); ok {
		for i := 0; i < extra.Len(); i++ {
			d.field(extra.Key(i))
		}
	}
	if row, ok := item(st, "editableRow").(*Array); ok {
		d.creates = !PHPEmpty(item(row, "create"))
	}
	d.members(item(st, "columns"), d.column)
	return d
}

func (d *searchDisplay) column(c *Array) {
	key := item(c, "key")
	d.field(key)
	if !PHPEmpty(item(c, "editable")) {
		if k, ok := key.(string); ok && k != "" {
			d.edited = append(d.edited, k)
		}
	}
	for _, k := range [...]string{"rewrite", "title", "empty_value"} {
		d.tokens(item(c, k))
	}
	d.link(item(c, "link"))
	if links, ok := d.array(item(c, "links")); ok {
		for i := 0; i < links.Len(); i++ {
			d.link(links.Value(i))
		}
	}
	if sub, ok := d.array(item(c, "subsearch")); ok {
		d.members(item(sub, "filters"), func(f *Array) { d.field(item(f, "parent_field")) })
	}
	d.cssRules(item(c, "cssRules"))
	d.members(item(c, "icons"), func(icon *Array) {
		d.field(item(icon, "field"))
		if cond, ok := d.array(item(icon, "if")); ok {
			d.field(item(cond, "0"))
		}
	})
}

// cssRules are [class, field, operator, value] (getCssRulesSelect).
func (d *searchDisplay) cssRules(v any) {
	d.members(v, func(r *Array) { d.field(item(r, "1")) })
}

// link: getLinkTokens after preprocessLink, which puts the link's `join`
// (as "join.") or its own `prefix` before its conditions' fields and its
// path's tokens, and selects prefix + the id for a task.
func (d *searchDisplay) link(v any) {
	l, ok := d.array(v)
	if !ok {
		return
	}
	for _, k := range [...]string{"path", "text", "title"} {
		d.tokens(item(l, k))
	}
	prefixes := []string{""}
	for _, k := range [...]string{"prefix", "join"} {
		p := item(l, k)
		if PHPEmpty(p) {
			continue
		}
		s, isStr := p.(string)
		if !isStr {
			d.unknown = true
			continue
		}
		if k == "join" {
			s += "."
		}
		prefixes = append(prefixes, s)
		d.field(s + "id")
	}
	var conds []any
	if cs, ok := d.array(item(l, "conditions")); ok {
		for i := 0; i < cs.Len(); i++ {
			conds = append(conds, cs.Value(i))
		}
	}
	if c := item(l, "condition"); !PHPEmpty(c) {
		conds = append(conds, c)
	}
	for _, c := range conds {
		cond, ok := d.array(c)
		if !ok {
			continue
		}
		f := item(cond, "0")
		s, isStr := f.(string)
		if !isStr {
			d.field(f)
			continue
		}
		for _, p := range prefixes {
			d.field(p + s)
		}
	}
}

// field: a setting CiviCRM adds to the select clause (addSelectExpression
// takes a string). A number or boolean names no path.
func (d *searchDisplay) field(v any) {
	if PHPEmpty(v) {
		return
	}
	switch x := v.(type) {
	case string:
		d.fields = append(d.fields, x)
	case Number, bool:
	default:
		d.unknown = true
	}
}

// tokens: each [token] of a string setting is a select expression
// (CRM_Utils_String::getSquareTokens).
func (d *searchDisplay) tokens(v any) {
	s, isStr := v.(string)
	if !isStr {
		d.field(v) // an array where CiviCRM concatenates a string
		return
	}
	d.fields = append(d.fields, squareTokens(s)...)
}

// squareTokens are what preg_match_all('/\[([^]]+)\]/') captures: after a
// '[', everything up to the next ']', at least one byte.
func squareTokens(s string) []string {
	var out []string
	for {
		open := strings.IndexByte(s, '[')
		if open < 0 {
			return out
		}
		s = s[open+1:]
		end := strings.IndexByte(s, ']')
		if end < 0 {
			return out
		}
		if end > 0 {
			out = append(out, s[:end])
			s = s[end+1:]
		}
	}
}

// array: a setting that must be an array. Empty, it holds nothing;
// of another type, the edge cannot tell what CiviCRM makes of it.
func (d *searchDisplay) array(v any) (*Array, bool) {
	if a, ok := v.(*Array); ok {
		return a, true
	}
	if !PHPEmpty(v) {
		d.unknown = true
	}
	return nil, false
}

// members calls f with each member of the list setting v: every member
// is an array (one that is not, or a v that is no list, is of a shape the
// edge does not understand, as array says).
func (d *searchDisplay) members(v any, f func(*Array)) {
	list, ok := d.array(v)
	if !ok {
		return
	}
	for i := 0; i < list.Len(); i++ {
		if m, ok := d.array(list.Value(i)); ok {
			f(m)
		}
	}
}

func item(a *Array, key string) any {
	v, _ := a.Get(key)
	return v
}

// inlineWrites reports what SearchDisplay.inlineEdit writes (InlineEdit:
// updateExistingRow, createNewRow, updateDraggableWeight), each a
// civicrm_api4 call whose parameters it builds: an update of the saved
// search's entity (draggable weight, a task link's values, an edited
// field of its own), a create of it where editableRow.create is set, and
// an update or create of the entity behind each field it edits, an
// editable column's key or a key of `values`: an explicit join's entity,
// or the entity a foreign key leads to (Contact's save writes the Email of
// email_primary.email). entity "" is a saved search the edge cannot see.
func (s *joinScan) inlineWrites(entity string, apiParams *Array, d searchDisplay) {
	if !s.ok || !strings.EqualFold(s.parent.Action, "inlineEdit") {
		return
	}
	dynamic := entity == ""
	if !s.wrote(entity, dynamic, "update") {
		return
	}
	if (d.creates || d.unknown || dynamic) && !s.wrote(entity, dynamic, "create") {
		return
	}
	edited := d.edited
	vals, _ := item(s.parent.Params, "values").(*Array)
	if vals != nil {
		for i := 0; i < vals.Len(); i++ {
			edited = append(edited, vals.Key(i))
		}
	}
	// An edited field of the entity itself writes what the entity's BAO
	// writes for it (fieldwrites.go: a group's parents…), as its own
	// update would; where the row asks for a value, as `values` gives it
	// (an editable column without one: any value).
	s.fieldWrites(entity, 4, func(fw fieldWrite) bool {
		if !slices.ContainsFunc(edited, func(e string) bool { k, _, _ := strings.Cut(e, ":"); return fw.names(k) }) {
			return false
		}
		if !fw.asksValue() || vals == nil || !slices.ContainsFunc(vals.Keys(), fw.names) {
			return true
		}
		return namesField([]*Array{vals}, fw, false)
	}, nil, true)
	if !s.ok {
		return
	}
	ws := &joinScan{w: s.w, parent: s.parent, ok: true, write: true, aliases: joinAliases(apiParams), checksOff: s.checksOff, base: entity}
	for _, e := range edited {
		if e == "custom" || isCustomN(e) {
			// Some custom group of the entity (customwrites.go).
			ws.carried("CustomValue", false, "values", nil)
			continue
		}
		ws.expr(e)
	}
	s.ok = ws.ok
}

// wrote reports a write SearchKit makes under the call's own name (and
// the other writers of parameters CiviCRM builds), then what the BAO
// writes for it whatever those parameters (ownWrites).
func (s *joinScan) wrote(entity string, dynamic bool, action string) bool {
	if !s.ok {
		return false
	}
	p := s.parent
	sc := Subcall{Version: p.Version, Entity: entity, EntityDynamic: dynamic, Action: action,
		Depth: p.Depth + 1, InBatch: p.InBatch, Member: p.Member, ParamsUnknown: true, ChecksOff: s.checksOff}
	sc.Truncated = sc.Depth > MaxSubcallDepth
	s.ok = s.w.visit(sc) && (sc.Truncated || s.newContact || s.w.ownWrites(sc, nil, true))
	return s.ok
}
