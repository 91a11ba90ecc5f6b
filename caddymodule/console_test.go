package caddymodule

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

var day0 = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)

// historySamples: five days; on each, three callers (so a bound of two
// leaves one as "other callers"), two request shapes for the first, an
// api4 call that is a series but not legacy.
func historySamples() []historySample {
	var out []historySample
	for d := range 5 {
		at := day0.AddDate(0, 0, d)
		for c := int64(1); c <= 3; c++ {
			caller := usageCaller{contactID: c, fingerprint: "fp" + string(rune('a'+c))}
			out = append(out,
				historySample{features: []string{usageExtern, usageXML}, legacy: true, caller: caller, shape: "shape-a", at: at},
				historySample{features: []string{usageExtern}, legacy: true, caller: caller, shape: "shape-b", at: at.Add(time.Hour)},
				historySample{features: []string{"api4"}, caller: caller, at: at.Add(2 * time.Hour)})
		}
	}
	return out
}

var smallLimits = historyLimits{days: 3, callers: 2, shapes: 1}

func historyDates() []string {
	var dates []string
	for d := range 5 {
		dates = append(dates, dayOf(day0.AddDate(0, 0, d)))
	}
	return dates
}

// The memory history keeps the days, callers and shapes it is bounded to,
// and still counts every call in the day's totals.
func TestMemoryHistoryIsBounded(t *testing.T) {
	m := newMemoryHistory(smallLimits)
	for _, s := range historySamples() {
		m.add(s)
	}
	days, _ := m.days(context.Background(), historyDates())
	if len(days) != 3 || days[0].Date != "2026-03-03" {
		t.Fatalf("kept %d days from %v, want the last 3", len(days), days)
	}
	d := days[2]
	if d.Calls != 9 || d.Legacy != 6 || d.Features[usageExtern] != 6 || d.Features["api4"] != 3 {
		t.Errorf("totals %+v, want 9 calls, 6 legacy, extern 6, api4 3", d)
	}
	if len(d.Callers) != 2 || d.Other != (historyCount{Calls: 3, Legacy: 2}) {
		t.Errorf("%d callers kept, other %+v; want 2 and the third's 3 calls", len(d.Callers), d.Other)
	}
	for c, cd := range d.Callers {
		if len(cd.Shapes) != 1 || cd.Calls != 3 || cd.Legacy != 2 || cd.First != day0.AddDate(0, 0, 4).UnixMilli() {
			t.Errorf("caller %v: %+v", c, cd)
		}
	}
}

// redisForTest is the Redis at REDIS_URL under a prefix of the test's own;
// under CI a missing Redis fails the test.
func redisForTest(t *testing.T) (redis.UniversalClient, string) {
	t.Helper()
	u := os.Getenv("REDIS_URL")
	if u == "" {
		u = "redis://127.0.0.1:6379"
	}
	client, err := cache.NewRedisClient(u)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { client.Close() })
	if err := client.Ping(context.Background()).Err(); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("Redis at REDIS_URL is required: %v", err)
		}
		t.Skipf("no Redis: %v", err)
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "civigate-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		keys, _ := client.Keys(context.Background(), prefix+"*").Result()
		if len(keys) > 0 {
			client.Del(context.Background(), keys...)
		}
	})
	return client, prefix
}

// Redis keeps the same history as memory, within the same bounds, one
// hash per day with an expiry, even when two instances each flush part of
// it (the bounds hold across instances).
func TestRedisHistoryMatchesMemory(t *testing.T) {
	client, prefix := redisForTest(t)
	mem := newMemoryHistory(historyLimits{days: 90, callers: 2, shapes: 1})
	// Two instances; each holds everything in its tally until closed.
	a := &redisHistory{client: client, prefix: prefix + "history:", limits: mem.limits, tally: newMemoryHistory(mem.limits)}
	b := &redisHistory{client: client, prefix: prefix + "history:", limits: mem.limits, tally: newMemoryHistory(mem.limits)}
	for i, s := range historySamples() {
		mem.add(s)
		if i%2 == 0 {
			a.add(s)
		} else {
			b.add(s)
		}
	}
	a.flush()
	b.flush()
	want, _ := mem.days(context.Background(), historyDates())
	got, err := a.days(context.Background(), historyDates())
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 5 {
		t.Fatalf("Redis holds %d days, want 5", len(got))
	}
	for i := range want {
		w, g := want[i], got[i]
		if g.Calls != w.Calls || g.Legacy != w.Legacy || !reflect.DeepEqual(g.Features, w.Features) || g.Other != w.Other || len(g.Callers) != len(w.Callers) {
			t.Errorf("%s: Redis %+v, memory %+v", w.Date, g, w)
		}
		for c, gc := range g.Callers {
			// Which two callers a day keeps depends on who flushed first.
			if gc.Calls != 3 || gc.Legacy != 2 || len(gc.Shapes) != 1 || gc.Features[usageExtern] != 2 || gc.Features["api4"] != 1 ||
				gc.First != day0.AddDate(0, 0, i).UnixMilli() || gc.Last != day0.AddDate(0, 0, i).Add(2*time.Hour).UnixMilli() {
				t.Errorf("%s caller %v: %+v", w.Date, c, gc)
			}
		}
	}
	keys, _ := client.Keys(context.Background(), prefix+"*").Result()
	if len(keys) != 5 {
		t.Errorf("keys %v, want one per day", keys)
	}
	if ttl := client.TTL(context.Background(), prefix+"history:2026-03-01").Val(); ttl <= 90*24*time.Hour || ttl > 92*24*time.Hour {
		t.Errorf("a day expires in %v, want the days kept", ttl)
	}
}

// A flush that fails keeps its counts for the next one.
func TestRedisHistoryFlushFailureKeepsCounts(t *testing.T) {
	client, prefix := redisForTest(t)
	dead := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	defer dead.Close()
	h := &redisHistory{client: dead, prefix: prefix + "history:", limits: defaultHistoryLimits, tally: newMemoryHistory(defaultHistoryLimits)}
	for _, s := range historySamples()[:3] {
		h.add(s)
	}
	h.flush()
	h.client = client
	h.flush()
	got, _ := h.days(context.Background(), historyDates()[:1])
	if len(got) != 1 || got[0].Calls != 3 {
		t.Fatalf("after a failed flush and a good one: %+v, want the 3 calls", got)
	}
}

func parseCall(t *testing.T, method, target, body string, header http.Header) (*http.Request, *translate.Call) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if body != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range header {
		r.Header[k] = v
	}
	route, ok := translate.Recognise(r.Method, r.URL, translate.RecogniseConfig{})
	if !ok {
		t.Fatalf("%s not recognised", target)
	}
	call, reply := translate.ParseRequest(r, route, translate.ParseOptions{MaxQueryBytes: 1 << 16, MaxBodyBytes: 1 << 20})
	if reply != nil {
		t.Fatalf("%s: %s", target, reply.Body)
	}
	return r, call
}

// A request shape keeps names and flags, never a credential nor a value,
// and drops names that could not be CiviCRM's (they would end up in a
// shell command an operator copies).
func TestRequestShapeHoldsNoCredentialNorValue(t *testing.T) {
	const siteKey, apiKey, email = "SITEKEY-c0ffee", "APIKEY-decaf", "private@example.org"
	r, call := parseCall(t, "GET", "http://crm.example.org/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get"+
		"&key="+siteKey+"&api_key="+apiKey+"&email="+email+"&options[limit]=25&api.Email.get=1&sequential=1"+
		"&x%27%3Brm+-rf+~=1&_authxSiteKey="+siteKey, "", nil)
	shape := shapeOf(r, call, &authx.Principal{ContactID: 2, CredType: authx.CredAPIKey})
	enc := shape.encode()
	for _, secret := range []string{siteKey, apiKey, email, "25", "rm -rf", "'"} {
		if strings.Contains(enc, secret) {
			t.Errorf("the shape holds %q: %s", secret, enc)
		}
	}
	if want := `{"email":"<email>","options":{"limit":"<limit>"},"api_Email_get":"1","sequential":"1"}`; string(shape.Params) != want {
		t.Errorf("params %s, want %s", shape.Params, want)
	}
	if got := shapes.of(r, call, &authx.Principal{ContactID: 2, CredType: authx.CredAPIKey}); got != enc {
		t.Errorf("the memo's shape %s differs from %s", got, enc)
	}
	back, ok := decodeShape(enc)
	if !ok || back.Host != "crm.example.org" || back.Form != "extern" || !back.XML || !back.KeyValue || !back.URLCredentials || back.Credential != authx.CredAPIKey {
		t.Errorf("decoded %+v", back)
	}

	// json= values keep their type where it matters (1 chains, "1" does not).
	r, call = parseCall(t, "POST", "http://crm.example.org/civicrm/ajax/rest", "entity=Contact&action=create&json="+
		`%7B%22first_name%22%3A%22Ada%22%2C%22api.Email.create%22%3A1%2C%22is_deleted%22%3Afalse%7D`,
		http.Header{"X-Civi-Auth": {"Bearer " + apiKey}})
	shape = shapeOf(r, call, &authx.Principal{ContactID: 2, CredType: authx.CredAPIKey})
	if want := `{"first_name":"<first_name>","api.Email.create":1,"is_deleted":false}`; string(shape.Params) != want {
		t.Errorf("json= params %s, want %s", shape.Params, want)
	}
}

// The memo tells apart every difference a shape shows (a flag's value, a
// name, nesting, the output format) and only those.
func TestShapeMemo(t *testing.T) {
	p := &authx.Principal{ContactID: 2, CredType: authx.CredAPIKey}
	base := "http://crm.example.org/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&key=k&api_key=a&json=1"
	seen := map[string]string{}
	for _, q := range []string{"&api.Email.get=1", "&api.Email.get=2", "&api.Email.get=0", "&email=1", "&options[limit]=1",
		"&options[limit][x]=1", "&return[]=a", "", "&id=3&sequential=1", "&sequential=1&id=3"} {
		for _, target := range []string{base + q, strings.Replace(base, "&json=1", "", 1) + q} {
			r, call := parseCall(t, "GET", target, "", nil)
			got, want := shapes.of(r, call, p), shapeOf(r, call, p).encode()
			if got != want {
				t.Errorf("%s: memo %s, want %s", target, got, want)
			}
			if other, dup := seen[got]; dup && got != "" {
				t.Errorf("%s and %s share a shape: %s", target, other, got)
			}
			seen[got] = target
			// Asked again (from the memo now), the same.
			if again := shapes.of(r, call, p); again != want {
				t.Errorf("%s: second memo answer %s", target, again)
			}
		}
	}
}

// The recipe names each change the shape calls for, and its curl command
// quotes whatever it holds.
func TestModernCallRecipe(t *testing.T) {
	extern := requestShape{Scheme: "https", Host: "crm.example.org", Form: "extern", Method: "GET", Entity: "Contact", Action: "create",
		XML: true, KeyValue: true, URLCredentials: true, Credential: authx.CredAPIKey, Params: []byte(`{"display_name":"<display_name>"}`)}
	m := extern.modernCall(true)
	if m.Method != "POST" || m.URL != "https://crm.example.org/civicrm/ajax/rest" || len(m.Changes) != 6 {
		t.Errorf("recipe %+v: want POST (create writes), the modern URL, six changes", m)
	}
	want := "curl 'https://crm.example.org/civicrm/ajax/rest' \\\n  -H 'X-Civi-Auth: Bearer <API_KEY>' \\\n  -H 'X-Civi-Key: <SITE_KEY>' \\\n" +
		"  --data-urlencode 'entity=Contact' \\\n  --data-urlencode 'action=create' \\\n  --data-urlencode 'json={\"display_name\":\"<display_name>\"}'"
	if m.Curl != want {
		t.Errorf("curl:\n%s\nwant:\n%s", m.Curl, want)
	}
	jwt := requestShape{Scheme: "http", Form: "ajax_verbose", Method: "GET", Entity: "Contact", Action: "get", Credential: authx.CredJWT}
	m = jwt.modernCall(false)
	if m.Method != "GET" || !strings.HasPrefix(m.Curl, "curl -G 'http://<your-site>/civicrm/ajax/rest'") || len(m.Headers) != 1 ||
		m.Headers[0].Value != "Bearer <JWT>" || len(m.Changes) != 1 || m.Fields[2].Value != "{}" {
		t.Errorf("JWT caller on a verbose URL: %+v", m)
	}
	if got := shellQuote(`a'b`); got != `'a'\''b'` {
		t.Errorf("shellQuote: %s", got)
	}
}

// buildTestConsole is the console of one in-memory handler after samples.
func buildTestConsole(t *testing.T, samples []historySample, lc *LegacyConfig) *consoleReport {
	t.Helper()
	h := &Handler{usage: newMemoryUsage(), history: newMemoryHistory(defaultHistoryLimits), siteKey: "x", Legacy: lc}
	if lc != nil {
		if err := lc.provision(); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range samples {
		h.usage.record(s)
		h.history.add(s)
	}
	return buildConsole(context.Background(), []*Handler{h}, day0.AddDate(0, 0, 4).Add(12*time.Hour), 7)
}

// A feature that is not legacy (api4, counted by another part of Civigate)
// is one more series: it shows in the trend, the features and each
// caller, and does not count as legacy.
func TestConsoleSeriesBeyondTheLegacyFeatures(t *testing.T) {
	shape := requestShape{Scheme: "http", Form: "extern", Method: "GET", Entity: "Contact", Action: "get", Credential: authx.CredAPIKey, Params: []byte(`{}`)}.encode()
	samples := historySamples()
	for i := range samples {
		if samples[i].shape != "" {
			samples[i].shape = shape
		}
	}
	rep := buildTestConsole(t, samples, nil)
	last := rep.Trend[len(rep.Trend)-1]
	if last.Features["api4"] != 3 || last.Legacy != 6 || *last.LegacyShare != 6.0/9 {
		t.Errorf("last day %+v: want api4 3, legacy 6 of 9", last)
	}
	var api4 *featureRow
	for i, f := range rep.Features {
		if f.Feature == "api4" {
			api4 = &rep.Features[i]
		}
	}
	if api4 == nil || api4.Legacy || api4.Calls != 15 || rep.Features[len(rep.Features)-1].Feature != "api4" {
		t.Errorf("features %+v: want api4 last, not legacy, 15 calls", rep.Features)
	}
	if len(rep.Callers) != 3 || rep.Callers[0].Migration == nil || rep.Callers[0].Migration.Calls != 10 {
		t.Errorf("callers %+v: want 3, each with a recipe from its 10 calls of one shape", rep.Callers)
	}
}

// The page: every header cell has a scope, every chart is an image with a
// title, no script or external load, and the stylesheet matches the CSP's
// hash. The cut-off section shows what clients get after it.
func TestConsolePage(t *testing.T) {
	rep := buildTestConsole(t, historySamples(), &LegacyConfig{Deprecated: "2026-01-01", Sunset: "2026-02-01", Cutoff: "2026-12-31"})
	w := httptest.NewRecorder()
	var buf strings.Builder
	if err := consoleTemplate.Execute(&buf, newConsoleView(rep)); err != nil {
		t.Fatal(err)
	}
	page := buf.String()
	_ = w
	style := regexp.MustCompile(`(?s)<style>(.*?)</style>`).FindStringSubmatch(page)
	sum := sha256.Sum256([]byte(style[1]))
	if !strings.Contains(consoleCSP, "'sha256-"+base64.StdEncoding.EncodeToString(sum[:])+"'") {
		t.Error("the page's stylesheet does not match the CSP hash")
	}
	if n := len(regexp.MustCompile(`<th[ >]`).FindAllString(page, -1)); n == 0 || n != strings.Count(page, `<th scope="`) {
		t.Error("a table header without scope")
	}
	// The trend, 3 callers, 6 legacy features and api4.
	if n := strings.Count(page, "<svg"); n != 11 || strings.Count(page, `<svg role="img" aria-labelledby="`) != n || strings.Count(page, "<title id=") != n {
		t.Errorf("%d charts, not all images with a title", n)
	}
	bare := strings.ReplaceAll(page, `xmlns="http://www.w3.org/2000/svg"`, "")
	for _, bad := range []string{"<script", "src=", "<link", `="http`, `="//`} {
		if i := strings.Index(bare, bad); i >= 0 {
			t.Errorf("the page has %s: %s", bad, bare[max(0, i-100):i+100])
		}
	}
	for _, want := range []string{`<span class="state">past_sunset</span>`, "HTTP 410", "retired on 2026-12-31", "Not yet: 30 legacy calls from 3 callers"} {
		if !strings.Contains(page, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// civigate_console answers loopback clients, others only with
// allow_remote, and leaves other paths to the next handler.
func TestConsoleHandlerServesLoopbackOnly(t *testing.T) {
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		w.WriteHeader(http.StatusTeapot)
		return nil
	})
	for _, tc := range []struct {
		remote, path string
		allow        bool
		want         int
	}{
		{"127.0.0.1:5000", "/civigate/", false, 200},
		{"[::1]:5000", "/civigate/legacy-usage.csv", false, 200},
		{"192.0.2.7:5000", "/civigate/", false, 403},
		{"192.0.2.7:5000", "/civigate/legacy-usage", false, 403},
		{"192.0.2.7:5000", "/civigate/", true, 200},
		{"192.0.2.7:5000", "/other", false, http.StatusTeapot},
		{"127.0.0.1:5000", "/civigate/nope", false, http.StatusTeapot},
	} {
		c := &ConsoleHandler{AllowRemote: tc.allow}
		if err := c.Provision(caddy.Context{}); err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest("GET", tc.path, nil)
		r.RemoteAddr = tc.remote
		w := httptest.NewRecorder()
		status := 0
		if err := c.ServeHTTP(w, r, next); err != nil {
			var he caddyhttp.HandlerError
			if !errors.As(err, &he) {
				t.Fatalf("%+v: %v", tc, err)
			}
			status = he.StatusCode
		} else {
			status = w.Code
		}
		if status != tc.want {
			t.Errorf("%+v: %d", tc, status)
		}
	}
	d := caddyfile.NewTestDispenser("civigate_console /ops/ {\n allow_remote\n}")
	var c ConsoleHandler
	if err := c.UnmarshalCaddyfile(d); err != nil || c.Path != "/ops/" || !c.AllowRemote {
		t.Errorf("parsed %+v, %v", c, err)
	}
	if err := new(ConsoleHandler).UnmarshalCaddyfile(caddyfile.NewTestDispenser("civigate_console {\n open\n}")); err == nil || !strings.Contains(err.Error(), `"open"`) {
		t.Errorf("an unknown subdirective: %v", err)
	}
}

// With no civicrm handler (or before any call) the console still renders,
// and the JSON lists are empty, not null.
func TestConsoleWithoutHandlers(t *testing.T) {
	rep := buildConsole(context.Background(), nil, day0, 7)
	var buf strings.Builder
	if err := consoleTemplate.Execute(&buf, newConsoleView(rep)); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "No API call recorded in the last 7 days.") {
		t.Error("the empty page lacks its verdict")
	}
	b, _ := json.Marshal(rep)
	for _, field := range []string{`"legacy_usage":[]`, `"callers":[]`, `"cutoff":[]`, `"redis":[]`} {
		if !strings.Contains(string(b), field) {
			t.Errorf("the JSON lacks %s: %s", field, b)
		}
	}
}
