package tests

// APIv3 Contact.get filters and returns of component data. Contact.get
// runs CRM_Contact_BAO_Query (the Advanced Search's query object), whose
// where clause also runs every component's query (CRM_Core_Component::
// alterQuery 'where'): CRM_Contribute_BAO_Query::where filters on every
// parameter named contribution_*, financial_* or payment_* (joining
// civicrm_contribution; it even sets _useDistinct for MODE_CONTACTS, the
// mode Contact.get runs in), CRM_Member_BAO_Query on member_* and
// membership_*, and the contact query itself on relation_* (the
// relationship pane). CRM_Contribute_BAO_Query::select also adds
// contribution_source, contribution_status… to the answer when the return
// names them. So such a Contact.get answers which contacts gave more than
// an amount, hold a membership type or have a relationship: a read of
// Contribution, Membership or Relationship data under Contact's name, which
// the README says a rule on that entity covers ("An entity rule covers that
// entity's data however a call reaches it"; a filter field of another
// entity "needs that entity allowed").

import "testing"

func TestA11aContactGetComponentFilters(t *testing.T) {
	const why = "CRM_Contact_BAO_Query runs the components' where clauses (CRM_Contribute_BAO_Query::where on contribution_*/financial_*/payment_*, CRM_Member_BAO_Query on membership_*, the relationship pane's relation_*) for Contact.get, so the answer is filtered by (or holds) that entity's rows"
	t.Run("deny Contribution", func(t *testing.T) {
		a11aRefuses(t, []string{"deny {", "entity Contribution", "}"}, []a11aCase{
			{"contribution_amount_low filter", a10V3("Contact", "get", `{"return":"display_name","contribution_amount_low":1000}`), why},
			{"contribution_status_id filter", a10V3("Contact", "get", `{"return":"display_name","contribution_status_id":1}`), why},
			{"financial_type_id filter on getcount", a10V3("Contact", "getcount", `{"financial_type_id":1}`), why},
			{"contribution_source return", a10V3("Contact", "get", `{"return":"display_name,contribution_source,contribution_status"}`), why},
		})
	})
	t.Run("deny Membership", func(t *testing.T) {
		a11aRefuses(t, []string{"deny {", "entity Membership", "}"}, []a11aCase{
			{"membership_type_id filter", a10V3("Contact", "get", `{"return":"display_name","membership_type_id":1}`), why},
			{"membership_status_id filter", a10V3("Contact", "get", `{"return":"display_name","membership_status_id":3}`), why},
		})
	})
	t.Run("deny Relationship", func(t *testing.T) {
		a11aRefuses(t, []string{"deny {", "entity Relationship", "}"}, []a11aCase{
			{"relation_type_id filter", a10V3("Contact", "get", `{"return":"display_name","relation_type_id":1,"relation_target_name":"Bob"}`), why},
		})
	})
	t.Run("allow Contact get only", func(t *testing.T) {
		a11aRefuses(t, []string{"default deny", "allow {", "entity Contact", "action get", "}"}, []a11aCase{
			{"contribution_amount_low filter", a10V3("Contact", "get", `{"contribution_amount_low":1000}`), why},
			{"membership_type_id filter", a10V3("Contact", "get", `{"membership_type_id":1}`), why},
		})
	})
}
