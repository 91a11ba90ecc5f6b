package translate

import "strings"

// Custom data an APIv4 write saves under its own entity's name: DAOCreateAction's
// (and update's, save's, replace's) formatCustomParams takes each value key
// "<Group>.<field>" (getCustomFieldInfo: the part before the first dot is
// the custom group's name, a ":label" suffix aside) into $params['custom'],
// which the BAO stores in that group's table, CustomValue data (the
// Custom_<Group> entity). Reads of the same paths are already judged
// (joins.go); this reports the write, one level below the call, with
// parameters the edge cannot vouch for, so deny { entity CustomValue } and
// allow lists of the call's own entity cover it, and cache invalidation
// sees the CustomValue write.
//
// A first segment in fkTargets is a location record (locationwrites.go) or
// a foreign key resolved to an id (resolveFKValues), not a custom group;
// any other dotted key counts as one, as a read of it counts as a read the
// edge cannot name. "custom" itself and "custom_N" are reported as a write
// of every custom group: releases before formatCustomParams overwrote
// $params['custom'] handed it to the BAO, and BAOs that run
// CRM_Core_BAO_CustomField::postProcess read custom_N keys; the edge cannot
// tell which, so it assumes the write.

// v4CustomWrites reports the custom groups an APIv4 write's value keys
// name (v4WriteRows: values, records, defaults).
func (w *walker) v4CustomWrites(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	rows := v4WriteRows(sc)
	if rows == nil {
		return true
	}
	groups := map[string]bool{}
	var order []string
	for _, row := range rows {
		for i := 0; i < row.Len(); i++ {
			key := row.Key(i)
			entity := ""
			if group, _, dotted := strings.Cut(key, "."); dotted {
				if _, fk := fkTargets[group]; !fk {
					entity = customPrefix + group
				}
			} else if key == "custom" || isCustomN(key) {
				entity = "CustomValue"
			}
			if entity != "" && !groups[entity] {
				groups[entity] = true
				order = append(order, entity)
			}
		}
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	for _, e := range order {
		if !s.wrote(e, false, "create") || !s.wrote(e, false, "update") {
			return false
		}
	}
	return true
}

// customGroupHop reports whether a path's hop before its last field may
// be taken for a custom group's name (the edge does not know the site's
// groups): name characters only, no foreign key in fkTargets, and no
// "_id" at its end, where every other core foreign key ends (a hop ending
// so may be a foreign key the edge does not know, whose write would reach
// another entity).
func customGroupHop(h string) bool {
	_, fk := fkTargets[h]
	return !fk && entityName(h) && !strings.HasSuffix(h, "_id")
}

// isCustomN reports a "custom_<digits>" key, a custom field by its id.
func isCustomN(key string) bool {
	n, ok := strings.CutPrefix(key, "custom_")
	if !ok || n == "" {
		return false
	}
	for i := 0; i < len(n); i++ {
		if n[i] < '0' || n[i] > '9' {
			return false
		}
	}
	return true
}

// v3CustomWrites reports the custom data an APIv3 write saves: a create
// (an update runs create on the merged row; a replace's elements are
// walked as creates and updates) of any entity whose parameters name
// custom_<field> (with an optional _<value id>: getKeyID), which
// _civicrm_api3_custom_format_params (civicrm_api3_contact_create,
// _civicrm_api3_basic_create's _civicrm_api3_format_params_for_create)
// turns into the group's values the BAO stores
// (CRM_Core_BAO_CustomValueTable::store), or a `custom` array the BAO
// stores as it is; and a setvalue of a custom_<field> (its rows as
// WriteRows gives them, setvalue's field whatever its value). The group is one
// the edge cannot name from the field's id, so the write is CustomValue's,
// reported as a create and an update with parameters the edge cannot
// vouch for, as APIv4's custom_N is above.
func (w *walker) v3CustomWrites(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	writes := false
	rows, _ := WriteRows(sc)
	for _, row := range rows {
		for i := 0; i < row.Len() && !writes; i++ {
			k := row.Key(i)
			writes = isV3CustomKey(k) && (row.Value(i) != nil || sc.Action == "setvalue") ||
				k == "custom" && !PHPEmpty(row.Value(i))
		}
	}
	if !writes {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	return s.wrote("CustomValue", false, "create") && s.wrote("CustomValue", false, "update")
}
