package tests

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
)

type usageReport struct {
	Trend []struct {
		Date  string `json:"date"`
		Calls int64  `json:"calls"`
	} `json:"trend"`
	LegacyUsage []struct {
		Feature        string    `json:"feature"`
		ContactID      int64     `json:"contact_id"`
		KeyFingerprint string    `json:"key_fingerprint"`
		Count          int64     `json:"count"`
		FirstSeen      time.Time `json:"first_seen"`
		LastSeen       time.Time `json:"last_seen"`
	} `json:"legacy_usage"`
}

func getJSON(t *testing.T, url string, into any) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
	if into != nil {
		if err := json.Unmarshal(b, into); err != nil {
			t.Fatalf("GET %s: %v: %s", url, err, b)
		}
	}
	return string(b)
}

// The legacy-usage report names, per legacy feature, the callers still
// using it (contact and key fingerprint, never the key) with counts; the
// metrics count requests by form and outcome with bounded labels.
func TestLegacyUsageReportAndMetrics(t *testing.T) {
	env := startAuthEnv(t, "")
	ak, sk := env.stub.APIKey, env.siteKey
	// Metrics are process-wide and other tests ran before: compare deltas.
	externOK := `civigate_apiv3_requests_total{form="extern",outcome="ok"}`
	externHit := `civigate_apiv3_requests_total{form="extern",outcome="cache_hit"}`
	ajaxOK := `civigate_apiv3_requests_total{form="ajax",outcome="ok"}`
	before := getJSONText(t, env.inst.Admin+"/metrics")
	extern := env.inst.URL + "/sites/all/modules/civicrm/extern/rest.php"
	for i := 0; i < 3; i++ {
		do(t, "GET", extern+"?entity=Contact&action=get&json=1&id=2&key="+sk+"&api_key="+ak, "", nil)
	}
	do(t, "GET", extern+"?entity=Contact&action=get&id=2&key="+sk+"&api_key="+ak, "", nil) // XML
	do(t, "GET", env.inst.URL+"/civicrm/ajax/rest?entity=Contact&action=get&json=1", "",
		http.Header{"X-Civi-Auth": {"Bearer " + ak}, "X-Civi-Key": {sk}}) // modern: not legacy

	var rep usageReport
	raw := getJSON(t, env.inst.Admin+"/civigate/legacy-usage", &rep)
	if strings.Contains(raw, ak) || strings.Contains(raw, sk) {
		t.Fatal("the report contains a credential")
	}
	counts := map[string]int64{}
	for _, e := range rep.LegacyUsage {
		if e.ContactID != 2 || e.KeyFingerprint != authx.Fingerprint("Bearer "+ak) && e.KeyFingerprint != authx.Fingerprint(ak) {
			t.Errorf("entry %+v: want contact 2 with the key's fingerprint", e)
		}
		if e.FirstSeen.IsZero() || e.LastSeen.Before(e.FirstSeen) {
			t.Errorf("entry %+v: first/last seen", e)
		}
		counts[e.Feature] += e.Count
	}
	want := map[string]int64{"extern": 4, "xml": 1, "url_credentials": 4, "key_value": 4}
	for f, n := range want {
		if counts[f] != n {
			t.Errorf("feature %s counted %d, want %d (report %s)", f, counts[f], n, raw)
		}
	}

	metrics := getJSONText(t, env.inst.Admin+"/metrics")
	for series, want := range map[string]float64{externOK: 1, externHit: 3, ajaxOK: 1} {
		if d := metricValue(metrics, series) - metricValue(before, series); d != want {
			t.Errorf("%s grew by %v, want %v", series, d, want)
		}
	}
	if strings.Contains(metrics, ak) || strings.Contains(metrics, sk) {
		t.Error("metrics contain a credential")
	}
}

// metricValue reads one series from a Prometheus text exposition (0 when absent).
func metricValue(exposition, series string) float64 {
	for _, line := range strings.Split(exposition, "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			f, _ := strconv.ParseFloat(v, 64)
			return f
		}
	}
	return 0
}

func getJSONText(t *testing.T, url string) string { return getJSON(t, url, nil) }

// With Redis, every instance adds to one report: two Civigate instances
// (sites with their own handlers) sharing Redis report all their calls,
// repeats answered as prepared requests included (counted apart and
// folded in before each flush), in the report and the daily history.
func TestLegacyUsageReportSharedThroughRedis(t *testing.T) {
	ru, client, prefix := testRedis(t)
	up := newACLCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	sites, admin := cacheSites(t, up, sk, ru, prefix, 2)
	for i, site := range sites {
		for range 3 {
			got := do(t, "GET", site+"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id="+
				strconv.Itoa(i)+"&key="+sk+"&api_key="+up.key(3), "", nil)
			if got.status != 200 || !strings.Contains(got.body, `"is_error":0`) {
				t.Fatalf("call through instance %d: %d %s", i, got.status, got.body)
			}
		}
	}
	// Instances write their tallies to Redis once a second, whether or
	// not anyone reads the report (so read Redis itself first).
	ctx := context.Background()
	sum := func(pattern string, field func(string) bool) int64 {
		var n int64
		keys, _ := client.Keys(ctx, pattern).Result()
		for _, k := range keys {
			fields, _ := client.HGetAll(ctx, k).Result()
			for f, v := range fields {
				if field(f) {
					c, _ := strconv.ParseInt(v, 10, 64)
					n += c
				}
			}
		}
		return n
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		extern := sum(prefix+"*usage", func(f string) bool { return strings.HasPrefix(f, "c|extern|3|") })
		day := sum(prefix+"*history:"+time.Now().UTC().Format(time.DateOnly), func(f string) bool { return f == "calls" })
		if extern == 6 && day == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Redis holds %d extern calls by contact 3 and %d calls today, want 6", extern, day)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for {
		var rep usageReport
		getJSON(t, admin+"/civigate/legacy-usage", &rep)
		var extern, calls int64
		for _, e := range rep.LegacyUsage {
			if e.Feature == "extern" && e.ContactID == 3 {
				extern += e.Count
			}
			if e.LastSeen.Before(e.FirstSeen) {
				t.Fatalf("entry %+v: last seen before first seen", e)
			}
		}
		for _, d := range rep.Trend {
			calls += d.Calls
		}
		if extern == 6 && calls == 6 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the shared report counts %d extern calls by contact 3 and the history %d calls, want 6: %+v", extern, calls, rep)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if n, _ := client.Keys(context.Background(), prefix+"*usage").Result(); len(n) == 0 {
		t.Fatal("the report is not in Redis")
	}
}
