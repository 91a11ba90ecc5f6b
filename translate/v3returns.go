package translate

import "strings"

// What an APIv3 read answers of other entities' data under its own name,
// where its get runs CiviCRM's query object (_civicrm_api3_get_using_query_object:
// CRM_Contact_BAO_Query and the components' query classes) or adds data of
// its own: the one table the policy (each read is reported one level below
// the call, joins.go's carried) and the cache's invalidation
// (cache/invalidate.go: a write to any of them invalidates every cached
// read of the entity) both read.
//
//   - Contact.get: CRM_Contact_BAO_Query's default return properties (the
//     list CRM_Contact_BAO_Query::defaultReturnProperties gives for
//     MODE_CONTACTS, which Civi\Token's getAllContactReturnFields copies)
//     include the primary address's street_address … geo_code_2, email and
//     on_hold, phone, im; the query joins each location table for them and
//     for the rest of api/v3/Contact.php's declared pseudo-fields
//     (email_id, phone_type_id, address_id, state_province_name…), and
//     `url` (Website), `groups`, `tags` and `notes` (GroupContact,
//     EntityTag, Note) when asked; the same names as filters search those
//     tables (a `group` filter answers the members of a group, resolved by
//     _civicrm_api3_contact_get_supportanomalies, `filter.group_id` too);
//   - Contribution.get, Participant.get and Pledge.get: their component's
//     defaultReturnProperties (CRM_Contribute_BAO_Query, CRM_Event_BAO_Query,
//     CRM_Pledge_BAO_Query) join civicrm_contact for the contact's
//     sort_name and display_name, and the notes; Contribution.get adds
//     contribution_batch (Batch) and merges each contribution's soft credits
//     into its row whatever the return (api/v3/Contribution.php:
//     CRM_Contribute_BAO_ContributionSoft::getSoftContribution, with their
//     PCP); Participant.get answers its event's title, type and dates;
//   - Event.get (api/v3/Event.php): with return.is_full, available_places
//     and is_full from the event's participants
//     (CRM_Event_BAO_Participant::eventFull); with any return option,
//     price_set_id from PriceSetEntity (CRM_Price_BAO_PriceSet::getFor);
//     Event.getlist's "(2 of 5)" from RecurringEntity;
//   - Attachment.get answers each file's entity_table and entity_id,
//     EntityFile's rows.
//
// A call whose return names none of an entry's fields, where the entry is
// not Always (or AnyReturn), does not read it: `return` is the way to read
// a contact without its e-mail under deny { entity Email }.

// V3Return is one entity whose data an APIv3 read answers.
type V3Return struct {
	Entity string
	// Fields are the return fields, and filter keys, that read it (a name
	// with a "-<location>" suffix, email-Primary, counts as its field).
	Fields []string
	// Default: the answer holds it when the call gives no return.
	Default bool
	// AnyReturn: the answer holds it when the call gives a return.
	AnyReturn bool
	// Always: the answer holds it whatever the return.
	Always bool
	// Action limits the entry to that action (Event.getlist's suffix).
	Action string
}

// v3LocationReturns are CRM_Contact_BAO_Query's fields of a contact's
// primary location records, groups, tags, notes and websites: the
// component queries build on it, so a return or filter naming them reads
// them in any query-object get.
var v3LocationReturns = []V3Return{
	{Entity: "Email", Default: true, Fields: []string{"email", "email_id", "on_hold", "is_bulkmail", "signature_text", "signature_html"}},
	{Entity: "Phone", Default: true, Fields: []string{"phone", "phone_id", "phone_type_id", "phone_type", "phone_ext"}},
	{Entity: "IM", Default: true, Fields: []string{"im", "im_id", "im_provider", "provider_id"}},
	{Entity: "Address", Default: true, Fields: []string{"address_id", "address_name", "location_type", "street_address",
		"street_number", "street_number_suffix", "street_name", "street_unit", "supplemental_address_1",
		"supplemental_address_2", "supplemental_address_3", "city", "postal_code", "postal_code_suffix",
		"geo_code_1", "geo_code_2", "manual_geo_code", "master_id", "county", "county_id", "state_province",
		"state_province_id", "state_province_name", "state_province_abbreviation", "country", "country_id",
		"world_region", "worldregion", "worldregion_id"}},
	{Entity: "OpenID", Fields: []string{"openid"}},
	{Entity: "Website", Fields: []string{"url"}},
	{Entity: "GroupContact", Fields: []string{"group", "groups"}},
	{Entity: "EntityTag", Fields: []string{"tag", "tags"}},
	{Entity: "Note", Fields: []string{"note", "notes", "note_body", "note_subject"}},
}

// v3ContactNames are the contact fields the component queries answer by
// default, and some a return may name.
var v3ContactNames = V3Return{Entity: "Contact", Default: true, Fields: []string{"display_name", "sort_name",
	"contact_type", "contact_sub_type", "first_name", "middle_name", "last_name", "nick_name", "organization_name",
	"household_name", "legal_name"}}

// location is v3LocationReturns without their defaults: a component
// query's default return has none of them.
func location() []V3Return {
	out := make([]V3Return, len(v3LocationReturns))
	for i, r := range v3LocationReturns {
		r.Default = false
		out[i] = r
	}
	return out
}

// v3ReturnTable lists the entries by APIv3 entity (compared as SameEntity).
var v3ReturnTable = []struct {
	entity string
	reads  []V3Return
}{
	{"Contact", v3LocationReturns},
	{"Contribution", append([]V3Return{v3ContactNames,
		{Entity: "Note", Default: true, Fields: []string{"contribution_note"}},
		{Entity: "Batch", Default: true, Fields: []string{"contribution_batch", "contribution_batch_id"}},
		{Entity: "ContributionSoft", Always: true}, {Entity: "PCP", Always: true}}, location()...)},
	{"Participant", append([]V3Return{v3ContactNames,
		{Entity: "Note", Default: true, Fields: []string{"participant_note"}},
		{Entity: "Event", Default: true, Fields: []string{"event_title", "event_start_date", "event_end_date",
			"event_type", "event_type_id", "default_role_id"}}}, location()...)},
	{"Pledge", append([]V3Return{v3ContactNames}, location()...)},
	{"Event", []V3Return{{Entity: "Participant", Fields: []string{"is_full", "available_places"}},
		{Entity: "PriceSetEntity", AnyReturn: true, Fields: []string{"price_set_id"}},
		{Entity: "RecurringEntity", Always: true, Action: "getlist"}}},
	{"Attachment", []V3Return{{Entity: "EntityFile", Always: true}}},
}

// V3Returns is the table's entries for an APIv3 entity.
func V3Returns(entity string) []V3Return {
	for _, e := range v3ReturnTable {
		if SameEntity(e.entity, entity) {
			return e.reads
		}
	}
	return nil
}

// v3QueryReads reports the reads of an APIv3 get-like call (get, getsingle,
// getvalue, getcount, getlist) through V3Returns and custom_N fields,
// which any APIv3 get answers or filters on (the query object or
// Api3SelectQuery join the custom group's table).
func (w *walker) v3QueryReads(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	if sc.Via != "" {
		return true // a join reads the field it names, not a row's defaults
	}
	switch sc.Action {
	case "get", "getsingle", "getvalue", "getcount", "getlist":
		// The generic wrappers run the entity's own get (api/v3/Generic.php);
		// other get* actions (getunique, getactions, getrefcount…) answer
		// metadata or counts of their own.
	default:
		return true
	}
	names, returned := v3Named(sc.Params)
	if sc.Action == "getlist" {
		names = nil
	}
	s := &joinScan{w: w, parent: sc, ok: true, v3: true}
	for _, r := range V3Returns(sc.Entity) {
		if r.Action != sc.Action && (r.Action != "" || sc.Action == "getlist") {
			// getlist's own parameters are no get's: the get it runs
			// with its `params` is walked as a call of its own (runs.go).
			continue
		}
		via := ""
		switch {
		case r.Always:
			via = "return"
		case r.Default && !returned, r.AnyReturn && returned:
			via = "return"
		}
		for _, f := range r.Fields {
			if names[f] {
				via = f
				break
			}
		}
		// "return": the call's default answer holds it, asked or not.
		s.ownAnswer = via == "return"
		if via != "" && !s.carried(r.Entity, false, via, nil) {
			return false
		}
		s.ownAnswer = false
	}
	// A custom field's group is one the edge cannot name, but its data is
	// CustomValue's (deny { entity CustomValue } refuses it): one read,
	// through the first such name in order.
	custom := ""
	for n := range names {
		if isV3CustomKey(n) && (custom == "" || n < custom) {
			custom = n
		}
	}
	if custom != "" {
		return s.carried("CustomValue", false, custom, nil)
	}
	return s.ok
}

// v3Named are the field names an APIv3 get's parameters name, in return
// (a string of names, a list, a map of name => 1, options.return,
// return.<name> keys), in sort options or as filter keys, each cut at its "-<location>"
// suffix; returned reports whether the call gives a return at all
// (_civicrm_api3_get_options_from_params).
func v3Named(p *Array) (names map[string]bool, returned bool) {
	names = map[string]bool{}
	add := func(v any, keys bool) {
		var list []string
		switch x := v.(type) {
		case string:
			list = nameRuns(x)
		case *Array:
			for i := 0; i < x.Len(); i++ {
				if keys {
					list = append(list, nameRuns(x.Key(i))...)
				}
				if str, ok := x.Value(i).(string); ok {
					list = append(list, nameRuns(str)...)
				}
			}
		}
		for _, n := range list {
			returned = true
			names[n] = true
		}
	}
	// A sort on a field joins its table as a return does (the order tells
	// its values), without being a return.
	sorted := func(v any) {
		was := returned
		add(v, false)
		returned = was
	}
	for i := 0; i < p.Len(); i++ {
		k, v := p.Key(i), p.Value(i)
		switch {
		case len(k) >= 4 && k[:3] == "api" && (k[3] == '.' || k[3] == '_'):
		case k == "return":
			add(v, true)
		case k == "options":
			if o, ok := v.(*Array); ok {
				if x, ok := o.Get("return"); ok {
					add(x, true)
				}
				if x, ok := o.Get("sort"); ok {
					sorted(x)
				}
			}
		case k == "sort" || k == "option.sort" || k == "option_sort" || k == "options.sort":
			sorted(v)
		case strings.HasPrefix(k, "return.") || strings.HasPrefix(k, "return_"):
			if !PHPEmpty(v) {
				add(k[len("return."):], false)
			}
		case k == "filter.group_id" || k == "filter_group_id":
			names["group"] = true
		case strings.HasPrefix(k, "option.") || strings.HasPrefix(k, "options.") || strings.HasPrefix(k, "option_"):
		default:
			for _, n := range nameRuns(k) {
				names[n] = true
			}
		}
	}
	return names, returned
}

// nameRuns splits s into the field names it holds (runs of name
// characters), each cut at a "-" location suffix (email-Primary,
// phone-1-2 are email and phone in CRM_Contact_BAO_Query).
func nameRuns(s string) []string {
	var out []string
	for _, f := range strings.FieldsFunc(s, func(r rune) bool {
		return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
	}) {
		f, _, _ = strings.Cut(f, "-")
		if f != "" {
			out = append(out, f)
		}
	}
	return out
}

// isV3CustomKey is CRM_Core_BAO_CustomField::getKeyID's custom_<field>
// with an optional _<value id> (custom_3_-1, custom_3_12) and the query
// object's custom_<field>_from, _to, _relative and _low/_high forms: a
// custom field by its id.
func isV3CustomKey(key string) bool {
	n, ok := strings.CutPrefix(key, "custom_")
	if !ok {
		return false
	}
	id, _, _ := strings.Cut(n, "_")
	return isCustomN("custom_" + id)
}
