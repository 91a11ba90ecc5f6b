package tests

import (
	"fmt"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// TestA10TwoSiteBlocksShareInvalidation: one Caddy with two site blocks in
// front of the same CiviCRM (same site key, so the same namespace: a
// public host and an internal listener for integrations, or two host
// names kept in separate blocks), with the default in-memory cache. The
// README promises that a write "invalidates the entries it may change on
// every host of the namespace", and CiviCRM has one database behind both
// blocks; yet a write through one block leaves the other block's cached
// reads answering the pre-write rows for the whole ttl.
func TestA10TwoSiteBlocksShareInvalidation(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	u := &a10bUp{sim: sim}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	upstream := strings.TrimPrefix(up.URL, "http://")
	p2 := freePort(t)
	block := func(addr string) string {
		return fmt.Sprintf("http://%s {\n\tcivicrm {\n\t\tsite_key %s\n\t}\n\treverse_proxy %s\n}\n", addr, sim.SiteKey(), upstream)
	}
	a := startCaddy(t, testGlobalOptions+block(":{PORT}")+block(fmt.Sprintf(":%d", p2)))
	b := caddyInstance{URL: fmt.Sprintf("http://127.0.0.1:%d", p2), Admin: a.Admin}
	for _, c := range []struct{ read, write a10bCall }{
		{a10bCall{4, "Contact", "get", `{"select":["id","display_name"],"where":[["id","=",2]]}`},
			a10bCall{4, "Contact", "update", `{"where":[["id","=",2]],"values":{"first_name":"New"}}`}},
		{a10bCall{3, "Email", "get", `{"contact_id":2}`},
			a10bCall{3, "Email", "create", `{"contact_id":2,"email":"new@example.org"}`}},
	} {
		c.read.do(t, sim, b)
		before, _ := u.counts()
		c.read.do(t, sim, b)
		if after, _ := u.counts(); after != before {
			t.Fatalf("precondition: %s is cached on the second block", c.read)
		}
		if w := c.write.do(t, sim, a); w.status != 200 {
			t.Fatalf("%s: %d %s", c.write, w.status, w.body)
		}
		before, _ = u.counts()
		r := c.read.do(t, sim, b)
		if after, _ := u.counts(); after == before {
			t.Errorf("after %s was answered through the first site block, %s through the second block (same CiviCRM, same site key) "+
				"was still answered from its cache (Cache-Status %q) with the pre-write rows: %s", c.write, c.read, r.cacheStatus, r.body)
		}
	}
}
