package translate

import "strings"

// Actions that read rows without being named get: each runs a get of its
// own entity (reported as runs.go reports the calls an action runs under
// its own name, so a rule on get covers it) and reads other entities'
// rows, reported one level below the call as a join's read is (Via set to
// what names them), each from CiviCRM's code for it:
//
//   - APIv3 Contact.duplicatecheck (api/v3/Contact.php): getDuplicateContacts
//     on `match`, which matches the dedupe rule's fields in the tables
//     CRM_Dedupe_BAO_DedupeRuleGroup::supportedFields names (Address,
//     Email, Phone, Website, OpenID, IM, Note, the contact's custom
//     groups), then Contact.get of the matches with `return`; which of those
//     tables a rule reads is the site's configuration, so all of them are
//     reported;
//   - APIv3 Contact.proximity: civicrm_contact joined to civicrm_address,
//     filtered by the address's coordinates;
//   - Contact's getmergedto and getmergedfrom (APIv3, and APIv4's
//     getMergedTo and getMergedFrom): ActivityContact.get and Activity.get
//     of the merge activities, answered with contact ids;
//   - APIv4 getDuplicates of a contact entity (GetDuplicates.php):
//     findDuplicates with `values` sorted by table (formatDedupeParams:
//     email_primary., phone_primary., address_primary. and im_primary. are
//     that entity's fields, <Group>.<field> a custom group's, the rest
//     civicrm_contact's), the dedupe rule group read by DedupeRuleGroup.get;
//   - APIv4 export (ExportAction): get of the record with its foreign keys'
//     names, then of every managed record that references it (what those
//     are, the edge cannot tell).
//
// APIv3's other get* actions are get already (genericAction). APIv4's
// checkAccess and getLinks read no rows (an access check of the caller's
// values, link metadata); actions not listed keep their treatment.

// dedupeEntities are the entities whose tables a dedupe rule may match
// (supportedFields), CustomValue for the contact's custom groups.
var dedupeEntities = [...]string{"Address", "Email", "Phone", "Website", "OpenID", "IM", "Note", "CustomValue"}

// mergeActivities are what getmergedto and getmergedfrom read.
var mergeActivities = [...]string{"ActivityContact", "Activity"}

// v3ActionReads reports what an APIv3 action listed above runs; handled
// is false for the others.
func (w *walker) v3ActionReads(sc, child Subcall) (ok, handled bool) {
	if !SameEntity(sc.Entity, "Contact") {
		return true, false
	}
	s := &joinScan{w: w, parent: sc, ok: true, v3: true}
	switch sc.Action {
	case "duplicatecheck":
		if _, isArr := arrayParam(sc.Params, "match"); !isArr {
			return true, true // an exception before anything runs
		}
		if !w.implied(sc, child, "get") {
			return false, true
		}
		for _, e := range dedupeEntities {
			s.carried(e, false, "match", nil)
		}
	case "proximity":
		if !w.implied(sc, child, "get") {
			return false, true
		}
		s.carried("Address", false, "proximity", nil)
	case "getmergedto", "getmergedfrom":
		if !w.implied(sc, child, "get") {
			return false, true
		}
		for _, e := range mergeActivities {
			s.carried(e, false, sc.Action, nil)
		}
	default:
		return true, false
	}
	return s.ok, true
}

// v4ActionReads is v3ActionReads for APIv4.
func (w *walker) v4ActionReads(sc, child Subcall) (ok, handled bool) {
	action := NormalAction(sc.Action)
	contact := false
	for _, e := range contactEntities {
		contact = contact || sameEntityName(sc.Entity, e)
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	switch {
	case action == "getduplicates" && contact:
		if !w.implied(sc, child, "get") {
			return false, true
		}
		s.carried("DedupeRuleGroup", false, "dedupeRule", nil)
		if values, isArr := arrayParam(sc.Params, "values"); isArr {
			s.dedupeValues(values)
		}
	case (action == "getmergedto" || action == "getmergedfrom") && contact:
		if !w.implied(sc, child, "get") {
			return false, true
		}
		for _, e := range mergeActivities {
			s.carried(e, false, sc.Action, nil)
		}
	case action == "export":
		if !w.implied(sc, child, "get") {
			return false, true
		}
		s.carried("", true, "export", nil)
	default:
		return true, false
	}
	return s.ok, true
}

// dedupeValues reports the tables formatDedupeParams files getDuplicates'
// values under: a location prefix's entity, and the custom group of a
// <Group>.<field> key (getCustomFieldInfo, a ":suffix" aside), also after
// a prefix; custom_N is some custom group's. Other keys are the contact's
// own (a foreign key's path is no custom field and matches no column).
func (s *joinScan) dedupeValues(values *Array) {
	seen := map[string]bool{}
	read := func(entity string) {
		if seen[entity] {
			return
		}
		seen[entity] = true
		if !entityName(entity) {
			s.carried("", true, "values", nil)
			return
		}
		s.carried(entity, false, "values", nil)
	}
	for i := 0; i < values.Len() && s.ok; i++ {
		key, _, _ := strings.Cut(values.Key(i), ":")
		if isCustomN(key) {
			read("CustomValue")
			continue
		}
		first, rest, dotted := strings.Cut(key, ".")
		if !dotted {
			continue
		}
		if e, ok := dedupeLocations[first]; ok {
			read(e)
			first, _, dotted = strings.Cut(rest, ".")
			if !dotted {
				continue
			}
		} else if _, fk := fkTargets[first]; fk {
			continue
		}
		if first != "" {
			read(customPrefix + first)
		}
	}
}

// dedupeLocations are formatDedupeParams' prefixes (primary records only).
var dedupeLocations = map[string]string{
	"email_primary": "Email", "phone_primary": "Phone", "address_primary": "Address", "im_primary": "IM",
}
