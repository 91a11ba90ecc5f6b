package translate

import (
	"net/http"
	"net/url"
	"strings"
)

// AuthX checks a credential on every CiviCRM page, not on its own routes
// only: its civi.invoke.auth listener runs for whatever CRM_Core_Invoke
// runs (a route, a WordPress shortcode, a Drupal block). PageRoute is the
// route the edge authenticates such a request as (FormPage): refused in
// AuthX's shape, forwarded as sent.
var PageRoute = Route{Form: FormPage}

// AuthxCredentials are AuthX's parameters where Authenticator.php reads
// them: $_GET when REQUEST_METHOD is exactly "GET" (Caddy's php_fastcgi and
// the web servers pass GET so only when sent so), $_POST otherwise; body
// is what a BodyScanner read from the request's body (zero when PHP does
// not parse it as a form).
func AuthxCredentials(r *http.Request, body BodyCredentials) BodyCredentials {
	if r.Method == http.MethodGet {
		return QueryCredentials(r.URL.RawQuery)
	}
	return body
}

// AuthxRouteCall is what the edge authenticates a request to one of
// AuthX's own routes (FormAuthx), or to any other CiviCRM page
// (PageRoute, FormPage), as: a Call holding only the request's credentials, read
// where AuthX reads them on every route (the X-Civi-Auth, Authorization
// and X-Civi-Key headers; _authx and _authxSiteKey as AuthxCredentials
// has them, which the caller refuses when they have a Problem). No key or
// api_key: AuthX's legacyrest flow runs on the API routes only.
func AuthxRouteCall(r *http.Request, route Route, params BodyCredentials, lim Limits) *Call {
	lim = lim.withDefaults()
	c := &Call{Form: route.Form, Method: r.Method, Action: route.Action, Params: NewArray(), limits: lim}
	c.Credentials = headerCredentials(r.Header)
	c.Credentials.Authx = params.Authx
	c.Credentials.AuthxSiteKey = params.SiteKey
	return c
}

// headerCredentials are the identity headers a request carried, as sent.
func headerCredentials(h http.Header) Credentials {
	return Credentials{Authorization: h.Get("Authorization"), XCiviAuth: h.Get("X-Civi-Auth"), XCiviKey: h.Get("X-Civi-Key")}
}

// MayReachCiviCRM reports whether a request to u may run a CiviCRM page
// by its URL: "civicrm" in its path or query in any spelling a CMS might
// undo (valueSkeleton: percent-encoding, HTML entities, tags, case,
// punctuation), which every CMS's way to a CiviCRM page has (a civicrm/
// path, q=civicrm/…, civiwp=CiviCRM, page=CiviCRM, option=com_civicrm), or
// one of WPBasePages as a path segment. A superset of what the CMS models
// (cmsroute.go) route to CiviCRM. A CiviCRM page at a URL that names none
// of these (a Drupal path alias, a WordPress page with a CiviCRM
// shortcode, a base page not configured) is not known by its URL.
func (cfg RecogniseConfig) MayReachCiviCRM(u *url.URL) bool {
	path := valueSkeleton(u.EscapedPath())
	if strings.Contains(path, "civicrm") || strings.Contains(valueSkeleton(u.RawQuery), "civicrm") {
		return true
	}
	for _, bp := range cfg.WPBasePages {
		if skeletonHasRoute(path, "/"+valueSkeleton(bp)) {
			return true
		}
	}
	return false
}
