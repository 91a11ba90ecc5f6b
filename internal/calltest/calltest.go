// Package calltest builds translate.Calls from HTTP requests the way the
// Caddy handler does (Recognise, then ParseRequest), for the tests of the
// packages that judge calls (authx, cache).
package calltest

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// API4 parses an APIv4 request (a urlencoded form body when form is not
// empty, headers h added) as far as the Caddy handler does before
// authentication (translate.ParseEnvelope: call DecodeParams for the
// rest) and returns the Call and the request's header. The request must be
// one Civigate recognises as APIv4.
func API4(t testing.TB, method, target, form string, h http.Header) (*translate.Call, http.Header) {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(form))
	if form != "" {
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range h {
		r.Header[k] = v
	}
	route, ok := translate.Recognise(method, r.URL, translate.RecogniseConfig{API4: true})
	if !ok || route.Form != translate.FormAPI4 {
		t.Fatalf("%s %s is not recognised as APIv4", method, target)
	}
	c, reply := translate.ParseEnvelope(r, route, translate.ParseOptions{})
	if reply != nil {
		t.Fatalf("%s %s: %+v", method, target, reply)
	}
	return c, r.Header
}
