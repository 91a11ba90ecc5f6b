package cache

import (
	"context"
	"slices"
	"testing"

	"github.com/civigate/civigate/translate"
)

// Writes CiviCRM turns into Activity and ActivityContact rows invalidate
// cached reads of them: an activity's create writes its contacts and case
// link (the Activity group), a membership's, a participant's and a
// case's create record activities (sideWrites). One way: an Activity
// write leaves Membership and Participant reads cached.
func TestWritesThatRecordActivities(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	activity4 := api4(t, "GET", "/civicrm/ajax/api4/Activity/get?params="+q(`{"select":["id","activity_type_id:name"]}`), "")
	contacts4 := api4(t, "GET", "/civicrm/ajax/api4/ActivityContact/get?params="+q(`{"select":["id","contact_id"]}`), "")
	activity3 := jsonCall(t, "Activity", "get", `{"target_contact_id":3}`)
	membership := jsonCall(t, "Membership", "get", `{"contact_id":3}`)
	participant := api4(t, "GET", "/civicrm/ajax/api4/Participant/get?params="+q(`{"select":["id"]}`), "")
	up3, up4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
	fill := func() {
		for _, r := range []*translate.Call{activity3, membership} {
			c.Serve(ctx, c.Prepare(r, 7), up3.fetch)
		}
		for _, r := range []*translate.Call{activity4, contacts4, participant} {
			c.Serve(ctx, c.Prepare(r, 7), up4.fetch)
		}
	}
	fresh := func(r *translate.Call) bool { return c.Lookup(ctx, c.Prepare(r, 7)).State == Fresh }
	for _, w := range []*translate.Call{
		jsonCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":2,"target_contact_id":[3,4]}`),
		api4(t, "POST", "/civicrm/ajax/api4/ActivityContact/create", "params="+q(`{"values":{"activity_id":1,"contact_id":3,"record_type_id":3}}`)),
		api4(t, "POST", "/civicrm/ajax/api4/CaseActivity/create", "params="+q(`{"values":{"activity_id":1,"case_id":1}}`)),
		jsonCall(t, "Membership", "create", `{"contact_id":3,"membership_type_id":1}`),
		api4(t, "POST", "/civicrm/ajax/api4/Participant/create", "params="+q(`{"values":{"contact_id":3,"event_id":1}}`)),
		jsonCall(t, "Case", "create", `{"contact_id":3,"case_type_id":1,"subject":"x"}`),
	} {
		fill()
		if err := c.Invalidate(ctx, w); err != nil {
			t.Fatal(err)
		}
		name := translate.NormalEntity(entityOf(w)) + "." + w.Action
		if w.API4 != nil {
			name = w.API4.Entity + "." + w.API4.Action
		}
		for label, r := range map[string]*translate.Call{"APIv4 Activity.get": activity4, "ActivityContact.get": contacts4, "APIv3 Activity.get": activity3} {
			if fresh(r) {
				t.Errorf("%s left the cached %s fresh", name, label)
			}
		}
		if entity := entityOf(w); entity == "Activity" || entity == "ActivityContact" || entity == "CaseActivity" {
			if !fresh(membership) || !fresh(participant) {
				t.Errorf("%s invalidated Membership or Participant reads: recording an activity is one way", name)
			}
		}
	}
}

// APIv3 reads that return other entities' rows only when asked depend on
// them only then: Activity.get's tag_id (EntityTag), Case.get's
// activities (asked, or by default when fetched by id with no return).
func TestV3AskedReturnsDependOnTheirSources(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	for _, tc := range []struct {
		call     *translate.Call
		source   string
		depends  bool
		scenario string
	}{
		{jsonCall(t, "Activity", "get", `{"return":["id","tag_id"]}`), "EntityTag", true, "return tag_id"},
		{jsonCall(t, "Activity", "get", `{"return":"id, tag_id"}`), "EntityTag", true, "return string with tag_id"},
		{jsonCall(t, "Activity", "get", `{"tag_id":4}`), "EntityTag", true, "a tag_id filter"},
		{jsonCall(t, "Activity", "get", `{"return.tag_id":1}`), "EntityTag", true, "return.tag_id"},
		{jsonCall(t, "Activity", "get", `{"return":["id","subject"]}`), "EntityTag", false, "no tag_id"},
		{jsonCall(t, "Case", "get", `{"id":1}`), "Activity", true, "by id, no return"},
		{jsonCall(t, "Case", "get", `{"id":1,"return":["id","activities"]}`), "CaseActivity", true, "return activities"},
		{jsonCall(t, "Case", "get", `{"id":1,"options":{"return":{"activities":1}}}`), "Activity", true, "options.return activities"},
		{jsonCall(t, "Case", "get", `{"id":1,"return":["id","subject"]}`), "Activity", false, "a return without activities"},
	} {
		d := c.Decide(tc.call)
		if !d.Cacheable || slices.Contains(d.Reads, tc.source) != tc.depends {
			t.Errorf("%s.get (%s) reads %v, want %s among them: %v", tc.call.Entity, tc.scenario, d.Reads, tc.source, tc.depends)
		}
	}
	// APIv4 reads name what they join; none of this applies.
	if d := c.Decide(api4(t, "GET", "/civicrm/ajax/api4/Activity/get?params="+q(`{"select":["id","tag_id"]}`), "")); slices.Contains(d.Reads, "EntityTag") {
		t.Errorf("APIv4 Activity.get reads %v: EntityTag is APIv3's formatResult only", d.Reads)
	}
}
