package translate

import "strings"

// Fields of an APIv4 entity whose value, or whose options, are other
// entities' rows: a field named in a call (select, where, having, orderBy,
// groupBy, a join's ON clause, a saved search's or display's fields, the
// keys a write's values, records or defaults give) reads or writes those
// entities under the call's own name, reported one level below the call as
// a join's read is (joins.go). From civicrm-core's spec providers and
// schema:
//
//   - fields a spec provider computes from another entity's table
//     (computedReads): selected, filtered or sorted on, or a path through
//     them, they answer that table's rows;
//   - a field whose pseudoconstant is another entity's table
//     (schema/*/*.entityType.php 'pseudoconstant' => ['table' => …]): with a
//     suffix (:label, :name, :description, :abbr, :color, :icon) its value is
//     that table's column, in a select, in a where (a lookup by it) or in a
//     write's keys (FormattingUtil resolves it to an id): a read of that
//     entity; getFields with loadOptions lists the table's rows. The
//     entity's rows of tableOptions say which; a foreign key in fkTargets is
//     such a field wherever it is (contact_id:label reads Contact, as
//     campaign_id:label reads Campaign), and so are optionTables' names. A
//     field whose options are an option group's (option_group_name:
//     status_id of an activity, gender_id) reads option values,
//     configuration every caller may see: not reported.
//
// A write's key naming a foreign key and one of its target's fields
// (DAOActionTrait::resolveFKValues: campaign_id.name) looks that row up: a
// read of the target.

// computedReads are, by entity (entityFieldKey; "*" for every entity), the
// fields a spec provider renders from other entities' tables, and those
// entities. APIv4 selects none of them unless named: FieldSpec's type is
// 'Extra' unless set, and an empty select or "*" is the 'Field' and
// 'Custom' fields alone (Api4SelectQuery::selectMatchingFields). From
// Civi/Api4/Service/Spec/Provider:
//
//   - ActivitySpecProvider: source_contact_id, target_contact_id,
//     assignee_contact_id and all_contact_id (renderSqlForActivityContactIds,
//     getActivityContactFilterSql), target_contact_count and
//     assignee_contact_count (getActivityContactCountSql) are subqueries on
//     civicrm_activity_contact; case_id (CiviCase's, rendered by
//     Joiner::getExtraJoinSql through ActivitySchemaMapSubscriber's join,
//     "SELECT case_id FROM civicrm_case_activity WHERE activity_id = …")
//     is the CaseActivity row's case;
//   - ContactSpecProvider: groups, a filter on the members of the groups
//     (getContactGroupSql: civicrm_group_contact and the smart groups'
//     cache, populateTemporaryTableWithContactsInGroups), GroupContact's
//     rows as APIv3's group filter is judged (v3returns.go); its options
//     (getGroupList) are the groups' titles: Group's; and the primary and
//     billing email, phone, address and IM (locationJoins), each
//     Joiner::getExtraJoinSql: the id of the joined record;
//   - GroupGetSpecProvider: contact_count (countContacts), COUNT from
//     civicrm_group_contact_cache, else civicrm_group_contact;
//   - ContributionGetSpecProvider: paid_amount and balance_amount
//     (calculateAmountPaid, calculateBalance), SUM over civicrm_financial_trxn
//     joined through civicrm_entity_financial_trxn;
//   - MailingGetSpecProvider: the stats_ counts (countIntendedRecipients,
//     countSuccessfulDeliveries, countMailingEvents) over the mailing's
//     queue (civicrm_mailing_event_queue joined to civicrm_mailing_job) and
//     each count's event table;
//   - TagFieldSpecProvider (the contacts and every entity the site's
//     tag_used_for option group names, Activity, Case, File, SavedSearch…:
//     site configuration, so every entity here): tags, selected the
//     record's civicrm_entity_tag tag ids (getTagSelectSql), in a where a
//     subquery on them (getTagFilterSql): EntityTag's rows; its options
//     (getTagList) are Tag's (its writes, saveTags' EntityTag::replace, are
//     fieldwrites.go's);
//   - ManagedEntitySpecProvider (every entity with the ManagedEntity trait):
//     has_base, base_module and local_modified_date are subqueries on
//     civicrm_managed.
//
// A path through one of them (source_contact_id.display_name,
// case_id.subject) reads what the field reads as well as its target.
// Written, they are fieldwrites.go's.
var computedReads = map[string]map[string][]string{
	"*": {
		"tags":                {"EntityTag"},
		"has_base":            {"Managed"},
		"base_module":         {"Managed"},
		"local_modified_date": {"Managed"},
	},
	"contact": {"groups": {"GroupContact"}},
	"activity": {
		"source_contact_id":      {"ActivityContact"},
		"target_contact_id":      {"ActivityContact"},
		"assignee_contact_id":    {"ActivityContact"},
		"all_contact_id":         {"ActivityContact"},
		"target_contact_count":   {"ActivityContact"},
		"assignee_contact_count": {"ActivityContact"},
		"case_id":                {"CaseActivity", "Case"},
	},
	"group": {"contact_count": {"GroupContact"}},
	"contribution": {
		"paid_amount":    {"FinancialTrxn", "EntityFinancialTrxn"},
		"balance_amount": {"FinancialTrxn", "EntityFinancialTrxn"},
	},
	"mailing": {
		"stats_intended_recipients":      {"MailingEventQueue", "MailingJob"},
		"stats_successful":               {"MailingEventDelivered", "MailingEventBounce", "MailingEventQueue", "MailingJob"},
		"stats_opens_total":              {"MailingEventOpened", "MailingEventQueue", "MailingJob"},
		"stats_opens_unique":             {"MailingEventOpened", "MailingEventQueue", "MailingJob"},
		"stats_clicks_total":             {"MailingEventTrackableURLOpen", "MailingEventQueue", "MailingJob"},
		"stats_clicks_unique":            {"MailingEventTrackableURLOpen", "MailingEventQueue", "MailingJob"},
		"stats_bounces":                  {"MailingEventBounce", "MailingEventQueue", "MailingJob"},
		"stats_unsubscribes":             {"MailingEventUnsubscribe", "MailingEventQueue", "MailingJob"},
		"stats_optouts":                  {"MailingEventUnsubscribe", "MailingEventQueue", "MailingJob"},
		"stats_optouts_and_unsubscribes": {"MailingEventUnsubscribe", "MailingEventQueue", "MailingJob"},
		"stats_forwards":                 {"MailingEventForward", "MailingEventQueue", "MailingJob"},
		"stats_replies":                  {"MailingEventReply", "MailingEventQueue", "MailingJob"},
	},
}

// computed is what the computed field name of entity reads (nil for none).
func computed(entity, name string) []string {
	key := entityFieldKey(entity)
	if key == "contact" {
		if t := locationJoins[strings.ToLower(name)]; t != "" {
			return []string{t}
		}
	}
	name = strings.ToLower(name)
	if r, ok := computedReads[key][name]; ok {
		return r
	}
	return computedReads["*"][name]
}

// optionTables are the fields, by name, that are no foreign key in
// fkTargets and whose pseudoconstant table is the same entity's wherever
// the schema has them: for an entity tableOptions does not list.
var optionTables = map[string]string{
	// Contribution, ContributionRecur, ContributionPage, Event, Pledge,
	// PCP, FinancialTrxn, FinancialItem, LineItem… (key_column name).
	"currency":     "Currency",
	"fee_currency": "Currency", // Participant
	// Contact, DedupeRuleGroup (key_column name).
	"contact_type":     "ContactType",
	"contact_sub_type": "ContactType",
	// Event and ContributionPage (serialized ids).
	"payment_processor": "PaymentProcessor",
}

// tableOption is one field whose options are another entity's rows.
type tableOption struct{ field, entity string }

// tableOptions are, by entity (entityFieldKey), the fields whose options
// are another entity's rows: schema/*/*.entityType.php's 'pseudoconstant'
// => ['table' => …] (the entity whose table it is), and the spec
// providers' groups and tags above. A field listed here is read so on that
// entity whatever fkTargets says (status_id is an option group's
// elsewhere); getFields with loadOptions and no name filter lists them all.
// An entity not listed lists none the edge knows of for loadOptions, and
// its fields' suffixes are read through fkTargets and optionTables.
var tableOptions = map[string][]tableOption{
	"contact":           {{"contact_type", "ContactType"}, {"contact_sub_type", "ContactType"}, {"groups", "Group"}, {"tags", "Tag"}},
	"activity":          {{"campaign_id", "Campaign"}, {"tags", "Tag"}},
	"case":              {{"case_type_id", "CaseType"}, {"tags", "Tag"}},
	"file":              {{"tags", "Tag"}},
	"savedsearch":       {{"tags", "Tag"}},
	"contribution":      {{"financial_type_id", "FinancialType"}, {"contribution_page_id", "ContributionPage"}, {"currency", "Currency"}, {"campaign_id", "Campaign"}},
	"contributionrecur": {{"financial_type_id", "FinancialType"}, {"campaign_id", "Campaign"}, {"currency", "Currency"}, {"payment_processor_id", "PaymentProcessor"}},
	"contributionpage":  {{"financial_type_id", "FinancialType"}, {"campaign_id", "Campaign"}, {"currency", "Currency"}, {"payment_processor", "PaymentProcessor"}},
	"contributionsoft":  {{"pcp_id", "PCP"}, {"currency", "Currency"}},
	"participant":       {{"status_id", "ParticipantStatusType"}, {"fee_currency", "Currency"}, {"campaign_id", "Campaign"}},
	"event": {{"financial_type_id", "FinancialType"}, {"payment_processor", "PaymentProcessor"}, {"campaign_id", "Campaign"}, {"currency", "Currency"},
		{"dedupe_rule_group_id", "DedupeRuleGroup"}},
	"membership":     {{"membership_type_id", "MembershipType"}, {"status_id", "MembershipStatus"}, {"campaign_id", "Campaign"}},
	"membershiplog":  {{"membership_type_id", "MembershipType"}, {"status_id", "MembershipStatus"}},
	"membershiptype": {{"financial_type_id", "FinancialType"}, {"domain_id", "Domain"}},
	"pledge":         {{"financial_type_id", "FinancialType"}, {"contribution_page_id", "ContributionPage"}, {"campaign_id", "Campaign"}, {"currency", "Currency"}},
	"grant":          {{"financial_type_id", "FinancialType"}, {"campaign_id", "Campaign"}, {"currency", "Currency"}},
	"survey":         {{"campaign_id", "Campaign"}, {"result_id", "OptionGroup"}},
	"campaigngroup":  {{"campaign_id", "Campaign"}},
	"campaign":       {{"parent_id", "Campaign"}},
	"mailing": {{"campaign_id", "Campaign"}, {"domain_id", "Domain"}, {"location_type_id", "LocationType"},
		{"header_id", "MailingComponent"}, {"footer_id", "MailingComponent"}},
	"mailingeventbounce":    {{"bounce_type_id", "BounceType"}},
	"mailingeventsubscribe": {{"group_id", "Group"}},
	"bouncepattern":         {{"bounce_type_id", "BounceType"}},
	"lineitem":              {{"price_field_id", "PriceField"}, {"price_field_value_id", "PriceFieldValue"}, {"financial_type_id", "FinancialType"}},
	"pricefield":            {{"price_set_id", "PriceSet"}},
	"pricefieldvalue":       {{"price_field_id", "PriceField"}, {"financial_type_id", "FinancialType"}, {"membership_type_id", "MembershipType"}},
	"priceset":              {{"financial_type_id", "FinancialType"}, {"domain_id", "Domain"}},
	"discount":              {{"price_set_id", "PriceSet"}},
	"financialtrxn": {{"from_financial_account_id", "FinancialAccount"}, {"to_financial_account_id", "FinancialAccount"},
		{"payment_processor_id", "PaymentProcessor"}, {"currency", "Currency"}},
	"financialitem":    {{"financial_account_id", "FinancialAccount"}, {"currency", "Currency"}},
	"paymentprocessor": {{"domain_id", "Domain"}, {"payment_processor_type_id", "PaymentProcessorType"}},
	"pcp":              {{"currency", "Currency"}},
	"address":          {{"location_type_id", "LocationType"}, {"country_id", "Country"}, {"state_province_id", "StateProvince"}, {"county_id", "County"}},
	"email":            {{"location_type_id", "LocationType"}},
	"phone":            {{"location_type_id", "LocationType"}},
	"im":               {{"location_type_id", "LocationType"}},
	"openid":           {{"location_type_id", "LocationType"}},
	"country":          {{"region_id", "WorldRegion"}},
	"group":            {{"parents", "Group"}, {"children", "Group"}},
	"groupcontact":     {{"group_id", "Group"}},
	"entitytag":        {{"tag_id", "Tag"}},
	"relationship":     {{"relationship_type_id", "RelationshipType"}},
	"relationshiptype": {{"contact_type_a", "ContactType"}, {"contact_type_b", "ContactType"}, {"contact_sub_type_a", "ContactType"}, {"contact_sub_type_b", "ContactType"}},
	"contacttype":      {{"parent_id", "ContactType"}},
	"deduperulegroup":  {{"contact_type", "ContactType"}},
	"tag":              {{"parent_id", "Tag"}},
	"optionvalue":      {{"option_group_id", "OptionGroup"}, {"component_id", "Component"}, {"domain_id", "Domain"}},
	"customfield":      {{"custom_group_id", "CustomGroup"}, {"option_group_id", "OptionGroup"}},
	"uffield":          {{"uf_group_id", "UFGroup"}},
	"ufjoin":           {{"uf_group_id", "UFGroup"}},
	"actionschedule":   {{"group_id", "Group"}},
	"navigation":       {{"domain_id", "Domain"}, {"parent_id", "Navigation"}},
	"menu":             {{"domain_id", "Domain"}, {"component_id", "Component"}},
	"setting":          {{"domain_id", "Domain"}, {"component_id", "Component"}},
	"mappingfield":     {{"location_type_id", "LocationType"}},
	"mailsettings":     {{"domain_id", "Domain"}, {"campaign_id", "Campaign"}},
	"dashboard":        {{"domain_id", "Domain"}},
	"job":              {{"domain_id", "Domain"}},
	"reportinstance":   {{"domain_id", "Domain"}},
	"smsprovider":      {{"domain_id", "Domain"}},
	"statuspreference": {{"domain_id", "Domain"}},
	"siteemailaddress": {{"domain_id", "Domain"}},
}

// entityFieldKey is the key of an entity in the tables above: lower case,
// the contact types' Contact.
func entityFieldKey(entity string) string {
	if isContactEntity(entity) {
		return "contact"
	}
	return strings.ToLower(entity)
}

// isContactEntity: Contact or a contact type (CoreUtil::isContact).
func isContactEntity(entity string) bool {
	for _, e := range contactEntities {
		if sameEntityName(entity, e) {
			return true
		}
	}
	return false
}

// optionTarget is the entity whose rows a field's options are, "" for a
// field of an option group or none.
func optionTarget(entity, name string) string {
	for _, o := range tableOptions[entityFieldKey(entity)] {
		if strings.EqualFold(o.field, name) {
			return o.entity
		}
	}
	if strings.EqualFold(name, "tags") {
		return "Tag"
	}
	if t, ok := fkTargets[name]; ok {
		return t
	}
	return optionTables[name]
}

// field reports what a field of entity (as the path reached it; known is
// false where the edge could not name it) reads: what it is computed from,
// and a suffix's option entity, looked up in a write scan. APIv3's fields
// are v3returns.go's.
func (s *joinScan) field(entity string, known bool, name, suffix, via string) bool {
	if !s.ok || !known || s.v3 || entity == "" {
		return s.ok
	}
	read := s.computed(entity, name, via, "")
	if suffix == "" || !s.ok {
		return s.ok
	}
	if t := optionTarget(entity, name); t != "" && !read[t] {
		return s.read(t, via)
	}
	return s.ok
}

// computed reports what the computed field name of entity reads
// (computedReads), but skip, the target of a path through it reported on
// its own; the entities reported. Written, the field is fieldwrites.go's.
func (s *joinScan) computed(entity, name, via, skip string) map[string]bool {
	if s.write || s.v3 {
		return nil
	}
	var done map[string]bool
	for _, e := range computed(entity, name) {
		if e == skip || !s.read(e, via) {
			continue
		}
		if done == nil {
			done = map[string]bool{}
		}
		done[e] = true
	}
	return done
}

// read reports a read of entity. In a write scan it is a lookup CiviCRM
// makes to turn a written label or a foreign key's field into an id: its
// answer is no label, only the id written (or an error), so it is judged
// as the write's own doing (Subcall.StartedBy): a deny rule on the entity
// refuses it, an allow rule admitting the write admits it.
func (s *joinScan) read(entity, via string) bool {
	write, own := s.write, s.ownAnswer
	s.write, s.ownAnswer = false, own || write
	ok := s.carried(entity, false, via, nil)
	s.write, s.ownAnswer = write, own
	return ok
}

// v4WriteLookups reports what the keys of an APIv4 write's values,
// records and defaults (v4WriteRows) make CiviCRM look up to write them: a
// suffix resolved through its option entity (campaign_id:name, tags:name),
// a foreign key resolved by one of its target's fields (campaign_id.name),
// and the same on a contact's location records
// (email_primary.location_type_id:name). Any value counts.
func (w *walker) v4WriteLookups(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	rows := v4WriteRows(sc)
	if rows == nil {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true, write: true}
	seen := map[string]bool{}
	for _, row := range rows {
		for i := 0; i < row.Len() && s.ok; i++ {
			key := row.Key(i)
			if seen[key] {
				continue
			}
			seen[key] = true
			name, suffix, _ := strings.Cut(key, ":")
			first, rest, dotted := strings.Cut(name, ".")
			switch {
			case !dotted:
				s.field(sc.Entity, true, name, suffix, "values")
			case strings.Contains(rest, "."):
				// Neither a location record's field nor resolveFKValues'
				// single hop: a custom group's, or nothing CiviCRM saves.
			case locationJoins[first] != "" && isContactEntity(sc.Entity):
				s.field(locationJoins[first], true, rest, suffix, "values")
			default:
				if target, fk := fkTargets[first]; fk && locationJoins[first] == "" {
					s.read(target, "values")
				}
			}
		}
	}
	return s.ok
}

// loadOptions reports what an APIv4 getFields with loadOptions lists:
// the options of the fields its where names (name = x, name IN [...]),
// or, without such a filter, of every field of the entity known to have
// another entity's options (tableOptions).
func (s *joinScan) loadOptions(sc Subcall) bool {
	if PHPEmpty(item(sc.Params, "loadOptions")) || sc.EntityDynamic {
		return s.ok
	}
	names, filtered := getFieldsNames(sc.Params)
	if !filtered {
		for _, o := range tableOptions[entityFieldKey(sc.Entity)] {
			names = append(names, o.field)
		}
	}
	for _, n := range names {
		if t := optionTarget(sc.Entity, n); t != "" && !s.read(t, "loadOptions") {
			return false
		}
	}
	return s.ok
}

// getFieldsNames are the field names a getFields' where restricts its
// answer to: ArrayQueryActionTrait's walkFilters keeps the rows whose
// name its top-level clauses on name with = or IN match (AND: each
// narrows; their union is what the edge reports). filtered is false
// without one, or with a clause the edge does not read: a group
// (v4Group, its first clause or a where that is one group as
// evaluateFilters reads it), another operator on name. The field and the
// operator are the exact strings: filterCompare reads $row['NAME'] as
// null, which IN [""] matches for every row, and knows no 'in'.
func getFieldsNames(params *Array) (names []string, filtered bool) {
	where, _ := item(params, "where").(*Array)
	if where.Len() > 0 && v4Group(where.Value(0)) {
		return nil, false
	}
	for i := 0; i < where.Len(); i++ {
		cl, _ := where.Value(i).(*Array)
		field, op, value := positional(cl)
		if v4Group(field) {
			return nil, false
		}
		if f, _ := field.(string); f != "name" {
			continue
		}
		switch op {
		case "=":
			v, isStr := value.(string)
			if !isStr {
				return nil, false
			}
			names = append(names, v)
		case "IN":
			list, isArr := value.(*Array)
			if !isArr {
				return nil, false
			}
			for k := 0; k < list.Len(); k++ {
				v, isStr := list.Value(k).(string)
				if !isStr {
					return nil, false
				}
				names = append(names, v)
			}
		default:
			return nil, false
		}
		filtered = true
	}
	return names, filtered
}
