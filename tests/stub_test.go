package tests

import (
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// stubCiviCRM is a minimal modern CiviCRM: civicrm/authx/id knows one API
// key (contact 2, with a CMS user), civicrm/ajax/rest answers one fixed
// Contact.get result. It records what reached it, headers included, so tests
// can check what Civigate forwarded. The full simulator lives in civicrmsim.
type stubCiviCRM struct {
	APIKey string
	srv    *httptest.Server

	mu       sync.Mutex
	requests []*http.Request
	bodies   []string
}

const stubContactGet = `{"is_error":0,"version":3,"count":1,"id":2,"values":{"2":{"contact_id":"2","display_name":"Standalone Admin","id":"2"}}}`

func newStubCiviCRM(t testing.TB) *stubCiviCRM {
	t.Helper()
	s := &stubCiviCRM{APIKey: randomHex(t, 16)}
	s.srv = httptest.NewServer(civicrmsim.WithPHPSession(s)) // cookies and no-store, as CiviCRM
	t.Cleanup(s.srv.Close)
	return s
}

// Host is host:port for reverse_proxy.
func (s *stubCiviCRM) Host() string { return strings.TrimPrefix(s.srv.URL, "http://") }

func (s *stubCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	s.requests = append(s.requests, r.Clone(r.Context()))
	s.bodies = append(s.bodies, string(body))
	s.mu.Unlock()
	switch r.URL.Path {
	case "/civicrm/authx/id":
		// AuthX's flows (every one accepts API keys): X-Civi-Auth, then
		// Authorization, then _authx ($_GET on a GET, $_POST otherwise).
		params := r.URL.Query()
		if r.Method != http.MethodGet {
			params, _ = url.ParseQuery(string(body))
		}
		flow, cred := "xheader", r.Header.Get("X-Civi-Auth")
		if cred == "" {
			flow, cred = "header", r.Header.Get("Authorization")
		}
		if cred == "" {
			flow, cred = "param", params.Get("_authx")
		}
		if cred != "Bearer "+s.APIKey {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			io.WriteString(w, "HTTP 401 Invalid credential")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"contact_id":2,"user_id":1,"flow":"`+flow+`","cred":"api_key"}`)
	case "/civicrm/ajax/rest":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, stubContactGet)
	case "/civicrm/ajax/api4/Contact/get":
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"values":[],"entity":"Contact","action":"get","debug":null,"version":4,"count":0,"countFetched":0}`)
	default:
		http.NotFound(w, r)
	}
}

// seen returns the requests received so far and forgets them.
func (s *stubCiviCRM) seen() ([]*http.Request, []string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, b := s.requests, s.bodies
	s.requests, s.bodies = nil, nil
	return r, b
}

// randomHex is a fresh secret for one test: no real key is ever committed.
func randomHex(t testing.TB, n int) string {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(b)
}
