package caddymodule

import (
	"context"
	"net/http"
	"net/url"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
)

type otherKey struct{}

// asOriginal's context answers the original request with out as it was
// (a copy each time: what one caller changes, the next does not see),
// everything else as its parent does, and is cancelled with its parent.
func TestAsOriginal(t *testing.T) {
	parent, cancel := context.WithCancel(context.WithValue(context.Background(), otherKey{}, "kept"))
	u := &url.URL{Path: "/civicrm/ajax/rest", RawQuery: "entity=Contact&action=get"}
	out := &http.Request{Method: http.MethodGet, RemoteAddr: "192.0.2.1:1234", RequestURI: u.RequestURI(), URL: u}
	ctx := asOriginal(parent, out, new(originalCtx))
	u.Path = "/index.php" // php_fastcgi rewrites the request it is handed in place

	orig, ok := ctx.Value(caddyhttp.OriginalRequestCtxKey).(http.Request)
	if !ok || orig.Method != http.MethodGet || orig.RemoteAddr != "192.0.2.1:1234" ||
		orig.RequestURI != "/civicrm/ajax/rest?entity=Contact&action=get" || orig.URL.String() != "/civicrm/ajax/rest?entity=Contact&action=get" {
		t.Fatalf("original request %+v (%v)", orig, ok)
	}
	orig.Method = "POST"
	if again := ctx.Value(caddyhttp.OriginalRequestCtxKey).(http.Request); again.Method != http.MethodGet {
		t.Errorf("a caller's change reached the context: %s", again.Method)
	}
	if v := ctx.Value(otherKey{}); v != "kept" {
		t.Errorf("parent's value: %v", v)
	}
	child, stop := context.WithCancel(ctx)
	defer stop()
	cancel()
	<-child.Done()
	if ctx.Err() != context.Canceled {
		t.Errorf("Err after the parent's cancel: %v", ctx.Err())
	}
}
