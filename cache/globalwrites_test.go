package cache

import (
	"context"
	"slices"
	"testing"

	"github.com/civigate/civigate/translate"
)

const okV4Body = `{"values":[],"entity":"Contact","action":"get","debug":null,"version":4,"count":0,"countFetched":0}`

// Writes that change who may see what (ACLs, ACL roles, which contact a
// CMS user is, smart groups, Standalone's users and roles) and writes to
// the sources of labels other entities' answers show (countries, states,
// contact types, financial types, price sets and fields, profiles…)
// invalidate every cached read, APIv3
// and APIv4, whichever API spelled the write: an ACL-limited user's
// Contact.get is a miss after them.
func TestPermissionAndLabelWritesInvalidateEverything(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	v3 := jsonCall(t, "Contact", "get", `{"return":"display_name"}`)
	v4 := api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params=`+q(`{"select":["id","address_primary.country_id:label"]}`), "")
	up3, up4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
	fill := func(name string) {
		t.Helper()
		c.Serve(ctx, c.Prepare(v3, 7), up3.fetch)
		c.Serve(ctx, c.Prepare(v4, 7), up4.fetch)
		if c.Lookup(ctx, c.Prepare(v3, 7)).State != Fresh || c.Lookup(ctx, c.Prepare(v4, 7)).State != Fresh {
			t.Fatalf("before %s: the reads are not cached", name)
		}
	}
	check := func(name string, w *translate.Call) {
		t.Helper()
		fill(name)
		if err := c.Invalidate(ctx, w); err != nil {
			t.Fatal(err)
		}
		if c.Lookup(ctx, c.Prepare(v3, 7)).State == Fresh {
			t.Errorf("%s: the cached APIv3 Contact.get is still fresh", name)
		}
		if c.Lookup(ctx, c.Prepare(v4, 7)).State == Fresh {
			t.Errorf("%s: the cached APIv4 Contact.get is still fresh", name)
		}
	}
	// APIv3 spellings (AclRole is APIv3's name of ACLEntityRole; the case
	// and underscores of an entity never matter).
	for _, e := range []string{
		"Acl", "AclRole", "acl_role", "UFMatch", "uf_match", "SavedSearch", "User",
		"Country", "StateProvince", "state_province", "County", "Worldregion", "ContactType",
		"WordReplacement", "FinancialType", "FinancialAccount", "MembershipType", "MembershipStatus",
		"ParticipantStatusType", "RelationshipType", "CaseType", "Campaign", "ContributionPage", "PaymentProcessor",
		"PriceSet", "PriceField", "PriceFieldValue", "price_field_value", "UFGroup", "uf_group", "PaymentProcessorType",
		"RuleGroup", "MailingComponent", "SmsProvider", "Product", "BounceType", "Component",
		// ACLs are granted through groups and permissioned relationships.
		"GroupContact", "group_contact", "GroupNesting", "Relationship",
	} {
		check("APIv3 "+e+".create", jsonCall(t, e, "create", `{"id":1}`))
	}
	// APIv4 spellings.
	for _, e := range []string{
		"ACL", "ACLEntityRole", "UFMatch", "SavedSearch", "User", "Role", "UserRole",
		"Country", "StateProvince", "County", "WorldRegion", "ContactType", "WordReplacement", "Translation",
		"FinancialType", "MembershipType", "MembershipStatus", "ParticipantStatusType", "RelationshipType", "CaseType",
		"PriceSet", "PriceField", "PriceFieldValue", "UFGroup", "PaymentProcessorType", "DedupeRuleGroup",
		"MailingComponent", "MailingBounceType", "BounceType", "SmsProvider", "Component", "Product", "Discount",
		"GroupContact", "Relationship",
	} {
		check("APIv4 "+e+".update", api4(t, "POST", "/civicrm/ajax/api4/"+e+"/update",
			"params="+q(`{"where":[["id","=",1]],"values":{"label":"x"}}`)))
	}
}

// Frequently written label sources are a read dependency of the entities
// whose answers show them: APIv3's Participant.get returns its event's
// title, type and dates by default (Event), and pseudoconstants name
// others (schema 'pseudoconstant' => ['table' => …], or a 'callback' that
// reads a table): the group_id of ActionSchedule, SubscriptionHistory,
// GroupOrganization and MailingEventSubscribe (Group), ACL's object_id
// (Group and Event titles), ActionSchedule's entity_value and
// CustomGroup's extends_entity_column_value (Event titles), EntityBatch's
// batch_id (Batch), ContributionSoft's pcp_id (PCP). A write to the source invalidates those
// reads, whichever API spelled either, and only them: Contact.get stays
// cached (but for Group, a member of the Contact group).
func TestLabelSourceReadsDependOnTheirSource(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	contact := jsonCall(t, "Contact", "get", `{"id":3}`)
	for _, tc := range []struct{ reader, field, source string }{
		{"Participant", "status_id", "Event"},
		{"ActionSchedule", "group_id", "Group"},
		{"SubscriptionHistory", "group_id", "Group"},
		{"GroupOrganization", "group_id", "Group"},
		{"MailingEventSubscribe", "group_id", "Group"},
		{"ACL", "object_id", "Group"},
		{"ACL", "object_id", "Event"},
		{"ActionSchedule", "entity_value", "Event"},
		{"CustomGroup", "extends_entity_column_value", "Event"},
		{"EntityBatch", "batch_id", "Batch"},
		{"ContributionSoft", "pcp_id", "PCP"},
	} {
		v3 := jsonCall(t, tc.reader, "get", `{"return":"`+tc.field+`"}`)
		v4 := api4(t, "GET", "/civicrm/ajax/api4/"+tc.reader+"/get?params="+q(`{"select":["id","`+tc.field+`:label"]}`), "")
		for _, call := range []*translate.Call{v3, v4} {
			if d := c.Decide(call); !d.Cacheable || !slices.Contains(d.Reads, tc.source) {
				t.Errorf("%s.get (v4 %v) reads %v, want %s among them", tc.reader, call.API4 != nil, d.Reads, tc.source)
			}
		}
		up3, up4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
		for _, w := range []*translate.Call{
			jsonCall(t, tc.source, "create", `{"id":1,"title":"Renamed"}`),
			api4(t, "POST", "/civicrm/ajax/api4/"+tc.source+"/update", "params="+q(`{"where":[["id","=",1]],"values":{"title":"Renamed"}}`)),
		} {
			c.Serve(ctx, c.Prepare(v3, 7), up3.fetch)
			c.Serve(ctx, c.Prepare(v4, 7), up4.fetch)
			c.Serve(ctx, c.Prepare(contact, 7), up3.fetch)
			if err := c.Invalidate(ctx, w); err != nil {
				t.Fatal(err)
			}
			if c.Lookup(ctx, c.Prepare(v3, 7)).State == Fresh || c.Lookup(ctx, c.Prepare(v4, 7)).State == Fresh {
				t.Errorf("a %s write (v4 %v) left a cached %s.get fresh", tc.source, w.API4 != nil, tc.reader)
			}
			if tc.source != "Group" && c.Lookup(ctx, c.Prepare(contact, 7)).State != Fresh {
				t.Errorf("a %s write (v4 %v) invalidated Contact.get: it is not a global write", tc.source, w.API4 != nil)
			}
		}
	}
}

// LocBlock, MessageTemplate and Survey are no label sources: the schema
// names them by id only (Event's loc_block_id, Mailing's and
// ActionSchedule's msg_template_id: entity_reference, no pseudoconstant)
// or not at all (no field names a survey). A write to one invalidates its
// own reads, whichever API spelled either, and leaves Contact.get cached.
func TestIDOnlyReferencesAreNoGlobalWrites(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	contact := jsonCall(t, "Contact", "get", `{"id":3}`)
	for _, e := range []string{"LocBlock", "MessageTemplate", "Survey"} {
		own := api4(t, "GET", "/civicrm/ajax/api4/"+e+"/get?params="+q(`{"select":["id"]}`), "")
		up3, up4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
		for _, w := range []*translate.Call{
			jsonCall(t, e, "create", `{"id":1,"title":"Renamed"}`),
			api4(t, "POST", "/civicrm/ajax/api4/"+e+"/update", "params="+q(`{"where":[["id","=",1]],"values":{"title":"Renamed"}}`)),
		} {
			c.Serve(ctx, c.Prepare(contact, 7), up3.fetch)
			c.Serve(ctx, c.Prepare(own, 7), up4.fetch)
			if err := c.Invalidate(ctx, w); err != nil {
				t.Fatal(err)
			}
			if c.Lookup(ctx, c.Prepare(contact, 7)).State != Fresh {
				t.Errorf("a %s write (v4 %v) invalidated Contact.get: it is no label source", e, w.API4 != nil)
			}
			if c.Lookup(ctx, c.Prepare(own, 7)).State == Fresh {
				t.Errorf("a %s write (v4 %v) left a cached %s.get fresh", e, w.API4 != nil, e)
			}
		}
	}
}

// APIv3's Contribution.get, Participant.get and Pledge.get run CiviCRM's
// query object with their component's default return properties: the
// contact's sort_name and display_name, notes, Contribution.get's batch and
// soft credits. Their cached answers depend on those entities, so a
// Contact rename makes them misses; an APIv4 Contribution.get, which shows
// no contact unless it joins one, stays cached.
func TestV3DefaultReturnsDependOnTheirSources(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	for _, tc := range []struct {
		reader, action, params string
		want                   []string
	}{
		{"Contribution", "get", `{"id":1}`, []string{"Contact", "Note", "Batch", "ContributionSoft", "PCP"}},
		{"Participant", "get", `{"id":1}`, []string{"Contact", "Note", "Event"}},
		{"Pledge", "get", `{"id":1}`, []string{"Contact"}},
		// Event.get computes is_full only with return.is_full (below) and
		// adds price_set_id with a return; getlist's suffix.
		{"Event", "get", `{"id":1,"return":["title"]}`, []string{"PriceSetEntity"}},
		{"Event", "getlist", `{"input":"x"}`, []string{"RecurringEntity"}},
		{"Activity", "getlist", `{"input":"x"}`, []string{"RecurringEntity"}},
		{"Attachment", "get", `{"id":1}`, []string{"EntityFile"}},
		{"Contact", "get", `{"id":1}`, []string{"Email", "Phone", "Address", "IM"}},
		{"Contact", "get", `{"id":1,"return":"group,tag,url"}`, []string{"GroupContact", "EntityTag", "Website"}},
	} {
		d := c.Decide(jsonCall(t, tc.reader, tc.action, tc.params))
		for _, e := range tc.want {
			if !slices.Contains(d.Reads, e) {
				t.Errorf("APIv3 %s.%s %s reads %v (%s), want %s among them", tc.reader, tc.action, tc.params, d.Reads, d.Reason, e)
			}
		}
	}
	// A return that names none of them leaves them out: the answer holds
	// none of their data.
	if d := c.Decide(jsonCall(t, "Contribution", "get", `{"return":["total_amount"]}`)); slices.Contains(d.Reads, "Contact") || !slices.Contains(d.Reads, "ContributionSoft") {
		t.Errorf("APIv3 Contribution.get of total_amount reads %v, want ContributionSoft (merged into every row) and no Contact", d.Reads)
	}
	// A registration changes an APIv3 Event.get's is_full; an APIv4
	// Event.get computes no such field.
	ev3 := jsonCall(t, "Event", "get", `{"id":1,"return.is_full":1}`)
	ev4 := api4(t, "GET", "/civicrm/ajax/api4/Event/get?params="+q(`{"select":["id","title"]}`), "")
	evUp3, evUp4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
	c.Serve(ctx, c.Prepare(ev3, 7), evUp3.fetch)
	c.Serve(ctx, c.Prepare(ev4, 7), evUp4.fetch)
	if err := c.Invalidate(ctx, jsonCall(t, "Participant", "create", `{"event_id":1,"contact_id":3}`)); err != nil {
		t.Fatal(err)
	}
	if c.Lookup(ctx, c.Prepare(ev3, 7)).State == Fresh {
		t.Error("a Participant write left the cached APIv3 Event.get with return.is_full (its available_places) fresh")
	}
	if c.Lookup(ctx, c.Prepare(ev4, 7)).State != Fresh {
		t.Error("a Participant write invalidated an APIv4 Event.get, which counts no participants")
	}
	v3 := jsonCall(t, "Contribution", "get", `{"contact_id":3}`)
	v4 := api4(t, "GET", "/civicrm/ajax/api4/Contribution/get?params="+q(`{"select":["id","total_amount"]}`), "")
	if d := c.Decide(v4); slices.Contains(d.Reads, "Contact") {
		t.Errorf("APIv4 Contribution.get without a join reads %v: Contact is APIv3's default return only", d.Reads)
	}
	up3, up4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
	for _, w := range []*translate.Call{
		jsonCall(t, "Contact", "create", `{"id":3,"last_name":"Renamed"}`),
		api4(t, "POST", "/civicrm/ajax/api4/Contact/update", "params="+q(`{"where":[["id","=",3]],"values":{"last_name":"Renamed"}}`)),
	} {
		c.Serve(ctx, c.Prepare(v3, 7), up3.fetch)
		c.Serve(ctx, c.Prepare(v4, 7), up4.fetch)
		if err := c.Invalidate(ctx, w); err != nil {
			t.Fatal(err)
		}
		if c.Lookup(ctx, c.Prepare(v3, 7)).State == Fresh {
			t.Errorf("a Contact write (v4 %v) left the cached APIv3 Contribution.get (the contact's display_name) fresh", w.API4 != nil)
		}
		if c.Lookup(ctx, c.Prepare(v4, 7)).State != Fresh {
			t.Errorf("a Contact write (v4 %v) invalidated an APIv4 Contribution.get that shows no contact", w.API4 != nil)
		}
	}
}

// An APIv3 create saving custom values (custom_N, any entity) writes
// CustomValue (translate's v3CustomWrites), and a Contact.create's group,
// email and custom_N write GroupContact, Email and CustomValue
// (contactWrites; the default Contact group invalidates those with any
// Contact write as well): cached reads of them, in either API version,
// become misses.
func TestV3WritesInvalidateWhatTheySave(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	reads := map[string]*translate.Call{
		"GroupContact": jsonCall(t, "GroupContact", "get", `{"contact_id":2}`),
		"Email":        api4(t, "GET", "/civicrm/ajax/api4/Email/get?params="+q(`{"select":["email"]}`), ""),
		"Custom_Extra": api4(t, "GET", "/civicrm/ajax/api4/Custom_Extra/get?params="+q(`{"select":["colour"]}`), ""),
	}
	for _, tc := range []struct {
		write *translate.Call
		want  []string
	}{
		{jsonCall(t, "Activity", "create", `{"activity_type_id":1,"custom_1":"x"}`), []string{"Custom_Extra"}},
		{jsonCall(t, "Contact", "create", `{"id":2,"group":{"1":1},"email":"a@b.c","custom_1":"x"}`), []string{"GroupContact", "Email", "Custom_Extra"}},
	} {
		for name, call := range reads {
			up := &counter{resp: ok200(okBody)}
			if call.API4 != nil {
				up = &counter{resp: ok200(okV4Body)}
			}
			c.Serve(ctx, c.Prepare(call, 7), up.fetch)
			if c.Lookup(ctx, c.Prepare(call, 7)).State != Fresh {
				t.Fatalf("%s: not cached", name)
			}
		}
		if err := c.Invalidate(ctx, tc.write); err != nil {
			t.Fatal(err)
		}
		for _, name := range tc.want {
			if c.Lookup(ctx, c.Prepare(reads[name], 7)).State == Fresh {
				t.Errorf("APIv3 %s.%s saving it left a cached %s read fresh", tc.write.Entity, tc.write.Action, name)
			}
		}
	}
}
