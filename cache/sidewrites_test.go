package cache

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// Writes CiviCRM turns into Activity and ActivityContact rows invalidate
// cached reads of them: an activity's create writes its contacts and case
// link (the Activity group), a membership's and a participant's record
// activities (sideWrites), a new case's timeline (the walk's, either API:
// translate/casetimeline.go). One way: an Activity
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
		api4(t, "POST", "/civicrm/ajax/api4/Case/save", "params="+q(`{"records":[{"contact_id":3,"case_type_id":1,"subject":"x"}]}`)),
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
// them only then (translate.V3Returns, the table the policy reads):
// Activity.get's tag_id (EntityTag), Case.get's activities (asked, or by
// default when fetched by a numeric id with no return); Activity.get's
// source contact's name always.
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
		{jsonCall(t, "Case", "get", `{"status_id":1}`), "Activity", false, "no id, no return"},
		{jsonCall(t, "Activity", "get", `{"return":["id","subject"]}`), "Contact", true, "the source contact's name"},
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

// Every side write says where civicrm-core makes it.
func TestSideWritesAreSourced(t *testing.T) {
	for _, sw := range sideWrites {
		if sw.Entity == "" || len(sw.Writes) == 0 {
			t.Errorf("incomplete row %+v", sw)
		}
		if !strings.HasPrefix(sw.Source, "CRM/") && !strings.HasPrefix(sw.Source, "api/v3/") && !strings.HasPrefix(sw.Source, "ext/") {
			t.Errorf("%s -> %v: source %q names no civicrm-core file", sw.Entity, sw.Writes, sw.Source)
		}
	}
}

// Writes whose BAO writes rows of other entities (sideWrites), whatever
// they name, or for a field they name (translate's field writes), and the
// Group writes that change who may see what (globalActions), invalidate
// those entities' cached reads, and everything where one is a global write
// (a pledge's payment schedule, a case's creator role, a group's
// memberships, nesting or edit); a Group create naming none of them leaves
// other entities' reads cached.
func TestBAOWritesInvalidate(t *testing.T) {
	type read struct {
		label string
		call  *translate.Call
	}
	pledgePayments := read{"APIv4 PledgePayment.get", api4(t, "GET", "/civicrm/ajax/api4/PledgePayment/get?params="+q(`{"select":["id","status_id"]}`), "")}
	lineItems := read{"APIv3 LineItem.get", jsonCall(t, "LineItem", "get", `{"entity_table":"civicrm_membership"}`)}
	ufJoins := read{"APIv4 UFJoin.get", api4(t, "GET", "/civicrm/ajax/api4/UFJoin/get?params="+q(`{"select":["id"]}`), "")}
	priceSets := read{"APIv3 PriceSetEntity.get", jsonCall(t, "PriceSetEntity", "get", `{}`)}
	groups := read{"APIv4 Group.get", api4(t, "GET", "/civicrm/ajax/api4/Group/get?params="+q(`{"select":["id","title"]}`), "")}
	ufGroups := read{"APIv3 UFGroup.get", jsonCall(t, "UFGroup", "get", `{"id":1,"return":"group_type"}`)}
	profileFields := read{"APIv3 Profile.getfields", jsonCall(t, "Profile", "getfields", `{"profile_id":1,"action":"submit"}`)}
	changeLog := read{"APIv4 Log.get", api4(t, "GET", "/civicrm/ajax/api4/Log/get?params="+q(`{"where":[["entity_id","=",3]]}`), "")}
	ufMatches := read{"APIv3 UFMatch.get", jsonCall(t, "UFMatch", "get", `{"contact_id":3}`)}
	users := read{"APIv4 User.get", api4(t, "GET", "/civicrm/ajax/api4/User/get?params="+q(`{"select":["uf_name"]}`), "")}
	navigation := read{"APIv4 Navigation.get", api4(t, "GET", "/civicrm/ajax/api4/Navigation/get?params="+q(`{"select":["id","url"]}`), "")}
	reports := read{"APIv3 ReportInstance.get", jsonCall(t, "ReportInstance", "get", `{"report_id":"survey/detail"}`)}
	dashlets := read{"APIv3 Dashboard.get", jsonCall(t, "Dashboard", "get", `{}`)}
	files := read{"APIv4 File.get", api4(t, "GET", "/civicrm/ajax/api4/File/get?params="+q(`{"select":["id","uri"]}`), "")}
	entityFiles := read{"APIv4 EntityFile.get", api4(t, "GET", "/civicrm/ajax/api4/EntityFile/get?params="+q(`{"select":["id"]}`), "")}
	attachments := read{"APIv3 Attachment.get", jsonCall(t, "Attachment", "get", `{"entity_table":"civicrm_activity","entity_id":1}`)}
	entityTags := read{"APIv4 EntityTag.get", api4(t, "GET", "/civicrm/ajax/api4/EntityTag/get?params="+q(`{"select":["id"]}`), "")}
	// A read none of these writes changes unless it changes everything.
	campaigns := read{"APIv4 Campaign.get", api4(t, "GET", "/civicrm/ajax/api4/Campaign/get?params="+q(`{"select":["id","title"]}`), "")}
	activities := read{"APIv3 Activity.get", jsonCall(t, "Activity", "get", `{"return":["id","subject"]}`)}
	for _, tc := range []struct {
		name   string
		write  *translate.Call
		stale  []read
		global bool
	}{
		{"APIv3 Pledge.create", jsonCall(t, "Pledge", "create", `{"contact_id":3,"amount":100,"installments":2,"frequency_unit":"month"}`), []read{pledgePayments}, true},
		{"APIv4 Pledge.create", api4(t, "POST", "/civicrm/ajax/api4/Pledge/create", "params="+q(`{"values":{"contact_id":3,"amount":100,"installments":2}}`)), []read{pledgePayments}, true},
		{"APIv4 Pledge.save", api4(t, "POST", "/civicrm/ajax/api4/Pledge/save", "params="+q(`{"records":[{"contact_id":3,"amount":100}]}`)), []read{pledgePayments}, true},
		// A new case's timeline and creator's roles (a Relationship: a
		// global write) are the walk's (translate/casetimeline.go), for
		// either API, and so are a merge's copies; a delete's, sideWrites'.
		{"APIv3 Case.create", jsonCall(t, "Case", "create", `{"contact_id":3,"case_type_id":1,"subject":"x"}`), []read{activities}, true},
		{"APIv4 Case.create", api4(t, "POST", "/civicrm/ajax/api4/Case/create", "params="+q(`{"values":{"contact_id":3,"case_type_id":1,"subject":"x"}}`)), []read{activities}, true},
		{"APIv4 Case.save of a new case", api4(t, "POST", "/civicrm/ajax/api4/Case/save", "params="+q(`{"records":[{"contact_id":3,"case_type_id":1}]}`)), []read{activities}, true},
		{"APIv3 Case.merge", jsonCall(t, "Case", "merge", `{"case_id_1":1,"case_id_2":2}`), []read{activities}, true},
		{"APIv3 Case.delete", jsonCall(t, "Case", "delete", `{"id":1,"move_to_trash":1}`), []read{activities}, true},
		{"APIv4 Case.delete", api4(t, "POST", "/civicrm/ajax/api4/Case/delete", "params="+q(`{"where":[["id","=",1]]}`)), []read{activities}, true},
		{"APIv3 Case.create with an id, a status: no timeline", jsonCall(t, "Case", "create", `{"id":1,"status_id":2}`), nil, false},
		{"APIv3 Membership.create", jsonCall(t, "Membership", "create", `{"contact_id":3,"membership_type_id":1}`), []read{lineItems, activities}, false},
		{"APIv3 Membership.create contribution_status_id", jsonCall(t, "Membership", "create", `{"contact_id":3,"membership_type_id":1,"contribution_status_id":1}`), []read{lineItems}, true},
		{"APIv4 Event.delete", api4(t, "POST", "/civicrm/ajax/api4/Event/delete", "params="+q(`{"where":[["id","=",1]]}`)), []read{ufJoins, priceSets}, false},
		{"APIv3 Event.create price_set_id", jsonCall(t, "Event", "create", `{"id":1,"price_set_id":[2]}`), []read{priceSets}, false},
		{"APIv3 Event.create from a template", jsonCall(t, "Event", "create", `{"template_id":4,"title":"E"}`), []read{priceSets}, true},
		{"APIv4 Group.delete", api4(t, "POST", "/civicrm/ajax/api4/Group/delete", "params="+q(`{"where":[["id","=",3]]}`)), []read{groups}, true},
		{"APIv3 Group.delete", jsonCall(t, "Group", "delete", `{"id":3}`), []read{groups}, true},
		{"APIv4 Group.update, a title", api4(t, "POST", "/civicrm/ajax/api4/Group/update", "params="+q(`{"where":[["id","=",3]],"values":{"title":"T"}}`)), []read{groups}, true},
		{"APIv3 Group.create with an id, is_active", jsonCall(t, "Group", "create", `{"id":3,"is_active":0}`), []read{groups}, true},
		{"APIv3 Group.setvalue", jsonCall(t, "Group", "setvalue", `{"id":3,"field":"saved_search_id","value":4}`), []read{groups}, true},
		{"APIv4 Group.save of an existing group", api4(t, "POST", "/civicrm/ajax/api4/Group/save", "params="+q(`{"records":[{"id":3,"title":"T"}]}`)), []read{groups}, true},
		{"APIv3 Group.create parents", jsonCall(t, "Group", "create", `{"title":"N","parents":"2"}`), []read{groups}, true},
		{"APIv4 Group.create, a title", api4(t, "POST", "/civicrm/ajax/api4/Group/create", "params="+q(`{"values":{"title":"N","group_type":[2],"is_active":true}}`)), []read{groups}, false},
		{"APIv4 Group.save of a new group", api4(t, "POST", "/civicrm/ajax/api4/Group/save", "params="+q(`{"records":[{"title":"N"}]}`)), []read{groups}, false},
		// A profile field's write rewrites its profile's group_type
		// (UFGroup, a global write); its fields are Profile.getfields'.
		{"APIv4 UFField.create", api4(t, "POST", "/civicrm/ajax/api4/UFField/create", "params="+q(`{"values":{"uf_group_id":1,"field_name":"email"}}`)), []read{ufGroups, profileFields}, true},
		{"APIv3 UFField.delete", jsonCall(t, "UFField", "delete", `{"id":3}`), []read{ufGroups, profileFields}, true},
		// The change log: civicrm_log rows the BAOs add.
		{"APIv4 Individual.update", api4(t, "POST", "/civicrm/ajax/api4/Individual/update", "params="+q(`{"where":[["id","=",3]],"values":{"first_name":"A"}}`)), []read{changeLog}, false},
		{"APIv3 Contact.setvalue", jsonCall(t, "Contact", "setvalue", `{"id":3,"field":"nick_name","value":"A"}`), []read{changeLog}, false},
		{"APIv3 Activity.create", jsonCall(t, "Activity", "create", `{"activity_type_id":1,"source_contact_id":3}`), []read{changeLog}, false},
		{"APIv4 Participant.create", api4(t, "POST", "/civicrm/ajax/api4/Participant/create", "params="+q(`{"values":{"contact_id":3,"event_id":1}}`)), []read{changeLog}, false},
		{"APIv3 Event.create", jsonCall(t, "Event", "create", `{"id":1,"title":"E"}`), []read{changeLog}, false},
		{"APIv3 Grant.create", jsonCall(t, "Grant", "create", `{"contact_id":3,"grant_type_id":1,"status_id":1,"amount_total":1}`), []read{changeLog}, false},
		{"APIv4 Note.create on a contact", api4(t, "POST", "/civicrm/ajax/api4/Note/create", "params="+q(`{"values":{"entity_table":"civicrm_contact","entity_id":3,"note":"n"}}`)), []read{changeLog}, false},
		{"APIv3 Note.create", jsonCall(t, "Note", "create", `{"entity_table":"civicrm_contact","entity_id":3,"note":"n"}`), []read{changeLog}, false},
		// Attack 18: a recurring contribution's amount rewrites its template
		// contribution (a Contribution write: everything).
		{"APIv4 ContributionRecur.update amount", api4(t, "POST", "/civicrm/ajax/api4/ContributionRecur/update", "params="+q(`{"where":[["id","=",1]],"values":{"amount":20}}`)), nil, true},
		{"APIv3 ContributionRecur.create with an id and an amount", jsonCall(t, "ContributionRecur", "create", `{"id":1,"amount":20}`), nil, true},
		// A survey's delete deletes its report, a report's its menu item;
		// a report's create with is_navigation or addToDashboard adds them.
		{"APIv4 Survey.delete", api4(t, "POST", "/civicrm/ajax/api4/Survey/delete", "params="+q(`{"where":[["id","=",1]]}`)), []read{reports, navigation}, false},
		{"APIv3 Survey.delete", jsonCall(t, "Survey", "delete", `{"id":1}`), []read{reports, navigation}, false},
		{"APIv3 ReportInstance.delete", jsonCall(t, "ReportInstance", "delete", `{"id":3}`), []read{navigation}, false},
		{"APIv3 ReportInstance.create is_navigation", jsonCall(t, "ReportInstance", "create", `{"title":"T","report_id":"x","is_navigation":1}`), []read{navigation}, false},
		{"APIv3 ReportInstance.create addToDashboard", jsonCall(t, "ReportInstance", "create", `{"title":"T","report_id":"x","addToDashboard":1}`), []read{dashlets}, false},
		// An activity's delete deletes its tags and attachments; an
		// attachFile_<n> saves a file.
		{"APIv3 Activity.delete", jsonCall(t, "Activity", "delete", `{"id":1}`), []read{entityTags, files, entityFiles, attachments}, false},
		{"APIv3 Activity.create attachFile_1", jsonCall(t, "Activity", "create", `{"id":1,"attachFile_1":{"location":"/tmp/x","type":"text/plain"}}`), []read{files, entityFiles, attachments}, false},
		{"APIv4 Note.create attachFile_1", api4(t, "POST", "/civicrm/ajax/api4/Note/create", "params="+q(`{"values":{"entity_id":3,"note":"n","attachFile_1":{"location":"/tmp/x"}}}`)), []read{files, entityFiles, attachments}, false},
		// A primary e-mail's save renames the CMS user (uf_name): a read
		// dependency of UFMatch and User, not a global write.
		{"APIv4 Email.update", api4(t, "POST", "/civicrm/ajax/api4/Email/update", "params="+q(`{"where":[["contact_id","=",3]],"values":{"email":"a@b.c"}}`)), []read{ufMatches, users}, false},
		{"APIv3 Contact.create with an email", jsonCall(t, "Contact", "create", `{"id":3,"email":"a@b.c"}`), []read{ufMatches, users, changeLog}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := newTestCache(t, Config{})
			ctx := context.Background()
			up3, up4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
			serve := func(r *translate.Call) {
				if r.API4 != nil {
					c.Serve(ctx, c.Prepare(r, 7), up4.fetch)
				} else {
					c.Serve(ctx, c.Prepare(r, 7), up3.fetch)
				}
			}
			fresh := func(r *translate.Call) bool { return c.Lookup(ctx, c.Prepare(r, 7)).State == Fresh }
			for _, r := range tc.stale {
				serve(r.call)
			}
			serve(campaigns.call)
			if err := c.Invalidate(ctx, tc.write); err != nil {
				t.Fatal(err)
			}
			for _, r := range tc.stale {
				if fresh(r.call) {
					t.Errorf("left the cached %s fresh", r.label)
				}
			}
			if fresh(campaigns.call) == tc.global {
				t.Errorf("want everything invalidated: %v, but a cached Campaign.get is fresh after it: %v", tc.global, fresh(campaigns.call))
			}
		})
	}
}
