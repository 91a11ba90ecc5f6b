package tests

import "testing"

// TestA14TableOptionSuffixesReadTheirEntity: the README says a suffix
// (:label, :name…) on a field whose options are another entity's table
// (schema/*/*.entityType.php 'pseudoconstant' => ['table' => …]) is a read
// of that entity, as campaign_id:label reads Campaign. These core fields have
// such options and are not read so:
//   - OptionValue.option_group_id: 'table' => 'civicrm_option_group'
//     (schema/Core/OptionValue.entityType.php), the everyday
//     where option_group_id:name = 'gender';
//   - CustomField.custom_group_id: 'table' => 'civicrm_custom_group', and
//     CustomField.option_group_id: 'table' => 'civicrm_option_group'
//     (schema/Core/CustomField.entityType.php);
//   - UFField.uf_group_id: 'table' => 'civicrm_uf_group'
//     (schema/Core/UFField.entityType.php);
//   - Country.region_id: 'table' => 'civicrm_worldregion'
//     (schema/Core/Country.entityType.php).
//
// APIv4 answers the suffix from that table (the options' label and name
// columns), so option_group_id:label is the option group's title, as
// option_group_id.title is; the dotted spelling is refused under a deny on
// the entity (the controls), the suffix passes.
func TestA14TableOptionSuffixesReadTheirEntity(t *testing.T) {
	rows := []struct {
		deny            string
		control, suffix a11aCase
		more            []a11aCase
	}{
		{
			deny:    "OptionGroup",
			control: a11aCase{name: "OptionValue.get option_group_id.title", r: a10V4("OptionValue", "get", `{"select":["option_group_id.title"]}`)},
			suffix:  a11aCase{name: "OptionValue.get select option_group_id:label", r: a10V4("OptionValue", "get", `{"select":["id","option_group_id:label"]}`)},
			more: []a11aCase{
				{name: "OptionValue.get where option_group_id:name", r: a10V4("OptionValue", "get", `{"select":["id"],"where":[["option_group_id:name","=","gender"]]}`)},
				{name: "CustomField.get select option_group_id:label", r: a10V4("CustomField", "get", `{"select":["id","option_group_id:label"]}`)},
			},
		},
		{
			deny:    "CustomGroup",
			control: a11aCase{name: "CustomField.get custom_group_id.title", r: a10V4("CustomField", "get", `{"select":["custom_group_id.title"]}`)},
			suffix:  a11aCase{name: "CustomField.get select custom_group_id:label", r: a10V4("CustomField", "get", `{"select":["id","custom_group_id:label"]}`)},
		},
		{
			deny:    "UFGroup",
			control: a11aCase{name: "UFField.get uf_group_id.title", r: a10V4("UFField", "get", `{"select":["uf_group_id.title"]}`)},
			suffix:  a11aCase{name: "UFField.get select uf_group_id:label", r: a10V4("UFField", "get", `{"select":["id","uf_group_id:label"]}`)},
		},
		{
			deny:    "WorldRegion",
			control: a11aCase{name: "Country.get region_id.name", r: a10V4("Country", "get", `{"select":["region_id.name"]}`)},
			suffix:  a11aCase{name: "Country.get select region_id:label", r: a10V4("Country", "get", `{"select":["id","region_id:label"]}`)},
		},
	}
	for _, row := range rows {
		t.Run("deny "+row.deny, func(t *testing.T) {
			why := "the field's options are civicrm's " + row.deny + " table (schema 'pseudoconstant' => ['table' => …]): the suffix answers " + row.deny + " rows, as campaign_id:label answers Campaign's"
			row.control.why = "the dotted path through the same foreign key"
			cases := append([]a11aCase{row.suffix}, row.more...)
			for i := range cases {
				cases[i].why = why
			}
			a14Check(t, a14Policy{
				lines:    []string{"deny {", "entity " + row.deny, "}"},
				controls: []a11aCase{row.control},
				cases:    cases,
			})
		})
	}
}
