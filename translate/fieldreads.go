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
//   - groups (Civi\Api4\Service\Spec\Provider\ContactSpecProvider, the get
//     action of Contact and of the contact types): a filter whose SQL
//     (getContactGroupSql) is the contacts in the given groups, read from
//     civicrm_group_contact and the smart groups' cache by
//     CRM_Contact_BAO_GroupContactCache::populateTemporaryTableWithContactsInGroups:
//     GroupContact's rows, as APIv3's group filter is judged (v3returns.go);
//     its options (getGroupList) are the groups' titles: Group's;
//   - tags (TagFieldSpecProvider, get, create and update of the contacts
//     and of every entity the site's tag_used_for option group names,
//     Activity, Case, File, SearchKit's SavedSearch, an extension's…: site
//     configuration, so every entity here): selected, GROUP_CONCAT of the
//     record's civicrm_entity_tag tag ids (getTagSelectSql); in a where, a
//     subquery on them (getTagFilterSql): EntityTag's rows; its options
//     (getTagList, EntityTag's tag_id options) are Tag's (its writes,
//     saveTags' EntityTag::replace, are fieldwrites.go's);
//   - a field whose pseudoconstant is another entity's table
//     (schema/*/*.entityType.php 'pseudoconstant' => ['table' => …]): with a
//     suffix (:label, :name, :description, :abbr, :color, :icon) its value is
//     that table's column, in a select, in a where (a lookup by it) or in a
//     write's keys (FormattingUtil resolves it to an id): a read of that
//     entity; getFields with loadOptions lists the table's rows. A foreign
//     key in fkTargets is such a field (contact_id:label reads Contact, as
//     campaign_id:label reads Campaign); the others are optionTables and
//     entityOptionTables. A field whose options are an option group's
//     (option_group_name: status_id of an activity, gender_id) reads option
//     values, configuration every caller may see: not reported.
//
// A write's key naming a foreign key and one of its target's fields
// (DAOActionTrait::resolveFKValues: campaign_id.name) looks that row up: a
// read of the target.

// optionTables are the fields, by name, that are no foreign key in
// fkTargets and whose pseudoconstant table is the same entity's wherever
// the schema has them.
var optionTables = map[string]string{
	// Contribution, ContributionRecur, ContributionPage, Event, Pledge,
	// FinancialTrxn, FinancialItem, LineItem… (key_column name).
	"currency":     "Currency",
	"fee_currency": "Currency", // Participant
	// Contact (key_column name).
	"contact_type":     "ContactType",
	"contact_sub_type": "ContactType",
	// Event and ContributionPage (serialized ids).
	"payment_processor": "PaymentProcessor",
}

// entityOptionTables are the fields whose pseudoconstant table depends on
// the entity that has them (status_id is an option group's elsewhere).
var entityOptionTables = map[string]map[string]string{
	"membership":    {"status_id": "MembershipStatus"},
	"membershiplog": {"status_id": "MembershipStatus"},
	"participant":   {"status_id": "ParticipantStatusType"},
	"tag":           {"parent_id": "Tag"},
	"campaign":      {"parent_id": "Campaign"},
	"contacttype":   {"parent_id": "ContactType"},
}

// entityOptionFields are, for getFields with loadOptions on an entity
// without a name filter, the fields of the main core entities whose
// options are another entity's rows (schema/*/*.entityType.php, the spec
// providers above); an entity not listed lists none the edge knows of.
var entityOptionFields = map[string][]string{
	"contact":           {"contact_type", "contact_sub_type", "groups", "tags"},
	"activity":          {"campaign_id", "tags"},
	"case":              {"case_type_id", "tags"},
	"file":              {"tags"},
	"savedsearch":       {"tags"},
	"contribution":      {"financial_type_id", "contribution_page_id", "currency", "campaign_id"},
	"contributionrecur": {"financial_type_id", "campaign_id", "currency", "payment_processor_id"},
	"contributionpage":  {"financial_type_id", "campaign_id", "currency", "payment_processor"},
	"contributionsoft":  {"pcp_id", "currency"},
	"participant":       {"status_id", "fee_currency", "campaign_id"},
	"event":             {"financial_type_id", "payment_processor", "campaign_id", "currency"},
	"membership":        {"membership_type_id", "status_id", "campaign_id"},
	"membershiplog":     {"membership_type_id", "status_id"},
	"membershiptype":    {"financial_type_id", "domain_id"},
	"pledge":            {"financial_type_id", "contribution_page_id", "campaign_id", "currency"},
	"grant":             {"financial_type_id", "campaign_id", "currency"},
	"survey":            {"campaign_id"},
	"campaigngroup":     {"campaign_id"},
	"campaign":          {"parent_id"},
	"mailing":           {"campaign_id", "domain_id", "location_type_id"},
	"lineitem":          {"price_field_id", "price_field_value_id", "financial_type_id"},
	"pricefield":        {"price_set_id"},
	"pricefieldvalue":   {"price_field_id", "financial_type_id", "membership_type_id"},
	"priceset":          {"financial_type_id", "domain_id"},
	"financialtrxn":     {"from_financial_account_id", "to_financial_account_id", "payment_processor_id", "currency"},
	"financialitem":     {"financial_account_id", "currency"},
	"address":           {"location_type_id", "country_id", "state_province_id", "county_id"},
	"email":             {"location_type_id"},
	"phone":             {"location_type_id"},
	"im":                {"location_type_id"},
	"openid":            {"location_type_id"},
	"groupcontact":      {"group_id"},
	"entitytag":         {"tag_id"},
	"relationship":      {"relationship_type_id"},
	"tag":               {"parent_id"},
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
	switch {
	case strings.EqualFold(name, "groups") && isContactEntity(entity):
		return "Group"
	case strings.EqualFold(name, "tags"):
		return "Tag"
	}
	if t, ok := fkTargets[name]; ok {
		return t
	}
	if t, ok := entityOptionTables[entityFieldKey(entity)][name]; ok {
		return t
	}
	return optionTables[name]
}

// field reports what a field of entity (as the path reached it; known is
// false where the edge could not name it) reads: groups, tags, and a
// suffix's option entity, looked up in a write scan. APIv3's fields are
// v3returns.go's.
func (s *joinScan) field(entity string, known bool, name, suffix, via string) bool {
	if !s.ok || !known || s.v3 || entity == "" {
		return s.ok
	}
	switch {
	case strings.EqualFold(name, "groups") && isContactEntity(entity) && !s.write:
		if !s.read("GroupContact", via) {
			return false
		}
	case strings.EqualFold(name, "tags") && !s.write:
		// Written, fieldwrites.go's table reports it.
		if !s.read("EntityTag", via) {
			return false
		}
	}
	if suffix == "" {
		return s.ok
	}
	if t := optionTarget(entity, name); t != "" {
		return s.read(t, via)
	}
	return s.ok
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
// another entity's options (entityOptionFields).
func (s *joinScan) loadOptions(sc Subcall) bool {
	if PHPEmpty(item(sc.Params, "loadOptions")) || sc.EntityDynamic {
		return s.ok
	}
	names, filtered := getFieldsNames(sc.Params)
	if !filtered {
		names = entityOptionFields[entityFieldKey(sc.Entity)]
	}
	for _, n := range names {
		if t := optionTarget(sc.Entity, n); t != "" && !s.read(t, "loadOptions") {
			return false
		}
	}
	return s.ok
}

// getFieldsNames are the field names a getFields' where restricts it to:
// its top-level clauses on name with = or IN (AND: each narrows; their
// union is what the edge reports). filtered is false without one, or
// with a clause the edge does not read (OR, NOT, another operator on name).
func getFieldsNames(params *Array) (names []string, filtered bool) {
	where, _ := item(params, "where").(*Array)
	for i := 0; i < where.Len(); i++ {
		cl, _ := where.Value(i).(*Array)
		field, op, value := positional(cl)
		f, _ := field.(string)
		if !strings.EqualFold(f, "name") {
			if f == "OR" || f == "NOT" || f == "AND" {
				return nil, false
			}
			continue
		}
		switch o, _ := op.(string); {
		case o == "=":
			v, isStr := value.(string)
			if !isStr {
				return nil, false
			}
			names = append(names, v)
		case strings.EqualFold(o, "IN"):
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
