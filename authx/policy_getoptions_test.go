package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// APIv3's getoptions (and getfields or getfield loading options) of a field
// whose options are another entity's rows reads that entity, as APIv4's
// getFields with loadOptions does for the same field: one table
// (translate's fieldreads.go), whichever name APIv3 resolves to the field
// (_civicrm_api3_api_resolve_alias: the field, its name without _id, its
// unique name, its api.aliases).
func TestPolicyV3OptionsOfOtherEntities(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(entity string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{entity}}}}
	}
	checkPolicyRows(t, []policyRow{
		{"v4 loadOptions of financial_type_id", deny("FinancialType"),
			v4("Contribution/getFields", `{"loadOptions":true,"where":[["name","=","financial_type_id"]]}`), false, ""},
		{"v3 getoptions of financial_type_id", deny("FinancialType"), jsonCall(t, "Contribution", "getoptions", `{"field":"financial_type_id"}`), false, ""},
		{"v3 getoptions by its name without _id", deny("FinancialType"), jsonCall(t, "Contribution", "getoptions", `{"field":"financial_type"}`), false, ""},
		{"v3 getoptions by an api.aliases name", deny("FinancialType"), jsonCall(t, "Contribution", "getoptions", `{"field":"contribution_type_id"}`), false, ""},
		{"v3 getoptions of a participant's status", deny("ParticipantStatusType"), jsonCall(t, "Participant", "getoptions", `{"field":"participant_status"}`), false, ""},
		{"v3 getoptions of a membership's status", deny("MembershipStatus"), jsonCall(t, "Membership", "getoptions", `{"field":"status_id"}`), false, ""},
		{"v3 getoptions of a membership's status by an api.aliases name", deny("MembershipStatus"), jsonCall(t, "Membership", "getoptions", `{"field":"membership_status"}`), false, ""},
		{"v3 getoptions of a participant's status by unique name", deny("ParticipantStatusType"), jsonCall(t, "Participant", "getoptions", `{"field":"participant_status_id"}`), false, ""},
		{"v3 getoptions of a state", deny("StateProvince"), jsonCall(t, "Address", "getoptions", `{"field":"state_province_id"}`), false, ""},
		{"v3 getoptions of the currency", deny("Currency"), jsonCall(t, "Contribution", "getoptions", `{"field":"currency"}`), false, ""},
		{"v3 getoptions chained", deny("MembershipType"), jsonCall(t, "Contact", "get", `{"return":"id","api.Membership.getoptions":{"field":"membership_type"}}`), false, ""},
		{"v3 getfield with its options", deny("FinancialType"), jsonCall(t, "Event", "getfield", `{"name":"financial_type_id","action":"create","get_options":"create"}`), false, ""},
		{"v3 getfields loading a field's options", deny("ContributionPage"), jsonCall(t, "Contribution", "getfields", `{"options":{"get_options":["contribution_page_id"]}}`), false, ""},
		{"v3 getfields loading every field's options", deny("FinancialType"), jsonCall(t, "Contribution", "getfields", `{"options":{"get_options":"all"}}`), false, ""},
		// A name given for such a field, filter or written value, is looked up
		// in the same options (_civicrm_api3_validate_integer ->
		// _civicrm_api3_api_match_pseudoconstant): a write's lookup is its own
		// doing, admitted by an allow rule naming the write.
		{"v3 get filtering a group by name", deny("Group"), jsonCall(t, "GroupContact", "get", `{"group_id":"Admins"}`), false, ""},
		{"v3 create naming its financial type", deny("FinancialType"), jsonCall(t, "Contribution", "create",
			`{"contact_id":2,"total_amount":1,"financial_type_id":"Donation"}`), false, ""},
		{"v3 chained create naming its campaign", deny("Campaign"), jsonCall(t, "Contact", "get",
			`{"id":2,"return":"id","api.Contribution.create":{"total_amount":1,"financial_type_id":1,"campaign_id":["Spring"]}}`), false, ""},
		{"an allow on Contribution.create admits its lookup", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow",
			Entities: []string{"Contribution"}, Actions: []string{"create"}}}}, jsonCall(t, "Contribution", "create",
			`{"contact_id":2,"total_amount":1,"financial_type_id":"Donation"}`), true, ""},
		// "@user:<name>" for a contact id reads which contact a CMS user is
		// (_civicrm_api3_resolve_contactID: the CMS user, its UFMatch row),
		// in both APIs.
		{"v3 get filtering by @user", deny("UFMatch"), jsonCall(t, "Contact", "get", `{"id":"@user:admin","return":"id"}`), false, ""},
		{"v3 write naming @user", deny("User"), jsonCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":"@user:admin"}`), false, ""},
		{"v4 where naming @user", deny("UFMatch"), v4("Email/get", `{"where":[["contact_id","IN",["@user:admin"]]]}`), false, ""},
		{"v4 write naming @user", deny("UFMatch"), v4("Activity/create", `{"values":{"activity_type_id":1,"source_contact_id":"@user:admin"}}`), false, ""},
		// Api4Query::composeClause formats a quoted string read as an
		// expression, AutocompleteAction::_run filters by its ids, getlist
		// by its id (attack 22).
		{"v4 join ON clause naming @user quoted", deny("UFMatch"), v4("Contact/get",
			`{"select":["id"],"join":[["Email AS e","INNER",["e.contact_id","=","id"],["e.contact_id","=","'@user:admin'"]]]}`), false, ""},
		{"v4 expression where naming @user quoted", deny("User"), v4("Email/get", `{"where":[["contact_id","=","'@user:admin'",true]]}`), false, ""},
		{"v4 autocomplete ids naming @user", deny("UFMatch"), v4("Contact/autocomplete", `{"ids":["@user:admin"]}`), false, ""},
		{"v3 getlist id naming @user", deny("UFMatch"), jsonCall(t, "Contact", "getlist", `{"id":"@user:admin"}`), false, ""},
		// SearchKit's filters become where clauses of the search's get
		// (SavedSearchInspectorTrait::applyFilter).
		{"v4 SearchDisplay filter naming @user", deny("UFMatch"), v4("SearchDisplay/run",
			`{"savedSearch":{"api_entity":"Email","api_params":{"select":["id","contact_id"]}},"filters":{"contact_id":"@user:admin"}}`), false, ""},
		{"v4 autocomplete filter naming @user", deny("User"), v4("Contact/autocomplete", `{"input":"a","filters":{"id":["@user:admin"]}}`), false, ""},
		{"v4 chained SearchDisplay filter naming @user", deny("UFMatch"), v4("Contact/get",
			`{"chain":{"s":["SearchDisplay","download",{"savedSearch":{"api_entity":"Email"},"filters":{"contact_id":{"=":"@user:admin"}}}]}}`), false, ""},
		{"control: v4 SearchDisplay filter by number", deny("UFMatch"), v4("SearchDisplay/run",
			`{"savedSearch":{"api_entity":"Email","api_params":{"select":["id","contact_id"]}},"filters":{"contact_id":2}}`), true, ""},
		{"control: v4 autocomplete ids by number", deny("UFMatch"), v4("Contact/autocomplete", `{"ids":[2]}`), true, ""},
		{"an allow on Activity.create admits its @user lookup", &Policy{Default: "deny", Rules: []Rule{{Effect: "allow",
			Entities: []string{"Activity", "ActivityContact"}, Actions: []string{"create"}}}},
			v4("Activity/create", `{"values":{"activity_type_id":1,"source_contact_id":"@user:admin"}}`), true, ""},
		{"control: user_contact_id is the caller's own", deny("UFMatch"), jsonCall(t, "Contact", "get", `{"id":"user_contact_id","return":"id"}`), true, ""},
		{"control: a group by id", deny("Group"), jsonCall(t, "GroupContact", "get", `{"group_id":{"IN":[1,"2"]}}`), true, ""},
		{"control: an option group's options", deny("FinancialType"), jsonCall(t, "Contribution", "getoptions", `{"field":"payment_instrument_id"}`), true, ""},
		{"control: a status of an option group", deny("ParticipantStatusType"), jsonCall(t, "Contribution", "getoptions", `{"field":"contribution_status_id"}`), true, ""},
		{"control: getfield without get_options", deny("FinancialType"), jsonCall(t, "Event", "getfield", `{"name":"financial_type_id","action":"create"}`), true, ""},
	})
}
