package tests

import (
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// readForm builds one read in one of the parameter forms clients use.
type readForm struct {
	name string
	// build makes the request for call (entity, action, a JSON params object
	// and the same params as key-value pairs) by user u.
	build func(base string, env *mixEnv, u *civicrmsim.User, c mixCall) *http.Request
}

type mixCall struct {
	entity, action string
	json           string // params as a JSON object
	kv             string // the same params as key=value&…
}

type mixEnv struct {
	sim *civicrmsim.Simulator
	sk  string
}

func (e *mixEnv) jwt(u *civicrmsim.User) string { return e.sim.MintJWT(u.ContactID, time.Hour) }

func newReq(method, target, body string, header ...string) *http.Request {
	r, err := http.NewRequest(method, target, strings.NewReader(body))
	if err != nil {
		panic(err)
	}
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(header); i += 2 {
		r.Header.Set(header[i], header[i+1])
	}
	return r
}

var readForms = []readForm{
	{"legacy GET key-value", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+externPath+"?entity="+c.entity+"&action="+c.action+"&json=1&"+c.kv+"&key="+e.sk+"&api_key="+u.APIKey, "")
	}},
	{"legacy POST form", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("POST", b+"/wp-content/plugins/civicrm/civicrm/extern/rest.php", "entity="+c.entity+"&action="+c.action+"&json=1&"+c.kv+"&key="+e.sk+"&api_key="+u.APIKey)
	}},
	{"legacy json=", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+externPath+"?entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json)+"&key="+e.sk+"&api_key="+u.APIKey, "")
	}},
	{"legacy XML", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+"/modules/civicrm/extern/rest.php?entity="+c.entity+"&action="+c.action+"&"+c.kv+"&key="+e.sk+"&api_key="+u.APIKey, "")
	}},
	{"WordPress REST", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+"/wp-json/civicrm/v3/rest?entity="+c.entity+"&action="+c.action+"&json=1&"+c.kv+"&key="+e.sk+"&api_key="+u.APIKey, "")
	}},
	{"verbose WordPress URL", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+"/?civiwp=CiviCRM&q=civicrm/ajax/rest&entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json),
			"", "X-Civi-Auth", "Bearer "+u.APIKey, "X-Civi-Key", e.sk)
	}},
	{"verbose Joomla URL, legacy keys", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("POST", b+"/index.php?option=com_civicrm&task=civicrm/ajax/rest",
			"entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json)+"&key="+e.sk+"&api_key="+u.APIKey)
	}},
	{"modern X-Civi-Auth", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+"/civicrm/ajax/rest?entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json),
			"", "X-Civi-Auth", "Bearer "+u.APIKey, "X-Civi-Key", e.sk)
	}},
	{"modern Authorization + X-Requested-With", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("POST", b+"/civicrm/ajax/rest", "entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json),
			"Authorization", "Bearer "+u.APIKey, "X-Requested-With", "XMLHttpRequest", "X-Civi-Key", e.sk)
	}},
	{"modern _authx", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+"/civicrm/ajax/rest?entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json)+
			"&_authx="+url.QueryEscape("Bearer "+u.APIKey)+"&_authxSiteKey="+e.sk, "")
	}},
	{"modern Basic", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		r := newReq("GET", b+"/civicrm/ajax/rest?entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json),
			"", "X-Requested-With", "XMLHttpRequest", "X-Civi-Key", e.sk)
		r.SetBasicAuth(u.Name, u.Password)
		return r
	}},
	{"modern JWT", func(b string, e *mixEnv, u *civicrmsim.User, c mixCall) *http.Request {
		return newReq("GET", b+"/civicrm/ajax/rest?entity="+c.entity+"&action="+c.action+"&json="+url.QueryEscape(c.json),
			"", "X-Civi-Auth", "Bearer "+e.jwt(u), "X-Civi-Key", e.sk)
	}},
}

// mixCalls are the reads of the mix: what an integration asks most. {ME}
// is the caller's own contact id (a getsingle of someone the caller may not
// see is an error, never stored).
var mixCalls = []mixCall{
	{"Contact", "get", `{"id":"3"}`, "id=3"},
	{"Contact", "get", `{"contact_type":"Individual","sequential":"1"}`, "contact_type=Individual&sequential=1"},
	{"Contact", "getcount", `{"contact_type":"Individual"}`, "contact_type=Individual"},
	{"Contact", "getsingle", `{"id":"{ME}"}`, "id={ME}"},
	{"Email", "get", `{"contact_id":"3"}`, "contact_id=3"},
	{"Group", "get", `{"sequential":"1"}`, "sequential=1"},
	{"Contact", "getvalue", `{"id":"{ME}","return":"display_name"}`, "id={ME}&return=display_name"},
}

// startMix is Caddy, caching in memory, in front of the simulator, which
// counts every request that reached it.
func startMix(t *testing.T) (caddyInstance, *mixEnv) {
	t.Helper()
	sim := civicrmsim.New(civicrmsim.Options{AllowPassword: true})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys()))
	return inst, &mixEnv{sim: sim, sk: sim.SiteKey()}
}

// In front of a CiviCRM that sets a session cookie on every answer, a
// second identical read is a hit in every parameter form, with the first
// answer's body, status and headers (Cache-Status and Date aside).
func TestCacheSecondReadHitsInEveryForm(t *testing.T) {
	inst, env := startMix(t)
	admin := env.sim.Admin()
	call := mixCalls[0]
	for _, f := range readForms {
		purge(t, inst.Admin, "")
		first := doReq(t, f.build(inst.URL, env, admin, call))
		before := env.sim.TotalCalls()
		second := doReq(t, f.build(inst.URL, env, admin, call))
		if first.status != 200 || !strings.Contains(first.header.Get("Cache-Status"), "stored") {
			t.Errorf("%s: first read %d %s: %.200s", f.name, first.status, first.header.Get("Cache-Status"), first.body)
			continue
		}
		if second.header.Get("Cache-Status") != "Civigate; hit" || env.sim.TotalCalls() != before {
			t.Errorf("%s: second read %s, %d calls reached CiviCRM", f.name, second.header.Get("Cache-Status"), env.sim.TotalCalls()-before)
		}
		if second.body != first.body || second.status != first.status {
			t.Errorf("%s: the hit differs from the miss:\n%s\n---\n%s", f.name, second.body, first.body)
		}
		if d := headerDiff(first.header, second.header, "Cache-Status", "Date"); d != "" {
			t.Errorf("%s: a hit can be told from a miss: %s", f.name, d)
		}
	}
}

// headerDiff describes how two answers' headers differ, but for the names
// in ignore; "" when they are the same.
func headerDiff(a, b http.Header, ignore ...string) string {
	var diffs []string
	for _, h := range []http.Header{a, b} {
		for name := range h {
			if slices.Contains(ignore, name) || slices.Equal(a[name], b[name]) {
				continue
			}
			d := fmt.Sprintf("%s: %q vs %q", name, a[name], b[name])
			if !slices.Contains(diffs, d) {
				diffs = append(diffs, d)
			}
		}
	}
	return strings.Join(diffs, "; ")
}

// A realistic mix: several users (the admin and two users whose ACLs show
// them different contacts) read what integrations read most, through every
// legacy and modern parameter form, in front of a CiviCRM that sets a
// session cookie on every answer. The test reports the hit ratio and the
// upstream calls saved; each (user, call) pair may miss once, every other
// read is a hit (WordPress REST's entries are its own), and no answer
// carries a cookie.
func TestCacheRealisticMixHitRatio(t *testing.T) {
	inst, env := startMix(t)
	ada, grace := env.sim.ACLUsers()
	users := []*civicrmsim.User{env.sim.Admin(), ada, grace}
	const requests = 420
	rng := rand.New(rand.NewPCG(18, 12))
	before := env.sim.TotalCalls()
	hits, pairs := 0, map[string]bool{} // distinct entries
	for i := 0; i < requests; i++ {
		u := users[rng.IntN(len(users))]
		// Popular calls are asked more often (weights 7, 6, …, 1).
		c := mixCalls[len(mixCalls)-1-int(float64(len(mixCalls))*rng.Float64()*rng.Float64())]
		f := readForms[rng.IntN(len(readForms))]
		me := fmt.Sprint(u.ContactID)
		c.json, c.kv = strings.ReplaceAll(c.json, "{ME}", me), strings.ReplaceAll(c.kv, "{ME}", me)
		got := doReq(t, f.build(inst.URL, env, u, c))
		status := got.header.Get("Cache-Status")
		switch {
		case got.status != 200:
			t.Fatalf("%s %s.%s by %s: %d %.300s", f.name, c.entity, c.action, u.Name, got.status, got.body)
		case status == "Civigate; hit":
			hits++
		case !strings.HasSuffix(status, "; stored"):
			t.Fatalf("%s %s.%s by %s: not stored: %s %.300s", f.name, c.entity, c.action, u.Name, status, got.body)
		}
		if len(got.header.Values("Set-Cookie")) != 0 {
			t.Fatalf("%s: the client got CiviCRM's cookie %q", f.name, got.header.Values("Set-Cookie"))
		}
		// WordPress REST hands civicrm_api3 parameters of its own making:
		// its entries are its own.
		own := strings.HasPrefix(f.name, "WordPress REST")
		pairs[fmt.Sprint(own, u.Name, c)] = true
	}
	upstream := env.sim.TotalCalls() - before
	t.Logf("%d reads by %d users in %d forms: %d hits (hit ratio %.2f), %d reached CiviCRM, %d upstream calls saved",
		requests, len(users), len(readForms), hits, float64(hits)/requests, upstream, requests-upstream)
	if upstream != requests-hits || upstream > len(pairs) {
		t.Errorf("%d upstream calls for %d misses of %d distinct reads", upstream, requests-hits, len(pairs))
	}
}
