package translate

import "strings"

// Writes an APIv4 contact write makes of other entities under its own name
// (ContactSaveTrait::saveLocations, run by Contact's create, update and
// save and so by the contact-type entities'): for each of the contact's
// primary and billing Address, Email, Phone and IM, the values under
// "email_primary." (and so on) and "email_primary" itself (its id) are
// saved as that entity's record of the contact, matched on contact_id and
// is_primary (a create or an update), or, given NULL for the record's id
// or label field, its record is deleted; CiviCRM runs these with
// permission checks off, whatever the caller's. Each is reported one
// level below the call, with parameters CiviCRM builds.

// locationJoins are saveLocations' entities by join name.
var locationJoins = map[string]string{
	"address_primary": "Address", "address_billing": "Address",
	"email_primary": "Email", "email_billing": "Email",
	"phone_primary": "Phone", "phone_billing": "Phone",
	"im_primary": "IM", "im_billing": "IM",
}

// contactEntities are the APIv4 entities whose writes run ContactSaveTrait.
var contactEntities = []string{"Contact", "Individual", "Organization", "Household"}

// v4LocationWrites reports the location records a contact's create,
// update or save writes: the keys of its `values`, or of each of its
// `records` and its `defaults`.
func (w *walker) v4LocationWrites(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	contact := false
	for _, e := range contactEntities {
		contact = contact || sameEntityName(sc.Entity, e)
	}
	if !contact {
		return true
	}
	rows := v4WriteRows(sc)
	if rows == nil {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	saves, deletes := map[string]bool{}, map[string]bool{}
	for _, row := range rows {
		for i := 0; i < row.Len(); i++ {
			join, _, _ := strings.Cut(row.Key(i), ".")
			entity, ok := locationJoins[join]
			if !ok {
				continue
			}
			saves[entity] = true
			if row.Value(i) == nil {
				// NULL for the id or the label field deletes the record;
				// which field is the label is the entity's to say.
				deletes[entity] = true
			}
		}
	}
	for _, e := range [...]string{"Address", "Email", "IM", "Phone"} {
		if saves[e] && !(s.wrote(e, false, "create") && s.wrote(e, false, "update")) {
			return false
		}
		if deletes[e] && !s.wrote(e, false, "delete") {
			return false
		}
	}
	return true
}

// v4WriteRows are the records an APIv4 create, update, save or replace
// writes, whose keys name the fields written: its `values`, or each of its
// `records` and its defaults (a replace's with its `where` clauses with
// "=", v4ReplaceDefaults); nil for any other action.
func v4WriteRows(sc Subcall) []*Array {
	rows := []*Array{}
	action := strings.ToLower(sc.Action)
	switch action {
	case "create", "update":
		if v, ok := item(sc.Params, "values").(*Array); ok {
			rows = append(rows, v)
		}
	case "save", "replace":
		if recs, ok := item(sc.Params, "records").(*Array); ok {
			for i := 0; i < recs.Len(); i++ {
				if r, ok := recs.Value(i).(*Array); ok {
					rows = append(rows, r)
				}
			}
		}
		if action == "replace" {
			rows = append(rows, v4ReplaceDefaults(sc.Params))
		} else if d, ok := item(sc.Params, "defaults").(*Array); ok {
			rows = append(rows, d)
		}
	default:
		return nil
	}
	return rows
}
