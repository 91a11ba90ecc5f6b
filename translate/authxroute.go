package translate

import (
	"fmt"
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
// not parse it as a form). Afform's page token beside them is where
// PageTokenCredential::onInvoke reads it, $_REQUEST['_aff'] (afformToken).
func AuthxCredentials(r *http.Request, body BodyCredentials) BodyCredentials {
	query := QueryCredentials(r.URL.RawQuery)
	out := body
	if r.Method == http.MethodGet {
		out = query
	}
	out.Afform, out.AfformSent = afformToken(r.Header["Cookie"], query, body, &out.Problem)
	if out.Problem != "" {
		out.Authx, out.SiteKey, out.Afform = "", "", ""
	}
	return out
}

// AfformPageToken is Afform's page token on an APIv4 call as
// PageTokenCredential::onInvoke reads it there too, $_REQUEST['_aff']
// (afformToken: the query, the form body, which body holds as a
// BodyScanner read it, and the cookies); a problem refuses the request,
// as AuthxCredentials' does. AuthX's own parameters are read on that
// route as on civicrm/ajax/rest (ParseEnvelope).
func AfformPageToken(r *http.Request, body BodyCredentials) (token, problem string) {
	token, _ = afformToken(r.Header["Cookie"], QueryCredentials(r.URL.RawQuery), body, &problem)
	return token, problem
}

// afformToken is Afform's page token as PageTokenCredential::onInvoke
// reads it on every CiviCRM page (a civi.invoke.auth listener, before
// AuthX's own), $_REQUEST['_aff']: from the query, the form body and,
// where php.ini sets no request_order, the cookies (which then win; the
// README's assumption for routing cookies), whatever the method. Which one
// PHP keeps depends on request_order, so the edge takes the token only
// when every one sent is the same; one sent with different values, as an
// array or longer than any credential sets *problem (the request is
// refused). The header spelling (X-Civi-Auth-Afform) is authx's to read.
func afformToken(cookies []string, query, body BodyCredentials, problem *string) (token string, sent bool) {
	set := func(v string) {
		switch {
		case !sent:
			token, sent = v, true
		case v != token && *problem == "":
			*problem = "sent twice with different values"
		}
	}
	for _, src := range [...]BodyCredentials{query, body} {
		if !src.AfformSent {
			continue
		}
		if src.Problem != "" && src.Afform == "" {
			// The source's problem may be AuthX's own parameter's; the
			// page token is then unknown too.
			if *problem == "" {
				*problem = src.Problem
			}
			sent = true
			continue
		}
		set(src.Afform)
	}
	for _, h := range cookies {
		// A cookie name is "_aff" as sent, or percent-encoded (PHP before
		// the fix of CVE-2020-7070 decoded names), which spells a or f
		// escaped or leaves "aff" whole: most headers are passed at once.
		if !strings.Contains(h, "aff") && !strings.Contains(h, "%61") && !strings.Contains(h, "%66") {
			continue
		}
		for p := range cookiePairs(h, func(name string) bool { return name == ParamAfformToken }) {
			switch {
			case p.array:
				if *problem == "" {
					*problem = "sent as an array"
				}
				sent = true
			case len(p.value) > maxRoutingLen:
				if *problem == "" {
					*problem = "longer than any credential"
				}
				sent = true
			default:
				set(p.value)
			}
		}
	}
	return token, sent
}

// AuthxRouteCall is what the edge authenticates a request to one of
// AuthX's own routes (FormAuthx), or to any other CiviCRM page
// (PageRoute, FormPage), as: a Call holding only the request's credentials, read
// where AuthX reads them on every route (the X-Civi-Auth, Authorization
// and X-Civi-Key headers; _authx, _authxSiteKey and whether _authxSes asks
// for a session, as AuthxCredentials has them, which the caller refuses
// when they have a Problem). No key or
// api_key: AuthX's legacyrest flow runs on the API routes only.
func AuthxRouteCall(r *http.Request, route Route, params BodyCredentials, lim Limits) *Call {
	lim = lim.withDefaults()
	c := &Call{Form: route.Form, Method: r.Method, Action: route.Action, Params: NewArray(), limits: lim}
	c.Credentials = headerCredentials(r.Header)
	c.Credentials.Authx = params.Authx
	c.Credentials.AuthxSiteKey = params.SiteKey
	c.Credentials.AuthxSession = params.Session
	c.Credentials.AfformToken = params.Afform
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

// AuthxIDPath is civicrm/authx/id, the route Civigate asks who a
// credential is.
const AuthxIDPath = "civicrm/authx/id"

// verboseAuthxID is the query of civicrm/authx/id for each verbose
// variant, its routing parameters as classifyQuery reads them.
var verboseAuthxID = map[string]string{
	"q":            "q=" + AuthxIDPath,
	"civiwp":       "civiwp=CiviCRM&q=" + AuthxIDPath,
	"wp-page":      "page=CiviCRM&q=" + AuthxIDPath,
	"wp-admin":     "page=CiviCRM&q=" + AuthxIDPath,
	"joomla":       "option=com_civicrm&task=" + AuthxIDPath,
	"joomla-admin": "option=com_civicrm&task=" + AuthxIDPath,
}

// AuthxID is where civicrm/authx/id is for a call that came in by route
// (Route.Base and Variant: APIv4's, AuthX's own routes', the clean and
// verbose civicrm/ajax/rest's): the same base in the same URL form, so
// that the CMS selects the same site, CiviCRM domain and language for
// the question as for the call it authorizes. A clean route under base
// B ("/site2/civicrm", a WordPress base page "/crm") is asked at
// B/authx/id; a verbose one at its front controller (the whole path B,
// "/site2/index.php", "/site2/") with the same routing parameters naming
// civicrm/authx/id: ?q=…, WordPress's ?civiwp=CiviCRM&q=… or
// ?page=CiviCRM&q=…, Joomla's ?option=com_civicrm&task=…. The URL is
// checked the way a client's is: Recognise must read it as
// civicrm/authx/id under the same base in the same variant, or there is
// none (ok false).
func (cfg RecogniseConfig) AuthxID(route Route) (u *url.URL, ok bool) {
	if u, ok = AuthxIDURL(route); !ok || !cfg.IsAuthxID(u) {
		return nil, false
	}
	return u, true
}

// AuthxIDURL is AuthxID's URL before its check (IsAuthxID): cheap, for
// the hot path, which checks it only when it asks.
func AuthxIDURL(route Route) (u *url.URL, ok bool) {
	u = new(url.URL)
	switch route.Variant {
	case "clean", "wp-basepage":
		u.RawPath = route.Base + AuthxIDPath[len("civicrm"):]
	default:
		q, known := verboseAuthxID[route.Variant]
		if !known {
			return nil, false
		}
		u.RawPath, u.RawQuery = route.Base, q
	}
	if !strings.HasPrefix(u.RawPath, "/") {
		return nil, false
	}
	p, err := url.PathUnescape(u.RawPath)
	if err != nil {
		return nil, false
	}
	u.Path = p
	if u.EscapedPath() != u.RawPath {
		return nil, false
	}
	return u, true
}

// IsAuthxID reports whether u, an AuthxIDURL, is read by Recognise as
// civicrm/authx/id, under a base and in a form that make that same URL
// again: the question goes where it says, and nowhere else.
func (cfg RecogniseConfig) IsAuthxID(u *url.URL) bool {
	if u == nil {
		return false
	}
	got, ok := Recognise(http.MethodGet, u, cfg)
	if !ok || got.Form != FormAuthx || got.Action != "id" {
		return false
	}
	again, ok := AuthxIDURL(got)
	return ok && again.EscapedPath() == u.EscapedPath() && again.RawQuery == u.RawQuery
}

// EndpointAuthxID is where civicrm/authx/id is for the APIv3 calls
// Civigate sends to endpoint (UpstreamConfig.Endpoint): AuthxID of the
// route the endpoint is, clean ("/site2/civicrm/ajax/rest" is asked at
// "/site2/civicrm/authx/id") or verbose ("/site2/index.php?q=civicrm/ajax/rest"
// at "/site2/index.php?q=civicrm/authx/id"). The endpoint's other query
// parameters are not carried over.
func (cfg RecogniseConfig) EndpointAuthxID(endpoint string) (*url.URL, error) {
	if endpoint == "" {
		endpoint = DefaultUpstreamEndpoint
	}
	e, err := url.Parse(endpoint)
	if err != nil || e.Scheme != "" || e.Host != "" {
		return nil, fmt.Errorf("upstream endpoint %q is not a path with an optional query", endpoint)
	}
	all := cfg
	all.DisableAjax, all.DisableAjaxVerbose = false, false
	route, ok := Recognise(http.MethodPost, e, all)
	if !ok || (route.Form != FormAjax && route.Form != FormAjaxVerbose) {
		return nil, fmt.Errorf("upstream endpoint %q is not civicrm/ajax/rest in a form Civigate knows (clean, ?q=, WordPress civiwp or page, Joomla option and task), so the site its calls run on, where civicrm/authx/id is asked, is not known", endpoint)
	}
	u, ok := all.AuthxID(route)
	if !ok {
		return nil, fmt.Errorf("upstream endpoint %q: no civicrm/authx/id under its base %q", endpoint, route.Base)
	}
	return u, nil
}

// PageAuthxID is where civicrm/authx/id is for a CiviCRM page at u
// (PageRoute), when its URL names the base its CiviCRM is under, as
// AuthxID has it for a route: a verbose URL (a front controller whose
// routing parameter q or task names a civicrm/ path) is asked at its
// front controller in its own form; a clean one under the path up to its
// first "civicrm" segment or configured WordPress base page
// ("/site2/civicrm/contact/view" at "/site2/civicrm/authx/id"). ok false:
// the URL does not say (a path alias, a page with a CiviCRM shortcode,
// another routing parameter) or is not plain.
func (cfg RecogniseConfig) PageAuthxID(u *url.URL) (*url.URL, bool) {
	raw := u.EscapedPath()
	if raw == "" {
		raw = "/"
	}
	if len(raw) > maxRoutingLen {
		return nil, false
	}
	segs, tricky := pathSegments(raw)
	if tricky {
		return nil, false
	}
	if q := scanRoutingQuery(u.RawQuery); q.any() {
		// WordPress and Drupal 7 route by ?q= over the path.
		for _, param := range []string{paramQ, paramTask} {
			vs := q.values(param)
			if len(vs) == 0 {
				continue
			}
			last := vs[len(vs)-1]
			front, hint := entryScript(segs)
			if last.array || !front || !hasPrefixFold(strings.TrimLeft(last.value, "/"), "civicrm") {
				return nil, false
			}
			route, ok := verboseRoute(&q, param, hint)
			if !ok {
				return nil, false
			}
			route.Base = raw
			return cfg.AuthxID(route)
		}
		return nil, false
	}
	lower := make([]string, 0, len(segs))
	end := 0
	for i, s := range strings.Split(raw, "/") {
		if i > 0 {
			end++ // the '/' before s
		}
		end += len(s)
		if s == "" {
			continue
		}
		lower = append(lower, strings.ToLower(s))
		variant := "clean"
		if lower[len(lower)-1] != "civicrm" {
			if !basePageEndsAt(lower, &cfg) {
				continue
			}
			variant = "wp-basepage"
		}
		return cfg.AuthxID(Route{Form: FormPage, Variant: variant, Base: raw[:end]})
	}
	return nil, false
}

// PathResolvesElsewhere reports whether a web server or CMS behind Caddy
// may route u's path to another place than the one its bytes name: a dot
// segment, also percent-encoded at any depth pathSegments decodes, an
// encoded '/' or '\', or a backslash. PageAuthxID judges a page's
// credential by the base its URL names, so a credential on such a path
// cannot be judged (the API and AuthX's routes refuse these spellings
// too).
func PathResolvesElsewhere(u *url.URL) bool {
	raw := u.EscapedPath()
	if !strings.ContainsAny(raw, "%.\\") {
		return false
	}
	dec, encodedSep := unescapeDeep(raw)
	if encodedSep || strings.ContainsRune(dec, '\\') {
		return true
	}
	for s := range strings.SplitSeq(dec, "/") {
		if s == "." || s == ".." {
			return true
		}
	}
	return false
}
