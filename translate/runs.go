package translate

import "strings"

// The calls an action runs on its own entity under its own name, for both
// API versions: the one place that says which actions a call named X runs,
// so a rule about those actions covers X. Each is reported as a Subcall
// one level below the call, with Implied set (and the call's parameters,
// which were judged with the call), except where CiviCRM runs a call with
// parameter arrays taken from the request (APIv3's getlist and replace),
// which is walked like any call, chains included.
//
// APIv3 (api/v3/Generic*.php, CRM_Core_Permission::getGenericAction, the
// filing CiviCRM's own permission checks use):
//   - getlist runs get with its `params` (api/v3/Generic/Getlist.php; its
//     field-naming keys become that get's return, sort and filter);
//   - replace runs get with the other parameters, then create, or update
//     where the merged element has an id, with each element of `values`
//     merged over them, then delete of the rows it did not keep
//     (_civicrm_api3_generic_replace);
//   - update runs get on the id, then create with the row merged
//     (api/v3/Generic/Update.php);
//   - create with a non-empty id or <entity>_id, given or filled in by
//     ChainSubscriber from the parent's row, is an update
//     (_civicrm_api3_permissions);
//   - create (and replace's elements) with options.match or
//     options.match-mandatory runs get on the match keys and is an update
//     of the row it finds (CRM_Utils_API_MatchOption), and create with
//     options.reload runs get of the written row (CRM_Utils_API_ReloadOption):
//     API wrappers the kernel runs around every APIv3 call;
//   - getsingle, getvalue and getcount are get (civicrm_api($entity,
//     'get', $params), api/v3/Generic.php), and so is every other get*
//     action but the metadata ones (getfields, getfield, getspec,
//     getoptions); setvalue and every other upd* action are update; every
//     del* action is delete (getGenericAction).
//
// APIv4 (Civi\Api4\Generic, actions named in any case as PHP finds them):
//   - replace (BasicReplaceAction) runs get on `where`, save with its
//     records and its defaults plus the `where` clauses with "=", then
//     delete of the rows it did not keep;
//   - save (AbstractSaveAction) is create for each record whose id, after
//     `defaults`, is empty, update for the others and for any record
//     `match` may find, and get when it reloads them;
//   - update and delete (AbstractBatchAction::getBatchRecords) run get on
//     `where`;
//   - autocomplete runs get of its entity (its default savedSearch, joins.go
//     v4Reads).
//
// Actions that read rows under another name than get (APIv3
// Contact.duplicatecheck, proximity, getquick and quicksearch, getoptions
// of campaign_id; APIv4 getDuplicates, getMergedTo, export…) run get of
// their entity and read others, and the few that write under another name
// (Mailing.clone, a contact merge, APIv4 revert…) too: actionreads.go.

// runs reports the calls sc's action runs.
func (w *walker) runs(sc Subcall) bool {
	if sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	if sc.Version == 4 {
		return w.v4Runs(sc)
	}
	child := Subcall{Version: 3, Entity: sc.Entity, EntityDynamic: sc.EntityDynamic, Depth: sc.Depth + 1,
		InBatch: sc.InBatch, Member: sc.Member, Implied: impliedBy(sc)}
	switch sc.Action {
	case "getlist":
		c := child
		c.Action = "get"
		if v, ok := sc.Params.Get("params"); ok {
			p, isArr := v.(*Array)
			if !isArr {
				return true // a TypeError before get runs
			}
			c.Params = p
		}
		if !w.call(c, true) || !w.v3GetlistUser(sc, c) {
			return false
		}
		// The fields getlist makes that get return, sort and filter on.
		s := &joinScan{w: w, parent: c, ok: true, v3: true}
		for _, k := range [...]string{"id_field", "label_field", "search_field", "image_field", "description_field", "extra"} {
			if v, ok := sc.Params.Get(k); ok {
				s.v3Fields(v, false)
			}
		}
		return s.ok
	case "replace":
		v, ok := sc.Params.Get("values")
		values, isArr := v.(*Array)
		if !ok || !isArr {
			return true // "Mandatory key(s) missing from params array: values"
		}
		c := child
		c.Action = "get"
		if !w.call(c, false) { // its chains are the parent's own, walked there
			return false
		}
		matches := v3MatchOption(sc.Params)
		for i := 0; i < values.Len(); i++ {
			c := child
			c.Params, _ = values.Value(i).(*Array)
			// array_merge($baseParams, $replacement): the value's own
			// check_permissions wins over the TRUE REST forced.
			c.ChecksOff = v3ChecksOff(c.Params)
			// Each element is a create of array_merge($baseParams, $element),
			// which _civicrm_api3_permissions files as an update by the
			// same keys as a create of the client's own (v3IDKey): an id
			// in the element or in the base parameters. Present counts
			// (isset), stricter than CiviCRM's !empty.
			c.Action = "create"
			if isset(c.Params, sc.Params, "id") || isset(c.Params, sc.Params, sc.Entity+"_id") ||
				isset(c.Params, sc.Params, v3IDKey(sc.Entity)) {
				c.Action = "update"
			}
			if !w.call(c, true) {
				return false
			}
			if c.Action == "create" && matches {
				// MatchOption matches each element (merged over the base
				// parameters) and gives it the id of the row it finds.
				u := c
				u.Action, u.Itself = "update", true
				u.Truncated = u.Depth > MaxSubcallDepth
				if !w.visit(u) {
					return false
				}
			}
		}
		c = child
		c.Action = "delete"
		return w.call(c, false)
	case "update":
		return w.implied(sc, child, "get") && w.implied(sc, child, "create")
	case "create":
		// CRM_Utils_API_MatchOption (wrapped around every APIv3 call)
		// looks a create without an id up with get on its match keys
		// and, one row found, sets its id: the create is an update.
		matches := v3MatchOption(sc.Params)
		if matches && !w.implied(sc, child, "get") {
			return false
		}
		if v3CreateUpdates(sc) || matches {
			u := child
			u.Itself = true // an allow rule on create admits no update
			if !w.implied(sc, u, "update") {
				return false
			}
		}
		// CRM_Utils_API_ReloadOption reads the written row back with get.
		if v3ReloadOption(sc.Params) && !w.implied(sc, child, "get") {
			return false
		}
		ok, _ := w.v3ActionReads(sc, child) // Order.create's contribution
		return ok
	}
	if ok, handled := w.v3ActionReads(sc, child); handled {
		return ok
	}
	if g := genericAction(sc.Action); g != sc.Action && g != "" {
		return w.implied(sc, child, g)
	}
	return true
}

// genericAction is CRM_Core_Permission::getGenericAction for the actions
// it files under get, update or delete ("" for the others): the action
// CiviCRM's own permission checks treat the call as.
func genericAction(action string) string {
	switch {
	case action == "replace":
		return "" // walked as the calls it runs
	case strings.HasPrefix(action, "del"):
		return "delete"
	case action == "setvalue" || strings.HasPrefix(action, "upd"):
		return "update"
	case action == "getfields" || action == "getfield" || action == "getspec" || action == "getoptions":
		return ""
	case strings.HasPrefix(action, "get"):
		return "get"
	}
	return ""
}

// v3CreateUpdates reports whether an APIv3 create may update an existing
// row: _civicrm_api3_permissions turns create into update when
// !empty($params['id']) || !empty($params[<entity>_id]) (the entity
// snake-cased: contact_id for Contact, option_value_id for OptionValue).
// A chained create gets parameters from the parent's row under the
// client's own (ChainSubscriber, array_merge($subParams, $newparams)):
// `id` when it chains the parent's own entity, or below a parent other
// than Contact whose row may hold <entity>_id, and <entity>_id when it
// chains the parent's own entity (but Contact); a key the client gives
// itself, even empty, replaces the filled-in one.
func v3CreateUpdates(sc Subcall) bool {
	lower := EntityNameToLower(sc.Entity)
	same := sc.chainParent != "" && (strings.EqualFold(sc.chainParent, sc.Entity) ||
		EntityNameToLower(sc.chainParent) == lower)
	idFilled := same || sc.chainParent != "" && sc.chainParent != "Contact"
	return nonEmpty(sc.Params, "id", idFilled) || nonEmpty(sc.Params, v3IDKey(sc.Entity), same && lower != "contact")
}

// v3MatchOption reports whether an APIv3 call's options.match or
// options.match-mandatory is set, as CRM_Utils_API_MatchOption reads it:
// `options` an array (a JSON object, or options[match]= in a form) with
// either key isset, its value a field name or a list of them (any other
// value still runs the get). A key spelled options.match or options_match
// at the top level is not read.
func v3MatchOption(params *Array) bool {
	options, ok := arrayParam(params, "options")
	if !ok {
		return false
	}
	return isset(options, nil, "match-mandatory") || isset(options, nil, "match")
}

// v3ReloadOption reports whether CRM_Utils_API_ReloadOption reloads an
// APIv3 create's row with get: options.reload isset and not one of the
// modes that skip it (PHP's loose switch: NULL, "0", "null", "", and what
// compares equal to them: 0, false, true, an empty array). An unknown mode
// throws only after the create ran, and counts.
func v3ReloadOption(params *Array) bool {
	options, ok := arrayParam(params, "options")
	if !ok {
		return false
	}
	switch v, _ := options.Get("reload"); x := v.(type) {
	case string:
		return x != "null" && !PHPEmpty(x)
	case bool:
		return false // true == 'null' in PHP's loose comparison
	default:
		return !PHPEmpty(x)
	}
}

// v3IDKey is the <entity>_id key by which _civicrm_api3_permissions files
// an APIv3 create as an update: the entity snake-cased (contact_id,
// option_value_id).
func v3IDKey(entity string) string { return EntityNameToLower(entity) + "_id" }

// nonEmpty is !empty($params[key]) where filled says CiviCRM may put a
// non-empty value there unless the client gives the key itself.
func nonEmpty(params *Array, key string, filled bool) bool {
	v, ok := params.Get(key)
	if !ok {
		return filled
	}
	return !PHPEmpty(v)
}

// v4Runs is runs for an APIv4 call.
func (w *walker) v4Runs(sc Subcall) bool {
	child := Subcall{Version: 4, Entity: sc.Entity, EntityDynamic: sc.EntityDynamic, Depth: sc.Depth + 1,
		InBatch: sc.InBatch, Member: sc.Member, Implied: impliedBy(sc)}
	switch NormalAction(sc.Action) {
	case "replace":
		return w.implied(sc, child, "get") && w.implied(sc, child, "save") &&
			w.v4Saves(sc, child, v4ReplaceDefaults(sc.Params)) && w.implied(sc, child, "delete")
	case "save":
		defaults, _ := arrayParam(sc.Params, "defaults")
		if !w.v4Saves(sc, child, defaults) {
			return false
		}
		if reload, _ := sc.Params.Get("reload"); !PHPEmpty(reload) {
			return w.implied(sc, child, "get")
		}
	case "update", "delete":
		return w.implied(sc, child, "get")
	}
	ok, _ := w.v4ActionReads(sc, child)
	return ok
}

// v4ReplaceDefaults are the defaults a replace saves its records with:
// its `defaults`, and over them its `where` clauses with "="
// (BasicReplaceAction), so `where id = 5` makes every record an update of
// row 5 and `where email_primary.email = x` writes that e-mail.
func v4ReplaceDefaults(params *Array) *Array {
	defaults := NewArray()
	if d, ok := arrayParam(params, "defaults"); ok {
		defaults = d.Clone()
	}
	if where, ok := arrayParam(params, "where"); ok {
		for i := 0; i < where.Len(); i++ {
			cl, _ := where.Value(i).(*Array)
			field, op, value := positional(cl)
			if name, isStr := scalarKey(field); isStr && op == "=" {
				defaults.Set(name, value)
			}
		}
	}
	return defaults
}

// v4Saves reports the create and the update a save of sc's records runs
// (v4SaveKinds).
func (w *walker) v4Saves(sc Subcall, child Subcall, defaults *Array) bool {
	records, ok := arrayParam(sc.Params, "records")
	if !ok {
		return true // not an array: the setter refuses it, nothing runs
	}
	creates, updates := v4SaveKinds(sc, records, defaults)
	if creates && !w.implied(sc, child, "create") {
		return false
	}
	return !updates || w.implied(sc, child, "update")
}

// v4SaveKinds reports whether saving records with defaults may create
// rows and whether it may update rows: a record is an update when its id,
// after `record += defaults`, is not empty (DAOSaveAction,
// AbstractSaveAction::validateValues), or when sc's `match` is given
// (MatchParamTrait fills in the id of a row it finds), a create otherwise.
// In a chain, a "$field" id is taken from the parent's row, and may be
// empty. A record that is not an array is both (PHP fails on it, but the
// edge does not count on where).
func v4SaveKinds(sc Subcall, records, defaults *Array) (creates, updates bool) {
	m, _ := sc.Params.Get("match")
	matches := !PHPEmpty(m)
	for i := 0; i < records.Len(); i++ {
		r, isArr := records.Value(i).(*Array)
		id, has := r.Get("id")
		if !has {
			id, has = defaults.Get("id")
		}
		runTime := sc.Depth > 0 && v4RowValue(id)
		switch {
		case !isArr || runTime:
			creates, updates = true, true
		case has && !PHPEmpty(id):
			updates = true
		default:
			creates = true
			updates = updates || matches
		}
	}
	return creates, updates
}

// v4RowValue: an APIv4 chain's "$field" value, which handleChains takes
// from the parent's row.
func v4RowValue(v any) bool {
	s, ok := v.(string)
	return ok && len(s) > 1 && s[0] == '$'
}

// arrayParam is params[key] when it is an array.
func arrayParam(params *Array, key string) (*Array, bool) {
	v, _ := params.Get(key)
	a, ok := v.(*Array)
	return a, ok
}

// scalarKey is the array key PHP makes of a scalar: a string or a number
// as written (a where clause's field name).
func scalarKey(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case Number:
		return string(x), true
	}
	return "", false
}

// implied reports the call sc runs as action on its own entity, with sc's
// parameters: nothing is walked below it (sc's chains and joins are
// walked with sc).
func (w *walker) implied(sc, child Subcall, action string) bool {
	c := child
	c.Action = action
	c.Params = sc.Params
	c.ChecksOff = sc.ChecksOff
	c.Truncated = c.Depth > MaxSubcallDepth
	return w.visit(c)
}

// impliedBy is the client's action behind a call sc runs: sc's own, or
// the one that runs sc.
func impliedBy(sc Subcall) string {
	if sc.Implied != "" {
		return sc.Implied
	}
	return sc.Action
}
