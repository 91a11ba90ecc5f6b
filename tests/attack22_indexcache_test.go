package tests

// Attack 22, cache: an APIv4 read's index is a field it reads.
//
// civicrm_api4($entity, $action, $params, $index) (api/api.php) appends a
// string index field to a non-empty select ($params['select'][] =
// $indexField), runs the query and keys the answer's rows by that field's
// values (Result::indexBy), unsetting it from the rows afterwards. So
// Membership.get {"select":["id"]} with index
// contact_id.phone_primary.phone answers each member's primary phone number
// as a key of values: the same implicit join through Contact to Phone as
// the select that names it. The cache keys the answer by index but does not
// count the index field among the entities the call reads: after a Phone
// write, the select form reaches CiviCRM again while the index form is
// still answered from the cache, with the old phone numbers as its keys.

import (
	"net/url"
	"testing"
)

func TestA22V4IndexReadStaleAfterWrite(t *testing.T) {
	write := a10bCall{4, "Phone", "update", `{"where":[["id","=",1]],"values":{"phone":"555-0100"}}`}
	type form struct {
		name, pathQuery string
		f               url.Values
	}
	control := form{"select", "/civicrm/ajax/api4/Membership/get", url.Values{"params": {`{"select":["id","contact_id.phone_primary.phone"]}`}}}
	cases := []form{
		{"index in the body", "/civicrm/ajax/api4/Membership/get", url.Values{"params": {`{"select":["id"]}`}, "index": {"contact_id.phone_primary.phone"}}},
		{"index in the query", "/civicrm/ajax/api4/Membership/get?index=contact_id.phone_primary.phone", url.Values{"params": {`{"select":["id"]}`}}},
	}
	run := func(c form) (string, bool) {
		sim, u, inst := a10bSetup(t)
		read := func() a10bResp {
			return a10bDo(t, "POST", inst.URL+c.pathQuery, a10bAuth(sim), c.f.Encode())
		}
		if r := read(); r.status != 200 {
			t.Fatalf("%s: %d %s", c.name, r.status, r.body)
		}
		before, _ := u.counts()
		r2 := read()
		if after, _ := u.counts(); after != before {
			t.Fatalf("precondition: %s is not served from the cache (Cache-Status %q)", c.name, r2.cacheStatus)
		}
		if w := write.do(t, sim, inst); w.status != 200 {
			t.Fatalf("%s: %d %s", write, w.status, w.body)
		}
		before, _ = u.counts()
		r3 := read()
		after, _ := u.counts()
		return r3.cacheStatus, after != before
	}
	if cs, reached := run(control); !reached {
		t.Fatalf("precondition: %s of Membership.get was still served from the cache after %s (Cache-Status %q)", control.name, write, cs)
	}
	for _, c := range cases {
		if cs, reached := run(c); !reached {
			t.Errorf("Membership.get {\"select\":[\"id\"]} with the %s (contact_id.phone_primary.phone) was still answered from the cache (Cache-Status %q) after %s, "+
				"while the same join in select reached CiviCRM again. civicrm_api4() appends a string index field to a non-empty select and keys the "+
				"rows by its values (Result::indexBy): the answer's keys are the members' phone numbers, which the write changed", c.name, cs, write)
		}
	}
}
