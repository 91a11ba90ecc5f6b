package translate

import (
	"strings"
	"testing"
)

// Actions that read contacts (and other entities) without being named get:
// each runs get of its own entity, and reports what else it reads
// (actionreads.go), as CiviCRM's code for it runs.
func TestActionReads(t *testing.T) {
	v3 := func(entity, action, params string) func(func(Subcall) bool) bool {
		c := ajaxCall(t, entity, action, params)
		return func(v func(Subcall) bool) bool { return WalkV3(c, v) }
	}
	v4 := func(entity, action, params string) func(func(Subcall) bool) bool {
		p := jsonArray(t, params)
		return func(v func(Subcall) bool) bool { return WalkV4(entity, action, p, nil, v) }
	}
	dedupe := []string{"  3 Address.get via match", "  3 Email.get via match", "  3 Phone.get via match",
		"  3 Website.get via match", "  3 OpenID.get via match", "  3 IM.get via match", "  3 Note.get via match",
		"  3 CustomValue.get via match"}
	cases := []struct {
		name string
		walk func(func(Subcall) bool) bool
		want []string
	}{
		// api/v3/Contact.php: duplicatecheck runs getDuplicateContacts on
		// the dedupe rule's tables, then Contact.get with `return`.
		{"v3 duplicatecheck", v3("Contact", "duplicatecheck", `{"match":{"contact_type":"Individual","email":"a@x.org"}}`),
			append([]string{"3 Contact.duplicatecheck", "  3 Contact.get"}, dedupe...)},
		{"v3 duplicatecheck in another case", v3("contact", "DuplicateCheck", `{"match":{"contact_type":"Individual"}}`),
			append([]string{"3 Contact.duplicatecheck", "  3 Contact.get"}, dedupe...)},
		{"v3 duplicatecheck without match runs nothing", v3("Contact", "duplicatecheck", `{"match":"x"}`),
			[]string{"3 Contact.duplicatecheck"}},
		{"v3 duplicatecheck chained", v3("Email", "get", `{"api.Contact.duplicatecheck":{"match":{"contact_type":"Individual"}}}`),
			append([]string{"3 Email.get", "  3 Contact.duplicatecheck", "    3 Contact.get"}, indent(dedupe)...)},
		{"v3 proximity reads addresses", v3("Contact", "proximity", `{"latitude":1,"longitude":2,"distance":3}`),
			[]string{"3 Contact.proximity", "  3 Contact.get", "  3 Address.get via proximity"}},
		{"v3 getmergedto reads activities", v3("Contact", "getmergedto", `{"contact_id":3}`),
			[]string{"3 Contact.getmergedto", "  3 Contact.get", "  3 ActivityContact.get via getmergedto", "  3 Activity.get via getmergedto"}},
		{"v3 getmergedfrom reads activities", v3("Contact", "getmergedfrom", `{"contact_id":3}`),
			[]string{"3 Contact.getmergedfrom", "  3 Contact.get", "  3 ActivityContact.get via getmergedfrom", "  3 Activity.get via getmergedfrom"}},
		// civicrm_api3_contact_getquick: primary e-mail, phone and
		// address by the site's settings (attack 11a), a custom field's
		// table, relationship types and CMS users by its parameters.
		{"v3 getquick is get and reads locations", v3("Contact", "getquick", `{"name":"a"}`),
			[]string{"3 Contact.getquick", "  3 Contact.get", "  3 Email.get via contact_autocomplete_options",
				"  3 Phone.get via contact_autocomplete_options", "  3 Address.get via contact_autocomplete_options"}},
		{"v3 quicksearch runs getquick", v3("Contact", "quicksearch", `{"name":"a","field_name":"email","rel":"1_a_b","cmsuser":1}`),
			[]string{"3 Contact.quicksearch", "  3 Contact.getquick", "  3 Contact.get", "  3 Email.get via field_name",
				"  3 Phone.get via contact_autocomplete_options", "  3 Address.get via contact_autocomplete_options",
				"  3 RelationshipType.get via rel", "  3 UFMatch.get via cmsuser"}},
		{"v3 getquick by a custom field", v3("Contact", "getquick", `{"name":"a","field_name":"custom_3"}`),
			[]string{"3 Contact.getquick", "  3 Contact.get", "  3 Email.get via contact_autocomplete_options",
				"  3 Phone.get via contact_autocomplete_options", "  3 Address.get via contact_autocomplete_options",
				"  3 CustomValue.get via field_name"}},
		{"v3 getunique and getrefcount are get", v3("Email", "getrefcount", `{"id":1}`), []string{"3 Email.getrefcount", "  3 Email.get"}},
		// Reads the site configures, which the client triggers by naming
		// a profile or a form (attack 11a, README's server-side
		// configuration): one read the edge cannot name.
		{"v3 Profile.get reads its profile's fields", v3("Profile", "get", `{"profile_id":1,"contact_id":3}`),
			[]string{"3 Profile.get", "  3 ~.get via profile_id"}},
		{"v3 Profile.getsingle runs it", v3("Profile", "getsingle", `{"profile_id":1,"contact_id":3}`),
			[]string{"3 Profile.getsingle", "  3 Profile.get", "  3 ~.get via profile_id"}},
		{"v4 Afform.prefill reads its form's entities", v4("Afform", "prefill", `{"name":"afformX","args":{"cid":3}}`),
			[]string{"4 Afform.prefill", "  4 ~.get via name"}},
		// api/v3/Mailing.php: clone is getsingle, then create of the copy.
		{"v3 Mailing.clone", v3("Mailing", "clone", `{"id":1}`),
			[]string{"3 Mailing.clone", "  3 Mailing.get", "  3 MailingGroup.get via clone", "  3 Mailing.create", "  3 MailingGroup.create ?"}},
		{"v3 Mailing.submit is an update with reload", v3("Mailing", "submit", `{"id":1,"scheduled_date":"now"}`),
			[]string{"3 Mailing.submit", "  3 Mailing.update", "  3 Mailing.get"}},
		// CRM_Dedupe_Merger::merge: the contacts' get, update and delete,
		// their location blocks and custom values, the merge activities.
		{"v3 Contact.merge", v3("Contact", "merge", `{"to_keep_id":2,"to_remove_id":3}`),
			append([]string{"3 Contact.merge", "  3 Contact.get", "  3 Contact.update", "  3 Contact.delete"}, mergeLines("  3 ")...)},
		{"v3 Job.process_batch_merge", v3("Job", "process_batch_merge", `{"mode":"aggressive"}`),
			append([]string{"3 Job.process_batch_merge", "  3 DedupeRuleGroup.get via rule_group_id", "  3 Contact.get via merge",
				"  3 Contact.update ?", "  3 Contact.delete ?"}, mergeLines("  3 ")...)},
		{"v3 Job.execute runs calls the edge cannot name", v3("Job", "execute", `{}`),
			[]string{"3 Job.execute", "  3 ~.~ ?"}},
		// civicrm_api3_generic_getoptions: campaign_id from Campaign.get.
		{"v3 getoptions campaign_id", v3("Contribution", "getoptions", `{"field":"campaign_id"}`),
			[]string{"3 Contribution.getoptions", "  3 Campaign.get via campaign_id"}},
		{"v3 getoptions of a campaign field's unique name", v3("Activity", "getoptions", `{"field":"activity_campaign_id","context":"get"}`),
			[]string{"3 Activity.getoptions", "  3 Campaign.get via campaign_id"}},
		// _civicrm_api3_api_resolve_alias first (attack 11a): a name
		// whose name_id is a field, a unique name with or without _id.
		{"v3 getoptions of campaign, resolved to campaign_id", v3("Contribution", "getoptions", `{"field":"campaign"}`),
			[]string{"3 Contribution.getoptions", "  3 Campaign.get via campaign_id"}},
		{"v3 getoptions of a unique name without its _id", v3("Contribution", "getoptions", `{"field":"contribution_campaign"}`),
			[]string{"3 Contribution.getoptions", "  3 Campaign.get via campaign_id"}},
		{"v3 getoptions of campaign, chained", v3("Contact", "get", `{"return":"id","api.Activity.getoptions":{"field":"campaign"}}`),
			[]string{"3 Contact.get", "  3 Activity.getoptions", "    3 Campaign.get via campaign_id"}},
		{"v3 getfield loading campaign's options", v3("Event", "getfield", `{"name":"campaign","action":"get","get_options":"get"}`),
			[]string{"3 Event.getfield", "  3 Campaign.get via get_options"}},
		{"control: v3 getfield without get_options", v3("Event", "getfield", `{"name":"campaign","action":"get"}`),
			[]string{"3 Event.getfield"}},
		{"control: names PHP's keys do not resolve", v3("Contribution", "getoptions", `{"field":"Campaign"}`),
			[]string{"3 Contribution.getoptions"}},
		// Every field whose options are another entity's rows, from the
		// BAO's pseudoconstant table: what APIv4's loadOptions reports for
		// the same field (fieldreads.go's optionTarget).
		{"v3 getoptions of another entity's table", v3("Contribution", "getoptions", `{"field":"financial_type_id"}`),
			[]string{"3 Contribution.getoptions", "  3 FinancialType.get via financial_type_id"}},
		{"v3 getoptions by an api.aliases name", v3("Event", "getoptions", `{"field":"contribution_type_id"}`),
			[]string{"3 Event.getoptions", "  3 FinancialType.get via financial_type_id"}},
		{"v3 getoptions by a unique name", v3("Participant", "getoptions", `{"field":"participant_status_id"}`),
			[]string{"3 Participant.getoptions", "  3 ParticipantStatusType.get via status_id"}},
		{"control: v3 getoptions of an option group's field", v3("Contribution", "getoptions", `{"field":"contribution_status_id"}`),
			[]string{"3 Contribution.getoptions"}},
		{"v3 getfields loading every field's options", v3("Contribution", "getfields", `{"options":{"get_options":"all"}}`),
			[]string{"3 Contribution.getfields", "  3 FinancialType.get via get_options", "  3 ContributionPage.get via get_options",
				"  3 Currency.get via get_options", "  3 Campaign.get via get_options"}},
		{"v3 getfields loading campaign_id's options", v3("Contribution", "getfields", `{"options":{"get_options":["campaign_id"]}}`),
			[]string{"3 Contribution.getfields", "  3 Campaign.get via get_options"}},
		{"control: v3 getfields", v3("Contribution", "getfields", `{"options":{"get_options":"status_id"}}`),
			[]string{"3 Contribution.getfields"}},
		{"control: v3 duplicatecheck of another entity is no dedupe", v3("Email", "duplicatecheck", `{"match":{}}`),
			[]string{"3 Email.duplicatecheck"}},

		// Civi/Api4/Action/Contact/GetDuplicates.php: findDuplicates with the
		// values sorted by table (formatDedupeParams), the rule group read.
		{"v4 getDuplicates", v4("Contact", "getDuplicates", `{"dedupeRule":"Individual.Supervised","values":{"first_name":"A","email_primary.email":"a@x.org","phone_primary.phone":"1","Extra.colour":"red","address_primary.Geo.zone:label":"n","custom_3":"x","employer_id.name":"o"}}`),
			[]string{"4 Contact.getDuplicates", "  4 Contact.get", "  4 DedupeRuleGroup.get via dedupeRule",
				"  4 Email.get via values", "  4 Phone.get via values", "  4 Custom_Extra.get via values",
				"  4 Address.get via values", "  4 Custom_Geo.get via values",
				"  4 CustomValue.get via values"}},
		{"v4 getDuplicates of a contact type, any case", v4("Individual", "getduplicates", `{"values":{"im_primary.name":"x"}}`),
			[]string{"4 Individual.getduplicates", "  4 Individual.get", "  4 DedupeRuleGroup.get via dedupeRule", "  4 IM.get via values"}},
		{"v4 getDuplicates, no values", v4("Contact", "getDuplicates", `{}`),
			[]string{"4 Contact.getDuplicates", "  4 Contact.get", "  4 DedupeRuleGroup.get via dedupeRule"}},
		{"v4 getDuplicates chained", v4("Email", "get", `{"chain":{"d":["Contact","getDuplicates",{"values":{"email_primary.email":"$email"}}]}}`),
			[]string{"4 Email.get", "  4 Contact.getDuplicates", "    4 Contact.get", "    4 DedupeRuleGroup.get via dedupeRule", "    4 Email.get via values"}},
		{"v4 getMergedTo", v4("Contact", "getMergedTo", `{"contactId":3}`),
			[]string{"4 Contact.getMergedTo", "  4 Contact.get", "  4 ActivityContact.get via getMergedTo", "  4 Activity.get via getMergedTo"}},
		{"v4 getMergedFrom", v4("Contact", "getmergedfrom", `{"contactId":3}`),
			[]string{"4 Contact.getmergedfrom", "  4 Contact.get", "  4 ActivityContact.get via getmergedfrom", "  4 Activity.get via getmergedfrom"}},
		{"v4 export reads the record and what references it", v4("SavedSearch", "export", `{"id":3}`),
			[]string{"4 SavedSearch.export", "  4 SavedSearch.get", "  4 ~.get via export"}},
		{"v4 Contact.mergeDuplicates", v4("Contact", "mergeDuplicates", `{"contactId":2,"duplicateId":3}`),
			append([]string{"4 Contact.mergeDuplicates", "  4 Contact.get", "  4 Contact.update", "  4 Contact.delete"}, mergeLines("  4 ")...)},
		{"v4 revert selects its rows and rewrites them", v4("SavedSearch", "revert", `{"where":[["id",">",0]]}`),
			[]string{"4 SavedSearch.revert", "  4 SavedSearch.get", "  4 SavedSearch.update"}},
		{"control: v4 checkAccess reads no rows", v4("Contact", "checkAccess", `{"action":"update","values":{"id":3}}`),
			[]string{"4 Contact.checkAccess"}},
		{"control: v4 getLinks reads no rows", v4("Contact", "getLinks", `{"values":{"id":3}}`),
			[]string{"4 Contact.getLinks"}},
		{"control: v4 getDuplicates of another entity", v4("Email", "getDuplicates", `{"values":{"email":"a"}}`),
			[]string{"4 Email.getDuplicates"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := collect(tc.walk); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func indent(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = "  " + l
	}
	return out
}

// mergeLines are what merges reports of a merge's other entities.
func mergeLines(prefix string) []string {
	var out []string
	for _, e := range mergeLocations {
		out = append(out, prefix+e+".get via merge", prefix+e+".update ?")
		if e == "Email" {
			// A saved e-mail's copy in UFMatch (fieldwrites.go's Own row).
			out = append(out, "  "+prefix+"UFMatch.update ?", "  "+prefix+"User.update ?")
		}
		out = append(out, prefix+e+".delete ?")
	}
	out = append(out, prefix+"CustomValue.get via merge", prefix+"CustomValue.create ?", prefix+"CustomValue.update ?",
		prefix+"CustomValue.delete ?", prefix+"Activity.create ?")
	return out
}

// Order.create's line items save other entities before the contribution
// (v3OrderLines, v4OrderLines), judged as the calls CiviCRM makes:
// civicrm_api3_order_create's Participant and Membership creates with the
// line's params (chains included), CRM_Financial_BAO_Order::saveLineItemEntity's
// APIv4 save of the entity_table's entity with entity_id and entity_id.*.
func TestWalkOrderLines(t *testing.T) {
	v3 := func(lines string) []string {
		return v3Walk(ajaxCall(t, "Order", "create", `{"contact_id":3,"financial_type_id":1,"total_amount":50,"line_items":`+lines+`}`))
	}
	v4 := func(params string) []string { return v4Walk(t, "Order", "create", params) }
	v4Batch := func(calls string) []string {
		c := jsonArray(t, calls)
		return collect(func(v func(Subcall) bool) bool { return WalkV4Batch(c, v) })
	}
	line := func(table string) string {
		return `[{"entity_table":"` + table + `","price_field_id":1,"price_field_value_id":1,"qty":1,"unit_price":50,"line_total":50}]`
	}
	cv := `"contributionValues":{"contact_id":3,"financial_type_id":1}`
	cases := []struct {
		name string
		got  []string
		want []string
	}{
		{"v3 participant line: Participant.create with its params, then the contribution",
			v3(`[{"params":{"contact_id":3,"event_id":1},"line_item":` + line("civicrm_participant") + `}]`),
			[]string{"3 Order.create", "  3 Participant.create", "  3 Membership.create", "  3 Contribution.create"}},
		{"v3 membership line with a chain in its params: civicrm_api3() runs the kernel's chains",
			v3(`[{"params":{"contact_id":3,"membership_type_id":1,"api.Contact.delete":{"id":4}},"line_item":` + line("civicrm_membership") + `}]`),
			[]string{"3 Order.create", "  3 Membership.create", "    3 Contact.delete", "  3 Contribution.create"}},
		{"v3 a line naming membership_type_id (even empty) is what its entity_table says",
			v3(`[{"params":{"contact_id":3,"event_id":1},"line_item":[{"entity_table":"civicrm_participant","price_field_value_id":1,"membership_type_id":""}]}]`),
			[]string{"3 Order.create", "  3 Participant.create", "  3 Contribution.create"}},
		{"v3 a membership type on a contribution line makes it a membership's",
			v3(`[{"params":{"contact_id":3,"id":7},"line_item":[{"entity_table":"civicrm_contribution","membership_type_id":2}]}]`),
			[]string{"3 Order.create", "  3 Membership.create", "    3 Membership.update", "  3 Contribution.create"}},
		{"v3 getLineItemEntity removes every civicrm_; any line of the element counts; a name is looked up",
			v3(`[{"params":{"contact_id":3,"status_id":"Registered"},"line_item":[{"entity_table":"civicrm_contribution","membership_type_id":0},{"entity_table":"participant","membership_type_id":0}]}]`),
			[]string{"3 Order.create", "  3 Participant.create", "    3 ParticipantStatusType.get via status_id", "  3 Contribution.create"}},
		{"control: v3 empty params, contribution lines, a pledge's", v3(`[{"params":[],"line_item":` + line("civicrm_participant") + `},` +
			`{"params":{"contact_id":3},"line_item":[{"entity_table":"civicrm_contribution","membership_type_id":0}]},` +
			`{"params":{"pledge_id":3},"line_item":[{"entity_table":"civicrm_pledge","membership_type_id":0}]}]`),
			[]string{"3 Order.create", "  3 Contribution.create"}},
		{"v3 chained below a contact", v3CallsWalk(ajaxCall(t, "Contact", "get", `{"id":3,"api.Order.create":{"financial_type_id":1,"line_items":[{"params":{"event_id":1},"line_item":[{"entity_table":"civicrm_participant","membership_type_id":0}]}]}}`)),
			[]string{"3 Contact.get", "  3 Order.create", "    3 Participant.create", "    3 Contribution.create"}},

		{"v4 a line with membership_type_id saves a membership, contribution values carried over",
			v4(`{` + cv + `,"lineItems":[{"membership_type_id":1,"qty":1,"unit_price":50,"line_total":50}]}`),
			[]string{"4 Order.create", "  4 Membership.save", "    4 Membership.create", "  4 Contribution.create"}},
		{"v4 a participant line's entity_id.* values",
			v4(`{` + cv + `,"lineItems":[{"entity_table":"civicrm_participant","entity_id.event_id":1,"membership_type_id":null,"price_field_value_id":0}]}`),
			[]string{"4 Order.create", "  4 Participant.save", "    4 Participant.create", "  4 Contribution.create"}},
		{"v4 any entity by entity_table: entity_id makes it an update",
			v4(`{` + cv + `,"lineItems":[{"entity_table":"civicrm_contact","entity_id":4,"entity_id.is_deceased":true}]}`),
			[]string{"4 Order.create", "  4 Contact.save", "    4 Membership.update ?", "    4 Contact.update", "  4 Contribution.create"}},
		{"v4 the contribution's id carried over is the record's",
			v4(`{"contributionValues":{"id":9,"contact_id":3},"lineItems":[{"entity_table":"civicrm_note","entity_id.note":"x"}]}`),
			[]string{"4 Order.create", "  4 Note.save", "    4 Note.update", "  4 Contribution.create"}},
		{"v4 a foreign key's field in entity_id.* is looked up",
			v4(`{` + cv + `,"lineItems":[{"entity_table":"civicrm_uf_match","entity_id":2,"entity_id.contact_id.display_name":"x"}]}`),
			[]string{"4 Order.create", "  4 User.save", "    4 Contact.get via values", "    4 User.update", "  4 Contribution.create"}},
		{"v4 a table the edge cannot tell: a save of an entity it cannot name",
			v4(`{` + cv + `,"lineItems":[{"entity_table":"civicrm_value_extra","entity_id":2,"entity_id.colour":"red"},` +
				`{"entity_table":"civicrm_contact_en_US","entity_id":2,"entity_id.x":1},{"entity_table:name":"Contact","entity_id":2,"entity_id.x":1}]}`),
			[]string{"4 Order.create", "  4 ~.save", "    4 ~.update", "  4 ~.save", "    4 ~.update", "  4 ~.save", "    4 ~.update", "  4 Contribution.create"}},
		{"v4 LineItems is lineItems (setLineItems), in a chain and a batch",
			v4Batch(`[["Contact","get",{"chain":{"o":["Order","create",{` + cv + `,"LineItems":[{"entity_table":"civicrm_phone","entity_id.phone":"1"}]}]}}]]`),
			[]string{"[0] 4 Contact.get", "  [0] 4 Order.create", "    [0] 4 Phone.save", "      [0] 4 Phone.create", "    [0] 4 Contribution.create"}},
		{"v4 contributionRecurValues: a ContributionRecur create first; the membership and the contribution linked to it",
			v4(`{` + cv + `,"contributionRecurValues":{"contact_id":3,"amount":10,"campaign_id.name":"x"},"lineItems":[` +
				`{"entity_table":"civicrm_membership","entity_id.contact_id":3},{"entity_table":"civicrm_membership","entity_id":5},{"entity_table":"civicrm_participant","entity_id":6}]}`),
			[]string{"4 Order.create", "  4 ContributionRecur.create", "    4 Campaign.get via values", "  4 Membership.save", "    4 Membership.create",
				"  4 Membership.save", "    4 Membership.update", "  4 Contribution.create", "    4 ContributionRecur.update ?"}},
		{"v4 ContributionRecurValues is contributionRecurValues (__call), in a chain and a batch",
			v4Batch(`[["Contact","get",{"chain":{"o":["Order","create",{` + cv + `,"ContributionRecurValues":{"amount":1}}]}}]]`),
			[]string{"[0] 4 Contact.get", "  [0] 4 Order.create", "    [0] 4 ContributionRecur.create", "    [0] 4 Contribution.create", "      [0] 4 ContributionRecur.update ?"}},
		{"control: v4 empty or no contributionRecurValues (getContributionRecurValues: none), a membership with an id alone",
			v4(`{` + cv + `,"contributionRecurValues":[],"lineItems":[{"entity_table":"civicrm_membership","entity_id":5}]}`),
			[]string{"4 Order.create", "  4 Contribution.create"}},
		{"v4 a listed table: civicrm_status_pref is StatusPreference, civicrm_mailing_bounce_type BounceType; civicrm_eck_* none of core's",
			v4(`{` + cv + `,"lineItems":[{"entity_table":"civicrm_status_pref","entity_id":1,"entity_id.ignore_severity":7},` +
				`{"entity_table":"civicrm_mailing_bounce_type","entity_id":1,"entity_id.hold_threshold":9},{"entity_table":"civicrm_eck_thing","entity_id":1,"entity_id.title":"x"}]}`),
			[]string{"4 Order.create", "  4 StatusPreference.save", "    4 StatusPreference.update", "  4 BounceType.save", "    4 BounceType.update",
				"  4 ~.save", "    4 ~.update", "  4 Contribution.create"}},
		{"control: v4 contribution lines, entity_id alone, no table",
			v4(`{` + cv + `,"lineItems":[{"entity_table":"civicrm_contribution","membership_type_id":0},{"entity_table":"civicrm_contact","entity_id":4},{"qty":1},"x"]}`),
			[]string{"4 Order.create", "  4 Contribution.create"}},
	}
	for _, tc := range cases {
		if !sameLines(tc.got, tc.want) {
			t.Errorf("%s:\n got  %s\n want %s", tc.name, strings.Join(tc.got, "\n      "), strings.Join(tc.want, "\n      "))
		}
	}
	// The line's params are the create's own: a check_permissions in
	// them turns its checks off (no REST default is merged in).
	off := ""
	WalkV3(ajaxCall(t, "Order", "create", `{"line_items":[{"params":{"contact_id":3,"check_permissions":0},"line_item":[{"entity_table":"civicrm_participant"}]}]}`),
		func(sc Subcall) bool {
			if sc.Entity == "Participant" {
				off = sc.ChecksOff
			}
			return true
		})
	if off != CheckPermissionsV3 {
		t.Errorf("a line's check_permissions 0: ChecksOff %q", off)
	}
}
