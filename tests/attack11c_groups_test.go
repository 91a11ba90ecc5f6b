package tests

import "testing"

// TestA11cV4GroupsFilterReadsGroupContact: APIv4 gives Contact (and
// Individual, Organization, Household) a `groups` field on get, a filter
// whose SQL is the contact's group membership: ContactSpecProvider::modifySpec
// adds FieldSpec('groups') with addSqlFilter(getContactGroupSql), which fills
// a temporary table from CRM_Contact_BAO_GroupContactCache::
// populateTemporaryTableWithContactsInGroups (civicrm_group_contact and the
// smart-group cache) and joins it to the contacts. So
// `where: [["groups","IN",[5]]]` answers exactly which contacts are in group 5,
// the rows of GroupContact, as APIv3's `group` filter does. The README judges
// the APIv3 spelling as a GroupContact read ("group/groups and filter.group_id
// (GroupContact: a group filter answers a group's members)", which needs
// GroupContact allowed and meets a deny on it), and says an entity rule
// covers that entity's data however a call reaches it. The APIv4 spelling
// passes both a deny on GroupContact and an allow list naming Contact.get
// alone, at the top level, nested in OR/NOT, through a foreign key
// (contact_id.groups) and in autocomplete's filters.
func TestA11cV4GroupsFilterReadsGroupContact(t *testing.T) {
	why := "APIv4's Contact `groups` field is a filter on civicrm_group_contact (ContactSpecProvider::getContactGroupSql): " +
		"the answer lists the members of the group, GroupContact data, which APIv3's group filter is refused for."
	calls := []struct {
		name string
		r    a10Req
	}{
		{"Contact.get where groups IN", a10V4("Contact", "get", `{"select":["id"],"where":[["groups","IN",[1]]]}`)},
		{"Individual.get where groups IN", a10V4("Individual", "get", `{"select":["id"],"where":[["groups","IN",[1]]]}`)},
		{"Contact.get where groups NOT IN", a10V4("Contact", "get", `{"select":["id"],"where":[["groups","NOT IN",[1]]]}`)},
		{"Contact.get where OR [groups IN]", a10V4("Contact", "get", `{"select":["id"],"where":[["OR",[["groups","IN",[1]],["id","=",0]]]]}`)},
		{"Email.get where contact_id.groups", a10V4("Email", "get", `{"select":["id"],"where":[["contact_id.groups","IN",[1]]]}`)},
		{"Contact.autocomplete filters groups", a10V4("Contact", "autocomplete", `{"input":"","filters":{"groups":[1]}}`)},
	}

	t.Run("deny GroupContact", func(t *testing.T) {
		sim, rec, inst := a9Setup(t, "deny {", "entity GroupContact", "}")
		for _, c := range calls {
			a10MustRefuse(t, sim, rec, inst, c.name, c.r, why)
		}
	})

	t.Run("allow Contact get and autocomplete only", func(t *testing.T) {
		sim, rec, inst := a9Setup(t, "default deny", "allow {", "entity Contact Individual Email", "action get autocomplete", "}")
		// The same allow list refuses APIv3's spelling, as the README says.
		a10MustRefuse(t, sim, rec, inst, "APIv3 Contact.get group filter (control)",
			a10V3("Contact", "get", `{"group":1,"return":"id"}`), "the README: a group filter needs GroupContact allowed.")
		// And admits a plain APIv4 Contact.get, so a refusal below is not a refusal of everything.
		if st, body, _, _ := a10Send(t, sim, rec, inst, a10V4("Contact", "get", `{"select":["id","display_name"]}`)); st != 200 {
			t.Fatalf("control: plain APIv4 Contact.get under allow Contact get answered %d %s", st, body)
		}
		for _, c := range calls {
			a10MustRefuse(t, sim, rec, inst, c.name, c.r, why+" The allow list names no GroupContact.")
		}
	})
}
