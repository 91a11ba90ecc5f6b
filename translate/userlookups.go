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
//     EMPTY), in the calls v3OptionLookups reads;
//   - APIv4 (FormattingUtil::formatInputValue -> resolveContactID), the
//     value of a contact reference or of a contact entity's id without a
//     suffix: in a where or having clause under an exact-match operator
//     (=, !=, <>, IN, NOT IN, CONTAINS, NOT CONTAINS: each element of a
//     list), and in a written value (formatWriteParams: values, records,
//     defaults).
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
// make: a where or having clause's (the client's filter), then a write's
// values (the write's own lookup, joinScan.read).
func (w *walker) v4UserLookups(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	for _, k := range [...]string{"where", "having"} {
		if c, ok := item(sc.Params, k).(*Array); ok {
			if field, found := v4ClausesNameUser(c, 0); found {
				s := &joinScan{w: w, parent: sc, ok: true}
				return s.users(field)
			}
		}
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

// v4ClausesNameUser finds a where/having leaf [field, op, value, isExpr]
// whose literal value resolves a CMS user, at any depth of AND, OR and
// NOT: its field.
func v4ClausesNameUser(clauses *Array, depth int) (string, bool) {
	if depth > MaxSubcallDepth {
		return "", false
	}
	for i := 0; i < clauses.Len(); i++ {
		c, ok := clauses.Value(i).(*Array)
		if !ok || c.Len() == 0 {
			continue
		}
		first, _ := c.Get("0")
		if op, isStr := first.(string); isStr && (op == "AND" || op == "OR" || op == "NOT") {
			if sub, ok := item(c, "1").(*Array); ok {
				if f, found := v4ClausesNameUser(sub, depth+1); found {
					return f, true
				}
			}
			continue
		}
		field, _ := first.(string)
		op, _ := item(c, "1").(string)
		if strings.Contains(field, ":") || !v4ExactOperators[strings.ToUpper(strings.TrimSpace(op))] || !PHPEmpty(item(c, "3")) {
			continue // a suffix's option, another operator, an expression
		}
		if v4ValueNamesUser(item(c, "2"), 0) {
			return field, true
		}
	}
	return "", false
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
