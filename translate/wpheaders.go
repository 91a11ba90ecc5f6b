package translate

import (
	"net/http"
	"strings"
)

// The headers WordPress's REST server sends on every answer of the
// civicrm/v3/rest route besides the CORS ones (wpcors.go), from
// WP_REST_Server::serve_request (WordPress 6.3+):
//
//   - X-Robots-Tag: noindex, the Link to the REST API's root
//     (<get_rest_url()>; rel="https://api.w.org/") and X-Content-Type-Options:
//     nosniff, sent first, before the _jsonp check, so an invalid callback's
//     400 carries them too (answerHeader has nosniff already);
//   - wp_get_nocache_headers() (Expires in 1984, Cache-Control with no-store
//     and private, Last-Modified removed) when rest_send_nocache_headers is
//     true, which it is when is_user_logged_in() after dispatch: the
//     plugin's rest_pre_dispatch hook (Plugin::bootstrap_civi, do_user_login)
//     logs the api_key's WordPress user in before the route runs, so every
//     answer of a caller whose api_key has a WordPress user has them. They
//     replace answerHeader's Cache-Control and Expires (PHP's session
//     limiter, which CiviCRM's session start sent before: header() replaces
//     a header of the same name; its Pragma stays);
//   - Allow from rest_send_allow_header (rest_post_dispatch) on a response
//     of the matched route whose permission callback passes (wpAllow).
//
// Civigate sends the first two groups on every answer of the route, also
// where WordPress would have logged no one in (an api_key refused before
// the route ran): Civigate's own caching headers are on every answer
// anyway, and these say no more.

const (
	wpNoCacheControl = "no-cache, must-revalidate, max-age=0, no-store, private"
	wpNoCacheExpires = "Wed, 11 Jan 1984 05:00:00 GMT"
	// wpAllowMethods is rest_send_allow_header's Allow for the route: its
	// one handler's methods, WP_REST_Server::ALLMETHODS, in that order.
	wpAllowMethods = "GET, POST, PUT, PATCH, DELETE"
	wpAPIRel       = `>; rel="https://api.w.org/"`
)

// SetWPServerHeaders sets on h, the answer's header, the headers
// WP_REST_Server::serve_request sends on every answer of the route to
// request r besides CORS: X-Robots-Tag, the API root's Link and the
// no-cache headers. h must already hold answerHeader (nosniff with it).
func SetWPServerHeaders(h http.Header, r *http.Request) {
	h["X-Robots-Tag"] = []string{"noindex"}
	h["Link"] = append(h["Link"], "<"+WPRestRoot(r)+wpAPIRel)
	h["Cache-Control"] = []string{wpNoCacheControl}
	h["Expires"] = []string{wpNoCacheExpires}
	delete(h, "Last-Modified")
}

// WPRestRoot is get_rest_url() as the edge can know it: WordPress builds
// it from the site's home URL (an option in its database), which the
// edge approximates by the request's scheme (https when it came over
// TLS) and Host, and the path the client used to reach the route. Under
// pretty permalinks (the /wp-json/… form, which only they route) it is
// home/<prefix>/, the prefix being the path's up to the REST prefix
// (a WordPress in a subdirectory keeps its directory); a ?rest_route=
// request is taken to be on a site without them, whose root is
// home/index.php?rest_route=/ (home: the directory of the request's
// path). A site with pretty permalinks called through ?rest_route= gets
// the latter where WordPress names /wp-json/.
func WPRestRoot(r *http.Request) string {
	return wpRestURL(r, "/")
}

// wpRestURL is rest_url(route) for the root WPRestRoot works out.
func wpRestURL(r *http.Request, route string) string {
	scheme := "http://"
	if r.TLS != nil {
		scheme = "https://"
	}
	path := r.URL.EscapedPath()
	if i := strings.LastIndex(path, "/wp-json/"); i >= 0 && strings.HasSuffix(strings.TrimRight(path, "/"), "/civicrm/v3/rest") {
		return scheme + r.Host + path[:i] + "/wp-json" + route
	}
	dir := path[:strings.LastIndexByte(path, '/')+1]
	if dir == "" {
		dir = "/"
	}
	// add_query_arg does not encode the route.
	return scheme + r.Host + dir + "index.php?rest_route=" + route
}
