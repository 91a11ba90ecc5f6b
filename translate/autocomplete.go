package translate

import "strings"

// What an autocomplete reads by CiviCRM's own configuration rather than by
// its parameters, which the client triggers by naming an entity, a
// formName or a fieldName (APIv4's AutocompleteAction, the subscribers that
// prepare it, and APIv3's old quick search), each reported one level below
// the call as a join's read is:
//
//   - the menubar quick search (Civi/Api4/Service/Autocomplete/ContactAutocompleteProvider.php
//     on_civi_api_prepare): any entity's autocomplete whose formName is
//     crmMenubar and fieldName crm-qsearch-input (compared with ===) is
//     overridden with a search of Contact (an EntitySet of Contact.get
//     sets, one per search field), whose filters are the client's Contact
//     fields and whose columns are the primary e-mail (includeEmailInName,
//     also searched), phone and address (the contact_autocomplete_options
//     setting);
//   - the default saved search of an autocomplete that names none
//     (civi.search.autocompleteDefault: ActivityAutocompleteProvider and
//     CaseAutocompleteProvider join the activity's or case's contacts,
//     ContributionAutocompleteProvider, ContributionRecurAutocompleteProvider
//     and PledgeAutocompleteProvider select contact_id's names;
//     MailingRecipientsAutocompleteProvider makes EntitySet's autocomplete
//     for crmMailing.<id> and Mailing.recipients_include or _exclude a
//     union of groups and mailings);
//   - the default display of an autocomplete that names none
//     (civi.search.defaultDisplay: the Activity provider's campaign and
//     case columns, Contribution's, ContributionRecur's, Participant's,
//     Phone's and Pledge's contact names, Participant's event title,
//     Relationship's contacts and type, Address's and StateProvince's
//     state and country names, a multi-record custom group's parent
//     entity's label, CustomValueAutocompleteProvider's entity_id, whose
//     entity the edge cannot name);
//   - an Afform's field (ext/afform AfformAutocompleteSubscriber: formName
//     afform:<form> and fieldName <entity>:<field>): the saved search and
//     display the form names, which the edge cannot see;
//   - APIv3 Contact.getquick (and Contact.quicksearch, which runs it):
//     civicrm_api3_contact_getquick searches and answers the primary
//     e-mail, phone and address by contact_autocomplete_options and
//     includeEmailInName, a custom field's table for a field_name custom_N,
//     civicrm_relationship_type for `rel` and civicrm_uf_match for cmsuser.
//
// What the site's settings add to the call's answer whatever the client
// asks (the columns, a provider's defaults, an Afform's search) is the
// call's own answer: an allow rule naming the client's entity and action
// admits it, deny rules judge it (Subcall.StartedBy). What the client
// chose by naming a trigger that searches another entity (the menubar's
// Contact search from another entity's autocomplete, the mailing
// recipients' union), or names itself (a filter, field_name), needs that
// entity allowed.

// menubarColumns are the quick search's settings-driven columns
// (includeEmailInName, contact_autocomplete_options 2 to 8).
var menubarColumns = [...]string{"email_primary.email", "phone_primary.phone", "address_primary.street_address",
	"address_primary.city", "address_primary.state_province_id:abbr", "address_primary.country_id:label",
	"address_primary.postal_code"}

// autocompleteSearches are the providers' default saved searches:
// entities joined (with their bridge) and the fields selected (a joined
// entity's own fields, through its alias, are its join's read).
var autocompleteSearches = []struct {
	entity string
	joins  []string
	fields []string
}{
	{"Activity", []string{"Contact", "ActivityContact"}, []string{"subject", "activity_date_time", "activity_type_id:label"}},
	{"Case", []string{"Contact", "CaseContact"}, []string{"subject", "case_type_id:label", "status_id:label", "start_date"}},
	{"Contribution", nil, []string{"contact_id.sort_name", "total_amount", "receive_date", "financial_type_id:label",
		"contribution_status_id:label"}},
	{"ContributionRecur", nil, []string{"contact_id.display_name", "frequency_unit:label", "frequency_interval", "amount",
		"start_date", "financial_type_id:label", "contribution_status_id:label"}},
	{"Pledge", nil, []string{"contact_id.sort_name", "amount", "start_date", "end_date", "financial_type_id:label"}},
}

// autocompleteDisplays are the fields of the providers' default displays
// (their columns' keys, rewrite tokens, icons and sort), by the saved
// search's entity; the contact types share Contact's.
var autocompleteDisplays = []struct {
	entity string
	fields []string
}{
	{"Contact", []string{"sort_name", "contact_sub_type:icon", "contact_type:icon", "contact_sub_type:label", "contact_type:label"}},
	{"Individual", []string{"sort_name", "contact_sub_type:icon", "contact_sub_type:label", "contact_type:label"}},
	{"Organization", []string{"sort_name", "contact_sub_type:icon", "contact_sub_type:label", "contact_type:label"}},
	{"Household", []string{"sort_name", "contact_sub_type:icon", "contact_sub_type:label", "contact_type:label"}},
	{"Activity", []string{"subject", "activity_type_id:icon", "activity_type_id:label", "status_id:label", "activity_date_time",
		"campaign_id.title", "case_id.subject"}},
	{"Case", []string{"subject", "case_type_id:label", "status_id:label", "start_date"}},
	{"Contribution", []string{"contact_id.sort_name", "total_amount", "receive_date", "financial_type_id:label",
		"contribution_status_id:label"}},
	{"ContributionRecur", []string{"contact_id.sort_name", "contact_id.display_name", "amount", "start_date",
		"financial_type_id:label", "frequency_unit:label", "frequency_interval"}},
	{"Participant", []string{"contact_id.sort_name", "contact_id.display_name", "event_id.title", "role_id:label", "status_id:label"}},
	{"Phone", []string{"contact_id.sort_name", "phone_numeric", "phone", "location_type_id:label", "phone_type_id:label"}},
	{"Pledge", []string{"contact_id.sort_name", "amount", "start_date", "end_date", "financial_type_id:label"}},
	{"Relationship", []string{"contact_id_a.sort_name", "contact_id_a.display_name", "relationship_type_id.label_a_b",
		"contact_id_b.display_name", "description"}},
	{"Address", []string{"street_address", "city", "state_province_id.name", "country_id.name"}},
	{"StateProvince", []string{"name", "country_id.name"}},
	{"ContactType", []string{"label", "icon", "description", "parent_id:label"}},
}

// autocompleteConfig reports what an APIv4 autocomplete reads by
// configuration (see above); p are its parameters.
func (s *joinScan) autocompleteConfig(p *Array) {
	entity := s.parent.Entity
	formName, _ := item(p, "formName").(string)
	fieldName, _ := item(p, "fieldName").(string)
	search := item(p, "savedSearch")
	if formName == "crmMenubar" && fieldName == "crm-qsearch-input" {
		s.menubar(p)
		return // the override replaces the search and the display
	}
	if PHPEmpty(search) {
		for _, d := range autocompleteSearches {
			if sameEntityName(entity, d.entity) {
				s.ownAnswer = true
				for _, j := range d.joins {
					s.carried(j, false, "join", nil)
				}
				for _, f := range d.fields {
					s.expr(f)
				}
				s.ownAnswer = false
			}
		}
		if sameEntityName(entity, "EntitySet") && strings.HasPrefix(formName, "crmMailing.") &&
			(fieldName == "Mailing.recipients_include" || fieldName == "Mailing.recipients_exclude") {
			for _, e := range [...]string{"Group", "Mailing", "MailingGroup", "SavedSearch"} {
				s.carried(e, false, "crmMailing", nil)
			}
		}
	}
	if PHPEmpty(item(p, "display")) {
		// The display's entity is the saved search's: the call's own, or
		// an inline search's api_entity.
		shown := entity
		if !PHPEmpty(search) {
			ss, _ := search.(*Array)
			shown, _ = item(ss, "api_entity").(string)
			shown = API4EntityName(shown)
		}
		s.ownAnswer = true
		for _, d := range autocompleteDisplays {
			if shown != "" && sameEntityName(shown, d.entity) {
				for _, f := range d.fields {
					s.expr(f)
				}
			}
		}
		if len(shown) > len(customPrefix) && strings.EqualFold(shown[:len(customPrefix)], customPrefix) {
			// CustomValueAutocompleteProvider: entity_id.<the extended
			// entity's search field>.
			s.carried("", true, "entity_id", nil)
		}
		s.ownAnswer = false
	}
	if kind, form, ok := strings.Cut(formName, ":"); ok && kind == "afform" {
		form, _, _ = strings.Cut(form, ":")
		ent, field, _ := strings.Cut(fieldName, ":")
		field, _, _ = strings.Cut(field, ":")
		if !PHPEmpty(form) && !PHPEmpty(ent) && !PHPEmpty(field) {
			// processAfformAutocomplete: the form's saved search and display.
			s.ownAnswer = true
			s.carried("", true, "formName", nil)
			s.ownAnswer = false
		}
	}
}

// menubar reports the quick search's override: a Contact search (its own
// when the call is a contact entity's), filtered by the client's filters,
// with the settings' columns.
func (s *joinScan) menubar(p *Array) {
	contact := false
	for _, e := range contactEntities {
		contact = contact || sameEntityName(s.parent.Entity, e)
	}
	if !contact {
		params := NewArray()
		if f, ok := item(p, "filters").(*Array); ok {
			g := NewArray()
			for i := 0; i < f.Len(); i++ {
				g.Append(f.Key(i))
			}
			params.Set("groupBy", g)
		}
		s.carried("Contact", false, "crmMenubar", params)
	}
	s.ownAnswer = true
	for _, f := range menubarColumns {
		s.expr(f)
	}
	s.ownAnswer = false
}

// quickSearch reports what APIv3 Contact.getquick reads besides contacts.
func (s *joinScan) quickSearch(params *Array) {
	field, _ := item(params, "field_name").(string)
	field = Munge(field)
	for _, l := range [...]struct {
		entity string
		fields []string
	}{
		{"Email", []string{"email"}},
		{"Phone", []string{"phone_numeric", "phone"}},
		{"Address", []string{"street_address", "city", "postal_code"}},
	} {
		via := "contact_autocomplete_options"
		for _, f := range l.fields {
			if field == f {
				via = "field_name"
			}
		}
		s.ownAnswer = via != "field_name"
		s.carried(l.entity, false, via, nil)
		s.ownAnswer = false
	}
	if strings.HasPrefix(field, "custom_") {
		s.carried("CustomValue", false, "field_name", nil)
	}
	if !PHPEmpty(item(params, "rel")) {
		s.carried("RelationshipType", false, "rel", nil)
	}
	if !PHPEmpty(item(params, "cmsuser")) {
		s.carried("UFMatch", false, "cmsuser", nil)
	}
}
