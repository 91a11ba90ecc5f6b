package cache

import (
	"context"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// A cached answer holds the data of every entity its call reads through
// joins and carriers (translate.Subcall.Via): their writes invalidate it,
// a read of an entity the edge cannot name is never stored, and nested
// APIv3 calls that write are writes (attack round 4, F1 and F4).
func TestJoinsAndCarriers(t *testing.T) {
	c, _ := newTestCache(t, Config{DefaultTTL: time.Hour})
	q := func(params string) string { return url.QueryEscape(params) }
	cases := []struct {
		class string
		call  *translate.Call
		want  Reason
		reads string
	}{
		// source_contact_id is a subquery on civicrm_activity_contact
		// (ActivitySpecProvider): its path reads ActivityContact too.
		{"implicit join", api4(t, "GET", `/civicrm/ajax/api4/Activity/get?params=`+q(`{"select":["source_contact_id.display_name"]}`), ""), "", "Activity,ActivityContact,Contact"},
		{"explicit join", api4(t, "GET", `/civicrm/ajax/api4/Activity/get?params=`+q(`{"join":[["Note AS n","LEFT"]]}`), ""), "", "Activity,Note"},
		// Parameter names as CiviCRM's setters take them (translate/v4params.go).
		{"Select as setSelect takes it", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params=`+q(`{"Select":["email_primary.email"]}`), ""), "", "Contact,Email"},
		{"JOIN as setJoin takes it", api4(t, "GET", `/civicrm/ajax/api4/Activity/get?params=`+q(`{"JOIN":[["Note AS n","LEFT"]]}`), ""), "", "Activity,Note"},
		{"a query key Where", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?Where[0][]=email_primary.email&Where[0][]=IS+NOT+NULL`, ""), "", "Contact,Email"},
		{"Debug", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params=`+q(`{"Debug":true}`), ""), ReasonDebug, ""},
		{"a Chain's write", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params=`+q(`{"Chain":{"n":["Note","delete",{"where":[]}]}}`), ""), ReasonChainedWrite, ""},
		// civicrm_api4 adds an index field to a non-empty select and keys
		// the answer by its values; an array index's with addSelect.
		{"a string index through a join", api4(t, "GET", `/civicrm/ajax/api4/Membership/get?index=contact_id.phone_primary.phone&params=`+q(`{"select":["id"]}`), ""), "", "Contact,Membership,Phone"},
		{"an index in the body", api4(t, "POST", `/civicrm/ajax/api4/Contact/get`, "index=email_primary.email&params="+q(`{"select":["id"]}`)), "", "Contact,Email"},
		{"an array index, without select", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?index[email_primary.email]=address_primary.city`, ""), "", "Address,Contact,Email"},
		{"control: a string index without select is not selected", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?index=email_primary.email`, ""), "", "Contact"},
		{"EntitySet sets", api4(t, "GET", `/civicrm/ajax/api4/EntitySet/get?params=`+q(`{"sets":[["UNION ALL","Contact","get",{}]]}`), ""), "", "Contact,EntitySet"},
		{"APIv3 return through a foreign key", jsonCall(t, "Email", "get", `{"return":["contact_id.display_name"]}`), "", "Contact,Email"},
		{"an entity the edge cannot name", api4(t, "GET", `/civicrm/ajax/api4/Activity/get?params=`+q(`{"select":["foo_id.bar"]}`), ""), ReasonUncacheable, ""},
		{"APIv3 getlist with a chained write", jsonCall(t, "Email", "getlist", `{"params":{"api.Email.create":{"email":"x@y.z","contact_id":2}}}`), ReasonChainedWrite, ""},
		{"APIv3 getlist with a chained read", jsonCall(t, "Email", "getlist", `{"params":{"api.Note.get":{}}}`), "", "Email,Note"},
		// Permission checks off (allowed by an operator's rule): never stored.
		{"APIv3 chained read with check_permissions off", jsonCall(t, "Contact", "get", `{"api.Email.get":{"check_permissions":0}}`), ReasonUncacheable, ""},
		{"APIv4 checkPermissions off in another case", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params=`+q(`{"checkPermissions":true,"checkpermissions":false}`), ""), ReasonUncacheable, ""},
		{"control: APIv4 exact checkPermissions", api4(t, "GET", `/civicrm/ajax/api4/Contact/get?params=`+q(`{"checkPermissions":false}`), ""), "", "Contact"},
	}
	for _, tc := range cases {
		d := c.Decide(tc.call)
		if d.Reason != tc.want || d.Cacheable != (tc.want == "") || strings.Join(d.Reads, ",") != tc.reads {
			t.Errorf("%s: %+v, want %q reading %s", tc.class, d, tc.want, tc.reads)
		}
	}

	// A write to a joined entity outside the call's invalidation group
	// makes the joined answer a miss.
	ctx := context.Background()
	joined := api4(t, "GET", `/civicrm/ajax/api4/Activity/get?params=`+q(`{"select":["source_contact_id.display_name"]}`), "")
	up := &counter{resp: ok200(`{"values":[],"entity":"Activity","action":"get","debug":null,"version":4,"count":0,"countFetched":0}`)}
	c.Serve(ctx, c.Prepare(joined, 5), up.fetch)
	if out := c.Serve(ctx, c.Prepare(joined, 5), up.fetch); !out.Status.Hit {
		t.Fatalf("not a hit: %s", out.Status)
	}
	if err := c.Invalidate(ctx, jsonCall(t, "Contact", "create", `{"contact_type":"Individual"}`)); err != nil {
		t.Fatal(err)
	}
	if out := c.Serve(ctx, c.Prepare(joined, 5), up.fetch); out.Status.Hit {
		t.Error("a Contact write left the Activity get joined to Contact a hit")
	}

	// Reads through joins write nothing, whatever they name; the nested
	// calls of APIv3 replace do.
	for call, want := range map[*translate.Call]string{
		api4(t, "POST", "/civicrm/ajax/api4/Email/update", "params="+q(`{"where":[["foo_id.x","=",1],["contact_id.id","=",2]],"values":{}}`)): "Email",
		jsonCall(t, "Email", "replace", `{"values":[{"api.Note.create":{}}]}`):                                                                "Email,Log,Note",
	} {
		e, all := WriteTargets(call)
		if got := strings.Join(e, ","); got != want || all {
			t.Errorf("%s.%s writes %q (all %v), want %q", call.Entity, call.Action, got, all, want)
		}
	}
}
