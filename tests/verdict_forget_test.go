package tests

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync/atomic"
	"testing"
	"time"
)

// A write through Civigate that may change credentials (here APIv3
// Contact.create setting a contact's api_key, and APIv4 Contact.update
// setting it in a chained call) makes every instance forget the verdicts
// it remembers, so the next request with any key asks civicrm/authx/id
// again: in memory (one site block; and two site blocks of one namespace in
// one Caddy, which share their verdict counters) and on Redis (a write
// through instance A makes instance B ask again). A Contact write without api_key, and a
// Contribution write (which invalidates the whole cache), forget nothing.
func TestVerdictsForgottenAfterCredentialWrite(t *testing.T) {
	for _, mode := range []string{"memory", "memory, two site blocks", "redis"} {
		t.Run(mode, func(t *testing.T) {
			up, asked, sk, a, b := verdictSites(t, mode)
			extern := "/sites/all/modules/civicrm/extern/rest.php"
			read := b + extern + "?entity=Contact&action=get&json=1&id=3&key=" + sk + "&api_key=" + up.key(3)
			writeA := func(form string) {
				t.Helper()
				got := do(t, "POST", a+extern, form+"&key="+sk+"&api_key="+up.key(2), siteHost)
				if got.status != 200 {
					t.Fatalf("write %s: %d %s", form, got.status, got.body)
				}
			}
			askedByB := func() int64 {
				t.Helper()
				before := asked.Load()
				if got := do(t, "GET", read, "", siteHost); got.status != 200 {
					t.Fatalf("B's read: %d %s", got.status, got.body)
				}
				return asked.Load() - before
			}
			if n := askedByB(); n != 1 {
				t.Fatalf("B's first read asked %d times about its key, want once", n)
			}
			writeA("entity=Contact&action=create&json=1&contact_type=Individual&first_name=New")
			writeA("entity=Contribution&action=create&json=1&contact_id=3&total_amount=5&financial_type_id=1")
			time.Sleep(300 * time.Millisecond) // what a forgetting message would need to arrive
			if n := askedByB(); n != 0 {
				t.Fatalf("after a Contact write without api_key and a Contribution write through A, B asked %d times about a remembered key", n)
			}
			for i, w := range []string{
				"entity=Contact&action=create&json=" + url.QueryEscape(`{"id":3,"api_key":"`+randomHex(t, 16)+`"}`),
				"entity=Contact&action=get&json=" + url.QueryEscape(`{"id":3,"api.Contact.create":{"api_key":"`+randomHex(t, 16)+`"}}`),
			} {
				writeA(w)
				deadline := time.Now().Add(3 * time.Second)
				for askedByB() == 0 {
					if time.Now().After(deadline) {
						t.Fatalf("write %d setting api_key through A: B never asked about its key again", i)
					}
					time.Sleep(20 * time.Millisecond)
				}
				if n := askedByB(); n != 0 {
					t.Fatalf("after asking again, B asked %d more times", n)
				}
			}
		})
	}
}

// verdictSites is the ACL CiviCRM behind two sites a and b, for mode:
// "memory" (one site block, a and b the same), "memory, two site blocks"
// (two blocks of one namespace in one Caddy) or "redis" (two Caddy
// instances sharing Redis); sk is their site key and asked counts the
// questions CiviCRM gets at civicrm/authx/id.
func verdictSites(t *testing.T, mode string) (up *aclCiviCRM, asked *atomic.Int64, sk, a, b string) {
	t.Helper()
	up = newACLCiviCRM(t)
	asked = new(atomic.Int64)
	inner := up.srv.Config.Handler
	up.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/civicrm/authx/id" {
			asked.Add(1)
		}
		inner.ServeHTTP(w, r)
	}))
	t.Cleanup(up.srv.Close)
	sk = "sk-" + randomHex(t, 12)
	var sites []string
	switch mode {
	case "memory":
		sites, _ = cacheSites(t, up, sk, "", "", 1)
		sites = append(sites, sites[0])
	case "memory, two site blocks":
		sites, _ = cacheSites(t, up, sk, "", "", 2)
	default:
		ru, _, prefix := testRedis(t)
		sites, _ = cacheSites(t, up, sk, ru, prefix, 2)
	}
	return up, asked, sk, sites[0], sites[1]
}
