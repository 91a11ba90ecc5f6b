package tests

// Attack 23, policy: an APIv4 Order.create line item saves the entity its
// entity_table names, by CiviCRM's table-to-entity map, not by the table's
// name.
//
// CRM_Financial_BAO_Order::saveLineItemEntity (civicrm-core) runs
// civicrm_api4(CRM_Core_DAO_AllCoreTables::getEntityNameForTable(
// $lineItem['entity_table']), 'save', ['records' => [...]]) for every line
// whose entity_table is not civicrm_contribution, with 'id' from entity_id
// and each entity_id.<field> as <field>. getEntityNameForTable looks the
// table up in the entity types' 'table' entries, so a table whose entity is
// named otherwise than the table is saved as that entity:
//   schema/Core/StatusPreference.entityType.php: 'name' => 'StatusPreference',
//     'table' => 'civicrm_status_pref' (a system check's silencing:
//     ignore_severity, hush_until);
//   schema/Mailing/BounceType.entityType.php: 'name' => 'BounceType',
//     'table' => 'civicrm_mailing_bounce_type' (hold_threshold: how many
//     bounces put an address on hold).
// The edge maps these tables to names CiviCRM does not use (neither the
// entity's nor one it cannot name), so deny rules on StatusPreference and
// BounceType let the save through; civicrm_premiums (Premium),
// civicrm_mailing_abtest (MailingAB) and civicrm_mailing_spool (Spool) are
// already mapped right.

import (
	"fmt"
	"testing"
)

func TestA23OrderLineTableEntityNames(t *testing.T) {
	why := "CRM_Financial_BAO_Order::saveLineItemEntity: civicrm_api4(CRM_Core_DAO_AllCoreTables::getEntityNameForTable('%s') = %s, 'save', records [id from entity_id, entity_id.* as fields]): an update of %s %d"
	line := func(table, field string) a10Req {
		return a10V4("Order", "create", `{"contributionValues":{"contact_id":3,"financial_type_id":1},"lineItems":[{"entity_table":"`+table+
			`","entity_id":1,"entity_id.`+field+`,"qty":1,"unit_price":50,"line_total":50}]}`)
	}
	for _, tc := range []struct {
		entity, table, field, values string
	}{
		{"StatusPreference", "civicrm_status_pref", `ignore_severity":7`, `{"ignore_severity":7}`},
		{"BounceType", "civicrm_mailing_bounce_type", `hold_threshold":99`, `{"hold_threshold":99}`},
	} {
		t.Run(tc.entity, func(t *testing.T) {
			a14Check(t, a14Policy{
				lines:    a17Deny(tc.entity, "update"),
				controls: []a11aCase{{tc.entity + ".update", a10V4(tc.entity, "update", `{"where":[["id","=",1]],"values":`+tc.values+`}`), "the write itself"}},
				cases: []a11aCase{{"v4 Order.create line with entity_table " + tc.table, line(tc.table, tc.field),
					fmt.Sprintf(why, tc.table, tc.entity, tc.entity, 1)}},
			})
		})
	}
}
