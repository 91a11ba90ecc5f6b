package caddymodule

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

// What forward hands the route (the outbound request, its URL, header,
// body and context) stays its own caller's after forward returns, and
// every answer is its own caller's, however many calls run at once. The
// route may read them later: net/http's Transport goes on with a dial
// after the request that started it is done, in a context that keeps the
// request context's values (context.WithoutCancel), which Caddy's dialer
// reads (caddyhttp.GetVar on every dial); the Transport may still be
// writing a request body when the answer is back (Caddy's body wrapper
// then reads the outbound request's Trailer); a mirroring handler copies
// a request in a goroutine of its own. So none of it may be recycled for
// another call (a pooled forwarding fails this test): each is checked
// from a goroutine after forward returned, while other callers' calls
// run.
func TestForwardedRequestOutlivesForward(t *testing.T) {
	key, site := benchKey(t), benchKey(t)
	h := &Handler{SiteKey: site, Cache: &CacheConfig{Off: true}}
	provisionBench(t, h)
	type retained struct {
		r                *http.Request
		ua, url, origURI string
		caller           any
		id               string
	}
	var later sync.WaitGroup
	var failMu sync.Mutex
	var failures []string
	report := func(msg string) { failMu.Lock(); failures = append(failures, msg); failMu.Unlock() }
	check := func(k retained) {
		defer later.Done()
		time.Sleep(time.Millisecond) // the caller's ServeHTTP has returned, others run
		r := k.r
		orig, _ := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request)
		var body []byte
		if r.Body != nil {
			body, _ = io.ReadAll(r.Body)
		}
		if r.URL == nil {
			report("the outbound request lost its URL")
			return
		}
		text, _ := url.QueryUnescape(r.URL.RawQuery + "&" + string(body))
		switch {
		case r.Header.Get("User-Agent") != k.ua:
			report(fmt.Sprintf("header: %q, caller %q", r.Header.Get("User-Agent"), k.ua))
		case r.URL.String() != k.url:
			report(fmt.Sprintf("URL: %q, was %q", r.URL, k.url))
		case orig.URL == nil || orig.RequestURI != k.origURI:
			report(fmt.Sprintf("original request: %q, was %q", orig.RequestURI, k.origURI))
		case caddyhttp.GetVar(r.Context(), "caller") != k.caller:
			report(fmt.Sprintf("context variables: %v, caller %v", caddyhttp.GetVar(r.Context(), "caller"), k.caller))
		case !strings.Contains(text, `"`+k.id+`"`) && !strings.Contains(text, "id="+k.id):
			report(fmt.Sprintf("parameters %q, caller's id %s", text, k.id))
		case r.Trailer != nil || r.Method != http.MethodGet && r.Method != http.MethodPost:
			report(fmt.Sprintf("request %s, trailer %v", r.Method, r.Trailer))
		}
	}
	inner := benchUpstream(key)
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error {
		if r.URL.Path == "/civicrm/authx/id" {
			return inner.ServeHTTP(w, r)
		}
		ua := r.Header.Get("User-Agent")
		orig, _ := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request)
		k := retained{r: r, ua: ua, url: r.URL.String(), origURI: orig.RequestURI,
			caller: caddyhttp.GetVar(r.Context(), "caller"), id: strings.TrimPrefix(ua, "caller-")}
		later.Add(1)
		go check(k) // the body is left for it to read, as a Transport still writing it would
		answer := `{"is_error":0,"version":3,"count":1,"id":` + k.id + `,"values":{"` + k.id + `":{"contact_id":"` + k.id + `","display_name":"` + ua + `"}}}`
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Content-Length", strconv.Itoa(len(answer)))
		_, err := io.WriteString(w, answer)
		return err
	})
	const callers, calls = 16, 40
	var wg sync.WaitGroup
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			id := strconv.Itoa(700000 + i)
			ua := "caller-" + id
			query := "entity=Contact&action=get&json=1&key=" + site + "&api_key=" + key + "&id=" + id
			for range calls {
				var r *http.Request
				if i%2 == 0 {
					r = benchRequest("/sites/all/modules/civicrm/extern/rest.php?"+query, http.Header{"User-Agent": {ua}})
				} else {
					r = benchRequest("/sites/all/modules/civicrm/extern/rest.php", http.Header{"User-Agent": {ua}, "Content-Type": {"application/x-www-form-urlencoded"}})
					r.Method = http.MethodPost
					r.Body = io.NopCloser(strings.NewReader(query))
					r.ContentLength = int64(len(query))
				}
				caddyhttp.SetVar(r.Context(), "caller", ua)
				w := httptest.NewRecorder()
				if err := h.ServeHTTP(w, r, next); err != nil || w.Code != http.StatusOK {
					report(fmt.Sprintf("%s: %v %d %.200q", ua, err, w.Code, w.Body))
					return
				}
				if got := w.Body.String(); !strings.Contains(got, `"`+ua+`"`) || strings.Count(got, "caller-") != 1 {
					report(fmt.Sprintf("%s was answered %.300q", ua, got))
					return
				}
			}
		}()
	}
	wg.Wait()
	later.Wait()
	for i, msg := range failures {
		if i == 10 {
			t.Errorf("and %d more", len(failures)-10)
			break
		}
		t.Error(msg)
	}
}
