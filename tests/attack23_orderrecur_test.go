package tests

// Attack 23, policy: APIv4 Order.create's contributionRecurValues create a
// recurring contribution.
//
// Civi\Api4\Action\Order\Create (civicrm-core, current releases) takes
// contributionRecurValues beside contributionValues and lineItems:
// getContributionRecurValues() formats them as a ContributionRecur create's
// values (formatWriteValues($values, 'ContributionRecur', 'create')) and
// _run() hands them to CRM_Financial_BAO_Order (setContributionRecurValues,
// then validate()->save()), which creates the ContributionRecur and links
// the contribution (contribution_recur_id) and the line's membership to it.
// civicrm-core's own test (CRM_Member_BAO_MembershipTest's
// setupAutoRenewMembership) builds "the recurring contribution, its (real)
// contribution, and the membership in one order" this way and asserts
// 'Order should have created and linked a recurring contribution.'
//
// Civigate judges Order.create as the Contribution.create it runs and the
// saves its line items make, but not the ContributionRecur the order
// creates, so a deny rule on ContributionRecur lets it through.

import "testing"

func TestA23OrderCreatesContributionRecur(t *testing.T) {
	why := "APIv4 Order.create -> getContributionRecurValues (formatWriteValues as a ContributionRecur create) -> CRM_Financial_BAO_Order::setContributionRecurValues, save(): creates the ContributionRecur and links the contribution to it"
	order := a10V4("Order", "create", `{"contributionValues":{"contact_id":3,"financial_type_id":1,"receive_date":"2025-01-01"},`+
		`"contributionRecurValues":{"contact_id":3,"amount":10,"currency":"USD","frequency_unit":"month","frequency_interval":1,"contribution_status_id:name":"In Progress"},`+
		`"lineItems":[{"qty":1,"unit_price":10,"line_total":10}]}`)
	for name, lines := range map[string][]string{
		"deny ContributionRecur create": a17Deny("ContributionRecur", "create"),
		"deny ContributionRecur":        a17Deny("ContributionRecur"),
	} {
		t.Run(name, func(t *testing.T) {
			a14Check(t, a14Policy{
				lines:    lines,
				controls: []a11aCase{{"ContributionRecur.create", a10V4("ContributionRecur", "create", `{"values":{"contact_id":3,"amount":10,"frequency_unit":"month"}}`), "the write itself"}},
				cases:    []a11aCase{{"v4 Order.create with contributionRecurValues", order, why}},
			})
		})
	}
}
