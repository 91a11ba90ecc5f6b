package translate

// The records a write saves, as CiviCRM reads their fields: one step,
// before any table of write effects looks at them (fieldwrites.go, the
// contact's own writes in locationwrites.go, the custom data in
// customwrites.go, and the cache's credential changes, cache/credwrites.go).

// v3UniqueNames are the unique names (civicrm-core schema/*/*.entityType.php
// 'unique_name') of the fields the write-effect tables name, by EntityKey
// of the entity: {unique name, name} pairs. APIv3 reads a field under its unique
// name too: the schema adapter (Civi/API/Subscriber/APIv3SchemaAdapter.php
// onApiPrepare) runs _civicrm_api3_swap_out_aliases (api/v3/utils.php),
// which copies params[uniqueName] to params[name] where the name is not
// set (isset), before the API function runs. The other fields those tables
// name (api_key, is_deceased, website, note, master_id, parents…) have no
// unique name of their own.
var v3UniqueNames = map[string][][2]string{
	// schema/Contact/Contact.entityType.php: is_deleted's unique_name
	// contact_is_deleted, employer_id's current_employer_id.
	EntityKey("Contact"): {{"contact_is_deleted", "is_deleted"}, {"current_employer_id", "employer_id"}},
	// schema/Event/Participant.entityType.php: fee_level's unique_name
	// participant_fee_level.
	EntityKey("Participant"): {{"participant_fee_level", "fee_level"}},
}

// WriteRows are the records a create, update or setvalue saves, whose
// keys name the fields written as CiviCRM reads them, and whether it may
// change a row that exists. APIv4: v4WriteRows, a create making new rows
// only. APIv3: create (an update with an id, an <entity>_id or
// options.match, runs.go) and update save their parameters; setvalue
// (api/v3/Generic/Setvalue.php, any entity) writes one field of one row,
// {field: value}, the field munged as it munges it (CRM_Utils_String::munge);
// and each row's unique names (v3UniqueNames) stand for their fields as
// _civicrm_api3_swap_out_aliases makes them. Setvalue looks its field up in
// getfields' create fields, which are keyed by name: a unique name there is
// refused ("Param 'field' … is invalid"), yet is judged as the field's
// write too (a judgment too many at worst), and setvalue, which runs
// CRM_Core_DAO::setFieldValue and the edit hooks but no BAO create, is
// judged as a write naming the field by every table. A row with a unique
// name is a copy; the call's parameters are never changed. nil for any
// other action.
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
	return []*Array{withV3Names(sc.Entity, row)}, edits
}

// withV3Names is row with each unique name of entity's fields copied to
// the field's name where that is not set, as _civicrm_api3_swap_out_aliases
// does: row itself when it names none.
func withV3Names(entity string, row *Array) *Array {
	out := row
	for _, n := range v3UniqueNames[EntityKey(entity)] {
		unique, name := n[0], n[1]
		v, ok := row.Get(unique)
		if !ok {
			continue
		}
		if set, isSet := out.Get(name); isSet && set != nil {
			continue // isset: the name wins
		}
		if out == row {
			out = NewArray()
			for i := 0; i < row.Len(); i++ {
				out.Set(row.Key(i), row.Value(i))
			}
		}
		out.Set(name, v)
	}
	return out
}
