package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// The simulator's two ACL users see different contacts (ada: 3 and 5,
// grace: 1 and 4). 1,000 randomised reads by both, in every parameter form,
// concurrently, through Civigate caching in real Redis: every answer holds
// only contacts its caller may see, and most come from the cache.
func TestCacheNeverCrossesACLUsersInRedis(t *testing.T) {
	ru, _, prefix := testRedis(t)

	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	// A Redis deadline well above the default: on a loaded machine 10ms
	// lookups time out and the cache this test is about would go unused.
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "redis "+ru, "redis_prefix "+prefix, "cache {\n\t\t\tredis_timeout 1s\n\t\t}"))
	ada, grace := sim.ACLUsers()
	sees := map[int64]map[string]bool{ada.ContactID: {"3": true, "5": true}, grace.ContactID: {"1": true, "4": true}}
	users := []*civicrmsim.User{ada, grace}
	sk := sim.SiteKey()

	const requests, workers = 1000, 8
	var crossed, failed, hits, rows atomic.Int64
	var firstProblem sync.Once
	jobs := make(chan int, requests)
	for i := 0; i < requests; i++ {
		jobs <- i
	}
	close(jobs)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range jobs {
				u := users[rand.IntN(2)]
				filter := []string{"", `"contact_type":"Individual",`, `"id":"3",`, `"id":"4",`}[rand.IntN(4)]
				js := `{` + filter + `"sequential":` + fmt.Sprint(rand.IntN(2)) + `}`
				var req *http.Request
				switch rand.IntN(3) {
				case 0: // legacy GET, json=
					req, _ = http.NewRequest("GET", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json="+
						url.QueryEscape(js)+"&key="+sk+"&api_key="+u.APIKey, nil)
				case 1: // legacy POST, json= in the body
					req, _ = http.NewRequest("POST", inst.URL+"/wp-content/plugins/civicrm/civicrm/extern/rest.php",
						strings.NewReader("entity=Contact&action=get&json="+url.QueryEscape(js)+"&key="+sk+"&api_key="+u.APIKey))
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				default: // modern, X-Civi-Auth
					req, _ = http.NewRequest("GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=get&json="+url.QueryEscape(js), nil)
					req.Header.Set("X-Civi-Auth", "Bearer "+u.APIKey)
					req.Header.Set("X-Civi-Key", sk)
				}
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					failed.Add(1)
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				var out struct {
					IsError int             `json:"is_error"`
					Values  json.RawMessage `json:"values"`
				}
				if resp.StatusCode != 200 || json.Unmarshal(b, &out) != nil || out.IsError != 0 {
					failed.Add(1)
					firstProblem.Do(func() { t.Logf("failed answer: %d %s", resp.StatusCode, b) })
					continue
				}
				ids := contactIDs(out.Values)
				rows.Add(int64(len(ids)))
				for _, id := range ids {
					if !sees[u.ContactID][id] {
						crossed.Add(1)
						firstProblem.Do(func() { t.Logf("contact %d got contact %s: %s", u.ContactID, id, b) })
					}
				}
				if resp.Header.Get("Cache-Status") == "Civigate; hit" {
					hits.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if crossed.Load() != 0 || failed.Load() != 0 {
		t.Fatalf("%d rows reached a user who may not see them, %d requests failed", crossed.Load(), failed.Load())
	}
	if rows.Load() < requests/2 {
		t.Fatalf("only %d rows in %d answers: the users saw too little to prove anything", rows.Load(), requests)
	}
	if hits.Load() < requests/2 {
		t.Fatalf("only %d cache hits in %d requests: the test did not exercise the cache", hits.Load(), requests)
	}
	if calls := sim.Calls("Contact.get"); calls >= requests/2 {
		t.Fatalf("CiviCRM ran Contact.get %d times for %d requests", calls, requests)
	}
}

// contactIDs lists the contact ids of a values object or list.
func contactIDs(values json.RawMessage) []string {
	var rows []map[string]any
	var byID map[string]map[string]any
	if json.Unmarshal(values, &rows) != nil {
		if json.Unmarshal(values, &byID) == nil {
			for _, r := range byID {
				rows = append(rows, r)
			}
		}
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, fmt.Sprint(r["contact_id"]))
	}
	return ids
}
