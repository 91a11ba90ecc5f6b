package tests

import "testing"

// TestPolicyActivityContactWritesEndToEnd: CRM_Activity_BAO_Activity::create
// saves an activity's contacts as ActivityContact rows (source, assignees,
// targets), and APIv3 gives a new activity the caller as its source by
// default, so deny { entity ActivityContact action create } refuses every
// call that makes one, in either API, alone or chained, also where APIv3
// names the targets by their spec name target_id; nothing goes upstream.
func TestPolicyActivityContactWritesEndToEnd(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity ActivityContact", "action create", "}")
	why := "CRM_Activity_BAO_Activity::create runs ActivityContact::save for source_contact_id, assignee_contact_id and target_contact_id"
	a10MustRefuse(t, sim, rec, inst, "APIv3 Activity.create", a10V3("Activity", "create", `{"activity_type_id":1,"subject":"x"}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 chained api.Activity.create",
		a10V3("Contact", "get", `{"id":2,"return":"id","api.Activity.create":{"activity_type_id":1,"target_contact_id":"$value.id"}}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 edit by target_id", a10V3("Activity", "create", `{"id":1,"target_id":[3]}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv4 Activity.create",
		a10V4("Activity", "create", `{"values":{"activity_type_id":1,"source_contact_id":2}}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv4 Activity.save",
		a10V4("Activity", "save", `{"records":[{"id":1,"target_contact_id":[3]}]}`), why)
}
