package tests

import (
	"bytes"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// Attack corpus, issue 12 items 1 and 8: what a request costs Civigate
// before and after authentication, and how large the request it sends
// CiviCRM is. Each row names its class. Memory is measured by counting
// what the process allocates while Civigate (in this process) handles the
// one request: no timing.
func TestAttackParse(t *testing.T) {
	up := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(up.Host(), "site_key "+sk, "cache off"))
	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php"
	good := "&key=" + sk + "&api_key=" + up.APIKey

	// The body: json= holding as many empty arrays as 8 MiB take.
	const maxBody = 8 << 20
	prefix, suffix := "entity=Contact&action=get&json="+`{"a":[`, "[]]}"
	emptyArrays := func(room int) string {
		return prefix + strings.Repeat("[],", (room-len(prefix)-len(suffix))/3) + suffix
	}
	worst := emptyArrays(maxBody - 1)
	worstJSON := `{"entity":"Contact","action":"get","json":{"a":[` + strings.Repeat("[],", (maxBody-80)/3) + `[]]}}`
	nested := func(depth int) string {
		return `{"a":` + strings.Repeat("[", depth-1) + strings.Repeat("]", depth-1) + "}"
	}
	// A string of the bytes URL-encoding triples: a urlencoded upstream
	// json= would be three times its JSON.
	heavy := url.QueryEscape(`{"id":"2","note":"` + strings.Repeat(`{}[]:,\/<>`, 250_000) + `"}`)

	type row struct {
		class, method, query, ct, body string
		status                         int
		answer                         string  // a part of the answer
		maxAlloc                       float64 // bytes allocated, in units of the body's size
		maxUpstream                    float64 // upstream body ÷ its json field, 0: not checked
	}
	rows := []row{
		{class: "pre-auth decode: no credential, json= of 2.8 million empty arrays", method: "POST", query: "?json=1",
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "pre-auth decode: a wrong site key", method: "POST", query: "?json=1&key=wrong&api_key=" + up.APIKey,
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "pre-auth decode: an unknown api_key", method: "POST", query: "?json=1&key=" + sk + "&api_key=" + randomHex(t, 16),
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"ERROR: No CMS user associated with given api-key"`, maxAlloc: 2},
		{class: "pre-auth decode: the same as multipart/form-data", method: "POST", query: "?json=1",
			ct: "multipart", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 3},
		{class: "pre-auth decode: a JSON body of 2.8 million empty arrays", method: "POST", query: "?json=1",
			ct: "application/json", body: worstJSON, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "pre-auth parse: max_input_vars fields nested max_input_nesting_level deep", method: "POST", query: "?json=1",
			ct: "application/x-www-form-urlencoded", body: strings.Repeat("a"+strings.Repeat("[]", 63)+"=x&", 1000),
			status: 200, answer: `"Failed to authenticate key"`, maxAlloc: 2},
		{class: "post-auth decode: a valid credential, 2.8 million empty arrays: over the decode budget", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: worst, status: 413, answer: `the request's JSON is too large to decode`, maxAlloc: 2},
		{class: "post-auth decode: a valid credential, a JSON body over the decode budget", method: "POST", query: "?json=1" + good,
			ct: "application/json", body: worstJSON, status: 413, answer: `the request's JSON is too large to decode`, maxAlloc: 2},
		{class: "post-auth decode: 511 levels, as deep as PHP's json_decode goes", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: "entity=Contact&action=get&json=" + url.QueryEscape(nested(511)),
			status: 200, answer: `"is_error":0`},
		{class: "post-auth decode: 512 levels: CiviCRM's own decode error", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: "entity=Contact&action=get&json=" + url.QueryEscape(nested(512)),
			status: 200, answer: `{"is_error":1,"0":"error_message","1":"Unable to decode supplied JSON."}`},
		{class: "upstream amplification: 6 MiB of JSON that URL-encoding triples", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: "entity=Contact&action=get&json=" + heavy,
			status: 200, answer: `"is_error":0`, maxUpstream: 1.01},
	}
	for _, tc := range rows {
		t.Run(tc.class, func(t *testing.T) {
			body, ct := []byte(tc.body), tc.ct
			if ct == "multipart" {
				body, ct = asMultipart(t, tc.body)
				if extra := len(body) - len(tc.body); extra > 0 {
					body, ct = asMultipart(t, emptyArrays(maxBody-1-extra))
				}
			}
			if len(body) > maxBody {
				t.Fatalf("test body of %d bytes is over the 8 MiB limit", len(body))
			}
			req, err := http.NewRequest(tc.method, extern+tc.query, bytes.NewReader(body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", ct)
			up.seen()
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			runtime.ReadMemStats(&after)
			alloc := float64(after.TotalAlloc - before.TotalAlloc)
			if resp.StatusCode != tc.status || !strings.Contains(string(answer), tc.answer) {
				t.Errorf("answer %d %.300s, want %d with %s", resp.StatusCode, answer, tc.status, tc.answer)
			}
			t.Logf("body %d bytes, allocated %.1f MiB (%.2f× the body)", len(body), alloc/(1<<20), alloc/float64(len(body)))
			if tc.maxAlloc > 0 && alloc > tc.maxAlloc*float64(len(body))+1<<20 {
				t.Errorf("handling the request allocated %.1f MiB, %.1f× its %d bytes (at most %.0f× + 1 MiB)",
					alloc/(1<<20), alloc/float64(len(body)), len(body), tc.maxAlloc)
			}
			if tc.maxUpstream > 0 {
				size, jsonLen := upstreamSize(up)
				t.Logf("upstream body %d bytes, its json field %d", size, jsonLen)
				if jsonLen == 0 || float64(size) > tc.maxUpstream*float64(jsonLen)+1024 {
					t.Errorf("upstream body of %d bytes for %d bytes of parameters (at most %.0f%% more)", size, jsonLen, (tc.maxUpstream-1)*100)
				}
			}
		})
	}
}

func asMultipart(t *testing.T, form string) ([]byte, string) {
	t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for _, kv := range strings.Split(form, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if err := mw.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	_ = mw.Close()
	return b.Bytes(), mw.FormDataContentType()
}

// upstreamSize is the size of the API call the stub last received and of
// the json parameter it carried, as PHP would register it.
func upstreamSize(up *stubCiviCRM) (size, jsonSize int) {
	reqs, bodies := up.seen()
	for i, r := range reqs {
		if r.URL.Path != "/civicrm/ajax/rest" {
			continue
		}
		fields := translate.NewArray()
		translate.ParsePost(fields, r.Header.Get("Content-Type"), []byte(bodies[i]), translate.DefaultLimits)
		json := fields.String("json")
		if json == "" {
			json = r.URL.Query().Get("json")
		}
		size, jsonSize = len(bodies[i])+len(r.URL.RawQuery), len(json)
	}
	return size, jsonSize
}
