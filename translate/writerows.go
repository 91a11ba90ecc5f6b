package translate

// The records a write saves, as CiviCRM reads their fields: one step,
// before any table of write effects looks at them (fieldwrites.go, the
// contact's own writes in locationwrites.go, the custom data in
// customwrites.go, and the cache's credential changes, cache/credwrites.go).

// WriteRows are the records a create, update or setvalue saves, whose
// keys name the fields written as CiviCRM reads them, and whether it may
// change a row that exists. APIv4: v4WriteRows, a create making new rows
// only. APIv3: create (an update with an id, an <entity>_id or
// options.match, runs.go) and update save their parameters; setvalue
// (api/v3/Generic/Setvalue.php, any entity) writes one field of one row,
// {field: value}, the field munged as it munges it (CRM_Utils_String::munge);
// and each row's aliases (v3Aliases: unique names, api.aliases, spec
// names) stand for their fields as _civicrm_api3_swap_out_aliases makes
// them (withV3Names, v3schema.go). Setvalue looks its field up in
// getfields' create fields, which are keyed by name: an alias there is
// refused ("Param 'field' … is invalid"), yet is judged as the field's
// write too (a judgment too many at worst), and setvalue, which runs
// CRM_Core_DAO::setFieldValue and the edit hooks but no BAO create, is
// judged as a write naming the field by every table. A chained create or
// update also names the parent's <entity>_id ChainSubscriber fills in
// (withChainFill). A row with an alias or a filled-in key is a copy; the
// call's parameters are never changed. What APIv3 adds by default
// (v3Defaults) is not in the rows: it is CiviCRM's doing, not the
// client's (v3DefaultFields). nil for any other action.
func WriteRows(sc Subcall) (rows []*Array, edits bool) {
	if sc.Version == 4 {
		return v4WriteRows(sc), !SameAction(sc.Action, "create")
	}
	if sc.Params == nil {
		return nil, false
	}
	row := sc.Params
	switch sc.Action {
	case "create":
		edits = v3CreateUpdates(sc) || v3MatchOption(sc.Params)
	case "update":
		edits = true
	case "setvalue":
		f, _ := item(sc.Params, "field").(string)
		name, ok := mungeName(f)
		if !ok {
			return nil, false // CiviCRM's random name is no field
		}
		v, _ := sc.Params.Get("value")
		row = NewArray()
		row.Set(name, v)
		edits = true
	default:
		return nil, false
	}
	if sc.Action != "setvalue" {
		row = withChainFill(sc, row)
	}
	return []*Array{withV3Names(sc.Entity, row)}, edits
}

// chainFilledID stands for the parent row's id that ChainSubscriber puts
// in a chained call's parameters: non-empty, unknown to the edge.
const chainFilledID = "$value.id"

// withChainFill is an APIv3 chained create's or update's row with what
// ChainSubscriber (Civi/API/Subscriber/ChainSubscriber.php
// _civicrm_api_call_nested_api) gives a call below a parent row, under
// the client's own keys (array_merge($subParams, $newparams)): every
// entity but Contact gets <parent>_id, the parent row's id, so an
// api.Case.create below a contact names its client (contact_id) and an
// api.Event.create below a price set its price_set_id. (It also gets
// entity_id and entity_table, which no table reads, and an id, which
// v3CreateUpdates reads.) row itself for any other call, or when the
// client gives the key.
func withChainFill(sc Subcall, row *Array) *Array {
	if sc.chainParent == "" || EntityNameToLower(sc.Entity) == "contact" {
		return row
	}
	key := v3IDKey(sc.chainParent)
	if row.Has(key) {
		return row
	}
	out := NewArray()
	for i := 0; i < row.Len(); i++ {
		out.Set(row.Key(i), row.Value(i))
	}
	out.Set(key, chainFilledID)
	return out
}
