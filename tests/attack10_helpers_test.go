package tests

// Helpers of the attack 10 tests (policy and routing at the edge): one
// request sent through Civigate in front of the recording simulator
// (attack 9's a9Setup), and what of it reached CiviCRM.

import (
	"net/url"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a10Req is one request as a client sends it.
type a10Req struct {
	method, pathQuery, ctype, body string
	hdr                            map[string]string
}

// a10Send sends r as the admin (X-Civi-Auth, X-Civi-Key, X-Requested-With,
// unless r.hdr overrides them) and returns the status, the body and every
// request of it that reached the simulator (method, URI, body), with the
// simulator's call counters before and after.
func a10Send(t *testing.T, sim *civicrmsim.Simulator, rec *a9Rec, inst caddyInstance, r a10Req) (int, string, []string, map[string]int) {
	t.Helper()
	rec.reset()
	sim.ResetCounts()
	hdr := map[string]string{
		"X-Civi-Auth":      "Bearer " + sim.Admin().APIKey,
		"X-Civi-Key":       sim.SiteKey(),
		"X-Requested-With": "XMLHttpRequest",
	}
	if r.ctype != "" {
		hdr["Content-Type"] = r.ctype
	}
	for k, v := range r.hdr {
		if v == "" {
			delete(hdr, k)
			continue
		}
		hdr[k] = v
	}
	st, body := a7Req(t, r.method, inst.URL+r.pathQuery, hdr, r.body)
	rec.mu.Lock()
	reached := append([]string(nil), rec.reqs...)
	rec.mu.Unlock()
	return st, body, reached, sim.CallCounts()
}

// a10Form is an urlencoded form body of key, value pairs.
func a10Form(kv ...string) string {
	v := url.Values{}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v.Encode()
}

// a10V3 is an APIv3 POST to civicrm/ajax/rest with a json= object.
func a10V3(entity, action, jsonParams string) a10Req {
	return a10Req{method: "POST", pathQuery: "/civicrm/ajax/rest", ctype: "application/x-www-form-urlencoded",
		body: a10Form("entity", entity, "action", action, "json", jsonParams)}
}

// a10V4 is an APIv4 POST to civicrm/ajax/api4/Entity/action with params=.
func a10V4(entity, action, params string) a10Req {
	return a10Req{method: "POST", pathQuery: "/civicrm/ajax/api4/" + entity + "/" + action, ctype: "application/x-www-form-urlencoded",
		body: a10Form("params", params)}
}

// a10MustRefuse sends r and fails the test, naming why, unless Civigate
// refused it by policy and nothing of it reached CiviCRM.
func a10MustRefuse(t *testing.T, sim *civicrmsim.Simulator, rec *a9Rec, inst caddyInstance, name string, r a10Req, why string) {
	t.Helper()
	st, body, reached, calls := a10Send(t, sim, rec, inst, r)
	if len(reached) > 0 || !a9PolicyRefused(st, body) {
		if len(body) > 200 {
			body = body[:200] + "…"
		}
		t.Errorf("%s: %s %s %s went through the deny rule: Civigate answered %d %s; CiviCRM was sent %q (simulator ran %v).\n%s",
			name, r.method, r.pathQuery, r.body, st, body, reached, calls, why)
	}
}
