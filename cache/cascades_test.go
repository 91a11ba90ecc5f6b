package cache

import (
	"context"
	"regexp"
	"slices"
	"testing"

	"github.com/civigate/civigate/translate"
)

// The facts the cascade table is built from are schema facts: each names
// the referencing entity's own schema file and one of the two on_delete
// rules that let the database change its rows.
func TestDeleteRefsAreSchemaFacts(t *testing.T) {
	file := regexp.MustCompile(`^schema/[A-Za-z]+/([A-Za-z]+)\.entityType\.php$`)
	for _, r := range deleteRefs {
		m := file.FindStringSubmatch(r.Source)
		if m == nil || m[1] != r.From {
			t.Errorf("%s.%s: source %q is not %s's schema file", r.From, r.Field, r.Source, r.From)
		}
		if r.OnDelete != "CASCADE" && r.OnDelete != "SET NULL" {
			t.Errorf("%s.%s: on_delete %q changes no rows", r.From, r.Field, r.OnDelete)
		}
		if r.Field == "" || r.To == "" {
			t.Errorf("%+v: incomplete", r)
		}
	}
}

// The table follows chains of deleted rows (a contact's membership goes,
// and with it the membership's payments) but not past a row that only
// loses a reference (SET NULL): a recurring contribution's delete empties
// its contributions' contribution_recur_id, and deletes no payment.
func TestDeleteCascadesTable(t *testing.T) {
	for _, tc := range []struct {
		deleted string
		want    []string
		not     []string
	}{
		{"Contact", []string{
			"ActivityContact", "CaseContact", "Contribution", "Event", "Membership", "MembershipLog",
			"MembershipPayment", "Participant", "ParticipantPayment", "Pledge", "PledgePayment", "UFMatch",
		}, []string{"Contact"}},
		{"Individual", []string{"Membership", "MembershipPayment"}, nil},
		{"Activity", []string{"ActivityContact", "CaseActivity"}, []string{"Activity"}},
		{"Case", []string{"CaseActivity", "CaseContact"}, []string{"Activity"}},
		{"Membership", []string{"MembershipLog", "MembershipPayment"}, []string{"Membership", "Contribution"}},
		{"Participant", []string{"ParticipantPayment"}, []string{"Participant"}},
		{"Pledge", []string{"PledgePayment"}, nil},
		{"Event", []string{"Participant", "ParticipantPayment"}, nil},
		{"ContributionRecur", []string{"Contribution", "Membership"}, []string{"MembershipPayment", "MembershipLog"}},
		{"LocBlock", []string{"Event"}, []string{"Participant"}},
		{"Phone", []string{"Activity"}, []string{"ActivityContact"}},
		{"Relationship", []string{"Activity"}, nil},
	} {
		got := deleteCascades[entityKey(tc.deleted)]
		for _, e := range tc.want {
			if !slices.Contains(got, e) {
				t.Errorf("a %s delete reaches %v, want %s among them", tc.deleted, got, e)
			}
		}
		for _, e := range tc.not {
			if slices.Contains(got, e) {
				t.Errorf("a %s delete reaches %v, want no %s", tc.deleted, got, e)
			}
		}
	}
	if got := deleteCascades[entityKey("Email")]; len(got) != 0 {
		t.Errorf("an Email delete reaches %v: no fact names Email", got)
	}
}

// A delete (or a replace) writes what its foreign keys cascade to; a
// create or an update of the same entity does not (what the BAO writes on
// any write, a membership's activity, log and line items, sideWrites, it
// writes on all of them).
func TestWriteTargetsOfDeletes(t *testing.T) {
	for _, tc := range []struct {
		call *translate.Call
		want []string
	}{
		{api4(t, "POST", "/civicrm/ajax/api4/Membership/delete", "params="+q(`{"where":[["id","=",1]]}`)), []string{"Activity", "LineItem", "Log", "Membership", "MembershipLog", "MembershipPayment"}},
		{jsonCall(t, "Membership", "delete", `{"id":1}`), []string{"Activity", "LineItem", "Log", "Membership", "MembershipLog", "MembershipPayment"}},
		{jsonCall(t, "Membership", "replace", `{"contact_id":3,"values":[]}`), []string{"Activity", "LineItem", "Log", "Membership", "MembershipLog", "MembershipPayment"}},
		{jsonCall(t, "Membership", "create", `{"id":1,"status_id":2}`), []string{"Activity", "LineItem", "Log", "Membership", "MembershipLog"}},
		{api4(t, "POST", "/civicrm/ajax/api4/LocBlock/delete", "params="+q(`{"where":[["id","=",1]]}`)), []string{"Event", "LocBlock"}},
		{api4(t, "POST", "/civicrm/ajax/api4/LocBlock/update", "params="+q(`{"where":[["id","=",1]],"values":{}}`)), []string{"LocBlock"}},
		{jsonCall(t, "Contact", "get", `{"api.Activity.delete":{"id":1}}`), []string{"Activity", "ActivityContact", "CaseActivity", "EntityFile", "EntityTag", "File", "Log"}},
	} {
		got, all := WriteTargets(tc.call)
		if all || !slices.Equal(got, tc.want) {
			t.Errorf("%s.%s writes %v (all %v), want %v", tc.call.Entity, tc.call.Action, got, all, tc.want)
		}
	}
}

// End to end in the cache: cached reads of the rows a delete removes or
// rewrites are misses after it, whichever API spelled either; a contact
// deleted for good takes its contributions and its CMS user's link
// (UFMatch), both global writes, so everything goes.
func TestDeleteCascadesInvalidate(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	for _, tc := range []struct {
		name         string
		write        *translate.Call
		stale, fresh []*translate.Call
	}{
		{"Membership delete",
			api4(t, "POST", "/civicrm/ajax/api4/Membership/delete", "params="+q(`{"where":[["id","=",1]]}`)),
			[]*translate.Call{api4(t, "GET", "/civicrm/ajax/api4/MembershipPayment/get?params="+q(`{"select":["id"]}`), ""), jsonCall(t, "MembershipLog", "get", `{}`)},
			[]*translate.Call{jsonCall(t, "Contact", "get", `{"id":3}`)}},
		{"LocBlock delete",
			jsonCall(t, "LocBlock", "delete", `{"id":1}`),
			[]*translate.Call{api4(t, "GET", "/civicrm/ajax/api4/Event/get?params="+q(`{"select":["id","loc_block_id"]}`), "")},
			[]*translate.Call{jsonCall(t, "Contact", "get", `{"id":3}`)}},
		{"Contact delete",
			api4(t, "POST", "/civicrm/ajax/api4/Contact/delete", "params="+q(`{"where":[["id","=",3]],"useTrash":false}`)),
			[]*translate.Call{jsonCall(t, "Membership", "get", `{"contact_id":3}`), api4(t, "GET", "/civicrm/ajax/api4/Pledge/get?params="+q(`{"select":["id"]}`), ""), jsonCall(t, "Event", "get", `{}`)},
			nil},
		{"control: a Membership update",
			jsonCall(t, "Membership", "create", `{"id":1,"status_id":2}`),
			nil,
			[]*translate.Call{api4(t, "GET", "/civicrm/ajax/api4/MembershipPayment/get?params="+q(`{"select":["id"]}`), "")}},
	} {
		up := &counter{resp: ok200(okBody)}
		up4 := &counter{resp: ok200(okV4Body)}
		serve := func(call *translate.Call) {
			if call.API4 != nil {
				c.Serve(ctx, c.Prepare(call, 7), up4.fetch)
			} else {
				c.Serve(ctx, c.Prepare(call, 7), up.fetch)
			}
		}
		for _, r := range append(slices.Clone(tc.stale), tc.fresh...) {
			serve(r)
			if c.Lookup(ctx, c.Prepare(r, 7)).State != Fresh {
				t.Fatalf("%s: %s.%s not cached", tc.name, r.Entity, r.Action)
			}
		}
		if err := c.Invalidate(ctx, tc.write); err != nil {
			t.Fatal(err)
		}
		for _, r := range tc.stale {
			if c.Lookup(ctx, c.Prepare(r, 7)).State == Fresh {
				t.Errorf("%s left a cached %s read fresh", tc.name, translate.NormalEntity(entityOf(r)))
			}
		}
		for _, r := range tc.fresh {
			if c.Lookup(ctx, c.Prepare(r, 7)).State != Fresh {
				t.Errorf("%s invalidated a cached %s read it does not change", tc.name, translate.NormalEntity(entityOf(r)))
			}
		}
	}
}

func entityOf(call *translate.Call) string {
	if call.API4 != nil {
		return call.API4.Entity
	}
	return call.Entity
}
