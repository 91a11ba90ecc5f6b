package tests

// Attack 22, policy: Order.create saves the entities its line items name.
//
// APIv3 civicrm_api3_order_create (api/v3/Order.php): for each element of
// line_items whose line item's entity_table is civicrm_participant or
// civicrm_membership, it runs civicrm_api3('Participant', 'create',
// $lineItems['params']) or civicrm_api3('Membership', 'create',
// $lineItems['params']) with the client's params (skipLineItem and a
// pending status added), before Contribution.create. An internal
// civicrm_api3() call goes through the API kernel like any other, so an
// api.<Entity>.<action> key in those params is chained (ChainSubscriber),
// and it checks no permission unless the params ask for it.
//
// APIv4 Order.create (Civi\Api4\Action\Order\Create::_run ->
// CRM_Financial_BAO_Order::save): every line item whose entity_table is
// not civicrm_contribution is saved first (saveLineItemEntity): the entity
// CRM_Core_DAO_AllCoreTables::getEntityNameForTable gives its entity_table,
// with ['id' => entity_id] and every entity_id.<field> of the line as
// values (a membership line's membership_type_id, and on a new record the
// contribution's values the entity has fields for), through
// civicrm_api4($entity, 'save', ['records' => [...]]). A line with
// membership_type_id is a civicrm_membership line (setLineItem). So a line
// {"entity_table":"civicrm_contact","entity_id":4,"entity_id.is_deceased":
// true} updates contact 4.
//
// Civigate judges Order.create as the Contribution.create it runs and
// leaves the line items' writes out (README: "The participants and
// memberships its line items' params create are not judged"), so deny
// rules on Membership, Participant or Contact updates let them through.

import (
	"fmt"
	"testing"
)

func TestA22OrderLineItemsWriteEntities(t *testing.T) {
	v3 := "civicrm_api3_order_create runs civicrm_api3('%s', 'create', $lineItems['params']) for a line item of %s, with the client's params"
	v4 := "Order.create -> CRM_Financial_BAO_Order::save -> saveLineItemEntity: civicrm_api4(getEntityNameForTable(entity_table), 'save', ['records' => [entity_id and entity_id.* of the line]])"
	v3line := func(table, params string) string {
		return `{"contact_id":3,"financial_type_id":1,"total_amount":50,"line_items":[{"params":` + params +
			`,"line_item":[{"entity_table":"` + table + `","price_field_id":1,"price_field_value_id":1,"qty":1,"unit_price":50,"line_total":50}]}]}`
	}
	t.Run("Membership", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines:    a17Deny("Membership", "create"),
			controls: []a11aCase{{"Membership.create", a10V3("Membership", "create", `{"contact_id":3,"membership_type_id":1}`), "the write itself"}},
			cases: []a11aCase{
				{"v3 Order.create membership line", a10V3("Order", "create", v3line("civicrm_membership", `{"contact_id":3,"membership_type_id":1}`)), fmt.Sprintf(v3, "Membership", "civicrm_membership")},
				{"v4 Order.create membership line", a10V4("Order", "create", `{"contributionValues":{"contact_id":3,"financial_type_id":1,"receive_date":"2025-01-01"},"lineItems":[{"membership_type_id":1,"qty":1,"unit_price":50,"line_total":50}]}`), v4 + " (a line with membership_type_id is civicrm_membership: Membership.save)"},
			},
		})
	})
	t.Run("Participant", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines:    a17Deny("Participant", "create"),
			controls: []a11aCase{{"Participant.create", a10V3("Participant", "create", `{"contact_id":3,"event_id":1}`), "the write itself"}},
			cases: []a11aCase{
				{"v3 Order.create participant line", a10V3("Order", "create", v3line("civicrm_participant", `{"contact_id":3,"event_id":1}`)), fmt.Sprintf(v3, "Participant", "civicrm_participant")},
				{"v4 Order.create participant line", a10V4("Order", "create", `{"contributionValues":{"contact_id":3,"financial_type_id":1},"lineItems":[{"entity_table":"civicrm_participant","entity_id.event_id":1,"qty":1,"unit_price":50,"line_total":50,"price_field_id":1,"price_field_value_id":1}]}`), v4 + " (Participant.save)"},
			},
		})
	})
	t.Run("chained in a line item's params", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines:    a17Deny("Contact", "delete"),
			controls: []a11aCase{{"chained Contact.delete", a10V3("Membership", "create", `{"contact_id":3,"membership_type_id":1,"api.Contact.delete":{"id":4}}`), "the same chain on a Membership.create"}},
			cases: []a11aCase{
				{"v3 Order.create line params with api.Contact.delete", a10V3("Order", "create", v3line("civicrm_membership", `{"contact_id":3,"membership_type_id":1,"api.Contact.delete":{"id":4}}`)),
					fmt.Sprintf(v3, "Membership", "civicrm_membership") + ": civicrm_api3() runs the kernel, whose ChainSubscriber runs api.Contact.delete"},
			},
		})
	})
	t.Run("any entity by entity_table", func(t *testing.T) {
		a14Check(t, a14Policy{
			lines:    a17Deny("Contact", "update"),
			controls: []a11aCase{{"Contact.update", a10V4("Contact", "update", `{"where":[["id","=",4]],"values":{"is_deceased":true}}`), "the write itself"}},
			cases: []a11aCase{
				{"v4 Order.create civicrm_contact line", a10V4("Order", "create", `{"contributionValues":{"contact_id":3,"financial_type_id":1},"lineItems":[{"entity_table":"civicrm_contact","entity_id":4,"entity_id.is_deceased":true,"qty":1,"unit_price":50,"line_total":50}]}`),
					v4 + " (Contact.save of record 4 with is_deceased: an update)"},
			},
		})
	})
}
