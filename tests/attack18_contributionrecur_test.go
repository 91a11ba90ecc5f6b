package tests

import "testing"

// TestA18ContributionRecurAmountRewritesTemplateContribution: a plain write
// of a recurring contribution's amount, through either API, makes CiviCRM
// rewrite its template contribution (CRM_Contribute_BAO_ContributionRecur::
// self_hook_civicrm_post: on 'edit' with a numeric amount,
// getTemplateContribution, and when its single line's total differs,
// Contribution::update(FALSE) with total_amount = the new amount; the
// contribution's BAO then rewrites its line item and financial records).
// APIv3 ContributionRecur.create goes through _civicrm_api3_basic_create ->
// the BAO's create/add -> writeRecord, APIv4 update through writeRecord:
// both fire the post hook. A Contribution write invalidates everything
// (README), yet the ContributionRecur write leaves cached Contribution and
// LineItem reads served with the old total.
func TestA18ContributionRecurAmountRewritesTemplateContribution(t *testing.T) {
	why := "CRM_Contribute_BAO_ContributionRecur::self_hook_civicrm_post updates the template contribution's total_amount " +
		"(Contribution::update) when a recurring contribution's amount is edited, which rewrites its line item"
	v4w := a10bCall{4, "ContributionRecur", "update", `{"where":[["id","=",1]],"values":{"amount":20}}`}
	v3w := a10bCall{3, "ContributionRecur", "create", `{"id":1,"amount":20}`}
	controls := []a15Case{{read: a10bCall{4, "ContributionRecur", "get", `{"select":["amount"]}`}, write: v4w}}
	var cases []a15Case
	for _, w := range []a10bCall{v4w, v3w} {
		cases = append(cases,
			a15Case{read: a10bCall{4, "Contribution", "get", `{"select":["total_amount"],"where":[["id","=",5]]}`}, write: w, why: why},
			a15Case{read: a10bCall{3, "Contribution", "get", `{"id":5,"return":["total_amount"]}`}, write: w, why: why},
			a15Case{read: a10bCall{4, "LineItem", "get", `{"where":[["contribution_id","=",5]]}`}, write: w, why: why},
		)
	}
	a18MustInvalidate(t, controls, cases)
}
