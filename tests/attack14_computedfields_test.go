package tests

import "testing"

// TestA14V4ComputedFieldsReadOtherTables: some APIv4 get fields are SQL
// subqueries on other entities' tables, added by spec providers:
//   - Group.contact_count (GroupGetSpecProvider::countContacts): COUNT from
//     civicrm_group_contact_cache, else from civicrm_group_contact with
//     status 'Added': how many members each group has, GroupContact data
//     (APIv3 GroupContact.getcount, the control, is refused);
//   - Contribution.paid_amount and balance_amount
//     (ContributionGetSpecProvider::calculateAmountPaid, calculateBalance):
//     SUM over civicrm_financial_trxn joined through
//     civicrm_entity_financial_trxn, FinancialTrxn data.
//
// Selected or filtered on (where contact_count > 0 lists the non-empty
// groups), they answer those entities' rows under Group's and
// Contribution's names. The README says an entity rule covers that entity's
// data however a call reaches it, and judges the like of them (APIv4's
// groups filter, tags) as reads of the entity behind them; these pass.
func TestA14V4ComputedFieldsReadOtherTables(t *testing.T) {
	t.Run("deny GroupContact", func(t *testing.T) {
		why := "Group.contact_count counts civicrm_group_contact (GroupGetSpecProvider::countContacts): GroupContact data"
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity GroupContact", "}"},
			controls: []a11aCase{
				{name: "APIv3 GroupContact.getcount", r: a10V3("GroupContact", "getcount", `{"group_id":1}`), why: "the rule itself"},
			},
			cases: []a11aCase{
				{name: "Group.get select contact_count", r: a10V4("Group", "get", `{"select":["id","contact_count"]}`), why: why},
				{name: "Group.get where contact_count", r: a10V4("Group", "get", `{"select":["id"],"where":[["contact_count",">",0]]}`), why: why},
			},
		})
	})
	t.Run("deny FinancialTrxn", func(t *testing.T) {
		why := "Contribution.paid_amount and balance_amount sum civicrm_financial_trxn (ContributionGetSpecProvider): FinancialTrxn data"
		a14Check(t, a14Policy{
			lines: []string{"deny {", "entity FinancialTrxn", "}"},
			controls: []a11aCase{
				{name: "APIv4 FinancialTrxn.get", r: a10V4("FinancialTrxn", "get", `{"select":["total_amount"]}`), why: "the rule itself"},
			},
			cases: []a11aCase{
				{name: "Contribution.get select paid_amount", r: a10V4("Contribution", "get", `{"select":["id","paid_amount"]}`), why: why},
				{name: "Contribution.get where balance_amount", r: a10V4("Contribution", "get", `{"select":["id"],"where":[["balance_amount",">",0]]}`), why: why},
			},
		})
	})
}
