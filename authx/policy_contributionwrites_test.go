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
