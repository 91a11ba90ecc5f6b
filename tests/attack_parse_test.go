package tests

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
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
	// APIv4's envelope: as many one-member arrays as 8 MiB take, none of
	// them a field the envelope reads.
	manyVars := strings.Repeat("a[]=1&", (maxBody-1)/6)
	heavy4 := url.QueryEscape(`{"where":[["display_name","=","` + strings.Repeat(`{}[]:,\/<>`, 250_000) + `"]]}`)
	heavy := url.QueryEscape(`{"id":"2","note":"` + strings.Repeat(`{}[]:,\/<>`, 250_000) + `"}`)

	// A caller without a valid credential costs its body, read once into
	// one buffer, and little else (README, "Memory"): no allocation per
	// field, whatever the fields are.
	const preAuth = 1.25

	type row struct {
		class, method, query, ct, body string
		path                           string // instead of extern/rest.php, under the site
		status                         int
		answer                         string  // a part of the answer
		maxAlloc                       float64 // bytes allocated, in units of the body's size
		maxUpstream                    float64 // upstream body ÷ its json field, 0: not checked
	}
	rows := []row{
		{class: "pre-auth decode: no credential, json= of 2.8 million empty arrays", method: "POST", query: "?json=1",
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: preAuth},
		{class: "pre-auth decode: a wrong site key", method: "POST", query: "?json=1&key=wrong&api_key=" + up.APIKey,
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: preAuth},
		{class: "pre-auth decode: an unknown api_key", method: "POST", query: "?json=1&key=" + sk + "&api_key=" + randomHex(t, 16),
			ct: "application/x-www-form-urlencoded", body: worst, status: 200, answer: `"ERROR: No CMS user associated with given api-key"`, maxAlloc: preAuth},
		{class: "pre-auth decode: the same as multipart/form-data", method: "POST", query: "?json=1",
			ct: "multipart", body: worst, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: preAuth},
		{class: "pre-auth decode: a JSON body of 2.8 million empty arrays", method: "POST", query: "?json=1",
			ct: "application/json", body: worstJSON, status: 200, answer: `"Failed to authenticate key"`, maxAlloc: preAuth},
		{class: "pre-auth parse: max_input_vars fields nested max_input_nesting_level deep", method: "POST", query: "?json=1",
			ct: "application/x-www-form-urlencoded", body: strings.Repeat("a"+strings.Repeat("[]", 63)+"=x&", 1000),
			status: 200, answer: `"Failed to authenticate key"`, maxAlloc: preAuth},
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
		{class: "pre-auth parse: APIv4, no credential, 1.4 million a[]=1", method: "POST", path: "/civicrm/ajax/api4/Contact/get",
			ct: "application/x-www-form-urlencoded", body: manyVars, status: 401, answer: `"error_code":401`, maxAlloc: preAuth},
		{class: "pre-auth parse: APIv4, no credential, 1 million a.b[]=1 (names PHP mangles)", method: "POST", path: "/civicrm/ajax/api4/Contact/get",
			ct: "application/x-www-form-urlencoded", body: strings.Repeat("a.b[]=1&", (maxBody-1)/8), status: 401, answer: `"error_code":401`, maxAlloc: preAuth},
		{class: "pre-auth parse: APIv4, no credential, the same as multipart/form-data", method: "POST", path: "/civicrm/ajax/api4/Contact/get",
			ct: "multipart", body: "params=" + strings.Repeat("[", maxBody-400), status: 401, answer: `"error_code":401`, maxAlloc: preAuth},
		{class: "upstream amplification: APIv4, 2.5 MiB of params that URL-encoding triples", method: "POST", path: "/civicrm/ajax/api4/Contact/get",
			ct: "application/x-www-form-urlencoded", body: "_authx=Bearer+" + up.APIKey + "&_authxSiteKey=" + sk + "&params=" + heavy4,
			status: 200, answer: `"values":[]`, maxUpstream: 1.01},
		{class: "upstream amplification: 6 MiB of JSON that URL-encoding triples", method: "POST", query: "?json=1" + good,
			ct: "application/x-www-form-urlencoded", body: "entity=Contact&action=get&json=" + heavy,
			status: 200, answer: `"is_error":0`, maxUpstream: 1.01},
	}
	for _, tc := range rows {
		t.Run(tc.class, func(t *testing.T) {
			body, ct := []byte(tc.body), tc.ct
			if ct == "multipart" {
				body, ct = asMultipart(t, tc.body)
				if extra := len(body) - len(tc.body); extra > 0 && tc.body == worst {
					body, ct = asMultipart(t, emptyArrays(maxBody-1-extra))
				}
			}
			if len(body) > maxBody {
				t.Fatalf("test body of %d bytes is over the 8 MiB limit", len(body))
			}
			target := extern + tc.query
			if tc.path != "" {
				target = inst.URL + tc.path + tc.query
			}
			req, err := http.NewRequest(tc.method, target, bytes.NewReader(body))
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
				t.Errorf("handling the request allocated %.1f MiB, %.1f× its %d bytes (at most %.2g× + 1 MiB)",
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
		field := "json" // APIv3's modern call; APIv4's is params
		switch {
		case strings.HasPrefix(r.URL.Path, "/civicrm/ajax/api4/"):
			field = "params"
		case r.URL.Path != "/civicrm/ajax/rest":
			continue
		}
		fields := translate.NewArray()
		translate.ParsePost(fields, r.Header.Get("Content-Type"), []byte(bodies[i]), translate.DefaultLimits)
		json := fields.String(field)
		if json == "" {
			json = r.URL.Query().Get(field)
		}
		size, jsonSize = len(bodies[i])+len(r.URL.RawQuery), len(json)
	}
	return size, jsonSize
}

// Attack corpus, issue 12 item 8 (upstream amplification) and the fidelity
// it must keep: requests whose parameters JSON escapes (control
// characters: six bytes each) or cannot carry at all (invalid UTF-8, which
// json_decode refuses), sent to the simulator's extern/rest.php directly
// and through Civigate to its civicrm/ajax/rest. CiviCRM must run the same
// call with the same parameters, byte for byte, and the request Civigate
// sends it must be at most 1/16 larger than those parameters plus 256 KiB.
// What cannot be carried so (invalid UTF-8, or heavy escapes, under a name
// a CMS or AuthX reads from the request) is refused with an APIv3 error.
// Each row names its class.
func TestAttackUpstream(t *testing.T) {
	var mu sync.Mutex
	var ran []*translate.Array // the parameters of each call CiviCRM ran
	sim := civicrmsim.New(civicrmsim.Options{OnCall: func(_, _ string, p *translate.Array) {
		mu.Lock()
		ran = append(ran, p)
		mu.Unlock()
	}})
	var upstreamBytes atomic.Int64 // of the last civicrm/ajax/rest request
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/civicrm/ajax/rest" {
			body, _ := io.ReadAll(r.Body)
			upstreamBytes.Store(int64(len(body) + len(r.URL.RawQuery)))
			r.Body = io.NopCloser(bytes.NewReader(body))
		}
		sim.ServeHTTP(w, r)
	}))
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(), "cache off"))
	const extern = "/sites/all/modules/civicrm/extern/rest.php"
	query := "?json=1&key=" + url.QueryEscape(sim.SiteKey()) + "&api_key=" + url.QueryEscape(sim.Admin().APIKey)
	lastCall := func() *translate.Array {
		mu.Lock()
		defer mu.Unlock()
		if len(ran) == 0 {
			return nil
		}
		p := ran[len(ran)-1]
		ran = nil
		return p
	}

	const maxBody = 8 << 20
	get := "entity=Contact&action=get&"
	// A form body of raw bytes (PHP keeps them as they are) up to size.
	rawForm := func(size int, name string, c byte) string {
		head := get + name + "="
		return head + strings.Repeat(string([]byte{c}), size-len(head))
	}
	for _, row := range []struct {
		class, ct, body string
		status          int
		refusal         string // the error a refused call gets
	}{
		{class: "upstream amplification: an 8 MiB form body, one parameter of raw 0x01 bytes (was 50 MB upstream and a 502)",
			ct: "application/x-www-form-urlencoded", body: rawForm(maxBody-4096, "notes", 0x01), status: 200},
		{class: "upstream amplification: an 8 MiB multipart body of 0x01 bytes", ct: "multipart",
			body: rawForm(maxBody-8192, "notes", 0x01), status: 200},
		{class: "upstream fidelity and amplification: 1 MiB of 0xFF (was 6 MiB of \\u00ff, another string)",
			ct: "application/x-www-form-urlencoded", body: rawForm(1<<20, "first_name", 0xff), status: 200},
		{class: "upstream fidelity: invalid UTF-8 in bracketed keys and values",
			ct: "application/x-www-form-urlencoded", body: get + "t[\xff][k]=\xfe&t[x]=\xc3&t[5]=%80%81&u[]=\xff", status: 200},
		{class: "upstream fidelity: control characters beside typed JSON, form over json=, order kept",
			ct: "application/x-www-form-urlencoded", body: get + `json={"a":1,"b":"x","c":1.0,"d":{"e":null}}&b=` +
				strings.Repeat("%01%02%22%5C", 100) + "&f=%00&g[h]=" + strings.Repeat("%1F", 200), status: 200},
		{class: "upstream fidelity: the multipart boundary in a value", ct: "application/x-www-form-urlencoded",
			body: get + "a=" + url.QueryEscape("\r\n--civigate-4b1d9f0c7a2e--\r\n"+strings.Repeat("\x01", 300)), status: 200},
		{class: "refused: invalid UTF-8 under a name WordPress reads (name): JSON cannot carry it, a field would reach the CMS",
			ct: "application/x-www-form-urlencoded", body: get + "name=%FF", status: 400, refusal: "invalid UTF-8"},
		{class: "refused: 1 MiB of 0x01 under a name WordPress reads: 6 MiB as JSON",
			ct: "application/x-www-form-urlencoded", body: rawForm(1<<20, "name", 0x01), status: 413, refusal: "much larger than themselves"},
	} {
		t.Run(row.class, func(t *testing.T) {
			body, ct := []byte(row.body), row.ct
			if ct == "multipart" {
				body, ct = asMultipart(t, row.body)
			}
			if len(body) > maxBody {
				t.Fatalf("test body of %d bytes is over the 8 MiB limit", len(body))
			}
			send := func(base string) (int, string) {
				a := do(t, "POST", base+extern+query, string(body), http.Header{"Content-Type": {ct}})
				return a.status, a.body
			}
			lastCall()
			directStatus, directBody := send(srv.URL)
			want := lastCall()
			if want == nil {
				t.Fatalf("extern/rest.php ran no call: %d %.300s", directStatus, directBody)
			}
			upstreamBytes.Store(0)
			status, answer := send(inst.URL)
			got := lastCall()
			if row.refusal != "" {
				if status != row.status || !strings.Contains(answer, row.refusal) || !strings.Contains(answer, `"is_error":1`) {
					t.Errorf("answer %d %.300s, want %d with %q", status, answer, row.status, row.refusal)
				}
				if got != nil {
					t.Errorf("CiviCRM ran a call Civigate refused")
				}
				return
			}
			if status != row.status || status != directStatus || answer != directBody {
				t.Errorf("through Civigate: %d %.300s\nextern/rest.php: %d %.300s", status, answer, directStatus, directBody)
			}
			if got == nil {
				t.Fatal("CiviCRM ran no call through Civigate")
			}
			if g, w := dumpParams(got), dumpParams(want); g != w {
				t.Errorf("CiviCRM ran the call with\n%.500s\nnot extern/rest.php's\n%.500s", g, w)
			}
			size, params := upstreamBytes.Load(), canonicalBytes(want)
			t.Logf("client body %d bytes, parameters %d bytes, upstream request %d bytes", len(body), params, size)
			if size > int64(params+params/16+256<<10) {
				t.Errorf("upstream request of %d bytes for %d bytes of parameters (at most 1/16 more and 256 KiB)", size, params)
			}
		})
	}
}

// dumpParams writes a PHP array with every type, key kind and byte shown.
func dumpParams(v any) string {
	switch x := v.(type) {
	case *translate.Array:
		var b strings.Builder
		b.WriteByte('{')
		for i := range x.Len() {
			fmt.Fprintf(&b, "%q:%s,", x.Key(i), dumpParams(x.Value(i)))
		}
		b.WriteByte('}')
		return b.String()
	case string:
		return fmt.Sprintf("%q", x)
	}
	return fmt.Sprintf("%T(%v)", v, v)
}

// canonicalBytes is the parameters' own size: every key and string its
// bytes, numbers as written, and JSON's structure around them.
func canonicalBytes(v any) int {
	switch x := v.(type) {
	case *translate.Array:
		n := 2
		for i := range x.Len() {
			n += len(x.Key(i)) + 4 + canonicalBytes(x.Value(i))
		}
		return n
	case string:
		return len(x) + 2
	}
	return len(translate.PHPString(v)) + 2
}
