package tests

import "testing"

// TestPolicyV3OptionsOfOtherEntitiesEndToEnd: APIv3 getoptions of a field
// whose options are another entity's rows reads that entity, as APIv4's
// getFields with loadOptions does: deny { entity FinancialType } refuses
// both, under the field's api.aliases name too.
func TestPolicyV3OptionsOfOtherEntitiesEndToEnd(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity FinancialType", "}")
	why := "civicrm_api3_generic_getoptions answers financial_type_id from the BAO's pseudoconstant table, civicrm_financial_type"
	a10MustRefuse(t, sim, rec, inst, "APIv4 loadOptions",
		a10V4("Contribution", "getFields", `{"loadOptions":true,"where":[["name","=","financial_type_id"]]}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 getoptions", a10V3("Contribution", "getoptions", `{"field":"financial_type_id"}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 getoptions by alias", a10V3("Contribution", "getoptions", `{"field":"contribution_type_id"}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 getfield with options",
		a10V3("Event", "getfield", `{"name":"financial_type_id","action":"create","get_options":"create"}`), why)
}
