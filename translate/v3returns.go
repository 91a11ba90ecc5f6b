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
//     _civicrm_api3_contact_get_supportanomalies, `filter.group_id` too;
//     whereClauseSingle's tag_search, contact_tags, group_type, uf_user,
//     phone_numeric, prox_*, log_date_* and changed_by);
//   - every query-object get (Contact, Contribution, Participant, Pledge)
//     also runs each component's select and where clauses
//     (CRM_Core_Component::alterQuery, v3QueryComponents below), so a
//     return or filter named after another component's data reads it;
//   - Contribution.get, Participant.get and Pledge.get: their component's
//     defaultReturnProperties (CRM_Contribute_BAO_Query, CRM_Event_BAO_Query,
//     CRM_Pledge_BAO_Query) join civicrm_contact for the contact's
//     sort_name and display_name, and the notes; Contribution.get adds
//     contribution_batch (Batch) and merges each contribution's soft credits
//     into its row whatever the return (api/v3/Contribution.php:
//     CRM_Contribute_BAO_ContributionSoft::getSoftContribution, with their
//     PCP); Participant.get answers its event's title, type and dates;
//   - Activity.get (api/v3/Activity.php _civicrm_api3_activity_get_formatResult):
//     its source contact's id and display_name always, the target and
//     assignee contacts' when asked (ActivityContact.get of contact_id.display_name,
//     _civicrm_api3_activity_fill_activity_contact_names), tag_id from
//     EntityTag.get (a tag_id filter is a subquery on civicrm_entity_tag),
//     file_id from civicrm_entity_file and case_id from civicrm_case_activity;
//     Activity.getlist a repeating activity's "(2 of 5)" and is_recur from
//     RecurringEntity (_civicrm_api3_activity_getlist_output:
//     CRM_Core_BAO_RecurringEntity::getPositionAndCount), as Event.getlist;
//   - Case.get (api/v3/Case.php civicrm_api3_case_get, _civicrm_api3_case_read):
//     its clients' ids (contact_id, client_id) from civicrm_case_contact
//     with no return or when named, and a contact_id filter a subquery on
//     it; `activities` from civicrm_case_activity, `contacts` from the case's
//     contacts (CRM_Case_BAO_Case::getContactNames: their primary e-mail and
//     phone) and its role relationships (getRelatedContacts), both by default
//     when the case is fetched by a numeric id with no return; tag_id and
//     an activity_id filter search civicrm_entity_tag and civicrm_case_activity;
//   - Event.get (api/v3/Event.php): with return.is_full, available_places
//     and is_full from the event's participants
//     (CRM_Event_BAO_Participant::eventFull); with any return option,
//     price_set_id from PriceSetEntity (CRM_Price_BAO_PriceSet::getFor);
//     Event.getlist's "(2 of 5)" from RecurringEntity;
//   - Attachment.get answers each file's entity_table and entity_id,
//     EntityFile's rows;
//   - LocBlock.get (api/v3/LocBlock.php civicrm_api3_loc_block_get): with
//     a return, each of address, email, phone, im and their _2 forms that
//     the return names, or all of them for "all", read by
//     civicrm_api($item, 'getsingle', ...) into the row;
//   - Domain.get (api/v3/Domain.php civicrm_api3_domain_get): the domain
//     contact's primary e-mail, phone and address
//     (CRM_Core_BAO_Location::getValues) as domain_email, domain_phone and
//     domain_address, and the default From address
//     (CRM_Core_BAO_Domain::getNameAndEmail: SiteEmailAddress) as
//     from_name and from_email, whatever the return (the current domain's
//     row comes whole from CRM_Core_BAO_Domain::getDomain).
//
// A call whose return names none of an entry's fields, where the entry is
// not Always (or AnyReturn), does not read it: `return` is the way to read
// a contact without its e-mail under deny { entity Email }. The names are
// those CiviCRM derives from the call (v3Named): a string return has every
// space removed before it is split on commas, and a name APIv3 takes a
// field under (v3schema.go: Case.get's client_id) names that field.

// V3Return is one entity whose data an APIv3 read answers.
type V3Return struct {
	Entity string
	// Fields are the return fields, and filter keys, that read it (a name
	// with a "-<location>" suffix, email-Primary, counts as its field).
	Fields []string
	// Prefixes: a name starting with one of them reads it too (the
	// component query classes claim every parameter named so).
	Prefixes []string
	// Default: the answer holds it when the call gives no return.
	Default bool
	// ByID limits Default to a call fetching a numeric id (Case.get).
	ByID bool
	// AnyReturn: the answer holds it when the call gives a return.
	AnyReturn bool
	// Always: the answer holds it whatever the return.
	Always bool
	// Action limits the entry to that action (Event.getlist's suffix).
	Action string
	// SettingFilters are filter keys whose search reaches it by a site
	// setting whatever the client asks (a sort_name or display_name
	// filter matches the e-mail too under includeEmailInName, on by
	// default: CRM_Contact_BAO_Query::sortName): read as the call's own
	// answer, as a quick search's columns are (autocomplete.go), so an
	// allow rule naming the call admits it and a deny rule on the entity
	// refuses it.
	SettingFilters []string
	// TitleFilters are filter keys whose value may name the entity's rows
	// by title or name, which CiviCRM looks up to ids (v3NamesByTitle):
	// with such a value the answer depends on them.
	TitleFilters []string
}

// names reports whether the field name n reads r's entity.
func (r V3Return) names(n string) bool {
	for _, f := range r.Fields {
		if n == f {
			return true
		}
	}
	for _, p := range r.Prefixes {
		if strings.HasPrefix(n, p) {
			return true
		}
	}
	return false
}

// v3LocationReturns are CRM_Contact_BAO_Query's fields of a contact's
// primary location records, groups, tags, notes and websites: the
// component queries build on it, so a return or filter naming them reads
// them in any query-object get.
var v3LocationReturns = []V3Return{
	{Entity: "Email", Default: true, Fields: []string{"email", "email_id", "on_hold", "is_bulkmail", "signature_text", "signature_html",
		"email_on_hold"},
		SettingFilters: []string{"sort_name", "display_name"}},
	{Entity: "Phone", Default: true, Fields: []string{"phone", "phone_id", "phone_type_id", "phone_type", "phone_ext",
		"phone_numeric", "phone_phone_type_id", "phone_location_type_id"}},
	{Entity: "IM", Default: true, Fields: []string{"im", "im_id", "im_provider", "provider_id"}},
	{Entity: "Address", Default: true, Prefixes: []string{"prox_"}, Fields: []string{"address_id", "address_name", "location_type", "street_address",
		"street_number", "street_number_suffix", "street_name", "street_unit", "supplemental_address_1",
		"supplemental_address_2", "supplemental_address_3", "city", "postal_code", "postal_code_low", "postal_code_high",
		"postal_code_suffix", "geo_code_1", "geo_code_2", "manual_geo_code", "master_id", "county", "county_id", "state_province",
		"state_province_id", "state_province_name", "state_province_abbreviation", "country", "country_id",
		"world_region", "worldregion", "worldregion_id"}},
	{Entity: "OpenID", Fields: []string{"openid"}},
	{Entity: "Website", Fields: []string{"url"}},
	{Entity: "GroupContact", Fields: []string{"group", "groups", "group_type"}},
	// group_type: CRM_Contact_BAO_Query::group turns it into the groups of
	// those types, read from civicrm_group (getGroupsFromTypeCriteria).
	{Entity: "Group", Fields: []string{"group_type"}},
	{Entity: "EntityTag", Fields: []string{"tag", "tags", "tag_search", "contact_tags"}},
	{Entity: "Note", Fields: []string{"note", "notes", "note_body", "note_subject"}},
	{Entity: "UFMatch", Fields: []string{"uf_user"}},
	{Entity: "Log", Fields: []string{"log_date_low", "log_date_high", "changed_by"}},
}

// v3QueryComponents are what CRM_Contact_BAO_Query runs for every
// component besides the contact's own clauses (CRM_Core_Component::alterQuery
// 'select' and 'where', CRM_Contact_BAO_Query::whereClauseSingle, and
// restWhere for the components' query fields merged into its own), by the
// APIv3 get whose own query it is (own: skipped there). Each component's
// where claims the parameters named with its prefixes; its select answers
// its fields when the return names them:
//
//   - CRM/Contribute/BAO/Query.php: contribution_*, financial_*, payment_*
//     (civicrm_contribution), and the unprefixed fields of getFields and
//     defaultReturnProperties (receive_date, total_amount, trxn_id,
//     invoice_id…); contribution_recur_* ContributionRecur, the soft
//     credits' and personal campaign pages' contribution_soft_* and
//     contribution_pcp_*, contribution_batch* (EntityBatch, Batch),
//     financial_trxn_* and contribution_is_payment (FinancialTrxn),
//     contribution_product_id and the premium's product_name, sku…
//     (Product), contribution_note (Note), contribution_membership_id and
//     contribution_participant_id (the membership and participant a
//     payment paid for), contribution_campaign_title (Campaign);
//   - CRM/Member/BAO/Query.php: member_*, membership_*, join_date,
//     owner_membership_id, max_related (civicrm_membership);
//   - CRM/Event/BAO/Query.php: participant_* and event_* (civicrm_participant
//     joined to civicrm_event), default_role_id;
//   - CRM/Pledge/BAO/Query.php: pledge_* (pledge_payment_* PledgePayment);
//   - CRM/Case/BAO/Query.php: case_* (civicrm_case through civicrm_case_contact);
//   - CRM/Grant/BAO/Query.php (ext/civigrant): grant_*;
//   - CRM/Mailing/BAO/Query.php: mailing_* (the recipients, the mailing, its
//     jobs, and each event table: delivered, bounce, opened, clicks,
//     replies, unsubscribes);
//   - CRM/Activity/BAO/Query.php (run from whereClauseSingle and the
//     contact query's select): activity_*, source_contact_id,
//     source_contact, source_record_id, parent_id, followup_parent_id,
//     test_activities (civicrm_activity and civicrm_activity_contact;
//     activity_tags the activities' EntityTag rows);
//   - CRM/Campaign/BAO/Query.php: campaign_survey_id and survey_* (the
//     survey's activities, their contacts, the survey and its campaign);
//   - CRM_Contact_BAO_Query::relationship: relation_* and relationship_*
//     (civicrm_relationship, and the related contact's name).
var v3QueryComponents = []struct {
	own   string
	reads []V3Return
}{
	{"Contribution", []V3Return{{Entity: "Contribution", Prefixes: []string{"contribution_", "financial_", "payment_"},
		Fields: []string{"receive_date", "thankyou_date", "total_amount", "accounting_code", "non_deductible_amount", "fee_amount",
			"net_amount", "trxn_id", "invoice_id", "invoice_number", "currency", "cancel_reason", "cancel_date", "receipt_date",
			"is_test", "is_pay_later", "amount_level", "tax_amount", "revenue_recognition_date", "creditnote_id", "is_template",
			"product_name", "product_option", "sku", "fulfilled_date"}}}},
	{"", []V3Return{
		{Entity: "ContributionRecur", Prefixes: []string{"contribution_recur"}},
		{Entity: "ContributionSoft", Prefixes: []string{"contribution_soft_", "contribution_pcp_"}, Fields: []string{"contribution_or_softcredits"}},
		{Entity: "PCP", Prefixes: []string{"contribution_pcp_"}},
		{Entity: "EntityBatch", Prefixes: []string{"contribution_batch"}},
		{Entity: "Batch", Prefixes: []string{"contribution_batch"}},
		{Entity: "FinancialTrxn", Prefixes: []string{"financial_trxn_", "contribution_batch"}, Fields: []string{"contribution_is_payment"}},
		{Entity: "Product", Fields: []string{"contribution_product_id", "product_name", "product_option", "sku", "fulfilled_date"}},
		{Entity: "Note", Fields: []string{"contribution_note", "participant_note"}},
		{Entity: "Campaign", Fields: []string{"contribution_campaign_title"}},
		{Entity: "Membership", Fields: []string{"contribution_membership_id"}},
		{Entity: "Participant", Fields: []string{"contribution_participant_id"}},
	}},
	{"Membership", []V3Return{{Entity: "Membership", Prefixes: []string{"member_", "membership_"},
		Fields: []string{"join_date", "owner_membership_id", "max_related"}}}},
	{"Participant", []V3Return{
		{Entity: "Participant", Prefixes: []string{"participant_", "event_"}, Fields: []string{"default_role_id"}},
		{Entity: "Event", Prefixes: []string{"event_"}, Fields: []string{"default_role_id"}}}},
	{"Pledge", []V3Return{{Entity: "Pledge", Prefixes: []string{"pledge_"}}}},
	{"", []V3Return{{Entity: "PledgePayment", Prefixes: []string{"pledge_payment_"}}}},
	{"Case", []V3Return{{Entity: "Case", Prefixes: []string{"case_"}}, {Entity: "CaseContact", Prefixes: []string{"case_"}}}},
	{"Grant", []V3Return{{Entity: "Grant", Prefixes: []string{"grant_"}}}},
	{"Mailing", []V3Return{{Entity: "Mailing", Prefixes: []string{"mailing_"}}}},
	{"", []V3Return{
		{Entity: "MailingRecipients", Prefixes: []string{"mailing_"}},
		{Entity: "MailingJob", Prefixes: []string{"mailing_"}},
		{Entity: "MailingEventQueue", Prefixes: []string{"mailing_"}},
		{Entity: "MailingEventDelivered", Prefixes: []string{"mailing_"}},
		{Entity: "MailingEventBounce", Prefixes: []string{"mailing_"}},
		{Entity: "MailingEventOpened", Prefixes: []string{"mailing_"}},
		{Entity: "MailingEventTrackableURLOpen", Prefixes: []string{"mailing_"}},
		{Entity: "MailingEventReply", Prefixes: []string{"mailing_"}},
		{Entity: "MailingEventUnsubscribe", Prefixes: []string{"mailing_"}},
	}},
	{"Activity", []V3Return{{Entity: "Activity", Prefixes: []string{"activity_", "survey_"},
		Fields: []string{"source_contact_id", "source_contact", "source_record_id", "parent_id", "followup_parent_id",
			"test_activities", "campaign_survey_id"}}}},
	{"", []V3Return{
		{Entity: "ActivityContact", Prefixes: []string{"activity_", "survey_"},
			Fields: []string{"source_contact_id", "source_contact", "campaign_survey_id"}},
		{Entity: "EntityTag", Fields: []string{"activity_tags", "activity_taglist"}},
		{Entity: "Survey", Prefixes: []string{"survey_"}, Fields: []string{"campaign_survey_id", "activity_survey_id"}},
		{Entity: "Campaign", Fields: []string{"campaign_survey_id"}},
		{Entity: "Relationship", Prefixes: []string{"relation"}},
		{Entity: "Contact", Fields: []string{"relation_target_name"}},
	}},
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

// components is v3QueryComponents' entries for a query-object get of
// entity: every component's but its own.
func components(entity string) []V3Return {
	var out []V3Return
	for _, c := range v3QueryComponents {
		if c.own == "" || !SameEntity(c.own, entity) {
			out = append(out, c.reads...)
		}
	}
	return out
}

// v3ReturnTable lists the entries by APIv3 entity (compared as SameEntity).
var v3ReturnTable = []struct {
	entity string
	reads  []V3Return
}{
	// _civicrm_api3_contact_get_supportanomalies turns a group filter's
	// titles and names into ids (CRM_Core_PseudoConstant::group() and
	// GroupContact's group_id options: civicrm_group), in Contact.get and
	// getcount only.
	{"Contact", concat(v3LocationReturns, []V3Return{{Entity: "Group", TitleFilters: []string{"group"}}}, components("Contact"))},
	{"Contribution", concat([]V3Return{v3ContactNames,
		{Entity: "Note", Default: true, Fields: []string{"contribution_note"}},
		{Entity: "Batch", Default: true, Fields: []string{"contribution_batch", "contribution_batch_id"}},
		{Entity: "ContributionSoft", Always: true}, {Entity: "PCP", Always: true}}, location(), components("Contribution"))},
	{"Participant", concat([]V3Return{v3ContactNames,
		{Entity: "Note", Default: true, Fields: []string{"participant_note"}},
		{Entity: "Event", Default: true, Fields: []string{"event_title", "event_start_date", "event_end_date",
			"event_type", "event_type_id", "default_role_id"}}}, location(), components("Participant"))},
	{"Pledge", concat([]V3Return{v3ContactNames}, location(), components("Pledge"))},
	{"Activity", []V3Return{
		{Entity: "ActivityContact", Always: true},
		{Entity: "Contact", Always: true, Fields: []string{"source_contact_name", "target_contact_name", "assignee_contact_name"}},
		{Entity: "EntityTag", Fields: []string{"tag_id"}},
		{Entity: "EntityFile", Fields: []string{"file_id"}},
		{Entity: "CaseActivity", Fields: []string{"case_id"}},
		{Entity: "RecurringEntity", Always: true, Action: "getlist"}}},
	{"Case", []V3Return{
		{Entity: "CaseContact", Default: true, Fields: []string{"contact_id"}},
		{Entity: "CaseActivity", Default: true, ByID: true, Fields: []string{"activities", "activity_id"}},
		{Entity: "Activity", Default: true, ByID: true, Fields: []string{"activities", "activity_id"}},
		{Entity: "Contact", Default: true, ByID: true, Fields: []string{"contacts"}},
		{Entity: "Email", Default: true, ByID: true, Fields: []string{"contacts"}},
		{Entity: "Phone", Default: true, ByID: true, Fields: []string{"contacts"}},
		{Entity: "Relationship", Default: true, ByID: true, Fields: []string{"contacts"}},
		{Entity: "EntityTag", Fields: []string{"tag_id"}}}},
	{"Event", []V3Return{{Entity: "Participant", Fields: []string{"is_full", "available_places"}},
		{Entity: "PriceSetEntity", AnyReturn: true, Fields: []string{"price_set_id"}},
		{Entity: "RecurringEntity", Always: true, Action: "getlist"}}},
	{"Attachment", []V3Return{{Entity: "EntityFile", Always: true}}},
	{"LocBlock", []V3Return{
		{Entity: "Address", Fields: []string{"address", "address_2", "all"}},
		{Entity: "Email", Fields: []string{"email", "email_2", "all"}},
		{Entity: "Phone", Fields: []string{"phone", "phone_2", "all"}},
		{Entity: "IM", Fields: []string{"im", "im_2", "all"}}}},
	{"Domain", []V3Return{{Entity: "Email", Always: true}, {Entity: "Phone", Always: true},
		{Entity: "Address", Always: true}, {Entity: "SiteEmailAddress", Always: true}}},
}

func concat(lists ...[]V3Return) []V3Return {
	var out []V3Return
	for _, l := range lists {
		out = append(out, l...)
	}
	return out
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
// Api3SelectQuery join the custom group's table). Each entity is reported
// once: through the first name the call gives that reads it, else through
// "return" where its default answer holds it.
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
	if sc.Action != "getlist" && v3RunTimeReturn(sc) {
		// The fields it returns are the parent row's data: any field a
		// return can name, of the entity's own tables, of those V3Returns
		// lists, a custom group's, or through a foreign key of
		// SelectQuery's: one read of an entity the edge cannot name,
		// which every deny rule naming an entity refuses.
		s := &joinScan{w: w, parent: sc, ok: true, v3: true}
		if !s.carried("", true, "return", nil) {
			return false
		}
	}
	names, returned := v3Named(sc.Params)
	if sc.Action == "getlist" {
		names = nil
	}
	for n := range names {
		// A field named by an alias reads as the field (v3schema.go).
		if f := v3Field(sc.Entity, n); f != n {
			names[f] = true
		}
	}
	byID := v3NumericID(sc.Params)
	type read struct{ entity, via string }
	var reads []read
	for _, r := range V3Returns(sc.Entity) {
		if r.Action != sc.Action && (r.Action != "" || sc.Action == "getlist") {
			// getlist's own parameters are no get's: the get it runs
			// with its `params` is walked as a call of its own (runs.go).
			continue
		}
		if SameEntity(r.Entity, sc.Entity) {
			continue // the call's own data
		}
		via := ""
		switch {
		case r.Always:
			via = "return"
		case r.Default && !returned && (!r.ByID || byID), r.AnyReturn && returned:
			via = "return"
		}
		if via == "" && sc.Action != "getlist" {
			for _, f := range r.SettingFilters {
				if sc.Params.Has(f) {
					via = "return"
					break
				}
			}
		}
		for _, f := range r.TitleFilters {
			if v, ok := sc.Params.Get(f); ok && via == "" && v3NamesByTitle(v) {
				via = f
			}
		}
		if n := firstNamed(names, r); n != "" {
			via = n
		}
		if via == "" {
			continue
		}
		seen := false
		for i := range reads {
			if reads[i].entity == r.Entity {
				seen = true
				if reads[i].via == "return" && via != "return" {
					reads[i].via = via // what the client names is its own read
				}
			}
		}
		if !seen {
			reads = append(reads, read{r.Entity, via})
		}
	}
	s := &joinScan{w: w, parent: sc, ok: true, v3: true}
	for _, r := range reads {
		// "return": the call's default answer holds it, asked or not.
		s.ownAnswer = r.via == "return"
		if !s.carried(r.entity, false, r.via, nil) {
			return false
		}
	}
	s.ownAnswer = false
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

// v3RunTimeReturn reports whether a chained APIv3 call's return or sort
// is filled from its parent's row when it runs: ChainSubscriber passes the
// call's params through _civicrm_api_replace_variables, which replaces a
// top-level string starting with "$value" and an array's first value
// starting so (reset($value): "return": ["$value.f", …], "options":
// {"return": "$value.f"} when return is options' first entry) with the
// parent row's data. The request's own call and batch members are not
// substituted.
func v3RunTimeReturn(sc Subcall) bool {
	if sc.Depth == 0 {
		return false
	}
	for i := 0; i < sc.Params.Len(); i++ {
		k, v := sc.Params.Key(i), sc.Params.Value(i)
		switch k {
		case "return", "sort", "option.sort", "option_sort", "options.sort":
			if RunTimeValue(v) {
				return true
			}
		case "options":
			if o, ok := v.(*Array); ok && o.Len() > 0 && (o.Key(0) == "return" || o.Key(0) == "sort") && ValueReference(o.Value(0)) {
				return true
			}
		}
	}
	return false
}

// v3NamesByTitle reports whether a group filter's value names a row by
// title or name, as _civicrm_api3_contact_get_supportanomalies reads it: a
// non-numeric string; in an array, a non-numeric value, or key, but for
// the operator of the operator form (['IN' => [...]], whose list is read).
func v3NamesByTitle(v any) bool {
	switch x := v.(type) {
	case string:
		return v3Title(x)
	case *Array:
		for i := 0; i < x.Len(); i++ {
			k := x.Key(i)
			if i == 0 && v3SQLOperators[k] { // in_array(key($groups), …, TRUE): exact
				list, _ := x.Value(i).(*Array)
				for j := 0; j < list.Len(); j++ {
					if str, ok := list.Value(j).(string); ok && v3Title(str) {
						return true
					}
				}
				return false
			}
			if str, ok := x.Value(i).(string); v3Title(k) || ok && v3Title(str) {
				return true
			}
		}
	}
	return false
}

// v3Title: a value CiviCRM may look up as a title or name (no number, and
// not empty, which !empty($allGroups[$group]) never finds).
func v3Title(s string) bool { return s != "" && !isNumericValue(s) }

// v3SQLOperators are CRM_Core_DAO::acceptedSQLOperators().
var v3SQLOperators = map[string]bool{"=": true, "<=": true, ">=": true, ">": true, "<": true, "LIKE": true, "<>": true,
	"!=": true, "NOT LIKE": true, "IN": true, "NOT IN": true, "BETWEEN": true, "NOT BETWEEN": true, "IS NOT NULL": true,
	"IS NULL": true}

// firstNamed is the name through which the call reads r's entity ("" for
// none): the first of r's Fields it names, else the first (in sorted
// order) it names with one of r's Prefixes, so the same call reports the
// same field whatever the map's order.
func firstNamed(names map[string]bool, r V3Return) string {
	for _, f := range r.Fields {
		if names[f] {
			return f
		}
	}
	first := ""
	for n := range names {
		if r.names(n) && (first == "" || n < first) {
			first = n
		}
	}
	return first
}

// v3NumericID: the call fetches a row by id, is_numeric($params['id'])
// (civicrm_api3_case_get's condition for its default extras).
func v3NumericID(p *Array) bool {
	switch v, _ := p.Get("id"); x := v.(type) {
	case Number:
		return true
	case string:
		return isNumericValue(x)
	}
	return false
}

// v3Named are the field names an APIv3 get's parameters name, in return
// (a string of names, a list, a map of name => 1, options.return,
// return.<name> keys), in sort options or as filter keys, each cut at its "-<location>"
// suffix; returned reports whether the call gives a return at all
// (_civicrm_api3_get_options_from_params). Besides every run of name
// characters, a string return yields the names CiviCRM derives from it
// (v3ReturnNames: "e mail" is email).
func v3Named(p *Array) (names map[string]bool, returned bool) {
	names = map[string]bool{}
	add := func(v any, keys bool) {
		var list []string
		switch x := v.(type) {
		case string:
			list = append(nameRuns(x), v3ReturnNames(x)...)
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

// v3ReturnNames are the field names CiviCRM reads in a string return:
// _civicrm_api3_get_options_from_params removes every space from it
// (str_replace, only the space: a tab or newline stays in the name), then
// explodes it on commas, and the query object cuts each name at its
// "-<location>" suffix. A name of anything but name characters is none of
// a field's.
func v3ReturnNames(s string) []string {
	var out []string
	for _, f := range strings.Split(strings.ReplaceAll(s, " ", ""), ",") {
		f, _, _ = strings.Cut(f, "-")
		if f != "" && entityName(f) {
			out = append(out, f)
		}
	}
	return out
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
