package authx

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// What a contribution's write saves of other entities for the fields it
// names (translate's field-write table): CRM_Contribute_BAO_Contribution::create
// adds a Note for a note and soft credits (ContributionSoft) for
// soft_credit and pcp, and APIv3 makes soft credits of its legacy
// soft_credit_to and honor_contact_id; Order.create runs that create.
// Each API, JSON and key-value parameters, alone and chained; an allow
// rule naming Contribution.create alone admits none of them.
func TestPolicyContributionWritesNotesAndSoftCredits(t *testing.T) {
	v4 := func(path, params string) *translate.Call { return policyV4Call(t, path, params) }
	deny := func(entity string, actions ...string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{entity}, Actions: actions}}}
	}
	onlyContributions := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Contribution"}, Actions: []string{"create", "update"}}}}
	keyValue := &translate.Call{Form: translate.FormAjax, Method: "POST", Format: translate.FormatJSON, Entity: "Contribution", Action: "create",
		Params: arr("contact_id", "2", "financial_type_id", "1", "total_amount", "10", "note", "paid in cash")}
	checkPolicyRows(t, []policyRow{
		{"an APIv3 note", deny("Note", "create"), jsonCall(t, "Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"note":"paid in cash"}`), false, ""},
		{"an APIv3 note, key-value", deny("Note", "create"), keyValue, false, ""},
		{"an APIv3 note by its unique name", deny("Note", "create"), jsonCall(t, "Contribution", "create", `{"id":1,"contribution_note":"x"}`), false, ""},
		{"an APIv3 contribution chained below a new contact", deny("Note", "create"),
			jsonCall(t, "Contact", "create", `{"contact_type":"Individual","first_name":"x","api.Contribution.create":{"financial_type_id":1,"total_amount":10,"note":"x"}}`), false, ""},
		{"APIv3 soft credits", deny("ContributionSoft"), jsonCall(t, "Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"soft_credit":[{"contact_id":3,"amount":10}]}`), false, ""},
		{"APIv3 legacy soft_credit_to", deny("ContributionSoft"), jsonCall(t, "Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"soft_credit_to":3}`), false, ""},
		{"APIv3 legacy honor_contact_id", deny("ContributionSoft"), jsonCall(t, "Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"honor_contact_id":3}`), false, ""},
		{"an APIv3 edit drops soft credits it leaves out", deny("ContributionSoft", "delete"), jsonCall(t, "Contribution", "create", `{"id":1,"soft_credit":[]}`), false, ""},
		{"an APIv4 note", deny("Note", "create"), v4("Contribution/create", `{"values":{"contact_id":2,"financial_type_id":1,"total_amount":10,"note":"x"}}`), false, ""},
		{"an APIv4 PCP soft credit", deny("ContributionSoft"), v4("Contribution/save", `{"records":[{"id":1,"pcp":{"pcp_made_through_id":1}}]}`), false, ""},
		{"an APIv3 order's note", deny("Note", "create"), jsonCall(t, "Order", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"note":"x"}`), false, ""},
		{"an APIv3 order writes a contribution", deny("Contribution"), jsonCall(t, "Order", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10}`), false, ""},
		{"an APIv4 order's soft credit", deny("ContributionSoft"), v4("Order/create", `{"contributionValues":{"contact_id":2,"soft_credit":[{"contact_id":3}]},"lineItems":[]}`), false, ""},
		{"an allow on Contribution.create admits no note", onlyContributions, jsonCall(t, "Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"note":"x"}`), false, ""},
		{"control: an allow on Contribution.create admits a plain one", onlyContributions, jsonCall(t, "Contribution", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10}`), true, ""},
		{"control: an empty note adds none", deny("Note", "create"), jsonCall(t, "Contribution", "create", `{"id":1,"note":"","total_amount":5}`), true, ""},
		{"control: APIv4 has no legacy soft credit fields", deny("ContributionSoft"), v4("Contribution/create", `{"values":{"contact_id":2,"soft_credit_to":3}}`), true, ""},
		{"control: a payment takes no note", deny("Note"), jsonCall(t, "Payment", "create", `{"contribution_id":1,"total_amount":10,"note":"x"}`), true, ""},
	})
}

// Order.create's line items save what they name before the contribution
// (translate's v3OrderLines and v4OrderLines): civicrm_api3_order_create's
// Participant and Membership creates with the line's params, chains
// included; CRM_Financial_BAO_Order::saveLineItemEntity's APIv4 save of
// the entity_table's entity. Judged as those calls: an allow rule on
// Order (and Contribution) alone admits none of them.
func TestPolicyOrderLineItems(t *testing.T) {
	v4 := func(params string) *translate.Call { return policyV4Call(t, "Order/create", params) }
	v3 := func(lines string) *translate.Call {
		return jsonCall(t, "Order", "create", `{"contact_id":2,"financial_type_id":1,"total_amount":10,"line_items":`+lines+`}`)
	}
	deny := func(entity string, actions ...string) *Policy {
		return &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{entity}, Actions: actions}}}
	}
	orders := &Policy{Default: "deny", Rules: []Rule{{Effect: "allow", Entities: []string{"Order", "Contribution", "ContributionSoft"}}}}
	participant := `[{"params":{"contact_id":2,"event_id":1},"line_item":[{"entity_table":"civicrm_participant","membership_type_id":""}]}]`
	checkPolicyRows(t, []policyRow{
		{"an APIv3 participant line", deny("Participant", "create"), v3(participant), false, ""},
		{"an APIv3 membership line by its type", deny("Membership", "create"),
			v3(`[{"params":{"contact_id":2,"membership_type_id":1},"line_item":[{"membership_type_id":1}]}]`), false, ""},
		{"an APIv3 line's price option may be a membership's", deny("Membership", "create"),
			v3(`[{"params":{"contact_id":2,"event_id":1},"line_item":[{"entity_table":"civicrm_participant","price_field_value_id":5}]}]`), false, ""},
		{"a chain in an APIv3 line's params", deny("Contact", "delete"),
			v3(`[{"params":{"contact_id":2,"event_id":1,"api.Contact.delete":{"id":4}},"line_item":[{"entity_table":"civicrm_participant"}]}]`), false, ""},
		{"an APIv4 membership line", deny("Membership", "create"), v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"membership_type_id":1}]}`), false, ""},
		{"an APIv4 line updating a contact", deny("Contact", "update"),
			v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"entity_table":"civicrm_contact","entity_id":4,"entity_id.is_deceased":true}]}`), false, ""},
		{"an APIv4 line's table the edge cannot tell", deny("Phone", "update"),
			v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"entity_table":"civicrm_value_x","entity_id":4,"entity_id.a":1}]}`), false, ""},
		{"an allow on Order admits no participant", orders, v3(participant), false, ""},
		{"control: an allow on Order admits a donation", orders,
			v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"entity_table":"civicrm_contribution","membership_type_id":0}]}`), true, ""},
		{"control: a deny on Membership lets a typed participant line through", deny("Membership", "create"), v3(participant), true, ""},
		{"control: a deny on Contact update lets a line without entity_id.* through", deny("Contact", "update"),
			v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"entity_table":"civicrm_contact","entity_id":4}]}`), true, ""},
		// getEntityNameForTable: each entity type's table, exactly.
		{"an APIv4 line's civicrm_status_pref is StatusPreference", deny("StatusPreference", "update"),
			v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"entity_table":"civicrm_status_pref","entity_id":1,"entity_id.ignore_severity":7}]}`), false, ""},
		{"an APIv4 line's civicrm_mailing_bounce_pattern is BouncePattern", deny("BouncePattern"),
			v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"entity_table":"civicrm_mailing_bounce_pattern","entity_id":1,"entity_id.pattern":"x"}]}`), false, ""},
		{"an APIv4 line's extension table is an entity the edge cannot name", deny("Phone", "update"),
			v4(`{"contributionValues":{"contact_id":2},"lineItems":[{"entity_table":"civicrm_sdd_mandate","entity_id":1,"entity_id.status":"RCUR"}]}`), false, ""},
		// Civi\Api4\Action\Order\Create::getContributionRecurValues.
		{"APIv4 contributionRecurValues create a ContributionRecur", deny("ContributionRecur", "create"),
			v4(`{"contributionValues":{"contact_id":2},"contributionRecurValues":{"contact_id":2,"amount":10}}`), false, ""},
		{"which the contribution is linked to", deny("ContributionRecur", "update"),
			v4(`{"contributionValues":{"contact_id":2},"contributionRecurValues":{"contact_id":2,"amount":10}}`), false, ""},
		{"and the membership: a membership line with an id alone updates it", deny("Membership", "update"),
			v4(`{"contributionValues":{"contact_id":2},"contributionRecurValues":{"amount":10},"lineItems":[{"entity_table":"civicrm_membership","entity_id":5}]}`), false, ""},
		{"an allow on Order admits no recurring contribution", orders,
			v4(`{"contributionValues":{"contact_id":2},"contributionRecurValues":{"contact_id":2,"amount":10}}`), false, ""},
		{"control: empty contributionRecurValues create none", deny("ContributionRecur"),
			v4(`{"contributionValues":{"contact_id":2},"contributionRecurValues":[],"lineItems":[{"entity_table":"civicrm_membership","entity_id":5}]}`), true, ""},
	})
}
