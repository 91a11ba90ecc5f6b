package tests

import "testing"

// TestA11cV4CampaignLabelsPassCampaignDeny: campaign_id (Contribution,
// Participant, Activity, Membership…) is a foreign key to Campaign whose
// pseudoconstant is the campaign table itself (schema/*/*.entityType.php:
// 'pseudoconstant' => ['table' => 'civicrm_campaign', 'key_column' => 'id',
// 'label_column' => 'title'], with 'entity_reference' => Campaign). So APIv4's
// `campaign_id:label` in a select answers each row's campaign title, in a
// where it finds rows by a campaign's title, and getFields with loadOptions
// lists every campaign's title: Campaign data. The edge knows this for the
// other spellings: APIv3 getoptions of campaign_id is a read of Campaign
// (README, actions that run other actions), and `campaign_id.title` is refused
// under entity rules as a hop it cannot name; the README also counts "a suffix
// on a listed foreign key itself, contact_id:label" as a read through it. The
// `:label` suffix on campaign_id, and loadOptions, pass deny { entity Campaign }.
func TestA11cV4CampaignLabelsPassCampaignDeny(t *testing.T) {
	why := "campaign_id's options are civicrm_campaign's titles (its pseudoconstant table): the answer carries Campaign " +
		"data, which APIv3's getoptions of campaign_id and APIv4's campaign_id.title are refused for under this rule."
	sim, rec, inst := a9Setup(t, "deny {", "entity Campaign", "}")
	a10MustRefuse(t, sim, rec, inst, "APIv3 Contribution.getoptions campaign_id (control)",
		a10V3("Contribution", "getoptions", `{"field":"campaign_id"}`), "the README: a read of Campaign.")
	if st, body, _, _ := a10Send(t, sim, rec, inst, a10V4("Contact", "get", `{"select":["id"]}`)); st != 200 {
		t.Fatalf("control: a plain APIv4 Contact.get under deny Campaign answered %d %s", st, body)
	}
	for _, c := range []struct {
		name string
		r    a10Req
	}{
		{"Contribution.get select campaign_id:label", a10V4("Contribution", "get", `{"select":["id","campaign_id:label"]}`)},
		{"Contribution.get where campaign_id:label", a10V4("Contribution", "get", `{"select":["id"],"where":[["campaign_id:label","=","Spring Appeal"]]}`)},
		{"Participant.get select campaign_id:name", a10V4("Participant", "get", `{"select":["id","campaign_id:name"]}`)},
		{"Contribution.getFields loadOptions campaign_id", a10V4("Contribution", "getFields", `{"loadOptions":true,"where":[["name","=","campaign_id"]]}`)},
	} {
		a10MustRefuse(t, sim, rec, inst, c.name, c.r, why)
	}
}
