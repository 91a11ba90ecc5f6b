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
// of fieldreads.go), in civicrm-core 6.x:
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
	// target_contact_id's 'name' assignee_id and target_id.
	EntityKey("Activity"): {{"target_id", "target_contact_id"}, {"assignee_id", "assignee_contact_id"}},
	// _civicrm_api3_membership_create_spec: membership_type_id's
	// api.aliases membership_type, status_id's membership_status.
	EntityKey("Membership"): {{"membership_type", "membership_type_id"}, {"membership_status", "status_id"}},
	// _civicrm_api3_case_get_spec and _civicrm_api3_case_create_spec:
	// contact_id's (the case's clients) api.aliases client_id.
	EntityKey("Case"): {{"client_id", "contact_id"}},
	// The financial type's name before 4.3 (financial_type_id's
	// api.aliases): _civicrm_api3_contribution_create_spec and
	// _civicrm_api3_pledge_create_spec contribution_type_id and
	// contribution_type, _civicrm_api3_event_create_spec
	// contribution_type_id.
	EntityKey("Contribution"): {{"contribution_type_id", "financial_type_id"}, {"contribution_type", "financial_type_id"}},
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
