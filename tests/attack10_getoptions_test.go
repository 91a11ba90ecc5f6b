package tests

import "testing"

// TestAttack10GetoptionsCampaignRunsCampaignGet: APIv3 getoptions of any
// entity's campaign_id field runs Campaign.get. civicrm_api3_generic_getoptions
// (api/v3/Generic.php): "Legacy support for campaign_id fields which used to
// have a pseudoconstant": it answers
// array_column(civicrm_api3('Campaign', 'get', ['select' => ['id', 'name',
// 'title'], 'options' => ['limit' => 0]]), …): every campaign's name or title
// (inactive ones included outside the match/create contexts), as an internal
// call without permission checks. The README: "A read of another entity made
// under the call's own name counts as a get of that entity"; `deny { entity
// Campaign }` refuses Campaign.get but not this.
func TestAttack10GetoptionsCampaignRunsCampaignGet(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Campaign", "}")
	why := "civicrm_api3_generic_getoptions answers campaign_id's options from civicrm_api3('Campaign', 'get', " +
		"[limit 0]): every campaign's title, though a rule forbids reading Campaign."
	a10MustRefuse(t, sim, rec, inst, "Contribution.getoptions campaign_id", a10V3("Contribution", "getoptions", `{"field":"campaign_id"}`), why)
	a10MustRefuse(t, sim, rec, inst, "Activity.getoptions campaign_id", a10V3("Activity", "getoptions", `{"field":"campaign_id","context":"get"}`), why)
}
