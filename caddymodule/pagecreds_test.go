package caddymodule

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/translate"
)

// A request to a page without an AuthX credential costs the page check one
// pass over its header names and query and no allocation, whatever else
// it carries (another application's Basic credentials, cookies, a query
// with escapes).
func TestPageCredentialsCheckAllocatesNothing(t *testing.T) {
	h := unrecognisedHandler(t)
	r := benchRequest("/about-us?s=foo%20bar&page=2&q=civicrm/contact/view", http.Header{
		"Cookie": {"wordpress_logged_in=abc; SESS=1"}, "Accept": {"text/html"}, "Authorization": {"Basic dXNlcjpwYXNz"}, "X-Civi-Key": {"sk"},
	})
	w := httptest.NewRecorder()
	next := caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })
	if n := testing.AllocsPerRun(100, func() {
		if _, refused := h.refusePageCredentials(w, r, next, translate.BodyCredentials{}); refused {
			t.Fatal("refused a request without a credential")
		}
	}); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// An AuthX parameter in a form body larger than what is read before the
// request goes on cannot be checked: in the first bytes it is refused at
// once (nothing goes on), further on it refuses the body as a routing
// parameter does (the next handler's read fails, the credential never goes
// on).
func TestUnrecognisedCredentialInLargeBody(t *testing.T) {
	h := unrecognisedHandler(t)
	padding := strings.Repeat("padding=xxxxxxxx&", 1<<16)
	for _, tt := range []struct {
		name, body string
		reached    bool
	}{
		{"at the start", "_authx=Bearer+secret-guess&" + padding, false},
		{"at the end", padding + "_authx=Bearer+secret-guess", true},
		{"mangled, at the end", padding + ".authx=Bearer+secret-guess", true},
	} {
		rec := &upstreamRecord{}
		w := httptest.NewRecorder()
		reached := false
		next := reading(rec, 4<<20)
		err := h.ServeHTTP(w, postRequest("/contact-form", "application/x-www-form-urlencoded", strings.NewReader(tt.body), int64(len(tt.body))),
			caddyhttp.HandlerFunc(func(w http.ResponseWriter, r *http.Request) error { reached = true; return next.ServeHTTP(w, r) }))
		if err != nil || w.Code != http.StatusUnauthorized || !strings.Contains(w.Body.String(), "HTTP 401 Civigate: _authx") {
			t.Errorf("%s: answered %d %q, %v", tt.name, w.Code, w.Body, err)
		}
		if reached != tt.reached || rec.complete || tt.reached && !errors.Is(rec.readErr, errRoutesThroughBody) {
			t.Errorf("%s: next reached %v, read %d bytes, complete %v, %v", tt.name, reached, rec.n, rec.complete, rec.readErr)
		}
		if strings.Contains(rec.body.String(), "secret-guess") {
			t.Errorf("%s: the credential went on", tt.name)
		}
	}
	// A large form without one streams on.
	rec := &upstreamRecord{}
	w := httptest.NewRecorder()
	body := padding + "name=Alice"
	if err := h.ServeHTTP(w, postRequest("/contact-form", "application/x-www-form-urlencoded", strings.NewReader(body), int64(len(body))), reading(rec, 0)); err != nil || w.Code != 200 || !rec.complete || rec.n != int64(len(body)) {
		t.Errorf("a large form: %d %q, read %d of %d, %v", w.Code, w.Body, rec.n, len(body), err)
	}
}
