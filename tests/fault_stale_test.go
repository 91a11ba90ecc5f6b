package tests

import (
	"context"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// staleCacheConfig: entries are fresh for 1s and may be served for a minute
// more while CiviCRM cannot answer.
const staleCacheConfig = "cache {\n\t\t\tttl 1s\n\t\t\tstale_if_error 1m\n\t\t}"

// CiviCRM dies during a mixed load. Reads of a cached call keep being
// answered from the cache (stale, inside the stale window) with no client
// failure, writes get an APIv3-shaped 502, and when CiviCRM is back both
// recover: writes reach it and reads are refreshed from it.
func TestFaultUpstreamDownStaleReads(t *testing.T) {
	up := newFaultUpstream(t)
	sk := "sk-" + randomHex(t, 12)
	inst := faultSite(t, up, sk, staleCacheConfig)
	activityWrite := func() (*http.Request, error) {
		return legacyCreate(inst.URL, sk, up.APIKey, "Activity", `{"activity_type_id":1,"subject":"call"}`)
	}
	read := inst.URL + externPath + "?entity=Contact&action=get&json=1&id=2&key=" + sk + "&api_key=" + up.APIKey
	if got := do(t, "GET", read, "", nil); got.status != 200 || got.body != stubContactGet {
		t.Fatalf("read before the outage: %d %.300s", got.status, got.body)
	}

	// Every third request is a write. Down from 1s to 3s of a 4s load;
	// the entry goes stale (ttl 1s) while CiviCRM is down. The writes are
	// Activity.create: a successful Contact write would invalidate the very
	// entry the outage is to be bridged with.
	var refused atomic.Int64
	wait := goLoad(context.Background(), 4, 4*time.Second, 1_000_000,
		func(i int64) (*http.Request, error) {
			if i%3 == 0 {
				return activityWrite()
			}
			return http.NewRequest(http.MethodGet, read, nil)
		},
		func(o outcome) string {
			switch {
			case o.err == nil && o.status == 200 && (o.body == stubContactGet || o.body == faultWriteAnswer):
				return ""
			case isAPIv3Error502(o) && o.method == http.MethodPost:
				// Writes cannot be answered without CiviCRM; reads can.
				refused.Add(1)
				return ""
			}
			return o.describe()
		})
	time.Sleep(time.Second)
	up.kill()
	time.Sleep(1500 * time.Millisecond)
	// Inside the outage, past the ttl: the read is stale and served, the
	// write is refused in APIv3 shape.
	if got := do(t, "GET", read, "", nil); got.status != 200 || got.body != stubContactGet {
		t.Errorf("read while CiviCRM is down (stale window): %d %.300s", got.status, got.body)
	} else if cs := got.header.Get("Cache-Status"); !strings.Contains(cs, "detail=stale-if-error") {
		t.Errorf("read while CiviCRM is down: Cache-Status %q, want a stale-if-error answer", cs)
	}
	if o := doRequest(mustRequest(t, activityWrite)); !isAPIv3Error502(o) {
		t.Errorf("write while CiviCRM is down: %s", o.describe())
	}
	readsBefore := up.reads.Load()
	time.Sleep(500 * time.Millisecond)
	up.start()
	lr := wait()
	if lr.Failed() > 0 {
		t.Errorf("%d of %d requests failed: %v", lr.Failed(), lr.Requests, lr.Failures)
	}
	if refused.Load() == 0 {
		t.Errorf("no write was refused: the load did not see the outage")
	}

	// Recovery: writes reach CiviCRM, and the stale read is refreshed from
	// it by expiry, not by an invalidation (bounded: 30 tries over ~3s).
	if o := doRequest(mustRequest(t, activityWrite)); o.err != nil || o.status != 200 || o.body != faultWriteAnswer {
		t.Errorf("write after CiviCRM came back: %s", o.describe())
	}
	refreshed := false
	for i := 0; i < 30 && !refreshed; i++ {
		if got := do(t, "GET", read, "", nil); got.status != 200 || got.body != stubContactGet {
			t.Fatalf("read after CiviCRM came back: %d %.300s", got.status, got.body)
		}
		refreshed = up.reads.Load() > readsBefore
		time.Sleep(100 * time.Millisecond)
	}
	if !refreshed {
		t.Errorf("reads were not refreshed from CiviCRM within 3s of its return")
	}
	t.Logf("%d requests under load, %d writes refused during the outage", lr.Requests, refused.Load())
}

func mustRequest(t *testing.T, build func() (*http.Request, error)) *http.Request {
	t.Helper()
	r, err := build()
	if err != nil {
		t.Fatal(err)
	}
	return r
}
