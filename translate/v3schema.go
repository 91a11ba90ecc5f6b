package translate

import (
	"slices"
	"strings"
)

// APIv3's schema adapter (Civi/API/Subscriber/APIv3SchemaAdapter.php
// onApiPrepare) reads a call's fields before the API function runs:
// _civicrm_api3_swap_out_aliases (api/v3/utils.php) copies a field given
// under another name to the field where the field is not set (isset), and
// the getfields defaults (api.default) are merged in where
// params['id'] is empty. Every table that judges an APIv3 field by name
// (the write tables through WriteRows, the return and filter reads of
// v3returns.go, getoptions' option entities) reads the field through
// this one place.

// v3Alias is one name APIv3 takes a field under: a schema unique name
// (schema/*/*.entityType.php 'unique_name'), an api.aliases entry or the
// spec's 'name' of a getfields key (api/v3/<Entity>.php _spec functions).
type v3Alias struct{ alias, field string }

// v3Aliases are, by EntityKey of the APIv3 entity, the other names of the
// fields some table here judges (the write tables, the option entities
// of fieldreads.go), in civicrm-core 6.x. Every field a write table names
// (fieldwrites.go, whatever kind of row: present, non-empty or Matching;
// the contact's own writes; the credential fields) was looked up in its
// entity's schema and _spec functions; those not listed have no other
// name there (Contact's is_deceased and api_key, Address's master_id,
// Group's parents, and the fields APIv3's spec functions add under their
// own name: case_id, a participant's or a grant's note, template_id,
// price_set_id, contribution_status_id…):
var v3Aliases = map[string][]v3Alias{
	// schema/Contact/Contact.entityType.php: is_deleted's unique_name
	// contact_is_deleted, employer_id's current_employer_id.
	EntityKey("Contact"): {{"contact_is_deleted", "is_deleted"}, {"current_employer_id", "employer_id"}},
	// schema/Event/Participant.entityType.php: fee_level's unique name
	// participant_fee_level, status_id's participant_status_id;
	// _civicrm_api3_participant_create_spec: status_id's api.aliases
	// participant_status.
	EntityKey("Participant"): {{"participant_fee_level", "fee_level"}, {"participant_status_id", "status_id"},
		{"participant_status", "status_id"}},
	// _civicrm_api3_activity_create_spec: assignee_contact_id's and
	// target_contact_id's 'name' assignee_id and target_id;
	// schema/Activity/Activity.entityType.php: subject's unique name
	// activity_subject (a subject naming a case files the activity on it).
	EntityKey("Activity"): {{"target_id", "target_contact_id"}, {"assignee_id", "assignee_contact_id"},
		{"activity_subject", "subject"}},
	// _civicrm_api3_membership_create_spec: membership_type_id's
	// api.aliases membership_type, status_id's membership_status.
	EntityKey("Membership"): {{"membership_type", "membership_type_id"}, {"membership_status", "status_id"}},
	// _civicrm_api3_case_get_spec and _civicrm_api3_case_create_spec:
	// contact_id's (the case's clients) api.aliases client_id. And the
	// legacy case_type: civicrm_api3_case_create starts with
	// _civicrm_api3_case_format_params, which, case_type_id empty, sets
	// it to the case type case_type names (array_search in
	// CRM_Case_PseudoConstant::caseType('name'), then, deprecated, in
	// the titles), on a new case and an edit alike: the name
	// _civicrm_api3_api_match_pseudoconstant looks up under case_type_id
	// (v3OptionLookups reads CaseType), and the case_type_id written.
	EntityKey("Case"): {{"client_id", "contact_id"}, {"case_type", "case_type_id"}},
	// The financial type's name before 4.3 (financial_type_id's
	// api.aliases): _civicrm_api3_contribution_create_spec and
	// _civicrm_api3_pledge_create_spec contribution_type_id and
	// contribution_type, _civicrm_api3_event_create_spec
	// contribution_type_id. _civicrm_api3_contribution_create_spec gives
	// note the uniqueName contribution_note (array_key_exists: copied
	// over a note not set).
	EntityKey("Contribution"): {{"contribution_type_id", "financial_type_id"}, {"contribution_type", "financial_type_id"}, {"contribution_note", "note"}},
	EntityKey("Pledge"):       {{"contribution_type_id", "financial_type_id"}, {"contribution_type", "financial_type_id"}},
	EntityKey("Event"):        {{"contribution_type_id", "financial_type_id"}},
}

// v3Defaults are, by EntityKey, the fields of the write tables that APIv3
// gives a new row when the call does not: getfields' api.default, merged
// under the call's own keys (array_merge) where params['id'] is empty.
// _civicrm_api3_activity_create_spec: source_contact_id defaults to
// user_contact_id, the caller's contact.
var v3Defaults = map[string][]string{
	EntityKey("Activity"): {"source_contact_id"},
}

// v3Field is the field APIv3 reads under name for entity: the aliased
// field, or name itself.
func v3Field(entity, name string) string {
	for _, a := range v3Aliases[EntityKey(entity)] {
		if a.alias == name {
			return a.field
		}
	}
	return name
}

// withV3Names is row with each alias of entity's fields copied to the
// field where that is not set, as _civicrm_api3_swap_out_aliases does:
// row itself when it names none. The row is a copy; the call's
// parameters are never changed. (Present counts for every kind of alias,
// where PHP wants api.aliases and names isset: a judgment too many at
// worst.)
func withV3Names(entity string, row *Array) *Array {
	out := row
	for _, a := range v3Aliases[EntityKey(entity)] {
		v, ok := row.Get(a.alias)
		if !ok {
			continue
		}
		if set, isSet := out.Get(a.field); isSet && set != nil {
			continue // isset: the field wins
		}
		if out == row {
			out = NewArray()
			for i := 0; i < row.Len(); i++ {
				out.Set(row.Key(i), row.Value(i))
			}
		}
		out.Set(a.field, v)
	}
	return out
}

// v3DefaultFields are the fields APIv3 gives sc's write by default
// (v3Defaults): a create that may make a new row (the client gives no
// non-empty id or <entity>_id, the id's unique name; one a chain may fill
// in, or options.match may find, may be missing) and does not name them.
// nil for any other call.
func v3DefaultFields(sc Subcall, rows []*Array) []string {
	if sc.Version != 3 || sc.Action != "create" ||
		nonEmpty(sc.Params, "id", false) || nonEmpty(sc.Params, v3IDKey(sc.Entity), false) {
		return nil
	}
	var out []string
	for _, f := range v3Defaults[EntityKey(sc.Entity)] {
		if !slices.ContainsFunc(rows, func(r *Array) bool { return r.Has(f) }) {
			out = append(out, f)
		}
	}
	return out
}

// v3OptionsTarget is the entity whose rows are the options of the field
// an APIv3 getoptions, getfield or getfields names for entity, as
// _civicrm_api3_api_resolve_alias resolves the name: an alias
// (v3Aliases), the name itself, the name with _id (`campaign`,
// `financial_type`), or a unique name (`contribution_campaign_id`,
// `participant_status_id`: the field's name with a prefix, with or
// without its _id), in the create fields and then the get fields. The
// entity is what APIv4's getFields with loadOptions reports for the same
// field (optionTarget, fieldreads.go); "" for an option group's field or
// none. PHP's array keys are exact: case and spaces matter.
func v3OptionsTarget(entity, name string) (target, field string) {
	if f := v3Field(entity, name); f != name {
		return optionTarget(entity, f), f
	}
	for rest := name; rest != ""; {
		for _, f := range [...]string{rest, rest + "_id"} {
			// Field names are lower case, and PHP's keys exact (optionTarget
			// folds case for APIv4).
			if f != strings.ToLower(f) {
				continue
			}
			if t := optionTarget(entity, f); t != "" {
				return t, f
			}
		}
		_, after, cut := strings.Cut(rest, "_")
		if !cut {
			break
		}
		rest = after
	}
	return "", name
}

// APIv3 validates the fields of every call its own function (not a
// generic wrapper's) serves before running it
// (Civi\API\Subscriber\APIv3SchemaAdapter::onApiPrepare_validate ->
// _civicrm_api3_validate_fields): a filter of a get and a value of a write
// alike. An integer field with a pseudoconstant goes through
// _civicrm_api3_validate_integer -> _civicrm_api3_api_match_pseudoconstant,
// which loads the field's options (getoptions, context validate: the
// option entity's rows, v3OptionsTarget) and swaps a name or label given
// for the field for its id, or fails with "'…' is not a valid option": an
// oracle on that entity's rows, as APIv4's :name suffix is. A numeric
// value is the id itself (only whether it exists is told), and so is a
// value of a field whose options are keyed by name (Currency's and
// ContactType's key_column name): neither is reported.

// v3UnvalidatedActions are the generic wrappers that validate no field of
// their own and run no validated get or create with the call's
// parameters: metadata, getlist (its `params` is a get walked as a call of
// its own, runs.go) and setvalue (civicrm_api3_generic_setvalue checks the
// value's type only). getsingle, getvalue, getcount and update run the
// entity's own get (and create), which validates.
var v3UnvalidatedActions = map[string]bool{"getfields": true, "getfield": true, "getspec": true, "getoptions": true,
	"getactions": true, "getlist": true, "setvalue": true, "getunique": true, "getrefcount": true}

// v3NoPseudoconstant are the foreign keys fkTargets lists (a path through
// them reads their target) that have no pseudoconstant: entity references
// only (schema/*/*.entityType.php: contact_id, event_id, case_id…, and the
// APIv4 location joins), whose non-numeric value APIv3 never looks up as a
// name (_civicrm_api3_resolve_contactID turns user_contact_id into the
// caller's id). Options keyed by name are told by their target.
var v3NoPseudoconstant = map[string]bool{"Contact": true, "Email": true, "Phone": true, "Address": true, "IM": true,
	"Event": true, "Case": true, "Currency": true, "ContactType": true}

// v3OptionLookups reports the option entities an APIv3 call's fields make
// CiviCRM read to turn a name into an id (above), and the CMS user an
// "@user:<name>" value is resolved through (userlookups.go): under a get,
// a read the filter names; under a write, a lookup judged as the write's
// own doing (joinScan.read), as APIv4's written suffixes are.
func (w *walker) v3OptionLookups(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown || v3UnvalidatedActions[sc.Action] || sc.Via != "" {
		return true // matched by every deny rule already, or no field validated
	}
	s := &joinScan{w: w, parent: sc, ok: true, v3: true, write: genericAction(sc.Action) != "get"}
	seen := map[string]bool{}
	p := withV3Names(sc.Entity, sc.Params)
	for i := 0; i < p.Len() && s.ok; i++ {
		k := p.Key(i)
		if !seen["@user"] && v3ParamIsField(k) && v3NamesUser(v3RowRefs(sc, k, p.Value(i))) {
			// Resolved as a CMS user's contact first (userlookups.go).
			seen["@user"] = true
			s.users(k)
			continue
		}
		if !v3NamesOption(p.Value(i)) {
			continue
		}
		t, f := v3OptionsTarget(sc.Entity, k)
		if t == "" || v3NoPseudoconstant[t] || (f == "tags" || f == "groups") || seen[t] {
			continue // APIv4's spec providers' tags and groups are no APIv3 field
		}
		if f != k && v3Field(sc.Entity, k) != f && !strings.HasSuffix(k, "_"+f) {
			// getoptions' `campaign` for campaign_id: _civicrm_api3_swap_out_aliases
			// copies aliases and unique names (contribution_campaign_id) only.
			continue
		}
		seen[t] = true
		s.read(t, k)
	}
	return s.ok
}

// v3NamesOption reports whether v, the value of an APIv3 field, holds a
// name _civicrm_api3_api_match_pseudoconstant looks up: a non-empty,
// non-numeric string (but user_contact_id and @user:…, which
// _civicrm_api3_resolve_contactID resolves first), or such a value in a
// list, or in the operator form's operand ({"IN": […]}: key($value) one of
// CRM_Core_DAO::acceptedSQLOperators, found by a truthy array_search, so
// "=" is a plain list). LIKE, NOT LIKE and the NULL and EMPTY operators
// are matched against nothing.
func v3NamesOption(v any) bool {
	name := func(x any) bool {
		s, ok := x.(string)
		return ok && v3Title(s) && s != "user_contact_id" && !strings.HasPrefix(s, "@user:")
	}
	list := func(x any) bool {
		a, ok := x.(*Array)
		if !ok {
			return name(x)
		}
		for i := 0; i < a.Len(); i++ {
			if name(a.Value(i)) {
				return true
			}
		}
		return false
	}
	a, ok := v.(*Array)
	if !ok || a.Len() == 0 {
		return name(v)
	}
	if op := a.Key(0); op != "=" && v3SQLOperators[op] {
		if op == "LIKE" || op == "NOT LIKE" || strings.Contains(op, "NULL") {
			return false
		}
		return list(a.Value(0))
	}
	return list(a)
}
