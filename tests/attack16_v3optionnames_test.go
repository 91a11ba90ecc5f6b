package tests

// Attack 16: an APIv3 filter naming a group (or a campaign) by its name or
// title, the APIv3 spelling of APIv4's group_id:name, reads that entity.

import "testing"

// TestA16V3FilterByOptionNameReadsItsEntity: APIv3 validates every integer
// field of a non-generic action before running it
// (Civi\API\Subscriber\APIv3SchemaAdapter::onApiPrepare_validate ->
// _civicrm_api3_validate_fields -> _civicrm_api3_validate_integer), and a
// non-numeric value of a field with a pseudoconstant goes through
// _civicrm_api3_api_match_pseudoconstant, which loads the field's options
// (getoptions, context validate: civicrm_group's titles and names for
// GroupContact.group_id, civicrm_campaign's for campaign_id) and swaps the
// name for its id, or fails with "… is not a valid option": an oracle on
// the denied entity's rows either way. The README makes the APIv4 spelling
// (group_id:name, campaign_id:name: "a suffix on a field whose options are
// another entity's table is a read of that entity") and APIv3 Contact.get's
// group-by-title filter reads of Group; GroupContact.get and Contribution.get
// with the name go through deny { entity Group } and deny { entity Campaign }.
func TestA16V3FilterByOptionNameReadsItsEntity(t *testing.T) {
	const why = "CiviCRM resolves the name against the entity's rows (_civicrm_api3_api_match_pseudoconstant), as APIv4's :name suffix does"
	a14Check(t, a14Policy{
		lines: []string{"deny {", "entity Group", "}"},
		controls: []a11aCase{
			{"APIv4 group_id:name", a10V4("GroupContact", "get", `{"where":[["group_id:name","=","Secret_Name"]]}`), "suffix read"},
			{"APIv3 Contact.get group title", a10V3("Contact", "get", `{"group":{"IN":["Secret Title"]}}`), "supportanomalies"},
		},
		cases: []a11aCase{
			{"APIv3 GroupContact.get group_id by name", a10V3("GroupContact", "get", `{"group_id":"Secret_Name"}`), why},
			{"APIv3 GroupContact.get group_id IN names", a10V3("GroupContact", "get", `{"group_id":{"IN":["Secret_Name"]}}`), why},
		},
	})
	a14Check(t, a14Policy{
		lines: []string{"deny {", "entity Campaign", "}"},
		controls: []a11aCase{
			{"APIv4 campaign_id:name", a10V4("Contribution", "get", `{"where":[["campaign_id:name","=","Secret_Campaign"]]}`), "suffix read"},
		},
		cases: []a11aCase{
			{"APIv3 Contribution.get campaign_id by name", a10V3("Contribution", "get", `{"campaign_id":"Secret_Campaign"}`), why},
		},
	})
}
