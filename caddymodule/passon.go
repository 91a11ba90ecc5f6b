package caddymodule

import (
	"context"
	"net/http"
	"net/url"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/translate"
)

// asOriginal is ctx for out, a request Civigate rewrote to pass on, with
// out made the one the rest of the route takes as the client's original.
// Caddy keeps the request as received in the context
// (caddyhttp.OriginalRequestCtxKey), and php_fastcgi builds REQUEST_URI
// from it, not from the request it is handed: without this PHP would get
// the legacy URL, key and api_key included, and CMS routers reading
// REQUEST_URI (WordPress permalinks, Drupal 8+, Joomla SEF) would route on
// it instead of the modern route. {http.request.orig_*} placeholders in
// the rest of the route follow. Only out's context changes: Caddy's access
// log and error handling keep the client's request (the log's
// civicrm_credentials filter covers it). The context is c, which the
// caller owns so it can share out's allocation; it keeps a copy of out's
// URL, since a later rewrite (php_fastcgi's to index.php) changes out's in
// place.
func asOriginal(ctx context.Context, out *http.Request, c *originalCtx) context.Context {
	c.Context = ctx
	c.method, c.remoteAddr, c.requestURI, c.url = out.Method, out.RemoteAddr, out.RequestURI, *out.URL
	return c
}

// originalCtx is a context whose caddyhttp.OriginalRequestCtxKey is the
// request asOriginal made the original (the fields Caddy's own original
// request has). It answers for it when asked, a new copy each time as a
// context.WithValue of it gives, which only php_fastcgi and the orig
// placeholders do: context.WithValue would allocate itself and a boxed
// copy of the request on every forward.
type originalCtx struct {
	context.Context
	method, remoteAddr, requestURI string
	url                            url.URL
}

func (c *originalCtx) Value(key any) any {
	if key == caddyhttp.OriginalRequestCtxKey {
		return http.Request{Method: c.method, RemoteAddr: c.remoteAddr, RequestURI: c.requestURI, URL: &c.url}
	}
	return c.Context.Value(key)
}

// rewrittenFromAPI: a handler before civicrm (rewrite, uri, try_files)
// changed the request, and the client's, which php_fastcgi hands PHP as
// REQUEST_URI for CMS routers to route on, names an API route (or a
// disguised one). Judged on the rewritten request alone it would reach
// CiviCRM's API unpoliced, so it is refused like a disguised path.
func (h *Handler) rewrittenFromAPI(r *http.Request) bool {
	orig, ok := r.Context().Value(caddyhttp.OriginalRequestCtxKey).(http.Request)
	if !ok || orig.URL == nil || orig.URL.Path == r.URL.Path && orig.URL.RawPath == r.URL.RawPath && orig.URL.RawQuery == r.URL.RawQuery {
		return false
	}
	if _, api := translate.Recognise(orig.Method, orig.URL, h.recognise); api {
		return true
	}
	return h.recognise.Suspicious(orig.URL)
}
