package caddymodule

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/authx"
)

// Civigate's question to civicrm/authx/id goes through the route in the
// flow the client used (authx.HTTPResolver.ResolveFlow): its method,
// header and body as the resolver made them, the call's own body and
// parsed form never, and the credential nowhere in the URL.
func TestRouteQuestionInTheClientsFlow(t *testing.T) {
	const key = "route-flow-key-0123456789"
	// The client's call: a POST whose body holds its own form.
	orig := httptest.NewRequest("POST", "http://a.example/civicrm/ajax/rest?entity=Contact&action=get", strings.NewReader("_authx=Bearer+"+key+"&json=1"))
	orig.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	orig.Header.Set("Authorization", "Bearer "+key)
	_ = orig.ParseForm()
	orig = orig.WithContext(context.WithValue(orig.Context(), caddyhttp.VarsCtxKey, map[string]any{}))

	type seen struct {
		method, uri, contentType, body, xCiviAuth, authorization string
		length                                                   int64
		form                                                     url.Values
	}
	var got []seen
	next := caddyhttp.HandlerFunc(func(w http.ResponseWriter, q *http.Request) error {
		b, _ := io.ReadAll(q.Body)
		got = append(got, seen{q.Method, q.RequestURI, q.Header.Get("Content-Type"), string(b), q.Header.Get("X-Civi-Auth"), q.Header.Get("Authorization"), q.ContentLength, q.Form})
		if q.URL.String() != "" && strings.Contains(q.URL.String(), key) {
			t.Errorf("the credential is in the question's URL: %s", q.URL)
		}
		_, err := io.WriteString(w, `{"contact_id":3,"user_id":1}`)
		return err
	})
	aid := &url.URL{Path: "/civicrm/authx/id"}
	res := authx.NewHTTPResolver("http://civicrm.upstream", &http.Client{Transport: routeTransport{}})
	ctx := (&Handler{}).withRoute(orig, next, aid)
	for _, flow := range []string{authx.FlowXHeader, authx.FlowHeader, authx.FlowParam} {
		got = nil
		if id, err := res.ResolveFlow(ctx, flow, "Bearer", key); err != nil || id.ContactID != 3 {
			t.Fatalf("%s: %+v %v", flow, id, err)
		}
		want := seen{method: "GET", uri: "/civicrm/authx/id"}
		switch flow {
		case authx.FlowXHeader:
			want.xCiviAuth = "Bearer " + key
		case authx.FlowHeader:
			want.authorization = "Bearer " + key
		case authx.FlowParam:
			want.method, want.contentType = "POST", "application/x-www-form-urlencoded"
			want.body = "_authx=Bearer+" + key
			want.length = int64(len(want.body))
		}
		if len(got) != 1 || got[0].method != want.method || got[0].uri != want.uri || got[0].contentType != want.contentType ||
			got[0].body != want.body || got[0].length != want.length || got[0].xCiviAuth != want.xCiviAuth ||
			got[0].authorization != want.authorization || got[0].form != nil {
			t.Errorf("%s: asked %+v, want %+v", flow, got, want)
		}
	}
}
