package tests

// Helpers of the attack 15 tests (the cache: answers CiviCRM would give
// differently). A stale answer is shown with attack 10b's counting upstream
// (a10bStaleAfter): any write bumps the data every later answer shows, so
// a read served from the cache after a write is the answer from before it,
// which CiviCRM, whose BAO wrote the rows the read shows, would not give.

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// a15Case is a read that CiviCRM answers differently once write has run,
// and the CiviCRM code that says why.
type a15Case struct {
	read, write a10bCall
	why         string
}

// a15MustInvalidate runs each case against a fresh Civigate (memory cache)
// in front of the counting upstream: the read is cached, the write is
// answered, and the read again must reach CiviCRM.
func a15MustInvalidate(t *testing.T, cases []a15Case) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.write.String()+" then "+c.read.String(), func(t *testing.T) {
			sim, u, inst := a10bSetup(t)
			if s := a10bStaleAfter(t, sim, u, inst, c.read, c.write); s != "" {
				t.Errorf("%s.\nCiviCRM would answer differently: %s", s, c.why)
			}
		})
	}
}

// a15LangUp is a CiviCRM whose CMS picks the answer's language from the
// request (Drupal's browser language negotiation, CiviCRM's inheritLocale):
// every API call is answered with gender 1's label in the language
// Accept-Language names first; civicrm/authx/id goes to the simulator.
type a15LangUp struct {
	sim   *civicrmsim.Simulator
	mu    sync.Mutex
	calls int
}

// a15Labels are gender 1's label by language, as CiviCRM's translated
// option values would give it.
var a15Labels = map[string]string{"en": "Female", "fr": "Femme", "de": "Weiblich"}

// a15Lang is the language a request's Accept-Language puts first, "en"
// when it names none Drupal knows here.
func a15Lang(h string) string {
	first := strings.TrimSpace(strings.SplitN(strings.SplitN(h, ",", 2)[0], ";", 2)[0])
	first = strings.ToLower(strings.SplitN(first, "-", 2)[0])
	if _, ok := a15Labels[first]; ok {
		return first
	}
	return "en"
}

func (u *a15LangUp) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path == "/civicrm/authx/id" || !strings.Contains(r.URL.Path, "civicrm/ajax/") {
		u.sim.ServeHTTP(w, r)
		return
	}
	u.mu.Lock()
	u.calls++
	u.mu.Unlock()
	label := a15Labels[a15Lang(r.Header.Get("Accept-Language"))]
	w.Header().Set("Content-Type", "application/json")
	if strings.Contains(r.URL.Path, "/civicrm/ajax/api4/") {
		fmt.Fprintf(w, `{"entity":"Contact","action":"get","version":4,"count":1,"countFetched":1,"values":[{"id":2,"gender_id:label":%q}]}`, label)
		return
	}
	fmt.Fprintf(w, `{"is_error":0,"version":3,"count":1,"id":2,"values":[{"id":"2","gender":%q}]}`, label)
}

func (u *a15LangUp) count() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.calls
}

// a15LangSetup starts the simulator (for credential questions), the
// language-negotiating upstream and Civigate with its default cache.
func a15LangSetup(t *testing.T) (*civicrmsim.Simulator, *a15LangUp, caddyInstance) {
	t.Helper()
	sim := civicrmsim.New(civicrmsim.Options{})
	u := &a15LangUp{sim: sim}
	up := httptest.NewServer(u)
	t.Cleanup(up.Close)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.URL, "http://"), "site_key "+sim.SiteKey()))
	return sim, u, inst
}
