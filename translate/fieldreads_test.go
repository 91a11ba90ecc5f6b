package translate

import (
	"strings"
	"testing"
)

// describeStarted is describe with the call a subcall is started by
// (Subcall.StartedBy), which the rules admit with that call.
func describeStarted(sc Subcall) string {
	d := describe(sc)
	if sc.StartedBy != "" {
		d += " by " + sc.StartedBy + "." + sc.StartedByAction
	}
	return d
}

func v4WalkStarted(t *testing.T, entity, action, params string) []string {
	p := jsonArray(t, params)
	var out []string
	WalkV4(entity, action, p, nil, func(sc Subcall) bool {
		out = append(out, describeStarted(sc))
		return true
	})
	return out
}

// Fields whose value or options are other entities' rows (attack 11c):
// Contact's groups filter (GroupContact), every entity's tags (EntityTag,
// written too), a suffix on a field whose options are another entity's
// table (campaign_id:label is Campaign's), getFields loadOptions. Every row
// names its class.
func TestWalkFieldReadsV4(t *testing.T) {
	cases := []struct {
		class          string
		entity, action string
		params         string
		want           []string
	}{
		{"groups filter", "Contact", "get", `{"select":["id"],"where":[["groups","IN",[1]]]}`,
			[]string{"4 Contact.get", "  4 GroupContact.get via groups"}},
		{"groups filter of a contact type, named in lower case", "individual", "get", `{"where":[["groups","NOT IN",[1]]]}`,
			[]string{"4 individual.get", "  4 GroupContact.get via groups"}},
		{"groups filter nested in OR and NOT, and in having and orderBy", "Contact", "get",
			`{"where":[["OR",[["NOT",["groups","IN",[1]]],["id","=",0]]]],"having":[["groups","IN",[2]]],"orderBy":{"groups":"ASC"}}`,
			[]string{"4 Contact.get", "  4 GroupContact.get via groups", "  4 GroupContact.get via groups", "  4 GroupContact.get via groups"}},
		{"groups with a suffix: the groups' names too", "Contact", "get", `{"where":[["groups:name","IN",["Admins"]]]}`,
			[]string{"4 Contact.get", "  4 GroupContact.get via groups:name", "  4 Group.get via groups:name"}},
		{"groups through a foreign key", "Email", "get", `{"where":[["contact_id.groups","IN",[1]]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.groups", "  4 GroupContact.get via contact_id.groups"}},
		{"groups of a joined contact, in an ON clause", "Email", "get", `{"join":[["Individual AS i","LEFT",["i.groups","IN",[1]]]]}`,
			[]string{"4 Email.get", "  4 Individual.get via join", "  4 GroupContact.get via i.groups"}},
		{"groups in an autocomplete's filters", "Contact", "autocomplete", `{"input":"","filters":{"groups":[1]}}`,
			[]string{"4 Contact.autocomplete", "  4 Contact.get via savedSearch", "    4 GroupContact.get via groups",
				// ContactAutocompleteProvider's default display (autocomplete.go).
				"  4 ContactType.get via contact_sub_type:icon by Contact.autocomplete", "  4 ContactType.get via contact_type:icon by Contact.autocomplete",
				"  4 ContactType.get via contact_sub_type:label by Contact.autocomplete", "  4 ContactType.get via contact_type:label by Contact.autocomplete"}},
		{"groups in an inline saved search", "SearchDisplay", "run", `{"savedSearch":{"api_entity":"Contact","api_params":{"where":[["groups","IN",[1]]]}}}`,
			[]string{"4 SearchDisplay.run", "  4 Contact.get via savedSearch", "    4 GroupContact.get via groups"}},
		{"control: no groups field on another entity", "Activity", "get", `{"where":[["groups","IN",[1]]]}`,
			[]string{"4 Activity.get"}},

		// "@user:<name>" is resolved through the CMS user and its UFMatch row
		// (FormattingUtil::formatInputValue -> resolveContactID).
		{"a contact id given as @user:<name> in where", "Contact", "get", `{"where":[["OR",[["id","=",3],["id","IN",["@user:admin"]]]]]}`,
			[]string{"4 Contact.get", "  4 UFMatch.get via id", "  4 User.get via id"}},
		{"@user in a written value is the write's own lookup", "Activity", "save", `{"records":[{"activity_type_id":1}],"defaults":{"source_contact_id":"@user:admin"}}`,
			[]string{"4 Activity.save", "  4 ActivityContact.create ?", "  4 ActivityContact.delete ?", "  4 UFMatch.get via source_contact_id by Activity.save",
				"  4 User.get via source_contact_id by Activity.save", "  4 Activity.create"}},
		// Api4Query::composeClause: a value read as an expression (a join's
		// ON clause by default, a where whose 4th element is true) that is
		// a quoted string is formatted without its quotes (attack 22).
		{"@user quoted in a join's ON clause", "Contact", "get",
			`{"select":["id"],"join":[["Email AS e","INNER",["e.contact_id","=","id"],["e.contact_id","=","'@user:admin'"]]]}`,
			[]string{"4 Contact.get", "  4 Email.get via join", "  4 UFMatch.get via @user", "  4 User.get via @user"}},
		{"@user in an ON clause's list, in a bridge join's conditions", "Contact", "get",
			`{"join":[["Group AS g","LEFT","GroupContact",["g.created_id","IN",["@user:admin"]]]]}`,
			[]string{"4 Contact.get", "  4 Group.get via join", "  4 GroupContact.get via join", "  4 UFMatch.get via @user", "  4 User.get via @user"}},
		{"@user double-quoted in a where whose 4th element is true", "Email", "get", `{"where":[["contact_id","IN","\"@user:admin\"",1]]}`,
			[]string{"4 Email.get", "  4 UFMatch.get via contact_id", "  4 User.get via contact_id"}},
		{"@user quoted in an expression's CONTAINS list", "Email", "get", `{"where":[["contact_id","CONTAINS",["'@user:admin'"],true]]}`,
			[]string{"4 Email.get", "  4 UFMatch.get via contact_id", "  4 User.get via contact_id"}},
		{"@user under NOT's one clause and a group whose operator is true", "Contact", "get",
			`{"where":[["NOT",["id","=","@user:a"]]],"having":[[true,[["id","=","@user:b"]]]]}`,
			[]string{"4 Contact.get", "  4 UFMatch.get via id", "  4 User.get via id"}},
		{"@user among an autocomplete's ids", "Individual", "autocomplete", `{"ids":[3,"@user:admin"]}`,
			[]string{"4 Individual.autocomplete", "  4 Individual.get via savedSearch",
				"  4 ContactType.get via contact_sub_type:icon by Individual.autocomplete", "  4 ContactType.get via contact_sub_type:label by Individual.autocomplete",
				"  4 ContactType.get via contact_type:label by Individual.autocomplete", "  4 UFMatch.get via id", "  4 User.get via id"}},
		// SearchKit's filters become where clauses of the search's get
		// (SavedSearchInspectorTrait::applyFilter): a scalar under "=", a
		// list under IN, an operator map as given.
		{"@user as a SearchDisplay filter", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Email","api_params":{"select":["id"]}},"filters":{"contact_id":"@user:admin"}}`,
			[]string{"4 SearchDisplay.run", "  4 Email.get via savedSearch", "  4 UFMatch.get via contact_id", "  4 User.get via contact_id"}},
		{"@user in a filter's IN map, on a key of two fields", "SearchDisplay", "download",
			`{"savedSearch":{"api_entity":"Email"},"filters":{"email:label,contact_id":{"IN":[3,"@user:a"]}}}`,
			[]string{"4 SearchDisplay.download", "  4 Email.get via savedSearch", "  4 UFMatch.get via contact_id", "  4 User.get via contact_id"}},
		{"@user in a filter map with a key no operator (a list: IN)", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Email"},"filters":{"contact_id":{">":"@user:a","x":1}}}`,
			[]string{"4 SearchDisplay.run", "  4 Email.get via savedSearch", "  4 UFMatch.get via contact_id", "  4 User.get via contact_id"}},
		{"@user in an Afform directive filter's comma list", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Email"},"afform":"afsearchEmails","filters":{"contact_id":"3,@user:a"}}`,
			[]string{"4 SearchDisplay.run", "  4 Email.get via savedSearch", "  4 UFMatch.get via contact_id", "  4 User.get via contact_id"}},
		{"@user in an autocomplete's filters", "Email", "autocomplete", `{"input":"","filters":{"contact_id":["@user:a"]}}`,
			[]string{"4 Email.autocomplete", "  4 Email.get via savedSearch", "  4 UFMatch.get via contact_id", "  4 User.get via contact_id"}},
		{"control: @user in filters under >, with a suffix, in a comma string without afform, on suffixed fields", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Email"},"filters":{"contact_id":{">":"@user:a","x":""},"contact_id:label":"@user:b","id":"3,@user:c","email:name,location_type_id:label":"@user:d"}}`,
			[]string{"4 SearchDisplay.run", "  4 Email.get via savedSearch", "    4 Contact.get via contact_id:label", "    4 LocationType.get via location_type_id:label"}},
		{"control: @user quoted in a where value that is no expression, in a having expression, in an ON clause whose 4th element is false", "Email", "get",
			`{"where":[["contact_id","=","'@user:a'"]],"having":[["contact_id","=","'@user:b'",true]],"join":[["Contact AS c","LEFT",["c.id","=","'@user:c'",false]]]}`,
			[]string{"4 Email.get", "  4 Contact.get via join"}},
		{"control: an autocomplete's ids without @user, a get's ids", "Contact", "get", `{"ids":["@user:admin"],"where":[["id","IN",[1,"user_contact_id"]]]}`,
			[]string{"4 Contact.get"}},
		// A chained call's "$key" is the parent row's value (resolveChainLinks):
		// "@user:<name>" unless the parent's row holds its id or an integer
		// foreign key there.
		{"chained $alias of a computed select in where", "Contact", "get",
			`{"select":["id","CONCAT('@user:', 'admin') AS u"],"chain":{"x":["Contact","get",{"where":[["id","=","$u"]]}]}}`,
			[]string{"4 Contact.get", "  4 Contact.get", "    4 UFMatch.get via id", "    4 User.get via id"}},
		{"chained $string field in a write's value, a quoted expression, an ON clause", "Contact", "get",
			`{"select":["nick_name"],"chain":{"a":["Email","create",{"values":{"contact_id":"$nick_name"}}],"b":["Email","get",{"join":[["Contact AS c","LEFT",["c.id","=","$nick_name"]]]}]}}`,
			[]string{"4 Contact.get", "  4 Email.create", "    4 UFMatch.update ? by Email.create", "    4 User.update ? by Email.create",
				"    4 UFMatch.get via contact_id by Email.create", "    4 User.get via contact_id by Email.create",
				"  4 Email.get", "    4 Contact.get via join", "    4 UFMatch.get via @user", "    4 User.get via @user"}},
		{"chained $id aliased by an expression, $contact_id a chain's name, a dotted path", "Email", "get",
			`{"select":["contact_id","UPPER('@user:a') AS id"],"chain":{"contact_id":["Contact","get",{}],"x":["Contact","get",{"where":[["id","IN",["$id"]]]}],"y":["Email","get",{"where":[["contact_id","=","$contact_id"]]}],"z":["Email","get",{"where":[["contact_id","=","$x.0.id"]]}]}}`,
			[]string{"4 Email.get", "  4 Contact.get", "  4 Contact.get", "    4 UFMatch.get via id", "    4 User.get via id", "  4 Email.get", "    4 UFMatch.get via contact_id", "    4 User.get via contact_id", "  4 Email.get", "    4 UFMatch.get via contact_id", "    4 User.get via contact_id"}},
		{"chained ref in a SearchKit filter and an autocomplete's ids", "Contact", "get",
			`{"select":["display_name"],"chain":{"a":["SearchDisplay","run",{"savedSearch":{"api_entity":"Email"},"filters":{"contact_id":"$display_name"}}],"b":["Individual","autocomplete",{"ids":["$display_name"]}]}}`,
			[]string{"4 Contact.get", "  4 SearchDisplay.run", "    4 Email.get via savedSearch", "    4 UFMatch.get via contact_id", "    4 User.get via contact_id",
				"  4 Individual.autocomplete", "    4 Individual.get via savedSearch",
				"    4 ContactType.get via contact_sub_type:icon by Individual.autocomplete", "    4 ContactType.get via contact_sub_type:label by Individual.autocomplete",
				"    4 ContactType.get via contact_type:label by Individual.autocomplete", "    4 UFMatch.get via id", "    4 User.get via id"}},
		{"chained where whose isExpr is filled from the row, a value resolved as it is", "Contact", "get",
			`{"select":["id"],"chain":{"a":["Email","get",{"where":[["contact_id","=","@user:a","$flag"]]}]}}`,
			[]string{"4 Contact.get", "  4 Email.get", "    4 UFMatch.get via contact_id", "    4 User.get via contact_id"}},
		{"control: chained $id, $contact_id selected plainly or by default, an unknown key kept", "Email", "get",
			`{"select":["id","contact_id","email"],"chain":{"a":["Contact","get",{"where":[["id","=","$contact_id"]]}],"b":["Email","create",{"values":{"contact_id":"$contact_id","email":"$email"}}],"c":["Contact","get",{"where":[["id","=","$"]],"chain":{"d":["Email","get",{"where":[["contact_id","=","$id"]]}]}}]}}`,
			[]string{"4 Email.get", "  4 Contact.get", "  4 Email.create", "    4 UFMatch.update ? by Email.create", "    4 User.update ? by Email.create", "  4 Contact.get", "    4 Email.get"}},
		{"control: @user under LIKE, as an expression, with a suffix", "Email", "get",
			`{"where":[["contact_id","LIKE","@user:a"],["contact_id","=","@user:b",true],["contact_id:label","=","@user:c"]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id:label"}},

		{"tags selected, filtered, labelled", "Contact", "get", `{"select":["tags","tags:label"],"where":[["tags","IN",[1]]]}`,
			[]string{"4 Contact.get", "  4 EntityTag.get via tags", "  4 EntityTag.get via tags:label", "  4 Tag.get via tags:label", "  4 EntityTag.get via tags"}},
		{"tags of any taggable entity, in a function", "Activity", "get", `{"select":["GROUP_CONCAT(DISTINCT tags) AS t"]}`,
			[]string{"4 Activity.get", "  4 EntityTag.get via tags"}},
		{"tags written by values", "Contact", "update", `{"where":[["id","=",3]],"values":{"tags":[1]}}`,
			[]string{"4 Contact.update", "  4 EntityTag.create ?", "  4 EntityTag.update ?", "  4 EntityTag.delete ?", "  4 Contact.get"}},
		{"tags written by records and defaults, by name", "Case", "save", `{"records":[{"id":3}],"defaults":{"tags:name":["x"]}}`,
			[]string{"4 Case.save", "  4 EntityTag.create ?", "  4 EntityTag.update ?", "  4 EntityTag.delete ?", "  4 Tag.get via values by Case.save", "  4 Case.update"}},
		{"tags written, an empty list too, in a chain", "Contact", "get", `{"chain":{"u":["Contact","update",{"where":[["id","=","$id"]],"values":{"tags":[]}}]}}`,
			[]string{"4 Contact.get", "  4 Contact.update", "    4 EntityTag.create ?", "    4 EntityTag.update ?", "    4 EntityTag.delete ?", "    4 Contact.get"}},
		{"tags written by an inline edit", "SearchDisplay", "inlineEdit", `{"savedSearch":{"api_entity":"Activity"},"rowKey":1,"values":{"tags":[2]}}`,
			[]string{"4 SearchDisplay.inlineEdit", "  4 Activity.get via savedSearch", "  4 Activity.update ?",
				"  4 EntityTag.create ?", "  4 EntityTag.update ?", "  4 EntityTag.delete ?"}},

		{"campaign label in select, where, orderBy, groupBy", "Contribution", "get",
			`{"select":["campaign_id:label"],"where":[["campaign_id:name","=","x"]],"orderBy":{"campaign_id:label":"ASC"},"groupBy":["campaign_id:label"]}`,
			[]string{"4 Contribution.get", "  4 Campaign.get via campaign_id:label", "  4 Campaign.get via campaign_id:name",
				"  4 Campaign.get via campaign_id:label", "  4 Campaign.get via campaign_id:label"}},
		{"labels of other tables", "Contribution", "get", `{"select":["financial_type_id:label","contribution_page_id:name","currency:label","contribution_status_id:label"]}`,
			[]string{"4 Contribution.get", "  4 FinancialType.get via financial_type_id:label", "  4 ContributionPage.get via contribution_page_id:name", "  4 Currency.get via currency:label"}},
		{"a status whose table depends on the entity", "Membership", "get", `{"select":["status_id:label","membership_type_id:label"]}`,
			[]string{"4 Membership.get", "  4 MembershipStatus.get via status_id:label", "  4 MembershipType.get via membership_type_id:label"}},
		{"a participant's status", "Participant", "get", `{"select":["status_id:name","campaign_id.title"]}`,
			[]string{"4 Participant.get", "  4 ParticipantStatusType.get via status_id:name", "  4 Campaign.get via campaign_id.title"}},
		{"control: option-group labels read no entity", "Activity", "get", `{"select":["status_id:label","activity_type_id:name","campaign_id"]}`,
			[]string{"4 Activity.get"}},
		{"a suffix at the end of a path", "Contact", "get", `{"select":["email_primary.location_type_id:label","address_primary.country_id:abbr"]}`,
			[]string{"4 Contact.get", "  4 Email.get via email_primary.location_type_id", "  4 LocationType.get via email_primary.location_type_id:label",
				"  4 Address.get via address_primary.country_id", "  4 Country.get via address_primary.country_id:abbr"}},
		{"getFields loadOptions of a named field", "Contribution", "getFields", `{"loadOptions":true,"where":[["name","=","campaign_id"]]}`,
			[]string{"4 Contribution.getFields", "  4 Campaign.get via loadOptions"}},
		{"getFields loadOptions of listed fields", "Participant", "getFields", `{"loadOptions":["id","label"],"where":[["name","IN",["status_id","role_id"]]]}`,
			[]string{"4 Participant.getFields", "  4 ParticipantStatusType.get via loadOptions"}},
		{"getFields loadOptions of every field", "Contribution", "getFields", `{"loadOptions":true}`,
			[]string{"4 Contribution.getFields", "  4 FinancialType.get via loadOptions", "  4 ContributionPage.get via loadOptions",
				"  4 Currency.get via loadOptions", "  4 Campaign.get via loadOptions"}},
		{"getFields loadOptions of a contact", "Individual", "getFields", `{"loadOptions":true,"where":[["OR",[["name","=","id"]]]]}`,
			[]string{"4 Individual.getFields", "  4 ContactType.get via loadOptions", "  4 ContactType.get via loadOptions",
				"  4 Group.get via loadOptions", "  4 Tag.get via loadOptions"}},
		{"getFields loadOptions under a where that is one group (evaluateFilters: where[0] loosely AND, OR or NOT; true is)", "Contribution", "getFields",
			`{"loadOptions":true,"where":[true,[["name","=","id"]],["name","=","id"]]}`,
			[]string{"4 Contribution.getFields", "  4 FinancialType.get via loadOptions", "  4 ContributionPage.get via loadOptions",
				"  4 Currency.get via loadOptions", "  4 Campaign.get via loadOptions"}},
		{"getFields loadOptions under a where that is one OR group", "Contribution", "getFields",
			`{"loadOptions":true,"where":["OR",[["name","=","id"]],["name","=","id"]]}`,
			[]string{"4 Contribution.getFields", "  4 FinancialType.get via loadOptions", "  4 ContributionPage.get via loadOptions",
				"  4 Currency.get via loadOptions", "  4 Campaign.get via loadOptions"}},
		{"getFields loadOptions beside a group whose operator is true, which the edge does not read as it does not read OR (walkFilters: PHP 8's true == 'AND')", "Contribution", "getFields",
			`{"loadOptions":true,"where":[["name","=","id"],[true,[["name","=","campaign_id"]]]]}`,
			[]string{"4 Contribution.getFields", "  4 FinancialType.get via loadOptions", "  4 ContributionPage.get via loadOptions",
				"  4 Currency.get via loadOptions", "  4 Campaign.get via loadOptions"}},
		{"getFields loadOptions filtered on NAME (filterCompare reads $row['NAME'], null, which IN [''] matches)", "Contribution", "getFields",
			`{"loadOptions":true,"where":[["NAME","IN",[""]]]}`,
			[]string{"4 Contribution.getFields", "  4 FinancialType.get via loadOptions", "  4 ContributionPage.get via loadOptions",
				"  4 Currency.get via loadOptions", "  4 Campaign.get via loadOptions"}},
		{"control: getFields loadOptions beside a clause whose field is false (not a group)", "Contribution", "getFields",
			`{"loadOptions":true,"where":[["name","=","campaign_id"],[false,[["name","=","id"]]]]}`,
			[]string{"4 Contribution.getFields", "  4 Campaign.get via loadOptions"}},
		{"control: getFields without loadOptions", "Contribution", "getFields", `{"loadOptions":false,"select":["options"]}`,
			[]string{"4 Contribution.getFields"}},
		{"a write's label and foreign-key lookups are the write's own", "Contribution", "create",
			`{"values":{"campaign_id:label":"Spring","financial_type_id.name":"Donation","contribution_status_id:name":"Pending"}}`,
			[]string{"4 Contribution.create", "  4 Campaign.get via values by Contribution.create", "  4 FinancialType.get via values by Contribution.create"}},
		{"a location record's label lookup", "Contact", "create", `{"values":{"email_primary.location_type_id:name":"Home"}}`,
			[]string{"4 Contact.create", "  4 Email.create ?", "  4 Email.update ?", "  4 LocationType.get via values by Contact.create"}},

		// Computed fields (computedReads, attack 14): spec providers' subqueries
		// on other entities' tables, selected, filtered, sorted, or a path.
		{"an activity's contacts", "Activity", "get",
			`{"select":["source_contact_id","target_contact_count"],"where":[["assignee_contact_id","CONTAINS",2]],"orderBy":{"all_contact_id":"ASC"}}`,
			[]string{"4 Activity.get", "  4 ActivityContact.get via source_contact_id", "  4 ActivityContact.get via target_contact_count",
				"  4 ActivityContact.get via assignee_contact_id", "  4 ActivityContact.get via all_contact_id"}},
		{"an activity's contact through its label and a path", "Activity", "get", `{"select":["source_contact_id:label","target_contact_id.display_name"]}`,
			[]string{"4 Activity.get", "  4 ActivityContact.get via source_contact_id:label", "  4 Contact.get via source_contact_id:label",
				"  4 ActivityContact.get via target_contact_id.display_name", "  4 Contact.get via target_contact_id.display_name"}},
		{"an activity's case, bare, labelled and a path", "Activity", "get", `{"select":["case_id","case_id:label"],"where":[["case_id.subject","=","x"]]}`,
			[]string{"4 Activity.get", "  4 CaseActivity.get via case_id", "  4 Case.get via case_id",
				"  4 CaseActivity.get via case_id:label", "  4 Case.get via case_id:label",
				"  4 CaseActivity.get via case_id.subject", "  4 Case.get via case_id.subject"}},
		{"an activity's contacts through a join", "Contact", "get", `{"join":[["Activity AS a","LEFT",["a.source_contact_id","=","id"]]]}`,
			[]string{"4 Contact.get", "  4 Activity.get via join", "  4 ActivityContact.get via a.source_contact_id"}},
		{"control: case_id is a column of another entity", "CaseContact", "get", `{"select":["case_id","contact_id"]}`,
			[]string{"4 CaseContact.get"}},
		{"control: a default select names none", "Activity", "get", `{"select":["*"],"where":[["id","=",1]]}`,
			[]string{"4 Activity.get"}},
		{"control: written, they are field writes", "Activity", "create", `{"values":{"case_id:name":"x"}}`,
			[]string{"4 Activity.create", "  4 CaseActivity.create ?", "  4 Case.get via values by Activity.create"}},
		{"a contact's primary records, bare", "Individual", "get", `{"select":["email_primary","phone_billing:label"],"where":[["address_primary","IS NULL"]]}`,
			[]string{"4 Individual.get", "  4 Email.get via email_primary", "  4 Phone.get via phone_billing:label", "  4 Address.get via address_primary"}},
		{"a group's member count", "Group", "get", `{"select":["contact_count"],"where":[["contact_count",">",0]]}`,
			[]string{"4 Group.get", "  4 GroupContact.get via contact_count", "  4 GroupContact.get via contact_count"}},
		{"a contribution's payments", "Contribution", "get", `{"select":["paid_amount","tax_exclusive_amount"],"having":[["balance_amount",">",0]]}`,
			[]string{"4 Contribution.get", "  4 FinancialTrxn.get via paid_amount", "  4 EntityFinancialTrxn.get via paid_amount",
				"  4 FinancialTrxn.get via balance_amount", "  4 EntityFinancialTrxn.get via balance_amount"}},
		{"a mailing's stats", "Mailing", "get", `{"select":["stats_opens_unique","stats_successful"]}`,
			[]string{"4 Mailing.get", "  4 MailingEventOpened.get via stats_opens_unique", "  4 MailingEventQueue.get via stats_opens_unique",
				"  4 MailingJob.get via stats_opens_unique", "  4 MailingEventDelivered.get via stats_successful",
				"  4 MailingEventBounce.get via stats_successful", "  4 MailingEventQueue.get via stats_successful", "  4 MailingJob.get via stats_successful"}},
		{"a managed record's package", "SavedSearch", "get", `{"select":["has_base","base_module:label"]}`,
			[]string{"4 SavedSearch.get", "  4 Managed.get via has_base", "  4 Managed.get via base_module:label"}},

		// Suffixes on fields whose options are another entity's table
		// (tableOptions, fkTargets: schema/*/*.entityType.php, attack 14).
		{"configuration tables' labels", "OptionValue", "get", `{"select":["option_group_id:label","component_id:name"],"where":[["option_group_id:name","=","gender"]]}`,
			[]string{"4 OptionValue.get", "  4 OptionGroup.get via option_group_id:label", "  4 Component.get via component_id:name",
				"  4 OptionGroup.get via option_group_id:name"}},
		{"a custom field's group and options", "CustomField", "get", `{"select":["custom_group_id:label","option_group_id:name","option_group_id.title"]}`,
			[]string{"4 CustomField.get", "  4 CustomGroup.get via custom_group_id:label", "  4 OptionGroup.get via option_group_id:name",
				"  4 OptionGroup.get via option_group_id.title"}},
		{"entity-specific tables", "Country", "get", `{"select":["region_id:label"]}`,
			[]string{"4 Country.get", "  4 WorldRegion.get via region_id:label"}},
		{"a profile field's profile, a group's parents", "UFField", "get", `{"select":["uf_group_id:label"],"chain":{"g":["Group","get",{"select":["parents:label","children:name"]}]}}`,
			[]string{"4 UFField.get", "  4 UFGroup.get via uf_group_id:label", "  4 Group.get", "    4 Group.get via parents:label", "    4 Group.get via children:name"}},
		{"a relationship type's contact types, a mailing's header, a survey's results, an event's dedupe rule", "RelationshipType", "get",
			`{"select":["contact_sub_type_b:label"],"chain":{"m":["Mailing","get",{"select":["header_id:label"]}],"s":["Survey","get",{"select":["result_id:name"]}],` +
				`"e":["Event","get",{"select":["dedupe_rule_group_id:label"]}]}}`,
			[]string{"4 RelationshipType.get", "  4 ContactType.get via contact_sub_type_b:label", "  4 Mailing.get", "    4 MailingComponent.get via header_id:label",
				"  4 Survey.get", "    4 OptionGroup.get via result_id:name", "  4 Event.get", "    4 DedupeRuleGroup.get via dedupe_rule_group_id:label"}},
		{"getFields loadOptions of a configuration entity", "OptionValue", "getFields", `{"loadOptions":true}`,
			[]string{"4 OptionValue.getFields", "  4 OptionGroup.get via loadOptions", "  4 Component.get via loadOptions", "  4 Domain.get via loadOptions"}},
		{"control: region_id is Country's", "Address", "get", `{"select":["region_id:label"]}`,
			[]string{"4 Address.get"}},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			if got := v4WalkStarted(t, tc.entity, tc.action, tc.params); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
