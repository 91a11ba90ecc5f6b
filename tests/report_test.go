package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/civigate/civigate/authx"
)

type usageReport struct {
	LegacyUsage []struct {
		Feature        string `json:"feature"`
		ContactID      int64  `json:"contact_id"`
		KeyFingerprint string `json:"key_fingerprint"`
		Count          int64  `json:"count"`
		FirstSeen      string `json:"first_seen"`
		LastSeen       string `json:"last_seen"`
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
		if e.FirstSeen == "" || e.LastSeen < e.FirstSeen {
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
