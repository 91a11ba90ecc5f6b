package translate

import (
	"strings"
)

// Reads a call makes of other entities' data under its own name: the
// walker reports each one as a Subcall with Action "get" and Via set, one
// level below the call, so that a rule about an entity covers its data
// however it is reached, and a cached answer carries the tags of every
// entity it holds. They are, as CiviCRM runs them:
//
//   - APIv4 explicit joins (Api4SelectQuery::addExplicitJoins): the entity
//     named before " AS " in each `join` entry, and a bridge entity named
//     after the join side;
//   - implicit joins (Api4SelectQuery::getField → autoJoinFK, APIv3
//     SelectQuery::addFkField): every dotted field path in select, where,
//     having, orderBy, groupBy and join conditions (APIv4), in return,
//     sort and filter keys (APIv3), each hop but the last naming a foreign
//     key (or an explicit join's alias) whose target entity is read;
//   - fields whose value or options are other entities' rows, dotted or
//     not (fieldreads.go): Contact's groups filter, any entity's tags, a
//     suffix on a field whose options are another entity's table, and
//     getFields' loadOptions;
//   - APIv4 EntitySet.get: each of its `sets` is a select query of another
//     entity (Api4EntitySetQuery);
//   - SearchKit (SearchDisplay.run, download, inlineEdit, getDefault…,
//     and any autocomplete) given a `savedSearch`: an inline one is a get
//     of its api_entity with its api_params and the fields an inline
//     display adds (searchdisplay.go); a named one reads what the saved
//     search names, which the edge cannot know. An autocomplete without
//     one searches its own entity, with its display's fields.
//
// A hop the edge cannot resolve (a foreign key not in fkTargets, a custom
// group, a dynamic entity_id) is reported with a dynamic entity: deny rules
// naming entities match it, allow rules only through "*".

// fkTargets are the foreign keys whose target entity is the same in every
// core entity that has them (schema/*.entityType.php entity_reference, and
// the Contact calculated fields of Civi\Api4\Service\Spec\Provider). Only
// names Civigate is sure of belong here: a wrong target would let a path
// escape a rule about the real one, while a missing name only refuses the
// path under rules naming entities.
var fkTargets = map[string]string{
	"contact_id":          "Contact",
	"contact_id_a":        "Contact",
	"contact_id_b":        "Contact",
	"created_id":          "Contact",
	"modified_id":         "Contact",
	"source_contact_id":   "Contact",
	"target_contact_id":   "Contact",
	"assignee_contact_id": "Contact",
	"employer_id":         "Contact",
	"primary_contact_id":  "Contact",
	"email_primary":       "Email",
	"email_billing":       "Email",
	"phone_primary":       "Phone",
	"phone_billing":       "Phone",
	"address_primary":     "Address",
	"address_billing":     "Address",
	"im_primary":          "IM",
	"im_billing":          "IM",
	// Foreign keys whose target's table is also their pseudoconstant (a
	// suffix reads its label column: fieldreads.go), the same wherever
	// the schema has them.
	"campaign_id":               "Campaign",
	"financial_type_id":         "FinancialType",
	"contribution_page_id":      "ContributionPage",
	"membership_type_id":        "MembershipType",
	"case_type_id":              "CaseType",
	"relationship_type_id":      "RelationshipType",
	"location_type_id":          "LocationType",
	"country_id":                "Country",
	"state_province_id":         "StateProvince",
	"county_id":                 "County",
	"group_id":                  "Group",
	"tag_id":                    "Tag",
	"payment_processor_id":      "PaymentProcessor",
	"price_set_id":              "PriceSet",
	"price_field_id":            "PriceField",
	"price_field_value_id":      "PriceFieldValue",
	"pcp_id":                    "PCP",
	"domain_id":                 "Domain",
	"financial_account_id":      "FinancialAccount",
	"from_financial_account_id": "FinancialAccount",
	"to_financial_account_id":   "FinancialAccount",
	// Configuration's (OptionValue's and CustomField's option_group_id,
	// CustomField's custom_group_id, UFField's and UFJoin's uf_group_id,
	// OptionValue's, Menu's and Setting's component_id, PaymentProcessor's
	// type, Event's and DedupeRule's dedupe_rule_group_id, the bounce
	// tables' bounce_type_id).
	"option_group_id":           "OptionGroup",
	"custom_group_id":           "CustomGroup",
	"uf_group_id":               "UFGroup",
	"component_id":              "Component",
	"payment_processor_type_id": "PaymentProcessorType",
	"dedupe_rule_group_id":      "DedupeRuleGroup",
	"bounce_type_id":            "BounceType",
	// The same for event_id and case_id, which an autocomplete's default
	// display names (Participant's event, Activity's case).
	"event_id": "Event",
	"case_id":  "Case",
}

// maxViaLen bounds the field path a refusal quotes.
const maxViaLen = 128

// joinScan collects the reads of one call.
type joinScan struct {
	w      *walker
	parent Subcall
	// newContact: the records wrote reports are a contact's the parent
	// creates, which no CMS user matches yet, so the BAO keeps no copy of
	// them (ownWrites: a new contact's e-mail renames no user).
	newContact bool
	// aliases of the call's explicit joins: alias → entity ("" when the
	// entity cannot be named).
	aliases map[string]string
	ok      bool // false once visit asked to stop
	// v3: APIv3's SelectQuery joins only through a core field with a
	// foreign key (or option group), and ignores any other dotted name.
	v3 bool
	// implied: the reads carried are of a call the parent runs under its
	// own name (Subcall.Implied), an autocomplete's own search.
	implied string
	// write: the paths scanned are fields SearchDisplay.inlineEdit writes
	// (inlineWrites): each entity they reach is reported as updated and
	// created, not read.
	write bool
	// checksOff: the calls reported run with permission checks off for
	// this reason (an inline display's acl_bypass), whatever their
	// parameters say.
	checksOff string
	// ownAnswer: the reads carried are the parent's default answer, made
	// whatever the client asks (Subcall.StartedBy).
	ownAnswer bool
	// base: the entity whose fields undotted names are, where it is not
	// the parent's (an inline edit's saved search).
	base string
}

// carried is the subcall for a read of entity through via.
func (s *joinScan) carried(entity string, dynamic bool, via string, params *Array) bool {
	if !s.ok {
		return false
	}
	if s.write {
		return s.wrote(entity, dynamic, "update") && s.wrote(entity, dynamic, "create")
	}
	p := s.parent
	sc := Subcall{Version: p.Version, Entity: entity, Action: "get", EntityDynamic: dynamic,
		Params: params, Depth: p.Depth + 1, InBatch: p.InBatch, Member: p.Member, Via: via, Implied: s.implied}
	if p.Version == 4 {
		// Api4EntitySetQuery and SearchKit set $params['checkPermissions']
		// to the parent's, as handleChains does.
		sc.ChecksOff = v4ChecksOff(params)
	}
	if s.checksOff != "" {
		sc.ChecksOff = s.checksOff
	}
	if s.ownAnswer {
		sc.StartedBy, sc.StartedByAction = p.Entity, impliedBy(p)
	}
	s.ok = s.w.call(sc, p.Version != 4)
	return s.ok
}

// v4Reads reports what an APIv4 call reads besides its own entity.
func (w *walker) v4Reads(sc Subcall) bool {
	p := sc.Params
	autocomplete := strings.EqualFold(sc.Action, "autocomplete") && !sc.ActionDynamic
	index := v4IndexFields(sc)
	if p.Len() == 0 && !autocomplete && index == nil {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	if v, ok := p.Get("join"); ok {
		s.explicitJoins(v)
	}
	if sameEntityName(sc.Entity, "EntitySet") {
		// Api4EntitySetQuery's own clauses name the sets' columns, never
		// a join (its getField has no autoJoinFK).
		if v, ok := p.Get("sets"); ok {
			s.entitySets(v)
		}
	} else {
		for _, k := range [...]string{"select", "where", "having", "orderBy", "groupBy"} {
			if v, ok := p.Get(k); ok {
				s.v4Clause(k, v)
			}
		}
		if index != nil {
			s.v4Clause("select", index)
		}
	}
	if v, _ := p.Get("savedSearch"); !PHPEmpty(v) {
		s.savedSearch(v, p)
	}
	if strings.EqualFold(sc.Action, "getFields") && !sc.ActionDynamic {
		s.loadOptions(sc)
	}
	if autocomplete && s.ok {
		// AutocompleteAction::_run: without a savedSearch it searches
		// ['api_entity' => its entity] (older releases ran the entity's
		// get whatever the savedSearch), a get of the call's own entity,
		// which the call runs under its own name (runs.go).
		s.implied = impliedBy(sc)
		def := NewArray()
		def.Set("api_entity", sc.Entity)
		s.savedSearch(def, p)
		s.implied = ""
		// What the providers and subscribers make it read (autocomplete.go).
		s.autocompleteConfig(p)
	}
	return s.ok
}

// v4IndexFields are the select expressions civicrm_api4 (api/api.php)
// adds for the call's index (Subcall.Index), as a list, or nil: a string
// index that is not an integer is appended to a non-empty select
// ($params['select'][] = $indexField, unless SelectUtil::isFieldSelected:
// then select names it already), and the answer is keyed by its values
// (Result::indexBy); of an array index, reset() is the column and key()
// the key, each added with $apiCall->addSelect(), whatever the select. An
// index field is read as a select entry is, joins and all. (civicrm_api4
// skips Setting and actions without addSelect; judging those too costs a
// refusal of a call that reads nothing more.)
func v4IndexFields(sc Subcall) *Array {
	var out *Array
	add := func(f string) {
		if out == nil {
			out = NewArray()
		}
		out.Append(f)
	}
	switch x := sc.Index.(type) {
	case string:
		// A numeric string (CRM_Utils_Rule::integer) is no field, nor
		// to expr (fieldRefs leaves numbers out).
		if sel, ok := item(sc.Params, "select").(*Array); ok && sel.Len() > 0 && x != "" {
			add(x)
		}
	case *Array:
		if x.Len() == 0 {
			return nil
		}
		if col, ok := x.Value(0).(string); ok {
			add(col)
		}
		if k := x.Key(0); k != "" {
			if _, isInt := IntKey(k); !isInt {
				add(k)
			}
		}
	}
	return out
}

// explicitJoins: each entry is [entity " AS " alias, side, bridge?,
// conditions…], read in order as array_shift reads it.
func (s *joinScan) explicitJoins(v any) {
	joins, isArr := v.(*Array)
	if !isArr {
		return // CiviCRM refuses it before anything runs
	}
	s.aliases = make(map[string]string, joins.Len())
	type entry struct {
		rest []any
	}
	entries := make([]entry, 0, joins.Len())
	for i := 0; i < joins.Len(); i++ {
		j, entity, alias, ok := joinSpec(joins.Value(i))
		if !ok {
			s.carried("", true, "join", nil)
			continue
		}
		s.aliases[alias] = entity
		s.carried(entity, false, "join", nil)
		rest := make([]any, 0, j.Len())
		for k := 1; k < j.Len(); k++ {
			rest = append(rest, j.Value(k))
		}
		entries = append(entries, entry{rest})
	}
	for _, e := range entries {
		// After the side, a string is a bridge entity
		// (CRM_Utils_Rule::alphanumeric); arrays are ON clauses, whose
		// values are expressions too.
		for k, c := range e.rest {
			switch x := c.(type) {
			case string:
				if k == 1 && x != "" {
					s.carried(x, !entityName(x), "join", nil)
				}
			case *Array:
				s.clauses(x, true)
			}
		}
	}
}

// joinSpec reads a join entry's "Entity AS alias" (the alias defaults to
// the entity's name in lower case, as given; the entity is the one the
// name runs as, API4EntityName); ok is false where it names no entity.
func joinSpec(v any) (j *Array, entity, alias string, ok bool) {
	j, isArr := v.(*Array)
	if !isArr || j.Len() == 0 {
		return nil, "", "", false
	}
	spec, isStr := j.Value(0).(string)
	entity, alias, _ = strings.Cut(spec, " AS ")
	if !isStr || !entityName(entity) {
		return nil, "", "", false
	}
	if alias == "" {
		alias = strings.ToLower(entity)
	}
	return j, API4EntityName(entity), alias, true
}

// joinAliases are the aliases of apiParams' explicit joins.
func joinAliases(apiParams *Array) map[string]string {
	joins, _ := item(apiParams, "join").(*Array)
	out := make(map[string]string, joins.Len())
	for i := 0; i < joins.Len(); i++ {
		if _, entity, alias, ok := joinSpec(joins.Value(i)); ok {
			out[alias] = entity
		}
	}
	return out
}

// v4Clause scans one of the query keys for field paths.
func (s *joinScan) v4Clause(key string, v any) {
	switch key {
	case "where", "having":
		if a, ok := v.(*Array); ok {
			for i := 0; i < a.Len(); i++ {
				if c, ok := a.Value(i).(*Array); ok {
					s.clauses(c, false)
				}
			}
		}
	case "orderBy":
		if a, ok := v.(*Array); ok {
			for i := 0; i < a.Len(); i++ {
				s.expr(a.Key(i))
			}
		}
	default: // select, groupBy: lists of expressions
		a, ok := v.(*Array)
		if !ok {
			return
		}
		for i := 0; i < a.Len(); i++ {
			if e, ok := a.Value(i).(string); ok {
				if key == "select" {
					// "expr AS alias": the alias is munged, never a field.
					if at := strings.LastIndex(e, " AS "); at > 0 {
						e = e[:at]
					}
				}
				s.expr(e)
			}
		}
	}
}

// v4Group reports whether a clause whose first element is first is a
// group (["AND"|"OR"|"NOT", clauses]) for CiviCRM. Api4Query's
// treeWalkClauses and ArrayQueryActionTrait's evaluateFilters and
// walkFilters decide it with in_array without the strict flag and a
// switch, both PHP 8's ==: against the non-numeric strings 'AND', 'OR' and
// 'NOT' only the same string is equal (case and all), or true (compared as
// booleans, a non-empty string is true); 0, null, false, numbers and
// arrays are not. For true the switch takes the first case listed ('OR'
// in treeWalkClauses, 'AND' in walkFilters): a group all the same, whose
// sub-clauses are read. Every reader of an APIv4 clause tree asks here.
func v4Group(first any) bool {
	switch x := first.(type) {
	case string:
		return x == "AND" || x == "OR" || x == "NOT"
	case bool:
		return x
	}
	return false
}

// v4Leaves calls leaf for each leaf of a where/having/ON tree, in order,
// and stops when it returns false (reporting false): c is a group
// (v4Group: [op, [clauses]], or NOT's [op, clause]) or a leaf [expr, op,
// value, isExpr], whose parts are read by key as PHP reads $clause[0] and
// composeClause's list() does, whatever order a JSON object gave them. A
// shape CiviCRM would refuse is walked all the same. Every reader of an
// APIv4 clause's leaves (joinScan.clauses, v4ClausesNameUser) walks here.
func v4Leaves(c *Array, leaf func(c *Array) bool) bool {
	if c.Len() == 0 {
		return true
	}
	first, _ := c.Get("0")
	if v4Group(first) {
		// treeWalkClauses walks each of $clause[1]'s values (OR, AND,
		// and NOT's group), or $clause[1] itself where its [0] is a
		// string (NOT's one clause); every other entry is walked too.
		for i := 0; i < c.Len(); i++ {
			sub, ok := c.Value(i).(*Array)
			if !ok || c.Key(i) == "0" {
				continue
			}
			f, _ := sub.Get("0")
			var more bool
			if _, str := f.(string); str {
				more = v4Leaves(sub, leaf)
			} else {
				more = v4LeafList(sub, leaf)
			}
			if !more {
				return false
			}
		}
		return true
	}
	if _, ok := first.(*Array); ok {
		// A list of clauses where one was expected.
		return v4LeafList(c, leaf)
	}
	return leaf(c)
}

// v4LeafList walks each array in list as a clause, as foreach does
// whatever the keys.
func v4LeafList(list *Array, leaf func(c *Array) bool) bool {
	for i := 0; i < list.Len(); i++ {
		if c, ok := list.Value(i).(*Array); ok && !v4Leaves(c, leaf) {
			return false
		}
	}
	return true
}

// clauses reads the fields of a where/having/ON tree's leaves
// (v4Leaves): the leaf's expression, and its value where that is an
// expression, in an ON clause (always, for a string) or where isExpr is
// set; otherwise the value is a literal.
func (s *joinScan) clauses(c *Array, on bool) {
	v4Leaves(c, func(c *Array) bool {
		if x, ok := item(c, "0").(string); ok {
			s.expr(x)
		}
		isExpr := on
		if flag, ok := c.Get("3"); ok {
			isExpr = isExpr || !PHPEmpty(flag)
		}
		if v, ok := c.Get("2"); ok && isExpr {
			if v, ok := v.(string); ok {
				s.expr(v)
			}
		}
		return true
	})
}

// expr reports the fields of an SQL expression as SqlExpression::convert
// reads it: a field is any run of name characters; quoted strings are read
// as fields too (a quote the edge reads differently from PHP must never
// hide a field), numbers are not. A dotted field is a path through joins
// and foreign keys (path); every field, dotted or not, may be one that
// reads another entity (field, fieldreads.go).
func (s *joinScan) expr(e string) {
	for _, r := range fieldRefs(e) {
		if !s.ref(r) {
			return
		}
	}
}

// fieldRef is one field an expression names: its (dotted) path and the
// pseudoconstant suffix after its ':'.
type fieldRef struct {
	path, suffix string
}

// via is how a read through the field is quoted: its path, with its suffix.
func (r fieldRef) via() string {
	v := r.path
	if r.suffix != "" {
		v += ":" + r.suffix
	}
	if len(v) > maxViaLen {
		v = "a field path"
	}
	return v
}

// fieldRefs are the fields in e: runs of [A-Za-z0-9_.:*], cut at the first
// ':' (a pseudoconstant suffix), numbers left out, and so are names with a
// leading '.', which join nothing (getField tests strpos($name, '.'), which
// is 0 there).
func fieldRefs(e string) []fieldRef {
	var out []fieldRef
	start := -1
	for i := 0; i <= len(e); i++ {
		if i < len(e) && isPathByte(e[i]) {
			if start < 0 {
				start = i
			}
			continue
		}
		if start >= 0 {
			tok := e[start:i]
			start = -1
			path, suffix, _ := strings.Cut(tok, ":")
			if path != "" && path[0] != '.' && !isNumericValue(path) {
				out = append(out, fieldRef{path, suffix})
			}
		}
	}
	return out
}

func isPathByte(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_' || c == '.' || c == ':' || c == '*'
}

// base is the entity whose fields an undotted name is: the scan's own
// (a saved search's entity), else the call's.
func (s *joinScan) baseEntity() (string, bool) {
	if s.base != "" {
		return s.base, true
	}
	return s.parent.Entity, !s.parent.EntityDynamic
}

// ref reports what one field reads: the entities its path joins through,
// then what the field itself reads (a suffix on a foreign key reads the row
// it points to, its label column: contact_id:label is a read of Contact
// like contact_id.display_name).
func (s *joinScan) ref(r fieldRef) bool {
	if strings.IndexByte(r.path, '.') < 0 {
		entity, known := s.baseEntity()
		return s.field(entity, known, r.path, r.suffix, r.via())
	}
	return s.path(r)
}

// path reports the entities a dotted field path joins through: its first
// hop is an explicit join's alias (then also a foreign key of that name,
// since an ON clause may be read before the alias exists) or a foreign
// key, every later hop a foreign key; the last segment is the field, of
// the entity the hops reach.
func (s *joinScan) path(r fieldRef) bool {
	// "custom.*" is no exception: Api4SelectQuery::buildSelectClause
	// expands it into "<Group>.*" for every custom group of the entity,
	// paths through custom groups the edge cannot name.
	segs := strings.Split(r.path, ".")
	hops, last := segs[:len(segs)-1], segs[len(segs)-1]
	via := r.path
	if len(via) > maxViaLen {
		via = "a field path"
	}
	base, baseKnown := s.baseEntity()
	if entity, ok := s.aliases[hops[0]]; ok {
		// A read of the join itself was reported with the join; a write
		// through it writes the join's entity.
		if s.write && !s.carried(entity, false, via, nil) {
			return false
		}
		if _, fk := fkTargets[hops[0]]; fk {
			if e, known, ok := s.hops(base, baseKnown, hops, via); !ok || !s.field(e, known, last, r.suffix, r.via()) {
				return false
			}
		}
		e, known, ok := s.hops(entity, entity != "", hops[1:], via)
		return ok && s.field(e, known, last, r.suffix, r.via())
	}
	e, known, ok := s.hops(base, baseKnown, hops, via)
	return ok && s.field(e, known, last, r.suffix, r.via())
}

// hops reports the target of each foreign key in turn from entity (and
// what a computed field among them reads, fieldreads.go), and
// returns the entity the last one reaches; the first one not in fkTargets
// makes the rest unknown. For APIv3, a hop that cannot be a foreign key
// (CiviCRM's core foreign keys and option-group fields end in "_id", but
// for those in fkTargets) ends the path: addFkField returns NULL there and
// nothing past it is selected or filtered on.
func (s *joinScan) hops(entity string, known bool, hops []string, via string) (string, bool, bool) {
	for i, h := range hops {
		target, ok := fkTargets[h]
		if !ok && s.v3 && !strings.HasSuffix(h, "_id") {
			return "", false, s.ok
		}
		if !ok && s.write && i == len(hops)-1 && customGroupHop(h) {
			// InlineEdit saves <Group>.<field> of the entity reached so
			// far: that custom group's data (customwrites.go).
			return "", false, s.carried(customPrefix+h, false, via, nil)
		}
		if !ok {
			return "", false, s.carried("", true, via, nil)
		}
		if known {
			// A computed field (source_contact_id, case_id) is read
			// through its own table before its target's.
			s.computed(entity, h, via, target)
		}
		if !s.carried(target, false, via, nil) {
			return "", false, false
		}
		entity, known = target, true
	}
	return entity, known, s.ok
}

// entitySets: each set is [type, entity, action, params], a select query
// of that entity with those params whatever the action.
func (s *joinScan) entitySets(v any) {
	sets, isArr := v.(*Array)
	if !isArr {
		return
	}
	for i := 0; i < sets.Len(); i++ {
		set, isArr := sets.Value(i).(*Array)
		if !isArr {
			s.carried("", true, "sets", nil)
			continue
		}
		entity, named, params := entityAndParams(set, "1", "3")
		s.carried(entity, !named, "sets", params)
	}
}

// entityAndParams reads a carried call's entity (an APIv4 name, as the
// entity it runs as: API4EntityName) and params from a: named is false
// where the entity is not a name CiviCRM can resolve. The params are
// keyed as the carried call's setters resolve them (v4Params), before
// anything reads them (a saved search's joins and groupBy).
func entityAndParams(a *Array, entityKey, paramsKey string) (entity string, named bool, params *Array) {
	e, _ := a.Get(entityKey)
	entity, isStr := e.(string)
	p, _ := a.Get(paramsKey)
	params, _ = p.(*Array)
	return API4EntityName(entity), isStr && entityName(entity), v4Params(params)
}

// savedSearch: an inline saved search is a get of its api_entity with its
// api_params, to which the call's filters and sort and its display's
// settings (readDisplay) add fields; a named one (or one without an
// api_entity) reads what the edge cannot see, and so does a display by
// name. SearchDisplay.inlineEdit writes besides (inlineWrites).
func (s *joinScan) savedSearch(v any, params *Array) {
	d := readDisplay(params)
	if d.aclBypass && !strings.EqualFold(s.parent.Action, "autocomplete") {
		s.checksOff = ACLBypass
		defer func() { s.checksOff = "" }()
	}
	ss, isArr := v.(*Array)
	if !isArr {
		s.carried("", true, "savedSearch", nil)
		s.inlineWrites("", nil, d)
		return
	}
	entity, named, apiParams := entityAndParams(ss, "api_entity", "api_params")
	if !named {
		s.carried("", true, "savedSearch", apiParams)
		s.inlineWrites("", apiParams, d)
		return
	}
	// SearchDisplay's filters (field => value) and sort ([[field, dir]])
	// name fields of the saved search's query, as do the display's.
	extra := NewArray()
	if apiParams != nil {
		extra = apiParams.Clone()
	}
	var more []any
	if f, ok := params.Get("filters"); ok {
		if fa, ok := f.(*Array); ok {
			for i := 0; i < fa.Len(); i++ {
				more = append(more, fa.Key(i))
			}
		}
	}
	if f, ok := params.Get("sort"); ok {
		if fa, ok := f.(*Array); ok {
			for i := 0; i < fa.Len(); i++ {
				if pair, ok := fa.Value(i).(*Array); ok {
					if f0, ok := pair.Get("0"); ok {
						more = append(more, f0)
					}
				}
			}
		}
	}
	for _, f := range d.fields {
		more = append(more, f)
	}
	if len(more) > 0 {
		g := NewArray()
		if old, ok := extra.Get("groupBy"); ok {
			if oa, ok := old.(*Array); ok {
				g = oa.Clone()
			}
		}
		for _, m := range more {
			g.Append(m)
		}
		extra.Set("groupBy", g)
	}
	s.carried(entity, false, "savedSearch", extra)
	if d.unknown {
		s.carried("", true, "display", nil)
	}
	s.inlineWrites(entity, apiParams, d)
}

// v3Reads reports what an APIv3 call reads through foreign keys
// (SelectQuery::addFkField): dotted names in return (a string, a list or
// a map), in return.* keys, in sort options and as filter keys.
func (w *walker) v3Reads(sc Subcall) bool {
	p := sc.Params
	if p.Len() == 0 {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true, v3: true}
	for i := 0; i < p.Len() && s.ok; i++ {
		k, v := p.Key(i), p.Value(i)
		switch {
		case len(k) >= 4 && k[:3] == "api" && (k[3] == '.' || k[3] == '_'):
			// Chains (v3Chains), or no field of any entity.
		case k == "return":
			s.v3Fields(v, true)
			s.v3ReturnString(v)
		case k == "sort" || k == "option.sort" || k == "option_sort" || k == "options.sort":
			s.v3Fields(v, true)
		case k == "options":
			if o, ok := v.(*Array); ok {
				for _, ok2 := range [...]string{"sort", "return"} {
					if x, ok := o.Get(ok2); ok {
						s.v3Fields(x, true)
					}
				}
				if x, ok := o.Get("return"); ok {
					s.v3ReturnString(x)
				}
			}
		case strings.HasPrefix(k, "return.") || strings.HasPrefix(k, "return_"):
			s.expr(k[len("return."):])
		case strings.HasPrefix(k, "option.") || strings.HasPrefix(k, "options.") || strings.HasPrefix(k, "option_"):
		default:
			if strings.IndexByte(k, '.') >= 0 {
				s.expr(k) // a filter on a joined field
			}
		}
	}
	return s.ok
}

// v3Fields scans a return or sort value: a string of names, or an array
// whose values (a list) or keys (a map of name => 1) are names.
func (s *joinScan) v3Fields(v any, keys bool) {
	switch x := v.(type) {
	case string:
		s.expr(x)
	case *Array:
		for i := 0; i < x.Len(); i++ {
			if keys {
				s.expr(x.Key(i))
			}
			if str, ok := x.Value(i).(string); ok {
				s.expr(str)
			}
		}
	}
}

// v3ReturnString scans a string return as CiviCRM reads it: every space
// removed, then split on commas (_civicrm_api3_get_options_from_params),
// so "contact_id .display_name" is a path through contact_id.
func (s *joinScan) v3ReturnString(v any) {
	if x, ok := v.(string); ok && strings.IndexByte(x, ' ') >= 0 {
		for _, f := range strings.Split(strings.ReplaceAll(x, " ", ""), ",") {
			s.expr(f)
		}
	}
}

// entityName: an entity name CiviCRM can resolve is made of name
// characters; anything else the edge reports as unknown rather than guess
// how CiviCRM's lookup treats it.
func entityName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// sameEntityName compares APIv4 entity names ignoring ASCII case, as PHP's
// class lookup may.
func sameEntityName(a, b string) bool { return strings.EqualFold(a, b) }
