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
// contact types, financial types…) invalidate every cached read, APIv3
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
	} {
		check("APIv3 "+e+".create", jsonCall(t, e, "create", `{"id":1}`))
	}
	// APIv4 spellings.
	for _, e := range []string{
		"ACL", "ACLEntityRole", "UFMatch", "SavedSearch", "User", "Role", "UserRole",
		"Country", "StateProvince", "County", "WorldRegion", "ContactType", "WordReplacement", "Translation",
		"FinancialType", "MembershipType", "MembershipStatus", "ParticipantStatusType", "RelationshipType", "CaseType",
	} {
		check("APIv4 "+e+".update", api4(t, "POST", "/civicrm/ajax/api4/"+e+"/update",
			"params="+q(`{"where":[["id","=",1]],"values":{"label":"x"}}`)))
	}
}

// APIv3's Participant.get returns its event's title, type and dates by
// default: a Participant read depends on Event (both versions), so an
// Event write invalidates it, and only the reads that depend on Event.
func TestParticipantReadsDependOnEvent(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	v3 := jsonCall(t, "Participant", "get", `{"contact_id":3}`)
	v4 := api4(t, "GET", `/civicrm/ajax/api4/Participant/get?params=`+q(`{"select":["id","status_id:label"]}`), "")
	contact := jsonCall(t, "Contact", "get", `{"id":3}`)
	for _, call := range []*translate.Call{v3, v4} {
		if d := c.Decide(call); !d.Cacheable || !slices.Contains(d.Reads, "Event") {
			t.Errorf("Participant.get (v4 %v) reads %v, want Event among them", call.API4 != nil, d.Reads)
		}
	}
	up3, up4 := &counter{resp: ok200(okBody)}, &counter{resp: ok200(okV4Body)}
	for _, w := range []*translate.Call{
		jsonCall(t, "Event", "create", `{"id":1,"title":"Renamed"}`),
		api4(t, "POST", "/civicrm/ajax/api4/Event/update", "params="+q(`{"where":[["id","=",1]],"values":{"title":"Renamed"}}`)),
	} {
		c.Serve(ctx, c.Prepare(v3, 7), up3.fetch)
		c.Serve(ctx, c.Prepare(v4, 7), up4.fetch)
		c.Serve(ctx, c.Prepare(contact, 7), up3.fetch)
		if err := c.Invalidate(ctx, w); err != nil {
			t.Fatal(err)
		}
		if c.Lookup(ctx, c.Prepare(v3, 7)).State == Fresh || c.Lookup(ctx, c.Prepare(v4, 7)).State == Fresh {
			t.Errorf("an Event write (v4 %v) left a cached Participant.get fresh", w.API4 != nil)
		}
		if c.Lookup(ctx, c.Prepare(contact, 7)).State != Fresh {
			t.Errorf("an Event write (v4 %v) invalidated Contact.get: it is not a global write", w.API4 != nil)
		}
	}
}
