package caddymodule

import (
	"bytes"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/translate"
)

// preparedSite is a handler in front of benchUpstream (which answers the
// recorded Contact.get and resolves key) with the default memory cache.
func preparedSite(t *testing.T, cfg *Handler) (serve func(target string, header http.Header) *httptest.ResponseRecorder, key, site string) {
	t.Helper()
	key, site = benchKey(t), benchKey(t)
	cfg.SiteKey = site
	provisionBench(t, cfg)
	next := benchUpstream(key)
	serve = func(target string, header http.Header) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		if err := cfg.ServeHTTP(w, benchRequest(target, header), next); err != nil {
			t.Fatal(err)
		}
		return w
	}
	return serve, key, site
}

func legacyTarget(site, key, extra string) string {
	return "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + site + "&api_key=" + key + "&id=2" + extra
}

func TestPreparedRequestServesRepeatsWithoutAuthenticating(t *testing.T) {
	h := &Handler{}
	serve, key, site := preparedSite(t, h)
	first := serve(legacyTarget(site, key, ""), nil)
	second := serve(legacyTarget(site, key, ""), nil)
	if first.Code != 200 || !bytes.Equal(first.Body.Bytes(), benchBody) || !bytes.Equal(second.Body.Bytes(), benchBody) {
		t.Fatalf("answers: %d %q / %d %q", first.Code, first.Body.String(), second.Code, second.Body.String())
	}
	if got := second.Header().Get("Cache-Status"); got != "Civigate; hit" {
		t.Errorf("second answer's Cache-Status = %q, want a hit", got)
	}
	for _, name := range []string{"Cache-Control", "Expires", "Pragma", "X-Content-Type-Options", "Content-Security-Policy"} {
		if first.Header().Get(name) == "" || first.Header().Get(name) != second.Header().Get(name) {
			t.Errorf("%s: %q first, %q when prepared", name, first.Header().Get(name), second.Header().Get(name))
		}
	}
	if n := h.prepared.served.Load(); n != 1 {
		t.Fatalf("%d requests served as prepared, want 1 (the repeat)", n)
	}
}

// Anything the steps before the cache read makes another request: a
// header, the query, the client address.
func TestPreparedRequestIsTheWholeRequest(t *testing.T) {
	h := &Handler{}
	serve, key, site := preparedSite(t, h)
	serve(legacyTarget(site, key, ""), nil)
	cases := []struct {
		name   string
		target string
		header http.Header
		status int
		body   string
	}{
		// extern/rest.php reads no header credential: authenticated anew
		// all the same.
		{"one more header", legacyTarget(site, key, ""), http.Header{"X-Civi-Auth": {"Bearer " + strings.Repeat("0", 32)}}, 200, `"is_error":0`},
		{"another site key", legacyTarget(strings.Repeat("x", 20), key, ""), nil, 200, `"is_error":1`},
		{"XML instead of JSON", strings.Replace(legacyTarget(site, key, ""), "&json=1", "", 1), nil, 200, `<?xml`},
	}
	for _, c := range cases {
		w := serve(c.target, c.header)
		if w.Code != c.status || !strings.Contains(w.Body.String(), c.body) {
			t.Errorf("%s: %d %.200q, want %d with %q", c.name, w.Code, w.Body.String(), c.status, c.body)
		}
	}
	if n := h.prepared.served.Load(); n != 0 {
		t.Fatalf("%d requests served as prepared, want none", n)
	}
	// Without Caddy's client_ip variable the address is RemoteAddr's;
	// behind Caddy it is the variable, and whether a trusted proxy sent
	// the request counts too.
	r := withVars(benchRequest(legacyTarget(site, key, ""), nil), nil)
	r.RemoteAddr = "192.0.2.7:4242"
	if k1, k2 := preparedKey(nil, r), preparedKey(nil, withVars(benchRequest(legacyTarget(site, key, ""), nil), nil)); string(k1) == string(k2) {
		t.Error("two client addresses make one prepared request")
	}
	keys := map[string]string{}
	for _, v := range []map[string]any{
		{caddyhttp.ClientIPVarKey: "192.0.2.7", caddyhttp.TrustedProxyVarKey: false},
		{caddyhttp.ClientIPVarKey: "192.0.2.8", caddyhttp.TrustedProxyVarKey: false},
		{caddyhttp.ClientIPVarKey: "192.0.2.7", caddyhttp.TrustedProxyVarKey: true},
		{caddyhttp.ClientIPVarKey: "", caddyhttp.TrustedProxyVarKey: false},
	} {
		k := string(preparedKey(nil, withVars(benchRequest(legacyTarget(site, key, ""), nil), v)))
		if other, ok := keys[k]; ok {
			t.Errorf("%v and %s make one prepared request", v, other)
		}
		keys[k] = fmt.Sprint(v)
	}
}

// withVars is r with Caddy's request variables (as its server sets
// client_ip and trusted_proxy).
func withVars(r *http.Request, vars map[string]any) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), caddyhttp.VarsCtxKey, vars))
}

// A client_ip variable that is not an address (another handler may set
// variables) leaves clientAddr to RemoteAddr, which the prepared key does
// not hold then: such a request is not remembered.
func TestPreparedRequestNeedsAnAddress(t *testing.T) {
	h := &Handler{}
	_, key, site := preparedSite(t, h)
	next := benchUpstream(key)
	for _, remote := range []string{"192.0.2.1:1234", "198.51.100.9:1234", "192.0.2.1:1234"} {
		r := withVars(benchRequest(legacyTarget(site, key, ""), nil), map[string]any{caddyhttp.ClientIPVarKey: "not an address"})
		r.RemoteAddr = remote
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, r, next); err != nil || w.Code != 200 {
			t.Fatalf("%v %d", err, w.Code)
		}
	}
	if n := h.prepared.served.Load(); n != 0 {
		t.Fatalf("%d requests served as prepared, want none", n)
	}
	for range 2 {
		r := withVars(benchRequest(legacyTarget(site, key, ""), nil), map[string]any{caddyhttp.ClientIPVarKey: "192.0.2.1"})
		if err := h.ServeHTTP(httptest.NewRecorder(), r, next); err != nil {
			t.Fatal(err)
		}
	}
	if n := h.prepared.served.Load(); n != 1 {
		t.Fatalf("%d requests served as prepared, want the repeat with an address", n)
	}
}

// While guessing protection counts a credential's failures up to its
// limit (for Basic, the user's, which wrong passwords fill), its requests
// are authenticated in full, not served as prepared: Authenticate decides
// (a proven password passes).
func TestPreparedRequestMeetsGuessingProtection(t *testing.T) {
	basic := func(pass string) http.Header {
		return http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("demo:"+pass))},
			"X-Requested-With": {"XMLHttpRequest"}} // past ajax/rest's CSRF rule for Basic (authx/csrf.go)
	}
	right := basic("right")
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/civicrm/authx/id" {
			// Asked in the client's flow: Authorization (header).
			if r.Header.Get("Authorization") != right.Get("Authorization") {
				w.WriteHeader(http.StatusUnauthorized)
				_, err := io.WriteString(w, "HTTP 401 Invalid credential")
				return err
			}
			_, err := io.WriteString(w, `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"pass"}`)
			return err
		}
		w.Header().Set("Content-Type", "application/json")
		_, err := w.Write(benchBody)
		return err
	})
	h := &Handler{SiteKey: testSiteKey}
	provisionBench(t, h)
	target := "/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22id%22%3A2%7D"
	serve := func(header http.Header) *httptest.ResponseRecorder {
		w := httptest.NewRecorder()
		if err := h.ServeHTTP(w, benchRequest(target, header), next); err != nil {
			t.Fatal(err)
		}
		return w
	}
	for range 2 {
		if w := serve(right); !bytes.Equal(w.Body.Bytes(), benchBody) {
			t.Fatalf("right password: %d %q", w.Code, w.Body.String())
		}
	}
	if h.prepared.served.Load() != 1 {
		t.Fatal("the repeat was not served as prepared")
	}
	for range 12 {
		serve(basic("wrong"))
	}
	if w := serve(right); w.Code != http.StatusOK {
		t.Fatalf("the right, proven password got %d %.200q", w.Code, w.Body.String())
	}
	if n := h.prepared.served.Load(); n != 1 {
		t.Fatalf("the user's counter is full, yet %d requests were served as prepared", n)
	}
}

func TestPreparedRequestExpires(t *testing.T) {
	h := &Handler{}
	serve, key, site := preparedSite(t, h)
	serve(legacyTarget(site, key, ""), nil)
	h.prepared.mu.Lock()
	for _, p := range h.prepared.m {
		p.until = time.Now().Add(-time.Millisecond)
	}
	h.prepared.mu.Unlock()
	if w := serve(legacyTarget(site, key, ""), nil); !bytes.Equal(w.Body.Bytes(), benchBody) {
		t.Fatalf("after expiry: %d %q", w.Code, w.Body.String())
	}
	if n := h.prepared.served.Load(); n != 0 {
		t.Fatalf("an expired prepared request served %d requests", n)
	}
}

// XML clients are answered from the JSON entry: rendered once per entry,
// byte for byte what the first, unprepared answer was.
func TestPreparedRequestRendersOncePerEntry(t *testing.T) {
	h := &Handler{}
	serve, key, site := preparedSite(t, h)
	target := strings.Replace(legacyTarget(site, key, ""), "&json=1", "", 1)
	first := serve(target, nil)
	second, third := serve(target, nil), serve(target, nil)
	if !strings.HasPrefix(first.Body.String(), "<?xml") || first.Body.String() != second.Body.String() || second.Body.String() != third.Body.String() {
		t.Fatalf("XML answers differ:\n%s\n%s\n%s", first.Body, second.Body, third.Body)
	}
	if first.Header().Get("Content-Type") != third.Header().Get("Content-Type") {
		t.Errorf("Content-Type %q, then %q", first.Header().Get("Content-Type"), third.Header().Get("Content-Type"))
	}
	var memo *rendered
	for _, p := range h.prepared.m {
		memo = p.render.last.Load()
	}
	if memo == nil || !bytes.Equal(memo.out.Body, third.Body.Bytes()) {
		t.Fatal("the rendering was not kept")
	}
	// Another entry (a copy of the body in other memory) is rendered anew.
	res := memo.src
	res.Body = bytes.Clone(res.Body)
	if sameAnswer(memo.src, res) {
		t.Fatal("a copy of the body counts as the same entry")
	}
}

// The memo of a prepared request's answer is only ever the answer for the
// same entry: a store handing out a copy per hit (Redis) gets every
// answer rendered, with its own length, and keeps no memo per hit; the
// memory store's entry is worked out once until it changes.
func TestRenderMemoIsPerEntry(t *testing.T) {
	call := &translate.Call{Form: translate.FormAPI4} // answered as it is
	var m renderMemo
	check := func(res translate.UpstreamResponse) {
		t.Helper()
		out, length := m.render(call, res)
		if !bytes.Equal(out.Body, res.Body) || length != strconv.Itoa(len(res.Body)) {
			t.Fatalf("answer %q (length %s) for the entry %q", out.Body, length, res.Body)
		}
	}
	entry := func(body string) translate.UpstreamResponse {
		return translate.UpstreamResponse{Status: 200, ContentType: "application/json", Body: []byte(body)}
	}
	first := entry(`{"values":[1]}`)
	check(first)
	for _, body := range []string{`{"values":[1]}`, `{"values":[22]}`, `{"values":[333]}`} {
		check(entry(body)) // copies, as from Redis
	}
	if last := m.last.Load(); last == nil || !sameAnswer(last.src, first) {
		t.Fatal("an unused memo was replaced by a copy's")
	}
	check(first) // the memory store's entry again: from the memo
	changed := entry(`{"values":[4444]}`)
	check(changed)
	if last := m.last.Load(); !sameAnswer(last.src, changed) {
		t.Fatal("a used memo was not replaced by the new entry's")
	}
	check(changed)
	check(first)
}

// Prepared requests are shared by concurrent requests (run with -race).
func TestPreparedRequestConcurrent(t *testing.T) {
	h := &Handler{}
	serve, key, site := preparedSite(t, h)
	targets := []string{legacyTarget(site, key, ""), strings.Replace(legacyTarget(site, key, ""), "&json=1", "", 1)}
	for _, tg := range targets {
		serve(tg, nil)
	}
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 50 {
				if w := serve(targets[i%2], nil); w.Code != 200 {
					t.Errorf("%d %q", w.Code, w.Body.String())
					return
				}
			}
		}()
	}
	wg.Wait()
	if h.prepared.served.Load() == 0 {
		t.Fatal("nothing served as prepared")
	}
}

// A prepared request's cache request is shared by every request it stands
// for: serving them, hits and misses alike, never changes it (the lookup
// notes the generations it saw in a copy of its own, serveCall).
func TestPreparedRequestKeepsItsCacheRequest(t *testing.T) {
	h := &Handler{}
	serve, key, site := preparedSite(t, h)
	target := legacyTarget(site, key, "")
	serve(target, nil)
	h.prepared.mu.RLock()
	if len(h.prepared.m) != 1 {
		t.Fatalf("%d prepared requests, want 1", len(h.prepared.m))
	}
	var p *prepared
	for _, p = range h.prepared.m {
	}
	h.prepared.mu.RUnlock()
	if p.req == nil || !p.req.Cacheable {
		t.Fatal("the prepared request has no cacheable cache request")
	}
	before := *p.req
	for i, want := range []string{"Civigate; hit", "purge", "Civigate; fwd=miss; fwd-status=200; stored", "Civigate; hit"} {
		if want == "purge" {
			if err := h.purge(t.Context(), "", 0); err != nil {
				t.Fatal(err)
			}
			continue
		}
		w := serve(target, nil)
		if got := w.Header().Get("Cache-Status"); w.Code != 200 || got != want || !bytes.Equal(w.Body.Bytes(), benchBody) {
			t.Fatalf("request %d: %d, Cache-Status %q, want %q", i, w.Code, got, want)
		}
		if !reflect.DeepEqual(*p.req, before) {
			t.Fatalf("request %d changed the prepared cache request:\n%+v\nwas\n%+v", i, *p.req, before)
		}
	}
	if n := h.prepared.served.Load(); n != 3 {
		t.Fatalf("%d requests served as prepared, want 3", n)
	}
}

// The usage report and the daily history count every call, those a
// prepared request answered too: they are counted apart (usageTally) and
// folded in when the console reads them, once.
func TestPreparedRequestsCountEveryCall(t *testing.T) {
	h := &Handler{}
	serve, key, site := preparedSite(t, h)
	target := legacyTarget(site, key, "")
	start := time.Now()
	calls := func(n int) {
		for range n {
			if w := serve(target, nil); w.Code != 200 {
				t.Fatalf("%d %s", w.Code, w.Body)
			}
		}
	}
	check := func(want int64) {
		t.Helper()
		rep := buildConsole(t.Context(), []*Handler{h}, time.Now(), 1)
		counts := map[string]int64{}
		for _, e := range rep.LegacyUsage {
			counts[e.Feature] += e.Count
			if e.FirstSeen.Before(start.Truncate(time.Millisecond)) || e.LastSeen.Before(e.FirstSeen) || e.LastSeen.After(time.Now()) {
				t.Errorf("%s: first seen %v, last seen %v", e.Feature, e.FirstSeen, e.LastSeen)
			}
		}
		if counts[usageExtern] != want || counts[usageURLCreds] != want || len(rep.Trend) != 1 || rep.Trend[0].Calls != want ||
			len(rep.Callers) != 1 || rep.Callers[0].Calls != want {
			t.Fatalf("after %d calls: report %v, trend %+v, callers %+v", want, counts, rep.Trend, rep.Callers)
		}
	}
	calls(5)
	check(5)
	check(5)
	calls(3)
	check(8)
	if n := h.prepared.served.Load(); n != 7 {
		t.Fatalf("%d calls answered as prepared, want 7", n)
	}
}

// A tally holds one UTC day: the calls of a prepared request that lives
// across midnight count on their own days.
func TestPreparedRequestCountsAcrossMidnight(t *testing.T) {
	h := &Handler{usage: newMemoryUsage(), history: newMemoryHistory(defaultHistoryLimits), prepared: &preparedRequests{}}
	s := historySample{features: []string{usageAPI4}, caller: usageCaller{contactID: 2, fingerprint: "f"}}
	p := &prepared{usage: s, tally: &usageTally{usage: s}}
	midnight := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	for _, at := range []time.Duration{-900, -300, 100, 200, 400} {
		h.countUsage(p, midnight.Add(at*time.Millisecond))
	}
	h.foldUsage()
	days, _ := h.history.days(t.Context(), []string{"2026-12-06", "2026-12-07"})
	if len(days) != 2 || days[0].Calls != 2 || days[1].Calls != 3 {
		t.Fatalf("days %+v, want 2 calls on the 6th and 3 on the 7th", days)
	}
	if c := days[1].Callers[s.caller]; c == nil || c.First != midnight.Add(100*time.Millisecond).UnixMilli() || c.Last != midnight.Add(400*time.Millisecond).UnixMilli() {
		t.Errorf("the 7th's caller: %+v", c)
	}
	rep, _ := h.usage.report(t.Context())
	if len(rep) != 1 || rep[0].Count != 5 || !rep[0].FirstSeen.Equal(midnight.Add(-900*time.Millisecond)) || !rep[0].LastSeen.Equal(midnight.Add(400*time.Millisecond)) {
		t.Errorf("report %+v", rep)
	}
}

// Without a console reading them or Redis flushing them, counted calls
// are folded in once a bound of tallies waits, so a process does not keep
// one per prepared request it ever made.
func TestPreparedRequestTalliesAreBounded(t *testing.T) {
	h := &Handler{usage: newMemoryUsage(), history: newMemoryHistory(defaultHistoryLimits), prepared: &preparedRequests{}}
	s := historySample{features: []string{usageAPI4}, caller: usageCaller{contactID: 2, fingerprint: "f"}}
	now := time.Now()
	for range maxPrepared {
		h.countUsage(&prepared{usage: s, tally: &usageTally{usage: s}}, now)
	}
	if n := len(h.prepared.takePending()); n != 0 {
		t.Fatalf("%d tallies wait", n)
	}
	if rep, _ := h.usage.report(t.Context()); len(rep) != 1 || rep[0].Count != maxPrepared {
		t.Fatalf("report %+v, want %d calls", rep, maxPrepared)
	}
}
