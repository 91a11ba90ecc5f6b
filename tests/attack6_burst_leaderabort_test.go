package tests

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// atk6Upstream is CiviCRM behind a hook that can fail the first
// civicrm/authx/id question with HTTP 500 (a PHP hiccup).
type atk6Upstream struct {
	sim       http.Handler
	failFirst bool
	asked     atomic.Int64
}

func (u *atk6Upstream) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.URL.Path, "authx/id") {
		if u.asked.Add(1) == 1 && u.failFirst {
			time.Sleep(300 * time.Millisecond)
			w.Header().Set("Content-Type", "text/html; charset=UTF-8")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, "<b>Fatal error</b>: simulated\n")
			return
		}
	}
	u.sim.ServeHTTP(w, r)
}

type atk6Result struct {
	status int
	err    error
	retry  string
}

func atk6Get(ctx context.Context, url, apiKey, siteKey string) atk6Result {
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	req.Header.Set("X-Civi-Auth", "Bearer "+apiKey)
	req.Header.Set("X-Civi-Key", siteKey)
	resp, err := (&http.Client{Transport: &http.Transport{DisableKeepAlives: true}}).Do(req)
	if err != nil {
		return atk6Result{err: err}
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return atk6Result{status: resp.StatusCode, retry: resp.Header.Get("Retry-After")}
}

// TestAttack6BurstLeaderAbortRefusesValidKey: README (auth, guessing
// protection) says requests that arrive with a credential while its first
// use is being verified wait for it and share its one attempt, "so a cold
// burst with one valid key, a sync tool's workers or the first requests
// after a restart or on a new Host, is not refused". When that first
// request ends without a verdict on the credential, because its client
// went away (a worker's timeout, a cancelled job) or because CiviCRM's
// civicrm/authx/id answered it 500 once, the requests that waited for it
// each take a guessing attempt of their own: past max_failures (3 here) the
// rest of the burst, carrying a valid API key and the right site key, gets
// 429 "Too many failed authentication attempts" with a Retry-After of up
// to the window, though no guess was made. Each waiter waits as long as
// the first request's client does (with a hanging CiviCRM, a minute), then
// is refused. Expected: waiters of an attempt that ended without a verdict
// share the next one (or get the leader's 503), never a 429 for a valid
// credential that nobody guessed.
func TestAttack6BurstLeaderAbortRefusesValidKey(t *testing.T) {
	const apiKey = "atk6adminkey0123456789"
	for _, tc := range []struct {
		name          string
		failFirst     bool
		leaderTimeout time.Duration
	}{
		{"leader's client leaves mid-verification", false, 200 * time.Millisecond},
		{"CiviCRM answers the first authx/id question 500", true, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sim := civicrmsim.New(civicrmsim.Options{APIKeys: map[string]string{"admin": apiKey}})
			sim.SetLatency(600 * time.Millisecond)
			up := &atk6Upstream{sim: sim, failFirst: tc.failFirst}
			srv := httptest.NewServer(up)
			defer srv.Close()
			inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
				"site_key "+sim.SiteKey(), "auth {", "\tmax_failures 3 5m", "}"))
			defer caddyStopNow(t)
			url := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1"

			var wg sync.WaitGroup
			wg.Add(1)
			var lead atk6Result
			go func() {
				defer wg.Done()
				ctx := context.Background()
				if tc.leaderTimeout > 0 {
					var cancel context.CancelFunc
					ctx, cancel = context.WithTimeout(ctx, tc.leaderTimeout)
					defer cancel()
				}
				lead = atk6Get(ctx, url, apiKey, sim.SiteKey())
			}()
			time.Sleep(50 * time.Millisecond) // the first request is being verified
			const followers = 8
			res := make([]atk6Result, followers)
			for i := range followers {
				wg.Add(1)
				go func(i int) {
					defer wg.Done()
					ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
					defer cancel()
					res[i] = atk6Get(ctx, url, apiKey, sim.SiteKey())
				}(i)
			}
			wg.Wait()
			t.Logf("first request: status %d err %v", lead.status, lead.err)
			var refused []string
			for i, r := range res {
				if r.status == http.StatusTooManyRequests {
					refused = append(refused, fmt.Sprintf("#%d (Retry-After %s)", i, r.retry))
				} else if r.status != http.StatusOK {
					t.Logf("follower #%d: status %d err %v", i, r.status, r.err)
				}
			}
			if len(refused) > 0 {
				t.Errorf("%d of %d concurrent requests with a valid API key and the right site key got 429 after the first one ended without a verdict: %s",
					len(refused), followers, strings.Join(refused, ", "))
			}
		})
	}
}
