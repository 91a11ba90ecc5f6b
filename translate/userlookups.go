package translate

import "strings"

// A contact id given as "@user:<CMS user name>": both APIs resolve such a
// value through _civicrm_api3_resolve_contactID (api/v3/utils.php), which
// asks the CMS for the user of that name ($config->userSystem->getUfId:
// Standalone's User entity, another CMS's own users) and then
// CRM_Core_BAO_UFMatch::getContactId, the user's civicrm_uf_match row, or
// fails with '"<field>" "@user:<name>" cannot be resolved to a contact ID'.
// So a filter or a written value of that form reads which contact a CMS
// user is, and whether the user exists: a read of UFMatch and User, which
// a rule on either judges. ("user_contact_id", the other form it takes, is
// the caller's own contact, from the session: no read.) Where:
//
//   - APIv3 (APIv3SchemaAdapter::onApiPrepare_validate ->
//     _civicrm_api3_validate_fields -> _civicrm_api3_validate_integer),
//     every integer field the call names, a get's filter and a write's
//     value alike, given as a non-numeric scalar or as the operand of an
//     operator (_civicrm_api3_field_value_check: not "=", not NULL or
//     EMPTY), in the calls v3OptionLookups reads, and getlist's scalar
//     `id`, which becomes its get's filter on id_field (v3GetlistUser);
//   - APIv4 (FormattingUtil::formatInputValue -> resolveContactID), the
//     value of a contact reference or of a contact entity's id without a
//     suffix: in a where or having clause under an exact-match operator
//     (=, !=, <>, IN, NOT IN, CONTAINS, NOT CONTAINS: each element of a
//     list), a plain value or, where the clause's value is an expression
//     (a join's ON clause unless its 4th element is given, a where's whose
//     4th element is true), a quoted string (Api4Query::composeClause
//     strips the quotes and formats what is between them); an
//     autocomplete's ids (AutocompleteAction::_run filters its get with
//     [id, IN, ids]); a SearchKit filter, of SearchDisplay's run, download…
//     or of an autocomplete (SavedSearchInspectorTrait::applyFilter makes
//     it a clause of the search's get: v4FiltersNameUser); and in a
//     written value (formatWriteParams: values, records, defaults).
//
// In an APIv4 chained call each of those values may also be a "$key"
// string, which ActionObjectProvider::runChain -> resolveChainLinks
// replaces with the parent row's $row[$key] (or its dotted path) before
// the call runs: a value the parent computes (select "CONCAT('@user:',
// …) AS u"), a string field it reads, an earlier chain's result rows. So
// such a reference counts as "@user:<name>" (both as given and quoted,
// for a clause whose value is an expression) unless the parent's row
// cannot hold one there (v4RowMayNameUser): the parent's id or one of
// fkTargets' integer foreign keys, selected plainly (no select
// expression aliased to it, no chain of the parent named so, which
// handleChains stores its result rows under), of a parent whose entity
// and params are known. So "$id" and "$contact_id" stay what they are,
// the chained create's usual {"contact_id": "$id"}.
//
// The edge does not know every field's type (custom fields, extensions'
// entities): any field named so is reported, a judgment too many at worst.

// userLookups are the entities resolving "@user:<name>" reads.
var userLookups = [...]string{"UFMatch", "User"}

// namesUser reports whether v is a string _civicrm_api3_resolve_contactID
// resolves as a CMS user: preg_match('/^@user:(.*)$/'), taken as the
// prefix (a newline in the name, which it refuses, is still reported).
func namesUser(v any) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, "@user:")
}

// v3NamesUser reports whether an APIv3 field's value is one
// _civicrm_api3_validate_integer resolves as a CMS user: the value itself,
// or the operand of an operator (key($value) a truthy array_search in
// CRM_Core_DAO::acceptedSQLOperators, so not "=") other than the NULL
// operators, a scalar either way (a list is not resolved).
func v3NamesUser(v any) bool {
	a, ok := v.(*Array)
	if !ok {
		return namesUser(v)
	}
	if a.Len() == 0 {
		return false
	}
	op := a.Key(0)
	if op == "=" || !v3SQLOperators[op] || strings.Contains(op, "NULL") {
		return false
	}
	return namesUser(a.Value(0))
}

// v3ParamIsField reports whether an APIv3 parameter may be a field
// _civicrm_api3_validate_fields validates: not a chain, nor an option or
// a return.
func v3ParamIsField(k string) bool {
	switch {
	case len(k) >= 4 && k[:3] == "api" && (k[3] == '.' || k[3] == '_'),
		k == "return", k == "options", k == "sequential", k == "version", k == "check_permissions", k == "debug",
		strings.HasPrefix(k, "return.") || strings.HasPrefix(k, "return_"),
		strings.HasPrefix(k, "option.") || strings.HasPrefix(k, "options.") || strings.HasPrefix(k, "option_"):
		return false
	}
	return true
}

// v3GetlistUser reports the lookup an APIv3 getlist's `id` makes in the
// get it runs (get, the call runs.go walks with getlist's `params`):
// _civicrm_api3_generic_getList_defaults sets $request['params'][$id_field]
// to a scalar id (one without a comma past its first byte, which it
// explodes into an IN list, like an array: not resolved), which that get
// validates as its own filter.
func (w *walker) v3GetlistUser(getlist, get Subcall) bool {
	id, _ := getlist.Params.Get("id")
	if sid, ok := id.(string); !ok || !namesUser(sid) || strings.IndexByte(sid, ',') > 0 {
		return true
	}
	field, ok := item(getlist.Params, "id_field").(string)
	if !ok || field == "" {
		field = "id"
	}
	s := &joinScan{w: w, parent: get, ok: true, v3: true}
	return s.users(field)
}

// users reports the reads resolving "@user:<name>" makes, via names the
// field it was given for.
func (s *joinScan) users(via string) bool {
	if !entityName(via) || len(via) > maxViaLen {
		via = "@user"
	}
	for _, e := range userLookups {
		if !s.read(e, via) {
			return false
		}
	}
	return s.ok
}

// v4ExactOperators are FormattingUtil::formatInputValue's $exactMatch:
// the operators under which a where value is resolved as a contact id.
var v4ExactOperators = map[string]bool{"=": true, "!=": true, "<>": true, "IN": true, "NOT IN": true,
	"CONTAINS": true, "NOT CONTAINS": true}

// v4UserLookups reports the reads an APIv4 call's "@user:<name>" values
// make: a where or having clause's, a join's ON clause's, a SearchKit
// filter's, an autocomplete's ids (the client's filter), then a write's
// values (the write's own lookup, joinScan.read).
func (w *walker) v4UserLookups(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	sc.Params = v4ResolveRowRefs(sc, sc.Params)
	for _, k := range [...]string{"where", "having"} {
		if c, ok := item(sc.Params, k).(*Array); ok {
			if field, found := v4ClausesNameUser(c, k); found {
				s := &joinScan{w: w, parent: sc, ok: true}
				return s.users(field)
			}
		}
	}
	if field, found := v4JoinsNameUser(item(sc.Params, "join")); found {
		s := &joinScan{w: w, parent: sc, ok: true}
		return s.users(field)
	}
	if field, found := v4FiltersNameUser(sc.Params); found {
		s := &joinScan{w: w, parent: sc, ok: true}
		return s.users(field)
	}
	if strings.EqualFold(sc.Action, "autocomplete") && v4ValueNamesUser(item(sc.Params, "ids"), 0) {
		// AutocompleteAction::_run, in render mode, adds [$idField, 'IN',
		// $this->ids] to the where of the get it runs: each element is
		// formatted as a where value is (a contact's id, for a contact
		// type: CoreUtil::isContact).
		s := &joinScan{w: w, parent: sc, ok: true}
		return s.users("id")
	}
	for _, row := range v4WriteRows(sc) {
		for i := 0; i < row.Len(); i++ {
			if k := row.Key(i); !strings.Contains(k, ":") && v4ValueNamesUser(row.Value(i), 0) {
				s := &joinScan{w: w, parent: sc, ok: true, write: true}
				return s.users(k)
			}
		}
	}
	return true
}

// v4FiltersNameUser finds a SearchKit filter whose value resolves a CMS
// user: its field. SearchDisplay's run, download and the other
// AbstractRunAction actions (applyFilters), and any entity's autocomplete
// (AutocompleteAction::_run hands its filters to SearchDisplay::run),
// turn each filter {"field": value} into a where clause (having for an
// aggregated column, an EXCLUDE join's ON clause for its fields) with
// SavedSearchInspectorTrait::applyFilter, which the search's get formats
// with FormattingUtil::formatInputValue. A key "a,b" is an OR of each of
// its fields; one with a suffix is an option's label. The value: a scalar
// is compared with "=" (an Integer field's, so a contact reference's; a
// text field's CONTAINS or LIKE is no contact id); a list with IN (an OR
// of CONTAINS for a serialized field); an array whose keys, empty values
// left out (hasValue), are all operators (CoreUtil::getOperators, strict
// case) with each [field, operator, value]. applyFilters admits only keys
// among the search's select aliases and the Afform's fields, which the
// edge does not know: any key is judged, a judgment too many at worst.
// With an afform, a string of the form's directive filters is exploded
// on commas (strpos > 0) into an IN list. Another action has no filters
// (an unknown parameter fails the call).
func v4FiltersNameUser(params *Array) (string, bool) {
	filters, ok := item(params, "filters").(*Array)
	if !ok {
		return "", false
	}
	afform := !PHPEmpty(item(params, "afform"))
	for i := 0; i < filters.Len(); i++ {
		field, named := "", false
		for _, f := range strings.Split(filters.Key(i), ",") {
			if !strings.Contains(f, ":") {
				field, named = f, true
				break
			}
		}
		if named && filterNamesUser(filters.Value(i), afform) {
			return field, true
		}
	}
	return "", false
}

// filterNamesUser: a SearchKit filter's value as applyFilter compares it
// (v4FiltersNameUser). An operator map's keys are taken as operators when
// every CiviCRM has them (CRM_Core_DAO::acceptedSQLOperators, which
// getOperators extends with CONTAINS, IS EMPTY, IS NOT EMPTY): a key a
// version lacks makes the array a list, compared with IN.
func filterNamesUser(v any, afform bool) bool {
	a, ok := v.(*Array)
	if !ok {
		if s, ok := v.(string); ok && afform && strings.IndexByte(s, ',') > 0 {
			for _, e := range strings.Split(s, ",") {
				if namesUser(e) {
					return true
				}
			}
		}
		return namesUser(v)
	}
	operators := true
	for i := 0; i < a.Len(); i++ {
		k := a.Key(i)
		if searchHasValue(a.Value(i), 0) && !v3SQLOperators[k] && k != "CONTAINS" && k != "IS EMPTY" && k != "IS NOT EMPTY" {
			operators = false
		}
	}
	if !operators {
		return v4ValueNamesUser(a, 0)
	}
	for i := 0; i < a.Len(); i++ {
		if v4ExactOperators[a.Key(i)] && v4ValueNamesUser(a.Value(i), 0) {
			return true
		}
	}
	return false
}

// searchHasValue is SavedSearchInspectorTrait::hasValue: not "", not
// null, and an array only with an element that has one.
func searchHasValue(v any, depth int) bool {
	a, ok := v.(*Array)
	if !ok {
		return v != nil && v != ""
	}
	if depth > MaxSubcallDepth {
		return true
	}
	for i := 0; i < a.Len(); i++ {
		if searchHasValue(a.Value(i), depth+1) {
			return true
		}
	}
	return false
}

// v4JoinsNameUser finds an explicit join's ON clause whose value resolves
// a CMS user: its field. Api4SelectQuery::addExplicitJoins walks every
// array of an entry after its "Entity AS alias" (a bridge's conditions
// too) with treeWalkClauses($clause, 'ON'); the strings among them (the
// side, a bridge) are no clauses.
func v4JoinsNameUser(v any) (string, bool) {
	joins, ok := v.(*Array)
	if !ok {
		return "", false
	}
	for i := 0; i < joins.Len(); i++ {
		if j, ok := joins.Value(i).(*Array); ok {
			if f, found := v4ClausesNameUser(j, "on"); found {
				return f, true
			}
		}
	}
	return "", false
}

// v4ClausesNameUser finds a leaf [field, op, value, isExpr] of a where,
// having or ON clause list (clause: "where", "having" or "on"; its
// leaves as v4Leaves walks them) whose value Api4Query::composeClause
// gives FormattingUtil::formatInputValue as one resolving a CMS user: its
// field. isExpr is the leaf's 4th element, PHP-truthy; null or missing,
// it is FALSE in WHERE and HAVING, TRUE in ON ($isBAnExpression ??=
// ($type === 'ON')). Where it is FALSE the value is formatted as it is;
// where it is TRUE a HAVING clause compares two select aliases (nothing
// formatted), and WHERE and ON take a quoted string (an SqlString) for the
// text between its quotes, and an array as they take a literal one
// (v4ExprNamesUser). A field with a suffix is an option's label, not a
// contact id.
func v4ClausesNameUser(clauses *Array, clause string) (string, bool) {
	var field string
	found := false
	v4LeafList(clauses, func(c *Array) bool {
		f, _ := item(c, "0").(string)
		op, _ := item(c, "1").(string)
		if strings.Contains(f, ":") || !v4ExactOperators[strings.ToUpper(strings.TrimSpace(op))] {
			return true // a suffix's option, another operator
		}
		flag := item(c, "3")
		isExpr := !PHPEmpty(flag)
		if flag == nil && clause == "on" {
			isExpr = true
		}
		v := item(c, "2")
		switch {
		case !isExpr:
			found = v4ValueNamesUser(v, 0)
		case clause != "having":
			found = v4ExprNamesUser(v)
		}
		if found {
			field = f
		}
		return !found
	})
	return field, found
}

// v4ExprNamesUser: a value composeClause reads as an expression resolves
// a CMS user when it is a quoted string (SqlExpression::convert: the same
// quote first and last) whose text between the quotes does ($renderedB =
// substr($exprB->getExpr(), 1, -1)), or an array with such an element or
// one that does as it is: formatInputValue takes an array as it is, and
// treeWalkClauses splits a CONTAINS list into one clause per element,
// quoting a string in an ON clause. An unquoted string is a field.
func v4ExprNamesUser(v any) bool {
	if a, ok := v.(*Array); ok {
		for i := 0; i < a.Len(); i++ {
			if v4ValueNamesUser(a.Value(i), 0) || quotedNamesUser(a.Value(i)) {
				return true
			}
		}
		return false
	}
	return quotedNamesUser(v)
}

// quotedNamesUser reports whether v is a quoted string (an SqlString)
// whose text between the quotes resolves a CMS user.
func quotedNamesUser(v any) bool {
	s, ok := v.(string)
	if !ok || len(s) < 2 || (s[0] != '\'' && s[0] != '"') || s[len(s)-1] != s[0] {
		return false
	}
	return namesUser(s[1 : len(s)-1])
}

// v4ValueNamesUser: formatInputValue resolves each element of a list.
func v4ValueNamesUser(v any, depth int) bool {
	a, ok := v.(*Array)
	if !ok {
		return namesUser(v)
	}
	if depth > MaxSubcallDepth {
		return false
	}
	for i := 0; i < a.Len(); i++ {
		if v4ValueNamesUser(a.Value(i), depth+1) {
			return true
		}
	}
	return false
}

// v4ResolveRowRefs is an APIv4 chained call's params as resolveChainLinks
// may make them for the reads "@user:<name>" makes: each "$key" string
// given for a field that may be a contact reference (v4MayBeContactRef:
// a clause's field, a written row's or a filter's key, an autocomplete's
// ids) whose parent row may hold "@user:<name>" (v4RowRefMayNameUser)
// becomes the list of both spellings its position may resolve
// ("@user:$key", and quoted for a clause whose value is an expression); a
// clause whose 4th element (isExpr) is a "$key" is judged both ways (an
// OR of the clause with false and with true). params itself when nothing
// is replaced, or the call is no chained APIv4 call.
func v4ResolveRowRefs(sc Subcall, params *Array) *Array {
	if !sc.v4Chained || params == nil {
		return params
	}
	if r, changed := v4RowRefs(sc, params, "", 0); changed {
		return r.(*Array)
	}
	return params
}

func v4RowRefs(sc Subcall, v any, field string, depth int) (any, bool) {
	switch x := v.(type) {
	case string:
		if v4MayBeContactRef(field) && v4RowRefMayNameUser(sc, x) {
			worst := NewArray()
			worst.Append("@user:" + x)
			worst.Append("'@user:" + x + "'")
			return worst, true
		}
	case *Array:
		if depth > MaxSubcallDepth {
			return v, false
		}
		f0, _ := item(x, "0").(string)
		op, _ := item(x, "1").(string)
		leaf := x.Len() >= 3 && f0 != "" && v4ExactOperators[strings.ToUpper(strings.TrimSpace(op))]
		var out *Array
		for i := 0; i < x.Len(); i++ {
			k, child := x.Key(i), field
			switch {
			case leaf && (k == "0" || k == "1"):
				continue
			case leaf:
				child = f0
			case depth == 0 && k == "ids":
				child = "id" // AutocompleteAction::_run: [$idField, 'IN', $this->ids]
			default:
				if _, isInt := IntKey(k); !isInt && !v3SQLOperators[k] && !v4ExactOperators[k] {
					child = k // a written row's or a filter's field
				}
			}
			if nv, changed := v4RowRefs(sc, x.Value(i), child, depth+1); changed {
				if out == nil {
					out = x.Clone()
				}
				out.Set(k, nv)
			}
		}
		if flag, ok := item(x, "3").(string); leaf && ok && len(flag) > 1 && flag[0] == '$' {
			// isExpr filled from the row: the clause as a value and as an
			// expression.
			if out == nil {
				out = x.Clone()
			}
			asValue, asExpr := out.Clone(), out.Clone()
			asValue.Set("3", false)
			asExpr.Set("3", true)
			both := NewArray()
			both.Append(asValue)
			both.Append(asExpr)
			group := NewArray()
			group.Append("OR")
			group.Append(both)
			return group, true
		}
		if out != nil {
			return out, true
		}
	}
	return v, false
}

// v3RowRefs is an APIv3 chained call's field value as
// _civicrm_api_replace_variables may make it for the reads
// "@user:<name>" makes: a "$value.<key>" string, or an array's first
// value so (the operator syntax), is the parent row's data, which may be
// "@user:<name>" unless it is the parent's id or an integer foreign key
// (fkTargets) of the row; counted so for a field that may be a contact
// id (v4MayBeContactRef). The request's own call is not substituted.
func v3RowRefs(sc Subcall, field string, v any) any {
	if sc.Depth == 0 || !v4MayBeContactRef(field) {
		return v
	}
	mayNameUser := func(x any) bool {
		s, ok := x.(string)
		if !ok || !ValueReference(s) {
			return false
		}
		key, dotted := strings.CutPrefix(s, "$value.")
		return !dotted || key != "id" && fkTargets[key] == ""
	}
	if a, ok := v.(*Array); ok && a.Len() > 0 && mayNameUser(a.Value(0)) {
		c := a.Clone()
		c.Set(a.Key(0), "@user:"+a.Value(0).(string))
		return c
	}
	if mayNameUser(v) {
		return "@user:" + v.(string)
	}
	return v
}

// v4MayBeContactRef reports whether a field (a clause's, a written row's
// key, a filter's key of comma-separated fields) may be one whose value
// formatInputValue resolves as a contact id: an id, a foreign key (a name
// ending in _id, or fkTargets' Contact keys), a custom field
// (custom_<n>, Group.field) or a path through a join (alias.field),
// without an option suffix.
func v4MayBeContactRef(field string) bool {
	for _, f := range strings.Split(field, ",") {
		switch {
		case f == "" || strings.Contains(f, ":"):
		case f == "id", strings.HasSuffix(f, "_id"), fkTargets[f] == "Contact",
			strings.HasPrefix(f, "custom_"), strings.Contains(f, "."):
			return true
		}
	}
	return false
}

// v4RowRefMayNameUser reports whether s is a "$key" reference
// resolveChainLinks fills (a string of two bytes or more starting with
// '$') whose value in the parent's row may be "@user:<name>": anything
// but the parent's id or an integer foreign key (fkTargets) the parent's
// select leaves as it is.
func v4RowRefMayNameUser(sc Subcall, s string) bool {
	if len(s) < 2 || s[0] != '$' {
		return false
	}
	key := s[1:]
	if key != "id" && fkTargets[key] == "" || sc.v4RowParent == nil {
		return true
	}
	// handleChains stores each chain's result rows under its name in the
	// row the later chains read.
	if chain, ok := item(sc.v4RowParent, "chain").(*Array); ok {
		for i := 0; i < chain.Len(); i++ {
			if strings.EqualFold(chain.Key(i), key) {
				return true
			}
		}
	} else if item(sc.v4RowParent, "chain") != nil {
		return true
	}
	sel := item(sc.v4RowParent, "select")
	if sel == nil {
		return false
	}
	list, ok := sel.(*Array)
	if !ok {
		return true
	}
	for i := 0; i < list.Len(); i++ {
		f, ok := list.Value(i).(string)
		if !ok {
			return true
		}
		// An expression's alias (SqlExpression's "… AS alias") is its
		// last run of name characters; a plain field is itself.
		t := strings.TrimRight(f, " \t\n\r`\"'")
		j := len(t)
		for j > 0 && isPathByte(t[j-1]) {
			j--
		}
		if strings.TrimSpace(f) != key && strings.EqualFold(t[j:], key) {
			return true
		}
	}
	return false
}
