package tests

// Helpers of the attack 10 tests (cache, identity, headers, secrets): an
// upstream that answers every API call itself with a body naming how many
// writes it has seen (so a stale answer is visible in its bytes), and lets
// the simulator answer AuthX's credential questions.

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a10bUp is the upstream: civicrm/authx/id goes to the simulator, every API
// call is answered here. A call whose action does not start with "get" (or
// is not autocomplete) counts as a write and bumps the data version, which
// every answer carries as "marker".
type a10bUp struct {
	sim *civicrmsim.Simulator

	mu      sync.Mutex
	version int
	reads   int
	writes  int
	// seen records every API request's method, URI and body.
	seen []string
}

func (u *a10bUp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/civicrm/authx/id" || !strings.Contains(r.URL.Path+"?"+r.URL.RawQuery, "civicrm/ajax/") {
		u.sim.ServeHTTP(w, r)
		return
	}
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	_ = r.ParseMultipartForm(1 << 20)
	u.mu.Lock()
	u.seen = append(u.seen, r.Method+" "+r.URL.RequestURI()+"\n"+fmtHeaders(r.Header)+"\n"+string(body))
	u.mu.Unlock()
	var entity, action string
	v4 := strings.Contains(r.URL.Path, "/civicrm/ajax/api4/")
	if v4 {
		seg := strings.Split(strings.SplitN(r.URL.Path, "/civicrm/ajax/api4/", 2)[1], "/")
		entity = seg[0]
		if len(seg) > 1 {
			action = seg[1]
		}
	} else {
		entity, action = r.FormValue("entity"), r.FormValue("action")
	}
	la := strings.ToLower(action)
	read := strings.HasPrefix(la, "get") || la == "autocomplete"
	u.mu.Lock()
	if read {
		u.reads++
	} else {
		u.writes++
		u.version++
	}
	ver := u.version
	u.mu.Unlock()
	if entity == "Boom" {
		// An answer that breaks off: Content-Length promises more.
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", "1000")
		w.WriteHeader(200)
		w.Write([]byte(`{"is_error":0,`))
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Set-Cookie", "SESSCIVISO=upstream-session-"+fmt.Sprint(ver)+"; path=/; HttpOnly")
	if v4 {
		fmt.Fprintf(w, `{"entity":%q,"action":%q,"version":4,"count":1,"countFetched":1,"values":[{"id":1,"marker":%d}]}`, entity, action, ver)
		return
	}
	fmt.Fprintf(w, `{"is_error":0,"version":3,"count":1,"id":1,"values":[{"id":"1","marker":"%d"}]}`, ver)
}

func fmtHeaders(h http.Header) string {
	var b strings.Builder
	for k, v := range h {
		b.WriteString(k + ": " + strings.Join(v, ", ") + "\n")
	}
	return b.String()
}

func (u *a10bUp) counts() (reads, writes int) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.reads, u.writes
}

// a10bSetup starts the simulator (for credential questions), the stub
// upstream and Civigate (memory cache unless lines say otherwise).
func a10bSetup(t *testing.T, lines ...string) (*civicrmsim.Simulator, *a10bUp, caddyInstance) {
	t.Helper()
	return a10bSetupSim(t, civicrmsim.New(civicrmsim.Options{}), lines...)
}

// a10bSetupSim is a10bSetup with a given simulator.
func a10bSetupSim(t *testing.T, sim *civicrmsim.Simulator, lines ...string) (*civicrmsim.Simulator, *a10bUp, caddyInstance) {
	t.Helper()
	u := &a10bUp{sim: sim}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	lines = append([]string{"site_key " + sim.SiteKey()}, lines...)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"), lines...))
	return sim, u, inst
}

// a10bResp is what a client saw.
type a10bResp struct {
	status      int
	cacheStatus string
	body        string
	header      http.Header
}

func a10bDo(t *testing.T, method, u string, hdr map[string]string, body string) a10bResp {
	t.Helper()
	resp, b := fidDo(t, method, u, hdr, body)
	return a10bResp{resp.StatusCode, resp.Header.Get("Cache-Status"), b, resp.Header}
}

// a10bAuth is the admin's stateless AuthX headers.
func a10bAuth(sim *civicrmsim.Simulator) map[string]string {
	return map[string]string{"X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Civi-Key": sim.SiteKey()}
}

// a10bV3 is an APIv3 POST to civicrm/ajax/rest as the admin.
func a10bV3(t *testing.T, sim *civicrmsim.Simulator, inst caddyInstance, entity, action, jsonParams string) a10bResp {
	t.Helper()
	f := url.Values{"entity": {entity}, "action": {action}, "json": {jsonParams}}
	return a10bDo(t, "POST", inst.URL+"/civicrm/ajax/rest", a10bAuth(sim), f.Encode())
}

// a10bV4 is an APIv4 POST to civicrm/ajax/api4/Entity/action as the admin.
func a10bV4(t *testing.T, sim *civicrmsim.Simulator, inst caddyInstance, entity, action, params string) a10bResp {
	t.Helper()
	f := url.Values{"params": {params}}
	return a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/"+entity+"/"+action, a10bAuth(sim), f.Encode())
}

// a10bCall is one API call of a test case: version 3 or 4.
type a10bCall struct {
	v              int
	entity, action string
	params         string
}

func (c a10bCall) String() string {
	return fmt.Sprintf("APIv%d %s.%s %s", c.v, c.entity, c.action, c.params)
}

func (c a10bCall) do(t *testing.T, sim *civicrmsim.Simulator, inst caddyInstance) a10bResp {
	t.Helper()
	if c.v == 4 && c.entity == "" {
		f := url.Values{"calls": {c.params}}
		return a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4", a10bAuth(sim), f.Encode())
	}
	if c.v == 4 {
		return a10bV4(t, sim, inst, c.entity, c.action, c.params)
	}
	return a10bV3(t, sim, inst, c.entity, c.action, c.params)
}

// a10bStaleAfter reads, checks the read is served from the cache, writes,
// and reads again: it returns "" when the last read reached CiviCRM, else
// a description of the stale answer.
func a10bStaleAfter(t *testing.T, sim *civicrmsim.Simulator, u *a10bUp, inst caddyInstance, read, write a10bCall) string {
	t.Helper()
	r1 := read.do(t, sim, inst)
	if r1.status != 200 {
		t.Fatalf("%s: %d %s", read, r1.status, r1.body)
	}
	// The precondition: the read is served from the cache. The first
	// answer is stored after it is answered, and a loaded host's Redis may
	// miss a lookup's deadline (store-down): asked again, up to 2 s.
	for i := 0; ; i++ {
		before, _ := u.counts()
		r2 := read.do(t, sim, inst)
		if after, _ := u.counts(); after == before {
			break
		} else if i == 20 {
			t.Fatalf("precondition: %s is not served from the cache (Cache-Status %q)", read, r2.cacheStatus)
		}
		time.Sleep(100 * time.Millisecond)
	}
	w := write.do(t, sim, inst)
	if w.status != 200 {
		t.Fatalf("%s: %d %s", write, w.status, w.body)
	}
	before, _ := u.counts()
	r3 := read.do(t, sim, inst)
	if after, _ := u.counts(); after == before {
		return fmt.Sprintf("after %s was answered, %s was still answered from the cache (Cache-Status %q) with the answer from before the write: %s", write, read, r3.cacheStatus, r3.body)
	}
	return ""
}
