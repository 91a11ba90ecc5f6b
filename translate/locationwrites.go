package translate

import (
	"strconv"
	"strings"
)

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
	s := &joinScan{w: w, parent: sc, ok: true, newContact: SameAction(sc.Action, "create")}
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

// Writes a contact's create or update makes of other entities under its
// own name, as CRM_Contact_BAO_Contact::create runs them with no
// permission check of their own: APIv3's Contact create and update (and a
// replace's element), and APIv4's Contact, Individual, Organization and
// Household create, update, save and replace, which run the same BAO
// (ContactSaveTrait), their rows as WriteRows gives them:
//   - `group`, a map of group id => flag: flag 1 runs
//     CRM_Contact_BAO_GroupContact::addContactsToGroup (a GroupContact
//     create, or an update of a Removed row), -1 removeContactsFromGroup
//     (what GroupContact's delete does: its row's status, an update);
//   - `email`, `phone`, `im`, `openid` and `address`: a string `email` of a
//     new contact becomes its primary Email (APIv3's create: an APIv4
//     contact's string `email` is its own field); location blocks (arrays) are
//     saved by CRM_Core_BAO_Location::create (each block's records created
//     or updated, and deleted where `updateBlankLocInfo` asks blank ones to
//     go).
//
// The writes one field makes (`website`, `note`, the employer,
// `is_deceased`…) are fieldwrites.go's table, for every entity. Each is
// reported one level below the call with parameters the edge cannot vouch
// for, as APIv4's location joins are (v4LocationWrites); custom_N values
// are customwrites.go's (any entity). `tag` is no parameter of the API's
// create: only the contact forms and profiles save tags.
func (w *walker) contactWrites(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true
	}
	rows, edits := WriteRows(sc)
	if len(rows) == 0 || EntityKey(sc.Entity) != contactKey {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true, newContact: !edits && SameAction(sc.Action, "create")}
	writes := func(entity string, actions ...string) bool {
		for _, a := range actions {
			if !s.wrote(entity, false, a) {
				return false
			}
		}
		return true
	}
	for _, p := range rows {
		if g, ok := item(p, "group").(*Array); ok {
			add, remove := false, false
			for i := 0; i < g.Len(); i++ {
				switch groupFlag(g.Value(i)) {
				case 1:
					add = true
				case -1:
					remove = true
				}
			}
			if add && !writes("GroupContact", "create", "update") || remove && !writes("GroupContact", "update", "delete") {
				return false
			}
		}
		blankGoes := !PHPEmpty(item(p, "updateBlankLocInfo"))
		for _, b := range [...]struct{ key, entity string }{
			{"email", "Email"}, {"phone", "Phone"}, {"im", "IM"}, {"openid", "OpenID"}, {"address", "Address"},
		} {
			v := item(p, b.key)
			if _, block := v.(*Array); PHPEmpty(v) || sc.Version == 4 && !block {
				// Only APIv3's create makes a block of a string email;
				// CRM_Core_BAO_Block::create skips anything but an array.
				continue
			}
			if !writes(b.entity, "create", "update") || blankGoes && !writes(b.entity, "delete") {
				return false
			}
		}
	}
	return s.ok
}

// contactKey is EntityKey of Contact, which APIv4's contact types share.
var contactKey = EntityKey("Contact")

// groupFlag is 1 or -1 where CRM_Contact_BAO_Contact::create's loose
// $flag == 1 or $flag == -1 holds (a number or numeric string of that
// value, TRUE for 1), 0 otherwise.
func groupFlag(v any) int {
	if b, ok := v.(bool); ok {
		if b {
			return 1
		}
		return 0
	}
	if !isNumericValue(v) {
		return 0
	}
	var str string
	switch x := v.(type) {
	case Number:
		str = string(x)
	case string:
		str = strings.TrimSpace(x)
	}
	f, err := strconv.ParseFloat(str, 64)
	switch {
	case err != nil:
		return 0
	case f == 1:
		return 1
	case f == -1:
		return -1
	}
	return 0
}
