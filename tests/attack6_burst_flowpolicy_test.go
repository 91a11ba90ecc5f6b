package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// atk6FlowPolicy is a CiviCRM whose AuthX settings restrict credential types
// per flow (ext/authx/settings/authx.setting.php, shared/spec §5.4):
// authx_param_cred = ['jwt'] (no API key in `_authx`, CiviCRM's default
// before 5.38 and a common hardening to keep keys out of URLs) and
// authx_header_cred = [] (the 5.50–6.12 default on sites where an
// Authorization header was present when AuthX was enabled: the
// Authorization header is then no AuthX credential at all). X-Civi-Auth
// (xheader) still takes API keys. The simulator applies those settings
// (civicrmsim.Options.AuthxCred) as AuthX does, wherever it reads the
// flow's credential (`_authx` from $_GET on a GET, from $_POST on any
// other method); this records every request it receives.
type atk6FlowPolicy struct {
	sim http.Handler
	mu  sync.Mutex
	got []string
}

func (p *atk6FlowPolicy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.got = append(p.got, r.Method+" "+r.URL.Path+" X-Civi-Auth="+r.Header.Get("X-Civi-Auth"))
	p.mu.Unlock()
	p.sim.ServeHTTP(w, r)
}

// TestAttack6AuthxFlowPolicyBypassed: CiviCRM's AuthX decides per flow which
// credential types it accepts (authx_<flow>_cred) and whether a CMS user is
// required (authx_<flow>_user). Civigate asks civicrm/authx/id about every
// modern-form credential in the xheader flow (X-Civi-Auth), whatever flow the
// client used, remembers that verdict for the credential, and sends the call
// on with X-Civi-Auth. So on a site that accepts no API key in `_authx`, or
// no Authorization header at all, an API key sent in `_authx=Bearer …` or
// `Authorization: Bearer …` is answered as its contact through Civigate
// (APIv3 and APIv4), where CiviCRM refuses it (`Authentication type
// "api_key" with flow "param" is not allowed for this principal.`) or treats
// the request as anonymous. The same holds for the followers of a cold
// burst, which pass on the first request's verdict whatever their flow.
// Expected: a credential is judged in the flow the client used (or, where
// Civigate cannot, refused rather than accepted under another flow's
// policy).
func TestAttack6AuthxFlowPolicyBypassed(t *testing.T) {
	const apiKey = "atk6flowadminkey0123456789"
	sim := civicrmsim.New(civicrmsim.Options{APIKeys: map[string]string{"admin": apiKey},
		AuthxCred: map[string][]string{"param": {"jwt"}, "header": {}}})
	up := &atk6FlowPolicy{sim: sim}
	srv := httptest.NewServer(up)
	defer srv.Close()
	sk := sim.SiteKey()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sk, "sign_keys "+sim.SignKeys(), "auth {", "\tmax_failures 30 5m", "}"))
	defer caddyStopNow(t)

	ajax := "/civicrm/ajax/rest?entity=Contact&action=get&json=1"
	api4 := "/civicrm/ajax/api4/Contact/get?params=%7B%22select%22%3A%5B%22id%22%5D%2C%22limit%22%3A1%7D"
	get := func(path string, hdr ...string) (int, string) {
		req, _ := http.NewRequest("GET", inst.URL+path, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	// What CiviCRM itself answers, for reference.
	direct, _ := http.Get(srv.URL + ajax + "&_authx=Bearer%20" + apiKey + "&_authxSiteKey=" + sk)
	db, _ := io.ReadAll(direct.Body)
	direct.Body.Close()
	t.Logf("CiviCRM itself, _authx with an API key: %d %s", direct.StatusCode, db)

	served := func(st int, body string) bool {
		return st == 200 && (strings.Contains(body, `"is_error":0`) || strings.Contains(body, `"values":[{"id":2}]`))
	}
	for _, c := range []struct {
		name string
		path string
		hdr  []string
	}{
		{"APIv3 ajax/rest, _authx=Bearer <api key>", ajax + "&_authx=Bearer%20" + apiKey + "&_authxSiteKey=" + sk, nil},
		{"APIv4, _authx=Bearer <api key>", api4 + "&_authx=Bearer%20" + apiKey + "&_authxSiteKey=" + sk, nil},
		{"APIv3 ajax/rest, Authorization: Bearer <api key>", ajax, []string{"Authorization", "Bearer " + apiKey, "X-Civi-Key", sk}},
		{"APIv4, Authorization: Bearer <api key>", api4, []string{"Authorization", "Bearer " + apiKey, "X-Civi-Key", sk, "X-Requested-With", "XMLHttpRequest"}},
	} {
		st, body := get(c.path, c.hdr...)
		t.Logf("%s: %d %.90s", c.name, st, body)
		if served(st, body) {
			t.Errorf("%s: served as the key's contact (%d %.90s), where CiviCRM accepts no API key in that flow", c.name, st, body)
		}
	}
	// X-Civi-Auth takes API keys on this site: still served.
	if st, body := get(ajax, "X-Civi-Auth", "Bearer "+apiKey, "X-Civi-Key", sk); !served(st, body) {
		t.Errorf("X-Civi-Auth: %d %.120s, want 200", st, body)
	}
	up.mu.Lock()
	t.Logf("CiviCRM received: %q", up.got)
	up.mu.Unlock()
}
