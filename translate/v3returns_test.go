package translate

import (
	"strings"
	"testing"
)

// What an APIv3 read answers of other entities under its own name
// (V3Returns, custom_N fields) and what an APIv3 write saves of them
// (contactWrites, fieldWrites, v3CustomWrites), as the policy and the cache see them.
func TestWalkV3ReturnsAndWrites(t *testing.T) {
	cases := []struct {
		name, entity, action, params string
		want                         []string
	}{
		// Contact.get: CRM_Contact_BAO_Query's default return.
		{"Contact.get's default return", "Contact", "get", `{"id":1}`,
			[]string{"3 Contact.get", "  3 Email.get via return", "  3 Phone.get via return", "  3 IM.get via return", "  3 Address.get via return"}},
		{"a return of its own fields reads none", "Contact", "get", `{"id":1,"return":["display_name","id"]}`,
			[]string{"3 Contact.get"}},
		{"return=email (a string)", "Contact", "get", `{"return":"display_name,email"}`,
			[]string{"3 Contact.get", "  3 Email.get via email"}},
		{"return as a map, options.return, return.x", "Contact", "getsingle", `{"return":{"phone":1},"options":{"return":{"street_address":1}},"return.im":1}`,
			[]string{"3 Contact.getsingle", "  3 Phone.get via phone", "  3 IM.get via im", "  3 Address.get via street_address", "  3 Contact.get"}},
		{"a location suffix", "Contact", "get", `{"return":["email-Primary"]}`,
			[]string{"3 Contact.get", "  3 Email.get via email"}},
		{"a sort on phone is no return", "Contact", "get", `{"options":{"sort":"phone DESC"},"sort":"city"}`,
			[]string{"3 Contact.get", "  3 Email.get via return", "  3 Phone.get via phone", "  3 IM.get via return", "  3 Address.get via city"}},
		{"a filter on email", "Contact", "get", `{"email":"a@b.c","return":"id"}`,
			[]string{"3 Contact.get", "  3 Email.get via email"}},
		{"group, tag and note filters and returns", "Contact", "get", `{"group":1,"tag":{"IN":[2]},"return":"notes,url,openid"}`,
			[]string{"3 Contact.get", "  3 OpenID.get via openid", "  3 Website.get via url", "  3 GroupContact.get via group", "  3 EntityTag.get via tag", "  3 Note.get via notes"}},
		{"filter.group_id is a group filter", "Contact", "getcount", `{"filter.group_id":"1,2","return":"id"}`,
			[]string{"3 Contact.getcount", "  3 GroupContact.get via group", "  3 Contact.get"}},
		{"getlist's get", "Contact", "getlist", `{"params":{"return":"id"}}`,
			[]string{"3 Contact.getlist", "  3 Contact.get"}},
		{"a custom field returned", "Contact", "get", `{"return":["custom_1","id"]}`,
			[]string{"3 Contact.get", "  3 CustomValue.get via custom_1"}},
		{"a custom field as a filter, any entity", "Activity", "get", `{"custom_12_from":"2020-01-01"}`,
			[]string{"3 Activity.get", "  3 CustomValue.get via custom_12_from"}},
		{"custom_x is no custom field", "Activity", "get", `{"custom_x":1,"customer_1":1}`,
			[]string{"3 Activity.get"}},
		// The component queries: the contact's names, notes, batch, soft credits.
		{"Contribution.get's default return", "Contribution", "get", `{"id":1}`,
			[]string{"3 Contribution.get", "  3 Contact.get via return", "  3 Note.get via return", "  3 Batch.get via return",
				"  3 ContributionSoft.get via return", "  3 PCP.get via return"}},
		{"Contribution.get's return of display_name", "Contribution", "get", `{"return":["total_amount","display_name"]}`,
			[]string{"3 Contribution.get", "  3 Contact.get via display_name", "  3 ContributionSoft.get via return", "  3 PCP.get via return"}},
		{"Contribution.get's return of the contact's email", "Contribution", "get", `{"return":"email"}`,
			[]string{"3 Contribution.get", "  3 ContributionSoft.get via return", "  3 PCP.get via return", "  3 Email.get via email"}},
		{"Participant.get's event fields", "Participant", "get", `{"return":["event_title","event_start_date"]}`,
			[]string{"3 Participant.get", "  3 Event.get via event_title"}},
		{"Pledge.get by contact name", "Pledge", "get", `{"sort_name":"x","return":"id"}`,
			[]string{"3 Pledge.get", "  3 Contact.get via sort_name"}},
		{"Event.get: is_full only with return.is_full, price_set_id with a return", "Event", "get", `{"return.is_full":1}`,
			[]string{"3 Event.get", "  3 Participant.get via is_full", "  3 PriceSetEntity.get via return"}},
		{"Event.get without a return", "Event", "get", `{"id":1}`,
			[]string{"3 Event.get"}},
		{"Event.getlist's repeat suffix", "Event", "getlist", ``,
			[]string{"3 Event.getlist", "  3 RecurringEntity.get via return", "  3 Event.get"}},
		{"a join reads its field, not the joined entity's default return", "Email", "get", `{"return":"contact_id.display_name"}`,
			[]string{"3 Email.get", "  3 Contact.get via contact_id.display_name"}},
		{"in a chain", "Activity", "get", `{"return":"id","api.Contact.get":{"return":"email"}}`,
			[]string{"3 Activity.get", "  3 Contact.get", "    3 Email.get via email"}},
		{"getfields reads nothing", "Contact", "getfields", ``, []string{"3 Contact.getfields"}},
		{"getunique answers metadata", "Contact", "getunique", ``, []string{"3 Contact.getunique", "  3 Contact.get"}},

		// Contact.create: CRM_Contact_BAO_Contact::create's other records.
		{"group 1 adds, -1 removes", "Contact", "create", `{"id":2,"group":{"1":1,"2":"-1"}}`,
			[]string{"3 Contact.create", "  3 GroupContact.create ?", "  3 GroupContact.update ?", "  3 GroupContact.update ?", "  3 GroupContact.delete ?", "  3 Contact.update"}},
		{"group flags that are neither", "Contact", "create", `{"id":2,"group":{"1":0,"2":"x","3":[1]}}`,
			[]string{"3 Contact.create", "  3 Contact.update"}},
		{"group flag true is 1", "Contact", "create", `{"contact_type":"Individual","group":{"1":true}}`,
			[]string{"3 Contact.create", "  3 GroupContact.create ?", "  3 GroupContact.update ?"}},
		{"a string email", "Contact", "create", `{"contact_type":"Individual","email":"a@b.c"}`,
			[]string{"3 Contact.create", "  3 Email.create ?", "  3 Email.update ?"}},
		{"location blocks, blank ones deleted", "Contact", "create", `{"id":2,"phone":[{"phone":"1"}],"address":[{"city":"x"}],"updateBlankLocInfo":1}`,
			[]string{"3 Contact.create", "  3 Phone.create ?", "  3 Phone.update ?", "  3 Phone.delete ?",
				"  3 Address.create ?", "  3 Address.update ?", "  3 Address.delete ?", "  3 Contact.update"}},
		{"home_url, note, employer, is_deceased", "Contact", "update", `{"id":2,"home_url":"https://x","note":"n","employer_id":5,"is_deceased":1}`,
			[]string{"3 Contact.update", "  3 Website.create ?", "  3 Website.update ?", "  3 Website.delete ?", "  3 Note.create ?",
				"  3 Relationship.create ?", "  3 Relationship.update ?", "  3 Membership.update ?", "  3 Contact.get", "  3 Contact.create"}},
		{"current_employer creates the organisation", "Contact", "create", `{"contact_type":"Individual","first_name":"a","current_employer":"Acme"}`,
			[]string{"3 Contact.create", "  3 Relationship.create ?", "  3 Relationship.update ?", "  3 Contact.create ?"}},
		{"tag is no create parameter", "Contact", "create", `{"contact_type":"Individual","first_name":"a","tag":{"1":1}}`,
			[]string{"3 Contact.create"}},
		{"a replace's elements", "Contact", "replace", `{"values":[{"group":{"1":1}}]}`,
			[]string{"3 Contact.replace", "  3 Contact.get", "  3 Contact.create", "    3 GroupContact.create ?", "    3 GroupContact.update ?", "  3 Contact.delete"}},
		{"an Email create is no contact write", "Email", "create", `{"contact_id":2,"email":"a@b.c","group":{"1":1}}`,
			[]string{"3 Email.create"}},

		// custom_N in any create.
		{"custom_N in a create", "Activity", "create", `{"activity_type_id":1,"custom_1":"x"}`,
			[]string{"3 Activity.create", "  3 CustomValue.create ?", "  3 CustomValue.update ?"}},
		{"custom_N_M in a contact update", "Contact", "create", `{"id":2,"custom_1_-1":"x"}`,
			[]string{"3 Contact.create", "  3 CustomValue.create ?", "  3 CustomValue.update ?", "  3 Contact.update"}},
		{"a null custom value is skipped", "Activity", "create", `{"custom_1":null}`,
			[]string{"3 Activity.create"}},
		{"a custom array", "Activity", "create", `{"custom":{"1":{"-1":{"value":"x"}}}}`,
			[]string{"3 Activity.create", "  3 CustomValue.create ?", "  3 CustomValue.update ?"}},
		{"setvalue of a custom field", "Activity", "setvalue", `{"id":1,"field":"custom_3","value":"x"}`,
			[]string{"3 Activity.setvalue", "  3 CustomValue.create ?", "  3 CustomValue.update ?", "  3 Activity.update"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := v3Walk(ajaxCall(t, tc.entity, tc.action, tc.params)); !sameLines(got, tc.want) {
				t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}
