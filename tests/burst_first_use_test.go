package tests

import (
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

// A cold burst of legacy calls with one valid API key from one address,
// more of them at once than max_failures (a sync tool starting 16
// workers, the first requests after a restart), is served in full: the
// requests that arrive while the key's first use is verified by CiviCRM
// (slowed here) share its one guessing attempt, where each held one and 6
// of 16 got 429. Failures are not shared: the same burst with a wrong
// key is verified max_failures times and refused with 429 beyond. With
// the counters and proofs in memory, and in Redis.
func TestColdBurstWithOneValidKeyIsServed(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{Latency: 300 * time.Millisecond})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	upstream := strings.TrimPrefix(srv.URL, "http://")
	const n = 16
	burst := func(base, apiKey string) map[int]int {
		target := base + externPath + "?entity=Contact&action=get&json=" + url.QueryEscape(`{"id":1}`) + "&" +
			url.Values{"key": {sim.SiteKey()}, "api_key": {apiKey}}.Encode()
		statuses := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for range n {
			wg.Go(func() {
				status := 0
				if resp, err := http.Get(target); err == nil {
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					status = resp.StatusCode
					if status == 200 && strings.Contains(string(body), `"is_error":1`) {
						status = -200 // refused in the body, as extern/rest.php did
					}
				}
				mu.Lock()
				statuses[status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return statuses
	}
	for _, backend := range []string{"memory", "redis"} {
		t.Run(backend, func(t *testing.T) {
			lines := []string{"site_key " + sim.SiteKey(), "sign_keys " + sim.SignKeys(), "cache off"}
			auth := "auth {\n\t\t\tmax_failures 10 5m\n\t\t}"
			if backend == "redis" {
				ru, _, prefix := testRedis(t)
				lines = append(lines, "redis "+ru, "redis_prefix "+prefix)
				auth = "auth {\n\t\t\tsecret " + randomHex(t, 16) + "\n\t\t\tmax_failures 10 5m\n\t\t}"
			}
			inst := startCaddy(t, siteCaddyfile(upstream, append(lines, auth)...))
			if got := burst(inst.URL, sim.Admin().APIKey); got[200] != n {
				t.Errorf("%d calls at once with a valid key not yet verified: statuses %v, want all %d 200", n, got, n)
			}
			wrong := "wrong-" + randomHex(t, 12)
			if got := burst(inst.URL, wrong); got[http.StatusTooManyRequests] != n-10 {
				t.Errorf("%d calls at once with a wrong key: statuses %v, want %d 429 (10 verified)", n, got, n-10)
			}
		})
	}
}
