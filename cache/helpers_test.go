package cache

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// jsonCall builds a call as CiviCRM would run it: params decoded from JSON
// with PHP types (so 1 is an int and "1" a string).
func jsonCall(t testing.TB, entity, action, params string) *translate.Call {
	t.Helper()
	p := translate.NewArray()
	if params != "" {
		v, err := translate.DecodeJSON([]byte(params))
		if err != nil {
			t.Fatalf("bad test JSON %s: %v", params, err)
		}
		p = v.(*translate.Array)
	}
	return &translate.Call{Form: translate.FormAjax, Method: http.MethodPost, Entity: entity, Action: action, Params: p}
}

// httpCall parses a real legacy request through translate, the way the
// Caddy layer will.
func httpCall(t testing.TB, method, target, form string) *translate.Call {
	t.Helper()
	var r *http.Request
	if form != "" {
		r = httptest.NewRequest(method, target, strings.NewReader(form))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		r = httptest.NewRequest(method, target, nil)
	}
	route, ok := translate.Recognise(method, r.URL, translate.RecogniseConfig{})
	if !ok {
		t.Fatalf("not recognised: %s", target)
	}
	c, reply := translate.ParseRequest(r, route, translate.ParseOptions{})
	if reply != nil || c == nil {
		t.Fatalf("parse refused %s: %+v", target, reply)
	}
	return c
}

func q(s string) string { return url.QueryEscape(s) }

// fakeClock is a settable clock.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func newFakeClock() *fakeClock { return &fakeClock{t: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)} }

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}
