package tests

// A Pledge create writes its payment schedule: CRM_Pledge_BAO_Pledge::create
// (APIv3 Pledge.create, and APIv4's Pledge create/save through the BAO)
// ends with CRM_Pledge_BAO_PledgePayment::createMultiple($paymentParams),
// one PledgePayment row per installment (and deletes and recreates them
// when a pending pledge's schedule changes). The README lists PledgePayment
// among the entities whose plain writes invalidate everything; a Pledge
// write that writes PledgePayment rows must at least invalidate cached
// PledgePayment reads.

import "testing"

func TestA11bPledgeCreateWritesPayments(t *testing.T) {
	reads := []a10bCall{
		{4, "PledgePayment", "get", `{"select":["id","scheduled_date","status_id"]}`},
		{3, "PledgePayment", "get", `{"pledge_id":1}`},
	}
	writes := []a10bCall{
		{3, "Pledge", "create", `{"contact_id":3,"amount":100,"installments":2,"frequency_unit":"month","financial_type_id":1,"start_date":"2026-01-01","create_date":"2026-01-01"}`},
		{4, "Pledge", "create", `{"values":{"contact_id":3,"amount":100,"installments":2,"frequency_unit":"month","financial_type_id":1,"start_date":"2026-01-01","create_date":"2026-01-01"}}`},
	}
	sim, u, inst := a10bSetup(t)
	for _, w := range writes {
		for _, r := range reads {
			if msg := a10bStaleAfter(t, sim, u, inst, r, w); msg != "" {
				t.Errorf("CRM_Pledge_BAO_Pledge::create writes the pledge's PledgePayment schedule: %s", msg)
			}
		}
	}
}
