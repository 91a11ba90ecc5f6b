package tests

// Helpers of the attack 9 tests (policy evasion): a simulator behind a
// recorder of every API request that reaches it, and calls made with the
// admin's key, so a test can tell a refusal at the edge from a call that
// CiviCRM ran.

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a9Rec records the method, URL and body of every request but AuthX's
// credential questions before the simulator answers it.
type a9Rec struct {
	sim  *civicrmsim.Simulator
	mu   sync.Mutex
	reqs []string
}

func (r *a9Rec) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if req.URL.Path != "/civicrm/authx/id" {
		b, _ := io.ReadAll(req.Body)
		req.Body = io.NopCloser(strings.NewReader(string(b)))
		r.mu.Lock()
		r.reqs = append(r.reqs, req.Method+" "+req.URL.RequestURI()+"\n"+string(b))
		r.mu.Unlock()
	}
	r.sim.ServeHTTP(w, req)
}

// reached reports whether a request whose path is path reached CiviCRM.
func (r *a9Rec) reached(path string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, q := range r.reqs {
		line := strings.SplitN(q, "\n", 2)[0]
		p := strings.SplitN(strings.SplitN(line, " ", 2)[1], "?", 2)[0]
		if p == path {
			return true
		}
	}
	return false
}

func (r *a9Rec) reset() {
	r.mu.Lock()
	r.reqs = nil
	r.mu.Unlock()
}

// a9Setup starts the simulator, its recorder and Civigate (cache off, so
// every admitted call reaches CiviCRM) with the auth block's lines.
func a9Setup(t *testing.T, authLines ...string) (*civicrmsim.Simulator, *a9Rec, caddyInstance) {
	t.Helper()
	sim := civicrmsim.New(civicrmsim.Options{})
	rec := &a9Rec{sim: sim}
	up := httptest.NewServer(rec)
	t.Cleanup(up.Close)
	lines := []string{"site_key " + sim.SiteKey(), "cache off", "auth {"}
	lines = append(lines, authLines...)
	lines = append(lines, "}")
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"), lines...))
	return sim, rec, inst
}

// a9Call sends an API call as the admin (X-Civi-Auth, X-Civi-Key) with a
// form body when form is not empty (POST) and none otherwise.
func a9Call(t *testing.T, sim *civicrmsim.Simulator, inst caddyInstance, method, pathQuery string, form url.Values) (int, string) {
	t.Helper()
	hdr := map[string]string{
		"X-Civi-Auth":      "Bearer " + sim.Admin().APIKey,
		"X-Civi-Key":       sim.SiteKey(),
		"X-Requested-With": "XMLHttpRequest",
	}
	body := ""
	if form != nil {
		body = form.Encode()
	}
	return a7Req(t, method, inst.URL+pathQuery, hdr, body)
}

// a9V3 is an APIv3 POST to civicrm/ajax/rest with json= parameters.
func a9V3(t *testing.T, sim *civicrmsim.Simulator, inst caddyInstance, entity, action, jsonParams string) (int, string) {
	t.Helper()
	return a9Call(t, sim, inst, "POST", "/civicrm/ajax/rest", url.Values{"entity": {entity}, "action": {action}, "json": {jsonParams}})
}

// a9V4 is an APIv4 POST to civicrm/ajax/api4/Entity/action with params=.
func a9V4(t *testing.T, sim *civicrmsim.Simulator, inst caddyInstance, entity, action, params string) (int, string) {
	t.Helper()
	return a9Call(t, sim, inst, "POST", "/civicrm/ajax/api4/"+entity+"/"+action, url.Values{"params": {params}})
}

// a9PolicyRefused reports whether an answer is Civigate's policy refusal,
// in the APIv3 or APIv4 shape.
func a9PolicyRefused(status int, body string) bool {
	return status == http.StatusForbidden && strings.Contains(body, "Forbidden by gateway policy")
}

// a9q percent-encodes a form value.
func a9q(s string) string { return url.QueryEscape(s) }
