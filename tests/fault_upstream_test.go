package tests

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// faultSite is Civigate in front of a faultUpstream, with extra lines in the
// civicrm block.
func faultSite(t *testing.T, up *faultUpstream, sk string, civicrmLines ...string) caddyInstance {
	t.Helper()
	return startCaddy(t, siteCaddyfile(up.Addr, append([]string{"site_key " + sk}, civicrmLines...)...))
}

const externPath = "/sites/all/modules/civicrm/extern/rest.php"

// legacyWrite is a legacy Contact.create POST, as a client library sends it.
func legacyWrite(base, sk, ak string) (*http.Request, error) {
	return legacyCreate(base, sk, ak, "Contact", `{"contact_type":"Individual","first_name":"Ada"}`)
}

// legacyCreate is a legacy create POST of entity with params as json=.
func legacyCreate(base, sk, ak, entity, params string) (*http.Request, error) {
	form := url.Values{"entity": {entity}, "action": {"create"}, "json": {params}, "key": {sk}, "api_key": {ak}}
	r, err := http.NewRequest(http.MethodPost, base+externPath, strings.NewReader(form.Encode()))
	if err == nil {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	return r, err
}

// isAPIv3Error502 is the answer a legacy JSON client must get when CiviCRM
// is unreachable: HTTP 502 with an APIv3 error object, never Caddy's empty
// 502 or a Go error string.
func isAPIv3Error502(o outcome) bool {
	if o.err != nil || o.status != http.StatusBadGateway {
		return false
	}
	var v struct {
		IsError      int    `json:"is_error"`
		ErrorMessage string `json:"error_message"`
	}
	return json.Unmarshal([]byte(o.body), &v) == nil && v.IsError == 1 && v.ErrorMessage != ""
}

// CiviCRM dies during a run of writes and comes back: every write gets
// either CiviCRM's answer or an APIv3-shaped 502, some did get the 502
// (the outage was seen), and writes succeed again once CiviCRM is back.
func TestFaultUpstreamDownWrites(t *testing.T) {
	up := newFaultUpstream(t)
	sk := "sk-" + randomHex(t, 12)
	inst := faultSite(t, up, sk)

	// The API key's verdict is resolved before the outage, as in
	// production where a client has called before.
	if o := doOutcome(t, inst.URL, sk, up.APIKey); o.err != nil || o.status != 200 || o.body != faultWriteAnswer {
		t.Fatalf("write before the outage: %s", o.describe())
	}

	var outageSeen, okAfter int
	var refused, okLate atomic.Int64
	// Down from 1s to 2.5s; the load runs to 4s so it spans the outage and
	// the recovery. The count bound is far above what 4 workers send.
	wait := goLoad(context.Background(), 4, 4*time.Second, 1_000_000,
		func(int64) (*http.Request, error) { return legacyWrite(inst.URL, sk, up.APIKey) },
		func(o outcome) string {
			switch {
			case o.err == nil && o.status == 200 && o.body == faultWriteAnswer:
				if o.at > 3*time.Second {
					okLate.Add(1)
				}
				return ""
			case isAPIv3Error502(o):
				refused.Add(1)
				return ""
			}
			return o.describe()
		})
	time.Sleep(time.Second)
	up.kill()
	time.Sleep(1500 * time.Millisecond)
	// A write now must get the APIv3 502, whatever the load goroutines saw.
	o := doOutcome(t, inst.URL, sk, up.APIKey)
	if isAPIv3Error502(o) {
		outageSeen++
	} else {
		t.Errorf("write while CiviCRM is down: %s", o.describe())
	}
	up.start()
	lr := wait()
	if lr.Failed() > 0 {
		t.Errorf("%d of %d writes got neither CiviCRM's answer nor an APIv3 502: %v", lr.Failed(), lr.Requests, lr.Failures)
	}
	if refused.Load() == 0 || okLate.Load() == 0 {
		t.Errorf("the load did not span the outage: %d writes refused, %d ok after the restart", refused.Load(), okLate.Load())
	}
	// Recovery: CiviCRM is back, so writes reach it again.
	for i := 0; i < 3; i++ {
		if o := doOutcome(t, inst.URL, sk, up.APIKey); o.err == nil && o.status == 200 && o.body == faultWriteAnswer {
			okAfter++
		} else {
			t.Errorf("write after CiviCRM came back: %s", o.describe())
		}
	}
	t.Logf("%d writes under load (%d refused with an APIv3 502 while CiviCRM was down, %d ok after it came back); probes: %d refused, %d ok after recovery",
		lr.Requests, refused.Load(), okLate.Load(), outageSeen, okAfter)
}

func doOutcome(t *testing.T, base, sk, ak string) outcome {
	t.Helper()
	r, err := legacyWrite(base, sk, ak)
	if err != nil {
		t.Fatal(err)
	}
	return doRequest(r)
}

// doRequest sends r and returns its outcome, failures included.
func doRequest(r *http.Request) outcome {
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Do(r)
	if err != nil {
		return outcome{method: r.Method, err: err}
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return outcome{method: r.Method, status: resp.StatusCode, body: string(b), err: err}
}
