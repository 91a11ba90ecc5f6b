package tests

// APIv3 getoptions of a campaign field named by an alias. civicrm_api3_generic_getoptions
// first resolves the field with _civicrm_api3_api_resolve_alias, which
// turns a name with no field of its own into name_id when that field exists
// (`if (!isset($meta[$fieldName]['name']) && isset($meta[$fieldName . '_id']))`),
// and only then checks `$fieldName === 'campaign_id'` to answer from
// civicrm_api3('Campaign', 'get', …). So field=campaign answers every
// campaign, as field=campaign_id does, which Civigate refuses under a
// Campaign deny (README: getoptions of campaign_id … a read of Campaign).

import "testing"

func TestA11aGetoptionsCampaignAlias(t *testing.T) {
	const why = "_civicrm_api3_api_resolve_alias resolves field 'campaign' to 'campaign_id' before civicrm_api3_generic_getoptions answers campaign_id from Campaign.get"
	a11aRefuses(t, []string{"deny {", "entity Campaign", "}"}, []a11aCase{
		{"Contribution.getoptions field=campaign", a10V3("Contribution", "getoptions", `{"field":"campaign"}`), why},
		{"Event.getoptions field=campaign (key-value)", a11aKV("entity=Event", "action=getoptions", "json=1", "field=campaign"), why},
		{"chained Activity.getoptions field=campaign", a10V3("Contact", "get", `{"id":2,"return":"display_name","api.Activity.getoptions":{"field":"campaign"}}`), why},
	})
}
