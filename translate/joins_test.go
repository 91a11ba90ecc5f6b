package translate

import (
	"strings"
	"testing"
)

// Reads of other entities a call makes under its own name (attack round
// 4, F1): each is reported one level below the call, as a get of the
// entity read, whatever carries it. Every row names its class.
func TestWalkReadsV4(t *testing.T) {
	cases := []struct {
		class          string
		entity, action string
		params         string
		want           []string
	}{
		{"implicit join in select", "Email", "get", `{"select":["contact_id.api_key","email"]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key"}},
		{"implicit join with a pseudoconstant suffix", "Email", "get", `{"select":["contact_id.gender_id:label"]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.gender_id"}},
		{"implicit join in where (an oracle)", "Email", "get", `{"select":["id"],"where":[["contact_id.api_key","LIKE","A%"]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key"}},
		{"implicit join under OR and NOT", "Email", "get",
			`{"where":[["OR",[["id","=",1],["NOT",["contact_id.api_key","IS NULL"]]]]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key"}},
		{"implicit join under a group whose operator is true (treeWalkClauses: PHP 8's true == 'OR')", "Email", "get",
			`{"where":[[true,[["id","=",1],["contact_id.api_key","IS NULL"]]],[true,[["created_id.id","=",1]]]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key", "  4 Contact.get via created_id.id"}},
		{"implicit join under true nested in OR, NOT and having", "Email", "get",
			`{"where":[["OR",[[true,[["contact_id.api_key","IS NULL"]]],["NOT",[true,[["created_id.id","=",1]]]]]]],"having":[[true,[["modified_id.id","=",1]]]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key", "  4 Contact.get via created_id.id", "  4 Contact.get via modified_id.id"}},
		{"implicit join in a join's ON group whose operator is true", "Email", "get",
			`{"join":[["Note AS n","LEFT",["n.entity_id","=","id"],[true,[["n.note","=","contact_id.api_key"],["n.id",">","0"]]]]]}`,
			[]string{"4 Email.get", "  4 Note.get via join", "  4 Contact.get via contact_id.api_key"}},
		{"a clause given as a JSON object is read by key ($clause[0], list())", "Email", "get",
			`{"where":[{"1":"LIKE","0":"contact_id.api_key","2":"A%"},{"1":[["created_id.id","=",1]],"0":"OR"},{"0":"NOT","1":{"2":1,"1":"=","0":"modified_id.id"}},["OR",{"1":["employer_id.id","=",1],"2":["email","=","x"]}]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key", "  4 Contact.get via created_id.id", "  4 Contact.get via modified_id.id", "  4 Contact.get via employer_id.id"}},
		{"control: a first element PHP 8 does not find equal to AND, OR or NOT is a leaf's field", "Email", "get",
			`{"where":[[false,[["contact_id.api_key","IS NULL"]]],[0,[["contact_id.api_key","IS NULL"]]],[null,[["contact_id.api_key","IS NULL"]]],["or",[["contact_id.api_key","IS NULL"]]],["1",[["contact_id.api_key","IS NULL"]]]]}`,
			[]string{"4 Email.get"}},
		{"implicit join as a where value expression", "Email", "get", `{"where":[["email","=","contact_id.email_primary.email",true]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.email_primary.email", "  4 Email.get via contact_id.email_primary.email"}},
		{"control: a where value is a literal", "Email", "get", `{"where":[["email","=","a.b@c.org"],["email","IN",["x.y"]]]}`,
			[]string{"4 Email.get"}},
		{"implicit join in orderBy, groupBy and having", "Email", "get",
			`{"orderBy":{"contact_id.sort_name":"ASC"},"groupBy":["created_id.id"],"having":[["modified_id.display_name","=","x"]]}`,
			[]string{"4 Email.get", "  4 Contact.get via modified_id.display_name", "  4 Contact.get via contact_id.sort_name", "  4 Contact.get via created_id.id"}},
		{"pseudoconstant suffix on a foreign key itself", "Email", "get", `{"select":["contact_id:label"],"where":[["created_id:name","=","x"]]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id:label", "  4 Contact.get via created_id:name"}},
		{"implicit join inside a function", "Email", "get", `{"select":["GROUP_CONCAT(contact_id.display_name) AS names"]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.display_name"}},
		{"implicit join inside a quoted string is still read", "Email", "get", `{"select":["CONCAT(\"contact_id.api_key\", email) AS x"]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.api_key"}},
		{"implicit join wildcard", "Email", "get", `{"select":["contact_id.*"]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.*"}},
		{"custom.* is every custom group (Api4SelectQuery expands it into <Group>.*)", "Email", "get", `{"select":["custom.*"]}`,
			[]string{"4 Email.get", "  4 ~.get via custom.*"}},
		{"control: numbers and a wildcard of the entity's own", "Email", "get", `{"select":["*","(id * 1.5) AS x",".5"]}`,
			[]string{"4 Email.get"}},
		{"unresolvable foreign key", "Email", "get", `{"select":["foo_id.bar"]}`,
			[]string{"4 Email.get", "  4 ~.get via foo_id.bar"}},
		{"custom group (cannot be told from a foreign key)", "Email", "get", `{"select":["Extra.colour"]}`,
			[]string{"4 Email.get", "  4 ~.get via Extra.colour"}},
		{"resolvable then unresolvable", "Email", "get", `{"select":["contact_id.employer_id.Extra.x"]}`,
			[]string{"4 Email.get", "  4 Contact.get via contact_id.employer_id.Extra.x", "  4 Contact.get via contact_id.employer_id.Extra.x", "  4 ~.get via contact_id.employer_id.Extra.x"}},

		{"Select and Join as their setters take them", "Email", "get", `{"Select":["c.api_key","contact_id.id"],"JOIN":[["Contact AS c","INNER"]]}`,
			[]string{"4 Email.get", "  4 Contact.get via join", "  4 Contact.get via contact_id.id"}},
		{"explicit join", "Email", "get", `{"select":["c.api_key"],"join":[["Contact AS c","INNER",["contact_id","=","c.id"]]]}`,
			[]string{"4 Email.get", "  4 Contact.get via join"}},
		{"explicit join, default alias", "Email", "get", `{"select":["contact.api_key"],"join":[["Contact","LEFT"]]}`,
			[]string{"4 Email.get", "  4 Contact.get via join"}},
		{"explicit join through a bridge", "Contact", "get", `{"join":[["Group AS g","LEFT","GroupContact",["id","=","g.contact_id"]]]}`,
			[]string{"4 Contact.get", "  4 Group.get via join", "  4 GroupContact.get via join"}},
		{"explicit join then a foreign key", "Email", "get", `{"select":["n.contact_id.api_key"],"join":[["Note AS n","LEFT"]]}`,
			[]string{"4 Email.get", "  4 Note.get via join", "  4 Contact.get via n.contact_id.api_key"}},
		{"an alias named like a foreign key", "Email", "get", `{"select":["contact_id.note"],"join":[["Note AS contact_id","LEFT"]]}`,
			[]string{"4 Email.get", "  4 Note.get via join", "  4 Contact.get via contact_id.note"}},
		{"an ON clause through a foreign key", "Email", "get", `{"join":[["Note AS n","LEFT",["n.entity_id","=","contact_id.id"]]]}`,
			[]string{"4 Email.get", "  4 Note.get via join", "  4 Contact.get via contact_id.id"}},
		{"explicit join of a name CiviCRM may read otherwise", "Email", "get", `{"join":[["Contact\t AS c","LEFT"],[5],"x"]}`,
			[]string{"4 Email.get", "  4 ~.get via join", "  4 ~.get via join", "  4 ~.get via join"}},
		{"joins in a chained call", "Contact", "get", `{"chain":{"e":["Email","get",{"select":["contact_id.api_key"]}]}}`,
			[]string{"4 Contact.get", "  4 Email.get", "    4 Contact.get via contact_id.api_key"}},
		{"joins in a write's where", "Email", "update", `{"where":[["contact_id.api_key","=","x"]],"values":{"is_primary":1}}`,
			[]string{"4 Email.update", "  4 Contact.get via contact_id.api_key", "  4 UFMatch.update ?", "  4 User.update ?", "  4 Email.get"}},

		{"EntitySet sets", "EntitySet", "get",
			`{"sets":[["UNION ALL","Contact","get",{"select":["id","api_key"]}],["UNION ALL","Email","get",{"select":["contact_id.api_key"]}]],"where":[["contact_id.x","=",1]]}`,
			[]string{"4 EntitySet.get", "  4 Contact.get via sets", "  4 Email.get via sets", "    4 Contact.get via contact_id.api_key"}},
		{"EntitySet set without an entity name", "EntitySet", "get", `{"sets":[["UNION ALL",["Contact"]]]}`,
			[]string{"4 EntitySet.get", "  4 ~.get via sets"}},
		{"inline saved search", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Contact","api_params":{"select":["api_key"],"join":[["Email AS e","LEFT"]]}},"display":null}`,
			[]string{"4 SearchDisplay.run", "  4 Contact.get via savedSearch", "    4 Email.get via join"}},
		{"inline saved search, display filters and sort", "SearchDisplay", "download",
			`{"savedSearch":{"api_entity":"Email","api_params":{"select":["id"]}},"filters":{"contact_id.api_key":"A"},"sort":[["created_id.id","ASC"]]}`,
			[]string{"4 SearchDisplay.download", "  4 Email.get via savedSearch", "    4 Contact.get via contact_id.api_key", "    4 Contact.get via created_id.id"}},
		{"inline display: column keys, tokens, links, icons, rules, sort and tree settings", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Contact","api_params":{"select":["id"]}},"display":{"settings":{` +
				`"draggable":"created_id.a","parent_field":"modified_id.b","sort":[["employer_id.c","ASC"]],"cssRules":[["x","contact_id.d","=",1]],` +
				`"columns":[{"key":"email_primary.email","rewrite":"[phone_primary.phone] [ im_primary.name ]","title":"[address_primary.city:label]","empty_value":"[email_billing.e]",` +
				`"link":{"path":"civicrm/x?id=[phone_billing.f]","conditions":[["address_billing.g","=",1]]},` +
				`"icons":[{"field":"im_billing.h","if":["primary_contact_id.i","=",1]}],"cssRules":[["y","source_contact_id.j"]],` +
				`"subsearch":{"filters":[{"parent_field":"target_contact_id.k"}]}},` +
				`{"type":"menu","links":[{"join":"assignee_contact_id","text":"[x]"},{"prefix":"contact_id_a.","task":"t","condition":["l","=",1]}]}]}}}`,
			[]string{"4 SearchDisplay.run", "  4 Contact.get via savedSearch",
				"    4 Contact.get via created_id.a", "    4 Contact.get via modified_id.b", "    4 Contact.get via contact_id.d", "    4 Contact.get via employer_id.c",
				"    4 Email.get via email_primary.email", "    4 Phone.get via phone_primary.phone", "    4 IM.get via im_primary.name", "    4 Address.get via address_primary.city",
				"    4 Email.get via email_billing.e", "    4 Phone.get via phone_billing.f", "    4 Address.get via address_billing.g",
				"    4 Contact.get via target_contact_id.k", "    4 Contact.get via source_contact_id.j", "    4 IM.get via im_billing.h", "    4 Contact.get via primary_contact_id.i",
				"    4 Contact.get via assignee_contact_id.id", "    4 Contact.get via contact_id_a.id", "    4 Contact.get via contact_id_a.l"}},
		{"control: inline display of the entity's own fields and tokens in text", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Contact","api_params":{"select":["id"]}},"display":{"type":"table","settings":{"limit":5,"pager":{},"placeholder":3,` +
				`"columns":[{"key":"display_name","rewrite":"See e.g. https://example.org/[id] [] [","title":"Dr. [sort_name]","tally":{"fn":"SUM"}}],"toolbar":[{"path":"x.y"}]}}}`,
			[]string{"4 SearchDisplay.run", "  4 Contact.get via savedSearch"}},
		{"inline display of a shape the edge cannot read", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"Contact","api_params":{"select":["id"]}},"display":{"settings":{"columns":[{"key":["email_primary.email"]}]}}}`,
			[]string{"4 SearchDisplay.run", "  4 Contact.get via savedSearch", "  4 ~.get via display"}},
		{"display by name beside an inline saved search", "SearchDisplay", "run",
			`{"savedSearch":{"id":3,"api_entity":"Contact","api_params":{"select":["id"]}},"display":"Contacts_table"}`,
			[]string{"4 SearchDisplay.run", "  4 Contact.get via savedSearch", "  4 ~.get via display"}},
		{"autocomplete's display on its own entity", "Contact", "autocomplete",
			`{"input":"a","display":{"settings":{"keyField":"email_primary.email","extra":{"phone_primary.phone":"description"},"columns":[{"type":"field","key":"display_name"}]}}}`,
			[]string{"4 Contact.autocomplete", "  4 Contact.get via savedSearch", "    4 Email.get via email_primary.email", "    4 Phone.get via phone_primary.phone"}},
		{"inlineEdit writes the saved search's entity and each edited field's", "SearchDisplay", "inlineEdit",
			`{"savedSearch":{"api_entity":"Contact","api_params":{"select":["id"],"join":[["Note AS n","LEFT"]]}},"rowKey":2,"values":{"n.note":"x","first_name":"y"},` +
				`"display":{"settings":{"columns":[{"key":"email_primary.email","editable":true},{"key":"n.note"}]}}}`,
			[]string{"4 SearchDisplay.inlineEdit", "  4 Contact.get via savedSearch", "    4 Note.get via join", "    4 Email.get via email_primary.email",
				"  4 Contact.update ?", "  4 Email.update ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Email.create ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Note.update ?", "  4 Note.create ?"}},
		{"inlineEdit of a custom field writes its group's data", "SearchDisplay", "inlineEdit",
			`{"savedSearch":{"api_entity":"Contact","api_params":{"select":["id"],"join":[["Email AS e","LEFT"]]}},"rowKey":2,` +
				`"values":{"contact_id.Extra.size":1,"e.Geo.zone:label":"n","custom_3":"x"},"display":{"settings":{"columns":[{"key":"Extra.colour","editable":true}]}}}`,
			[]string{"4 SearchDisplay.inlineEdit", "  4 Contact.get via savedSearch", "    4 Email.get via join", "    4 ~.get via Extra.colour",
				"  4 Contact.update ?", "  4 Custom_Extra.update ?", "  4 Custom_Extra.create ?",
				"  4 Contact.update ?", "  4 Contact.create ?", "  4 Custom_Extra.update ?", "  4 Custom_Extra.create ?",
				"  4 Email.update ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Email.create ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Custom_Geo.update ?", "  4 Custom_Geo.create ?",
				"  4 CustomValue.update ?", "  4 CustomValue.create ?"}},
		{"inlineEdit through a custom reference or an unknown key is unnamed", "SearchDisplay", "inlineEdit",
			`{"savedSearch":{"api_entity":"Participant"},"rowKey":2,"values":{"foo_id.title":"x","Extra.rel.first_name":"y"}}`,
			[]string{"4 SearchDisplay.inlineEdit", "  4 Participant.get via savedSearch",
				"  4 Participant.update ?", "  4 ~.update ?", "  4 ~.create ?", "  4 ~.update ?", "  4 ~.create ?"}},
		{"inlineEdit creating rows", "SearchDisplay", "inlineEdit",
			`{"savedSearch":{"api_entity":"Activity"},"values":{"subject":"x"},"display":{"settings":{"editableRow":{"create":true},"columns":[{"key":"subject","editable":true}]}}}`,
			[]string{"4 SearchDisplay.inlineEdit", "  4 Activity.get via savedSearch", "  4 Activity.update ?", "  4 Activity.create ?"}},
		{"inlineEdit of a saved search by name", "SearchDisplay", "inlineEdit", `{"savedSearch":"x","display":"y","rowKey":1,"values":{"a":1}}`,
			[]string{"4 SearchDisplay.inlineEdit", "  4 ~.get via savedSearch", "  4 ~.update ?", "  4 ~.create ?"}},
		{"a contact write saves and deletes location records", "Individual", "save",
			`{"records":[{"email_primary.email":null,"phone_billing":4}],"defaults":{"address_primary.city":"x"}}`,
			[]string{"4 Individual.save", "  4 Address.create ?", "  4 Address.update ?", "  4 Email.create ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Email.update ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Email.delete ?",
				"  4 Phone.create ?", "  4 Phone.update ?", "  4 Individual.create"}},
		{"control: location keys on another entity", "Activity", "create", `{"values":{"email_primary.email":"x"}}`,
			[]string{"4 Activity.create"}},
		{"a write's custom field keys write CustomValue", "Contact", "save",
			`{"records":[{"id":2,"Extra.colour:label":"Red","email_primary.email":"x","contact_id.id":1}],"defaults":{"Extra.size":1,"Other.x":null,"custom_12":3}}`,
			[]string{"4 Contact.save", "  4 Email.create ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Email.update ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Custom_Extra.create ?", "  4 Custom_Extra.update ?",
				"  4 Custom_Other.create ?", "  4 Custom_Other.update ?", "  4 CustomValue.create ?", "  4 CustomValue.update ?",
				"  4 Contact.get via values", "  4 Contact.update"}},
		{"a replace's where clauses with = are values it writes", "Contact", "replace",
			`{"where":[["email_primary.email","=","x"],["Extra.colour","=","red"]],"records":[{"first_name":"a"}]}`,
			[]string{"4 Contact.replace", "  4 Email.get via email_primary.email", "  4 ~.get via Extra.colour", "  4 Email.create ?", "    4 UFMatch.update ?", "    4 User.update ?", "  4 Email.update ?", "    4 UFMatch.update ?", "    4 User.update ?",
				"  4 Custom_Extra.create ?", "  4 Custom_Extra.update ?", "  4 Contact.get", "  4 Contact.save", "  4 Contact.create", "  4 Contact.delete"}},
		{"control: a get's custom fields are reads, not writes", "Activity", "update", `{"where":[["Extra.colour","=","red"]],"values":{"subject":"x"}}`,
			[]string{"4 Activity.update", "  4 ~.get via Extra.colour", "  4 Activity.get"}},
		{"named saved search", "SearchDisplay", "getDefault", `{"savedSearch":"All_contacts"}`,
			[]string{"4 SearchDisplay.getDefault", "  4 ~.get via savedSearch"}},
		{"saved search in an autocomplete", "Email", "autocomplete", `{"input":"a","savedSearch":{"api_entity":"Contact"}}`,
			[]string{"4 Email.autocomplete", "  4 Contact.get via savedSearch", "  4 Email.get via savedSearch",
				"  4 ContactType.get via contact_sub_type:icon", "  4 ContactType.get via contact_type:icon", "  4 ContactType.get via contact_sub_type:label", "  4 ContactType.get via contact_type:label"}},

		// What an autocomplete reads by configuration (autocomplete.go,
		// attack 11a): the menubar quick search on any entity, the
		// providers' default searches and displays, an Afform's field.
		{"the menubar quick search", "Contact", "autocomplete", `{"input":"a","formName":"crmMenubar","fieldName":"crm-qsearch-input"}`,
			[]string{"4 Contact.autocomplete", "  4 Contact.get via savedSearch", "  4 Email.get via email_primary.email",
				"  4 Phone.get via phone_primary.phone", "  4 Address.get via address_primary.street_address",
				"  4 Address.get via address_primary.city", "  4 Address.get via address_primary.state_province_id",
				"  4 StateProvince.get via address_primary.state_province_id:abbr", "  4 Address.get via address_primary.country_id",
				"  4 Country.get via address_primary.country_id:label", "  4 Address.get via address_primary.postal_code"}},
		{"the menubar quick search from another entity's autocomplete", "Activity", "autocomplete",
			`{"input":"a","formName":"crmMenubar","fieldName":"crm-qsearch-input","filters":{"employer_id.sort_name":"x"}}`,
			[]string{"4 Activity.autocomplete", "  4 Activity.get via savedSearch", "    4 Contact.get via employer_id.sort_name",
				"  4 Contact.get via crmMenubar", "    4 Contact.get via employer_id.sort_name", "  4 Email.get via email_primary.email",
				"  4 Phone.get via phone_primary.phone", "  4 Address.get via address_primary.street_address",
				"  4 Address.get via address_primary.city", "  4 Address.get via address_primary.state_province_id",
				"  4 StateProvince.get via address_primary.state_province_id:abbr", "  4 Address.get via address_primary.country_id",
				"  4 Country.get via address_primary.country_id:label", "  4 Address.get via address_primary.postal_code"}},
		{"control: the menubar names compare exactly", "Contact", "autocomplete", `{"input":"a","formName":"crmmenubar","fieldName":"crm-qsearch-input"}`,
			[]string{"4 Contact.autocomplete", "  4 Contact.get via savedSearch", "  4 ContactType.get via contact_sub_type:icon", "  4 ContactType.get via contact_type:icon", "  4 ContactType.get via contact_sub_type:label", "  4 ContactType.get via contact_type:label"}},
		{"a provider's default search and display", "Activity", "autocomplete", `{"input":"a"}`,
			[]string{"4 Activity.autocomplete", "  4 Activity.get via savedSearch", "  4 Contact.get via join", "  4 ActivityContact.get via join",
				// case_id is Activity's path through civicrm_case_activity (ActivitySpecProvider).
				"  4 Campaign.get via campaign_id.title", "  4 CaseActivity.get via case_id.subject", "  4 Case.get via case_id.subject"}},
		{"a provider's default display of an inline search's entity", "Contact", "autocomplete",
			`{"input":"a","savedSearch":{"api_entity":"Participant","api_params":{"select":["id"]}}}`,
			[]string{"4 Contact.autocomplete", "  4 Participant.get via savedSearch", "  4 Contact.get via savedSearch",
				"  4 Contact.get via contact_id.sort_name", "  4 Contact.get via contact_id.display_name", "  4 Event.get via event_id.title"}},
		{"control: a display of its own", "Contribution", "autocomplete", `{"input":"a","display":{"settings":{"columns":[{"key":"id"}]}}}`,
			[]string{"4 Contribution.autocomplete", "  4 Contribution.get via savedSearch", "  4 Contact.get via contact_id.sort_name",
				"  4 FinancialType.get via financial_type_id:label"}},
		{"references in a provider's display", "Relationship", "autocomplete", ``,
			[]string{"4 Relationship.autocomplete", "  4 Relationship.get via savedSearch", "  4 Contact.get via contact_id_a.sort_name",
				"  4 Contact.get via contact_id_a.display_name", "  4 RelationshipType.get via relationship_type_id.label_a_b",
				"  4 Contact.get via contact_id_b.display_name"}},
		{"a multi-record custom group's parent", "Custom_Extra", "autocomplete", ``,
			[]string{"4 Custom_Extra.autocomplete", "  4 Custom_Extra.get via savedSearch", "  4 ~.get via entity_id"}},
		{"the mailing recipients' union", "EntitySet", "autocomplete", `{"formName":"crmMailing.3","fieldName":"Mailing.recipients_include"}`,
			[]string{"4 EntitySet.autocomplete", "  4 EntitySet.get via savedSearch", "  4 Group.get via crmMailing",
				"  4 Mailing.get via crmMailing", "  4 MailingGroup.get via crmMailing", "  4 SavedSearch.get via crmMailing"}},
		{"an Afform's field", "Contact", "autocomplete", `{"input":"a","formName":"afform:afformMyForm","fieldName":"Individual1:employer_id"}`,
			[]string{"4 Contact.autocomplete", "  4 Contact.get via savedSearch", "  4 ContactType.get via contact_sub_type:icon", "  4 ContactType.get via contact_type:icon", "  4 ContactType.get via contact_sub_type:label", "  4 ContactType.get via contact_type:label", "  4 ~.get via formName"}},
		// APIv4's CiviCase class runs the Case entity (CiviCase::getEntityName):
		// the walker names it Case wherever it is read.
		{"the CiviCase class is the Case entity", "CiviCase", "get", `{"select":["case_type_id:label"]}`,
			[]string{"4 Case.get", "  4 CaseType.get via case_type_id:label"}},
		{"a join of the CiviCase class and a path through its alias", "Contact", "get",
			`{"select":["c.subject","c.case_type_id:label"],"join":[["CiviCase AS c","LEFT","CaseContact"]]}`,
			[]string{"4 Contact.get", "  4 Case.get via join", "  4 CaseContact.get via join", "  4 CaseType.get via c.case_type_id:label"}},
		{"an inline saved search of the CiviCase class, joining it again", "SearchDisplay", "run",
			`{"savedSearch":{"api_entity":"CiviCase","api_params":{"select":["id"],"join":[["civicase AS x","LEFT"]]}}}`,
			[]string{"4 SearchDisplay.run", "  4 Case.get via savedSearch", "    4 Case.get via join"}},
		{"an EntitySet set of the CiviCase class", "EntitySet", "get", `{"sets":[["UNION ALL","CiviCase","get",{"select":["id"]}]]}`,
			[]string{"4 EntitySet.get", "  4 Case.get via sets"}},
		{"an autocomplete's inline search of the CiviCase class shows Case's display", "Contact", "autocomplete",
			`{"input":"a","savedSearch":{"api_entity":"CiviCase","api_params":{"select":["id"]}}}`,
			[]string{"4 Contact.autocomplete", "  4 Case.get via savedSearch", "  4 Contact.get via savedSearch",
				"  4 CaseType.get via case_type_id:label"}},
		{"control: an Afform name PHP finds empty", "Contact", "autocomplete", `{"input":"a","formName":"afform:0","fieldName":"Individual1:employer_id"}`,
			[]string{"4 Contact.autocomplete", "  4 Contact.get via savedSearch", "  4 ContactType.get via contact_sub_type:icon", "  4 ContactType.get via contact_type:icon", "  4 ContactType.get via contact_sub_type:label", "  4 ContactType.get via contact_type:label"}},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			if got := v4Walk(t, tc.entity, tc.action, tc.params); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// An APIv4 call's index is read as select is (attack 22): civicrm_api4
// appends a string index to a non-empty select and keys the answer by its
// values, and adds an array index's first key and column with addSelect;
// the request's index, a batch member's fourth argument or "index", a
// chain's fourth element alike. Every row names its class.
func TestWalkV4Index(t *testing.T) {
	single := func(index any, params string) func(func(Subcall) bool) bool {
		return func(v func(Subcall) bool) bool { return WalkV4("Contact", "get", jsonArray(t, params), index, v) }
	}
	batch := func(calls string) func(func(Subcall) bool) bool {
		return func(v func(Subcall) bool) bool { return WalkV4Batch(jsonArray(t, calls), v) }
	}
	arrayIndex := NewArray()
	arrayIndex.Set("email_primary.email", "address_primary.city")
	cases := []struct {
		class string
		walk  func(func(Subcall) bool) bool
		want  []string
	}{
		{"a string index through a join", single("email_primary.email", `{"select":["id"]}`),
			[]string{"4 Contact.get", "  4 Email.get via email_primary.email"}},
		{"a string index with an alias, beside select", single("employer_id.phone_primary.phone AS p", `{"select":["id","email_primary.email"]}`),
			[]string{"4 Contact.get", "  4 Email.get via email_primary.email", "  4 Contact.get via employer_id.phone_primary.phone",
				"  4 Phone.get via employer_id.phone_primary.phone"}},
		{"a string index selected already", single("email_primary.email", `{"select":["email_primary.email"]}`),
			[]string{"4 Contact.get", "  4 Email.get via email_primary.email", "  4 Email.get via email_primary.email"}},
		{"select as setSelect takes it", single("email_primary.email", `{"Select":["id"]}`),
			[]string{"4 Contact.get", "  4 Email.get via email_primary.email"}},
		{"an array index's key and column, without select", single(arrayIndex, `{}`),
			[]string{"4 Contact.get", "  4 Address.get via address_primary.city", "  4 Email.get via email_primary.email"}},
		{"a field the index reads another entity by", single("groups", `{"select":["id"]}`),
			[]string{"4 Contact.get", "  4 GroupContact.get via groups"}},
		{"control: a string index without select is not selected", single("email_primary.email", `{}`), []string{"4 Contact.get"}},
		{"control: an integer index is a row", single("1", `{"select":["id"]}`), []string{"4 Contact.get"}},
		{"control: no index", single(nil, `{"select":["id"]}`), []string{"4 Contact.get"}},
		{"a batch member's fourth argument", batch(`[["Contact","get",{"select":["id"]},"email_primary.email"]]`),
			[]string{"[0] 4 Contact.get", "  [0] 4 Email.get via email_primary.email"}},
		{"a batch member's index by name", batch(`{"a":{"entity":"Contact","action":"get","params":{"select":["id"]},"index":"email_primary.email"}}`),
			[]string{"[a] 4 Contact.get", "  [a] 4 Email.get via email_primary.email"}},
		{"a batch member's array index", batch(`[["Contact","get",{},{"id":"phone_primary.phone"}]]`),
			[]string{"[0] 4 Contact.get", "  [0] 4 Phone.get via phone_primary.phone"}},
		{"a chain's fourth element", single(nil, `{"chain":{"e":["Contact","get",{"select":["id"]},"email_primary.email"]}}`),
			[]string{"4 Contact.get", "  4 Contact.get", "    4 Email.get via email_primary.email"}},
		{"a chain's fourth element by key", single(nil, `{"chain":{"e":{"3":"email_primary.email","0":"Contact","1":"get","2":{"select":["id"]}}}}`),
			[]string{"4 Contact.get", "  4 Contact.get", "    4 Email.get via email_primary.email"}},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			if got := collect(tc.walk); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

// APIv3: joins through return, sort and filters (SelectQuery::addFkField),
// and the calls generic actions make with nested parameter arrays
// (attack round 4, F4: getlist's params, replace's values).
func TestWalkReadsV3(t *testing.T) {
	cases := []struct {
		class          string
		entity, action string
		params         string
		want           []string
	}{
		{"return through a foreign key (list)", "Email", "get", `{"return":["email","contact_id.api_key"]}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.api_key"}},
		{"return through a foreign key (string)", "Email", "get", `{"return":"email,contact_id.display_name"}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.display_name"}},
		{"return through a foreign key (map)", "Email", "get", `{"return":{"contact_id.display_name":1}}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.display_name"}},
		{"return.field key", "Email", "get", `{"return.contact_id.display_name":1}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.display_name"}},
		{"filter through a foreign key", "Email", "get", `{"contact_id.api_key":{"LIKE":"A%"}}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.api_key"}},
		{"sort through a foreign key", "Email", "get", `{"options":{"sort":"contact_id.sort_name DESC"}}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.sort_name"}},
		{"unresolvable foreign key", "Email", "get", `{"return":["foo_id.title"]}`,
			[]string{"3 Email.get", "  3 ~.get via foo_id.title"}},
		{"a foreign key whose target is its pseudoconstant table", "Membership", "get", `{"return":["campaign_id.title"],"membership_type_id.name":"x"}`,
			[]string{"3 Membership.get", "  3 Campaign.get via campaign_id.title", "  3 MembershipType.get via membership_type_id.name"}},
		{"reference entities every entity's field points to", "Activity", "get", `{"return":["campaign_id.title","case_id.subject"],"sequential":1}`,
			[]string{"3 Activity.get", "  3 Campaign.get via campaign_id.title", "  3 Case.get via case_id.subject",
				"  3 ActivityContact.get via return", "  3 Contact.get via return", "  3 CaseActivity.get via case_id"}},
		{"control: names that cannot be foreign keys are ignored, as CiviCRM does", "Email", "get",
			`{"return":["display.name"],"API.Contact.delete":{},"options.limit":2}`,
			[]string{"3 Email.get"}},
		{"joins in a chained call", "Contact", "get", `{"api.Email.get":{"return":"contact_id.api_key"}}`,
			// Contact.get without a return reads its default return's
			// location records (v3returns.go).
			[]string{"3 Contact.get", "  3 Email.get via return", "  3 Phone.get via return", "  3 IM.get via return",
				"  3 Address.get via return", "  3 Email.get", "    3 Contact.get via contact_id.api_key"}},

		{"getlist runs get with its params, chains included", "Email", "getlist", `{"params":{"api.Contact.get":{"return":"id"}}}`,
			[]string{"3 Email.getlist", "  3 Email.get", "    3 Contact.get"}},
		{"getlist: a chained write", "Email", "getlist", `{"params":{"api.Email.create":{"email":"x@y.z","contact_id":2}}}`,
			// Chained below its own entity, the create gets the row's id: an update.
			[]string{"3 Email.getlist", "  3 Email.get", "    3 Email.create", "      3 Email.update"}},
		{"getlist: its fields are the get's", "Email", "getlist", `{"extra":["contact_id.api_key"],"search_field":"contact_id.display_name"}`,
			[]string{"3 Email.getlist", "  3 Email.get", "    3 Contact.get via contact_id.display_name", "    3 Contact.get via contact_id.api_key"}},
		{"getlist: params not an array runs nothing more", "Email", "getlist", `{"params":"x"}`,
			[]string{"3 Email.getlist"}},
		{"replace runs get, create or update per value, delete", "Email", "replace",
			`{"contact_id":4,"values":[{"email":"r@x.org","api.Contact.delete":{"id":3}},{"id":7},{"id":null}]}`,
			[]string{"3 Email.replace", "  3 Email.get", "  3 Email.create", "    3 UFMatch.update ?", "    3 User.update ?", "    3 Contact.delete",
				"  3 Email.update", "    3 Email.get", "    3 Email.create", "  3 Email.create", "    3 UFMatch.update ?", "    3 User.update ?", "  3 Email.delete"}},
		{"replace: an id beside values updates", "Email", "replace", `{"id":4,"values":[{}]}`,
			[]string{"3 Email.replace", "  3 Email.get", "  3 Email.update", "    3 Email.get", "    3 Email.create", "  3 Email.delete"}},
		{"replace without values runs nothing more", "Email", "replace", `{"values":"x"}`,
			[]string{"3 Email.replace"}},
	}
	for _, tc := range cases {
		t.Run(tc.class, func(t *testing.T) {
			if got := v3Walk(ajaxCall(t, tc.entity, tc.action, tc.params)); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
