package translate

import (
	"iter"
	"net/url"
	"slices"
	"strings"
)

// RecogniseConfig switches endpoint forms off (all APIv3 forms are on in
// the zero value), switches APIv4 recognition on, and describes the site.
type RecogniseConfig struct {
	DisableExtern      bool // …/extern/rest.php
	DisableWPRest      bool // /wp-json/civicrm/v3/rest, ?rest_route=/civicrm/v3/rest
	DisableAjaxVerbose bool // ?q=civicrm/ajax/rest, WordPress civiwp/page, Joomla option/task
	DisableAjax        bool // clean /civicrm/ajax/rest

	// API4 recognises APIv4's routes (civicrm/ajax/api4/{Entity}/{action}
	// and the batch route civicrm/ajax/api4, clean or verbose) as
	// FormAPI4. Off, they are not recognised; their disguised forms are
	// reported by Suspicious either way.
	API4 bool

	// ExternPrefixes are extra path prefixes under which extern/rest.php
	// lives (e.g. "/vendor/civicrm/civicrm-core"); they are reported as
	// variant "configured".
	ExternPrefixes []string
	// ExternKnownPrefixesOnly limits FormExtern to the CMS default prefixes
	// and ExternPrefixes; any other …/extern/rest.php is then not
	// recognised, and IsAPIv3Like reports it so it can be refused.
	ExternKnownPrefixesOnly bool

	// WPBasePages are the paths (slugs, "parent/child" for a child page) of
	// WordPress's CiviCRM base page when it is not "civicrm": WordPress then
	// serves CiviCRM's clean URLs under it (/crm/ajax/rest runs
	// civicrm/ajax/rest). They are recognised as variant "wp-basepage"; the
	// same URLs under a base page not listed are refused.
	WPBasePages []string

	// WPRESTPrefixes are WordPress's REST URL prefixes (rest_url_prefix)
	// besides the default "wp-json": the paths under them whose REST route
	// CiviCRM's WordPress plugin logs a user in for (wpLogsIn) are refused
	// too. CiviCRM's own REST route is refused under any prefix anyway.
	WPRESTPrefixes []string
}

// Recognise decides whether a request is API traffic Civigate handles, and
// in which endpoint form.
//
// Matching works on the percent-decoded path split into segments, compared
// case-insensitively, with empty segments (double or trailing slashes)
// ignored. Case is folded deliberately: Drupal 8's router matches paths
// case-insensitively and some hosts (mod_speling, macOS, Windows) fold case
// on files too. Recognising a variant the upstream would 404 is harmless,
// since Civigate builds the upstream URL itself; letting a variant the
// upstream would route pass unrecognised would bypass the edge.
//
// Only clean spellings are recognised. Anything else that a CMS in front
// of CiviCRM could still route to an API (see cmsroute.go: percent-encoding,
// dot segments, PHP's trimming, WordPress's sanitize_text_field and base
// page, Joomla's input filter, CiviCRM's own lenient menu lookup, extra
// segments after the route, a mangled routing query value) is not
// recognised; IsAPIv3Like reports it so the caller refuses it instead of
// passing it on.
func Recognise(method string, u *url.URL, cfg RecogniseConfig) (Route, bool) {
	_ = method // every method reaches the PHP endpoints; the method rule is CiviCRM's
	c := classify(u, &cfg)
	if c.kind != kindClean || !cfg.enabled(c.route.Form) {
		return Route{}, false
	}
	return c.route, true
}

// IsAPIv3Like reports whether u looks like an attempt at one of CiviCRM's
// API routes (APIv3's and APIv4's) that is not a clean form Recognise
// accepts under the default configuration: an obfuscated path (encoded
// slashes or dots, dot segments, route followed by extra segments) or
// routing query parameters (q, rest_route, task) that a CMS would still
// route to the API, or a WordPress REST route CiviCRM's WordPress plugin
// logs a user in for by API key (wpLogsIn). Cookies are judged by
// SuspiciousCookies, a request to WordPress's REST batch route by WPBatch
// and WPBatchLogsIn. The Caddy layer should refuse such requests (e.g. 400)
// rather than pass them to CiviCRM unauthenticated by the edge. Clean forms
// that were switched off in RecogniseConfig are not reported: the operator
// chose to let them through.
func IsAPIv3Like(u *url.URL) bool {
	return classify(u, &RecogniseConfig{}).kind == kindTricky
}

// Suspicious is IsAPIv3Like under cfg's site description: with
// ExternKnownPrefixesOnly an extern/rest.php under an unknown prefix is
// suspicious too, and WPBasePages are clean. The Disable* and API4
// switches do not matter here.
func (cfg RecogniseConfig) Suspicious(u *url.URL) bool {
	return classify(u, &cfg).kind == kindTricky
}

func (cfg *RecogniseConfig) enabled(f Form) bool {
	switch f {
	case FormExtern:
		return !cfg.DisableExtern
	case FormWPRest:
		return !cfg.DisableWPRest
	case FormAjaxVerbose:
		return !cfg.DisableAjaxVerbose
	case FormAjax:
		return !cfg.DisableAjax
	case FormAPI4:
		return cfg.API4
	case FormAuthx, FormCron:
		return true
	}
	return false
}

type matchKind int

const (
	kindNone   matchKind = iota // not an API request
	kindClean                   // a form Recognise accepts
	kindTricky                  // reaches an API route but not cleanly: refuse
)

type classification struct {
	kind  matchKind
	route Route
}

var (
	tricky     = classification{kind: kindTricky}
	segsWPJSON = []string{"wp-json", "civicrm", "v3", "rest"}
)

// scriptFiles are the PHP scripts of CiviCRM's own directory the edge
// handles, by their path under it: extern/rest.php, the legacy REST
// endpoint it serves, and bin/cron.php (cron.go), the scheduled jobs over
// HTTP. Each lives wherever the CMS installed CiviCRM, so each is found
// under the same prefixes (externVariant: the CMS defaults,
// extern_prefix, any other unless extern_strict) and the same path
// normalisation (pathSegments: case, dot segments, encoded slashes,
// trailing slashes, ';' parameters).
var scriptFiles = [...]struct {
	segs []string
	form Form
}{
	{[]string{"extern", "rest.php"}, FormExtern},
	{[]string{"bin", "cron.php"}, FormCron},
}

func classify(u *url.URL, cfg *RecogniseConfig) classification {
	raw := u.EscapedPath()
	if raw == "" {
		raw = "/"
	}
	// Fast exit for ordinary traffic: every route contains "rest", "api",
	// "authx" or "cron", and hiding them takes a '%', '\' or a tag.
	pathMay := mayRoute(raw)
	if !pathMay && !mayRoute(u.RawQuery) {
		return classification{}
	}
	if pathMay && len(raw) > maxRoutingLen {
		return tricky // not worth modelling: no client sends such a path
	}
	segs, pathTricky := pathSegments(raw)

	// extern/rest.php and bin/cron.php are files of their own: the path
	// decides. The script must be the last segments; the same segments
	// followed by more are PATH_INFO (Apache runs the script).
	for _, sf := range scriptFiles {
		if at := findSeq(segs, sf.segs); at >= 0 {
			if pathTricky || at+len(sf.segs) != len(segs) {
				return tricky
			}
			variant, known := externVariant(segs[:at], cfg)
			if !known && cfg.ExternKnownPrefixesOnly {
				return tricky
			}
			return classification{kindClean, Route{Form: sf.form, Variant: variant}}
		}
	}

	p := classifyPath(raw, segs, pathTricky, cfg)
	switch {
	case p.kind == kindClean && p.route.Form.AsSent():
		// APIv4 and AuthX's routes go upstream as sent, so nothing else
		// in them may route them elsewhere: WordPress and Drupal 7 take
		// ?q= over the path.
		if routingQueryPresent(u.RawQuery) {
			return tricky
		}
		return p
	case p.kind != kindNone:
		return p
	}
	c := classifyQuery(u.RawQuery, segs, pathTricky)
	if c.kind == kindClean && c.route.Form != FormWPRest {
		c.route.Base = raw // the CMS's front controller, under its base path
	}
	return c
}

// maxRoutingLen bounds the routing paths and values that are modelled; a
// longer one that may route at all is refused. It keeps the cost of the
// models (several decodings, a pass per route) linear and small.
const maxRoutingLen = 16 << 10

// maxRoutingValues bounds how many different routing values that may
// route are modelled per request; a request carrying more (a client sends
// one) is refused, so the models' cost stays small whatever the size.
const maxRoutingValues = 64

func mayRoute(s string) bool {
	return indexFold(s, "rest") >= 0 || indexFold(s, "api") >= 0 || indexFold(s, "authx") >= 0 || indexFold(s, "cron") >= 0 ||
		strings.ContainsAny(s, "%\\<")
}

// classifyPath finds the API routes a URL path reaches: clean forms are
// recognised (WordPress REST's /wp-json/…, CiviCRM's menu routes under
// "civicrm" or a configured base page), and a path that reaches a route in
// any other way is tricky.
func classifyPath(raw string, segs []string, pathTricky bool, cfg *RecogniseConfig) classification {
	reached := pathReach(raw, cfg)
	if at := findSeq(segs, segsWPJSON); at >= 0 {
		if pathTricky || at+len(segsWPJSON) != len(segs) {
			return tricky
		}
		return classification{kindClean, Route{Form: FormWPRest, Variant: "wp-json"}}
	}
	for i, r := range menuRoutes {
		if reached.routes&(1<<i) == 0 || r.form == "" {
			continue
		}
		var route Route
		var ok bool
		if r.api4 {
			route, ok = api4Path(raw, r, cfg)
		} else if !pathTricky {
			var variant string
			if variant, ok = routeAtEnd(segs, r, cfg); ok {
				route = Route{Form: r.form, Variant: variant, Base: rawBefore(raw, len(r.tail))}
				if r.form == FormAuthx {
					route.Action = r.name()
				}
			}
		}
		if r.form.AsSent() {
			// Forwarded as sent: the path must reach nothing else.
			ok = ok && reached.routes == 1<<i && !reached.wpREST
		}
		if ok {
			return classification{kindClean, route}
		}
	}
	if reached.any() {
		return tricky
	}
	return classification{}
}

// reached records the API routes a request could run.
type reached struct {
	routes uint32 // bit i: menuRoutes[i]
	wpREST bool
}

func (r reached) any() bool { return r.routes != 0 || r.wpREST }

// pathReach is what the CMSs could make of a URL path (see cmsroute.go).
func pathReach(raw string, cfg *RecogniseConfig) reached {
	var r reached
	// Every route is spelled out in the path unless some layer decodes it.
	if !strings.ContainsAny(raw, "%+") && indexFold(raw, "rest") < 0 && indexFold(raw, "api") < 0 && indexFold(raw, "authx") < 0 {
		return r
	}
	for _, d := range pathVariants(raw) {
		for i, mr := range menuRoutes {
			if r.routes&(1<<i) == 0 && pathReachesRoute(d, mr) {
				r.routes |= 1 << i
			}
		}
		r.wpREST = r.wpREST || pathReachesWP(d, wpRESTRoute) || pathLogsIn(d, wpRESTPrefix)
		for _, p := range cfg.WPRESTPrefixes {
			r.wpREST = r.wpREST || pathLogsIn(d, strings.Trim(p, "/")+"/")
		}
	}
	qs, restRoutes := pathQueryValues(raw)
	for _, v := range qs {
		r.routes |= valueReach(paramQ, v).routes
	}
	for _, v := range restRoutes {
		r.wpREST = r.wpREST || valueReach(paramRestRoute, v).wpREST
	}
	return r
}

// pathReachesWP reports whether a URL path runs the WordPress REST
// route want: WordPress REST's rewrite rule turns the path after its
// prefix ("wp-json", or whatever rest_url_prefix makes it) into
// rest_route, so any segment may start the REST route.
func pathReachesWP(d, want string) bool {
	for i := 0; i < len(d); i++ {
		if (i == 0 || d[i-1] == '/') && hasPrefixFold(strings.TrimLeft(d[i:], "/"), want[1:]) {
			for _, c := range wpRESTCandidates(d[i:]) {
				if wpRouteReaches(c, want) {
					return true
				}
			}
		}
	}
	return false
}

// routeAtEnd matches a route as the path's last segments, after "civicrm"
// or a configured WordPress base page.
func routeAtEnd(segs []string, r *menuRoute, cfg *RecogniseConfig) (variant string, ok bool) {
	n := len(segs) - len(r.tail)
	if n < 1 || !slices.Equal(segs[n:], r.tail) {
		return "", false
	}
	if segs[n-1] == "civicrm" {
		return "clean", true
	}
	if basePageEndsAt(segs[:n], cfg) {
		return "wp-basepage", true
	}
	return "", false
}

// rawBefore is the escaped path raw up to its last n non-empty segments,
// without the '/' before them: the base a clean route came in under
// (api4Path's convention: "/site2//civicrm//ajax/rest" is under
// "/site2//civicrm/").
func rawBefore(raw string, n int) string {
	end := len(raw)
	for ; n > 0 && end > 0; n-- {
		end = max(strings.LastIndexByte(strings.TrimRight(raw[:end], "/"), '/'), 0)
	}
	return raw[:end]
}

// basePageEndsAt reports whether segs (lower-case) end with a configured
// WordPress base page.
func basePageEndsAt(segs []string, cfg *RecogniseConfig) bool {
	for _, bp := range cfg.WPBasePages {
		bs, _ := pathSegments(bp)
		if len(bs) > 0 && len(bs) <= len(segs) && slices.Equal(segs[len(segs)-len(bs):], bs) {
			return true
		}
	}
	return false
}

// api4Path recognises APIv4's clean path: civicrm/ajax/api4 (or a
// configured base page's ajax/api4) as literal segments, then the entity
// and action the way CiviCRM reads them (percent-decoded before splitting,
// extra segments ignored). Whatever CMSs would read differently is not
// clean: empty or "0" segments before the action (Standalone drops them,
// WordPress and Drupal do not), anything outside [A-Za-z0-9_] in entity or
// action, dot segments, a second occurrence of the route.
func api4Path(raw string, r *menuRoute, cfg *RecogniseConfig) (Route, bool) {
	tail := strings.Join(r.tail, "/")
	if countFold(rawURLDecode(raw), tail) != 1 || countFold(urlDecode(urlDecode(raw)), tail) != 1 {
		return Route{}, false
	}
	rs := strings.Split(raw, "/")
	for i := 1; i+len(r.tail) < len(rs); i++ {
		if !slices.EqualFunc(rs[i+1:i+1+len(r.tail)], r.tail, strings.EqualFold) {
			continue
		}
		variant := ""
		lower := make([]string, 0, i)
		for _, s := range rs[1 : i+1] {
			if !plainSegment(s) {
				return Route{}, false
			}
			if s != "" {
				lower = append(lower, strings.ToLower(s))
			}
		}
		switch {
		case len(lower) > 0 && lower[len(lower)-1] == "civicrm":
			variant = "clean"
		case basePageEndsAt(lower, cfg):
			variant = "wp-basepage"
		default:
			return Route{}, false
		}
		// WordPress rewrites civicrm/civicrm/ to civicrm/ all along its
		// path when it starts so, which would shift the names after it.
		dec, err := url.PathUnescape(strings.Join(rs[i+1+len(r.tail):], "/"))
		if err != nil || strings.ContainsAny(dec, "%\\;") || hasControl(dec) || indexFold(dec, "civicrm/civicrm/") >= 0 {
			return Route{}, false
		}
		entity, action, ok := api4Segments(strings.Split(dec, "/"))
		if !ok {
			return Route{}, false
		}
		// The base is the raw path up to the route: rs[0] is "" (the
		// path's leading '/'), rs[1:i+1] the segments before ajax/api4.
		base := i
		for _, s := range rs[:i+1] {
			base += len(s)
		}
		return Route{Form: FormAPI4, Variant: variant, Entity: entity, Action: action, Base: raw[:base]}, true
	}
	return Route{}, false
}

// api4Segments reads {Entity}/{action} from what follows the route, split
// on '/': parts[0] and parts[1] as CiviCRM's APIv4 page does, provided no
// CMS would read them differently. Standalone drops empty and "0"
// segments before splitting, WordPress and Drupal do not, so a name after
// an empty segment, or a "0", would be read differently.
func api4Segments(parts []string) (entity, action string, ok bool) {
	get := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	entity, action = get(0), get(1)
	for i, p := range parts {
		switch {
		case p == "." || p == "..":
			return "", "", false
		case p != "" && i >= 1 && entity == "", p != "" && i >= 2 && action == "":
			return "", "", false
		}
	}
	if !apiName(entity) || !apiName(action) || entity == "0" || action == "0" {
		return "", "", false
	}
	return entity, action, true
}

// apiName: empty or [A-Za-z0-9_]+.
func apiName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_') {
			return false
		}
	}
	return true
}

// api4Value recognises a clean verbose APIv4 routing value (q, task):
// civicrm/ajax/api4, then optionally /Entity and /action, with at most a
// trailing '/'. Anything CMSs would trim, strip or split differently is not
// clean: leading or trailing '/' beyond one, spaces, markup, extra segments.
func api4Value(v string, r *menuRoute) (entity, action string, ok bool) {
	rest, found := strings.CutPrefix(v, r.path)
	if !found || rest != "" && rest[0] != '/' {
		return "", "", false
	}
	rest = strings.TrimSuffix(strings.TrimPrefix(rest, "/"), "/")
	parts := strings.Split(rest, "/")
	if len(parts) > 2 {
		return "", "", false
	}
	return api4Segments(parts)
}

func plainSegment(s string) bool {
	return s != "." && s != ".." && !strings.ContainsAny(s, "%\\;") && !hasControl(s)
}

func hasControl(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] == 0x7f {
			return true
		}
	}
	return false
}

func countFold(s, sub string) int {
	n := 0
	for off := 0; ; {
		i := indexFold(s[off:], sub)
		if i < 0 {
			return n
		}
		n++
		off += i + 1
	}
}

// unescapeDeep is raw with its percent-encoding undone repeatedly (up to
// three times), so %252e and friends are seen for what some layer further
// down might turn them into; encodedSep reports a '/' or '\' that was
// percent-encoded at some depth (%2F, %5C, %252F).
func unescapeDeep(raw string) (dec string, encodedSep bool) {
	dec = raw
	for range 3 {
		if !strings.Contains(dec, "%") {
			break
		}
		encodedSep = encodedSep || indexFold(dec, "%2f") >= 0 || indexFold(dec, "%5c") >= 0
		d, err := url.PathUnescape(dec)
		if err != nil {
			break
		}
		dec = d
	}
	return dec, encodedSep
}

// pathSegments splits an escaped path into lower-cased, fully decoded,
// non-empty segments. tricky reports anything beyond cosmetic variation:
// percent-encoding, dot segments, backslashes, ';', control characters.
func pathSegments(raw string) (segs []string, tricky bool) {
	if strings.ContainsAny(raw, "%\\;") {
		tricky = true
	}
	dec, _ := unescapeDeep(raw)
	segs = make([]string, 0, 8)
	for s := range strings.FieldsFuncSeq(dec, func(r rune) bool { return r == '/' || r == '\\' }) {
		if s == "." {
			tricky = true
			continue
		}
		if s == ".." {
			tricky = true
			if len(segs) > 0 {
				segs = segs[:len(segs)-1]
			}
			continue
		}
		if hasControl(s) {
			tricky = true
		}
		// C-string handling below PHP may cut at NUL ("rest.php\x00.txt").
		if i := strings.IndexByte(s, 0); i >= 0 {
			s = s[:i]
		}
		// PHP and Apache ignore ";params" only in some setups; compare the
		// part before ';' so such a path is at least seen as tricky.
		if i := strings.IndexByte(s, ';'); i >= 0 {
			s = s[:i]
		}
		segs = append(segs, strings.ToLower(s))
	}
	return segs, tricky
}

func findSeq(segs, seq []string) int {
	for i := 0; i+len(seq) <= len(segs); i++ {
		if slices.Equal(segs[i:i+len(seq)], seq) {
			return i
		}
	}
	return -1
}

// externVariant names the CMS whose default location prefix is.
func externVariant(prefix []string, cfg *RecogniseConfig) (string, bool) {
	hasSuffix := func(suffix ...string) bool {
		if len(prefix) < len(suffix) {
			return false
		}
		tail := prefix[len(prefix)-len(suffix):]
		for i, s := range suffix {
			if s != "*" && tail[i] != s {
				return false
			}
		}
		return true
	}
	for _, p := range cfg.ExternPrefixes {
		ps, _ := pathSegments(p)
		if slices.Equal(prefix, ps) {
			return "configured", true
		}
	}
	switch {
	case hasSuffix("wp-content", "plugins", "civicrm", "civicrm"):
		return "wordpress", true
	case hasSuffix("administrator", "components", "com_civicrm", "civicrm"):
		return "joomla", true
	case hasSuffix("sites", "*", "modules", "civicrm"):
		return "drupal", true
	case hasSuffix("modules", "civicrm"):
		return "backdrop", true
	}
	return "custom", false
}

// entryScript reports whether the path is served by a CMS front controller
// that reads routing query parameters: a directory or permalink (/, /blog/,
// /node/1), index.php under any prefix, or WordPress's wp-admin/admin.php.
func entryScript(segs []string) (ok bool, hint string) {
	if len(segs) == 0 {
		return true, ""
	}
	last := segs[len(segs)-1]
	switch {
	case last == "index.php":
		if len(segs) >= 2 && segs[len(segs)-2] == "administrator" {
			return true, "admin-index"
		}
		return true, ""
	case last == "admin.php" && len(segs) >= 2 && segs[len(segs)-2] == "wp-admin":
		return true, "wp-admin"
	}
	// Any other path without a file extension is a pretty permalink that
	// the front controller serves and routes by these parameters too
	// (Drupal 7 reads $_GET['q'] first, WordPress reads rest_route/civiwp
	// on every page: /blog/?civiwp=…, /node/1?q=…). A path naming another
	// file (/misc/drupal.js, /wp-login.php) is not a front controller:
	// routing parameters there are only reported as suspicious.
	return !strings.Contains(last, "."), ""
}

// Routing parameters: which CMS reads them as the path to route.
const (
	paramQ         = "q"          // Drupal 7, Backdrop, WordPress
	paramTask      = "task"       // Joomla
	paramRestRoute = "rest_route" // WordPress REST
)

// valueReach is what the CMSs could make of one routing parameter value:
// every route some CMS's normalisation of it reaches (cmsroute.go), or that
// its skeleton names.
func valueReach(param, v string) reached {
	var r reached
	switch {
	case len(v) > maxRoutingLen:
		return reached{routes: 1<<len(menuRoutes) - 1, wpREST: true}
	case !valueMayRoute(v):
		return r
	}
	if param == paramRestRoute {
		for _, c := range wpRESTCandidates(v) {
			r.wpREST = r.wpREST || wpRESTReaches(c)
		}
		r.wpREST = r.wpREST || wpLogsIn(v)
		r.wpREST = r.wpREST || skeletonHasRoute(valueSkeleton(v), wpRESTRoute[1:])
		return r
	}
	cands := qCandidates(v)
	if param == paramTask {
		cands = taskCandidates(v)
	}
	var skeleton string
	for i, mr := range menuRoutes {
		for _, c := range cands {
			if reachesRoute(c, mr) {
				r.routes |= 1 << i
				break
			}
		}
		if r.routes&(1<<i) == 0 {
			if skeleton == "" {
				skeleton = valueSkeleton(v)
			}
			if skeletonHasRoute(skeleton, mr.path) {
				r.routes |= 1 << i
			}
		}
	}
	return r
}

// valueMayRoute is valueReach's cheap first look: every route is spelled
// out in a value unless hidden behind an encoding, an entity or a tag.
func valueMayRoute(v string) bool {
	return mayRoute(v) || strings.Contains(v, "&")
}

// exactValue reports the route a routing value names cleanly: APIv3's
// routes up to case and leading or trailing '/' (Civigate rebuilds the
// request, so these are cosmetic), APIv4's exactly (it is forwarded as
// sent).
func exactValue(param, v string) (r *menuRoute, entity, action string, ok bool) {
	if param == paramRestRoute {
		return nil, "", "", strings.EqualFold(strings.Trim(v, "/"), wpRESTRoute[1:])
	}
	for _, mr := range menuRoutes {
		switch {
		case mr.form == "":
		case mr.api4:
			if e, a, ok := api4Value(v, mr); ok {
				return mr, e, a, true
			}
		case strings.EqualFold(strings.Trim(v, "/"), mr.path):
			return mr, "", "", true
		}
	}
	return nil, "", "", false
}

// classifyQuery judges the routing query parameters of a path that
// reaches no API route itself. Every assignment of q, task and rest_route
// counts, not just the last one PHP keeps: past max_input_vars PHP drops
// the later ones. A request is clean when exactly one of them reaches an
// API, its last assignment names the route cleanly, the path is a front
// controller, and the CMS's companion parameters agree (civiwp or page is
// CiviCRM, option is com_civicrm).
func classifyQuery(rawQuery string, segs []string, pathTricky bool) classification {
	q := scanRoutingQuery(rawQuery)
	if !q.any() {
		return classification{}
	}
	var param string
	var values []queryParam
	modelled := 0
	for _, p := range []string{paramQ, paramTask, paramRestRoute} {
		vs := q.values(p)
		for _, v := range vs {
			if v.array {
				continue
			}
			if valueMayRoute(v.value) {
				if modelled++; modelled > maxRoutingValues {
					return tricky
				}
			}
			if _, _, _, exact := exactValue(p, v.value); exact || valueReach(p, v.value).any() {
				if param != "" && param != p {
					return tricky // two parameters route: which wins is the CMS's choice
				}
				param, values = p, vs
				break
			}
		}
	}
	if param == "" {
		return classification{}
	}
	last := values[len(values)-1]
	mr, entity, action, ok := exactValue(param, last.value)
	rootish, hint := entryScript(segs)
	if !ok || last.array || pathTricky || !rootish {
		return tricky
	}
	if mr != nil && mr.form.AsSent() {
		// Forwarded as sent: every assignment must say the same.
		for _, v := range values {
			if v != last {
				return tricky
			}
		}
	}
	if param == paramRestRoute {
		return classification{kindClean, Route{Form: FormWPRest, Variant: "rest_route", DropParams: q.present("rest_route")}}
	}
	route, ok := verboseRoute(&q, param, hint)
	if !ok {
		return tricky
	}
	route.Form, route.Entity, route.Action = mr.verbose, entity, action
	if mr.form == FormAuthx {
		route.Action = mr.name()
	}
	return classification{kindClean, route}
}

// verboseRoute is the variant of a verbose CiviCRM URL routed by param
// (q or task) on a front controller (entryScript's hint), and the CMS
// routing parameters it carries: ok false when the CMS's companion
// parameters do not agree (civiwp or page is CiviCRM, option is
// com_civicrm).
func verboseRoute(q *routingQuery, param, hint string) (route Route, ok bool) {
	switch param {
	case paramTask:
		if !q.option.is("com_civicrm") {
			return Route{}, false
		}
		route = Route{Variant: "joomla", DropParams: q.present("option", "task", "Itemid")}
		if hint == "admin-index" {
			route.Variant = "joomla-admin"
		}
	case paramQ:
		switch {
		case q.civiwp.set:
			if !q.civiwp.is("CiviCRM") {
				return Route{}, false
			}
			route = Route{Variant: "civiwp", DropParams: q.present("civiwp", "q")}
		case q.page.set:
			if !q.page.is("CiviCRM") {
				return Route{}, false
			}
			route = Route{Variant: "wp-page", DropParams: q.present("page", "q")}
			if hint == "wp-admin" {
				route.Variant = "wp-admin"
			}
		default:
			route = Route{Variant: "q", DropParams: q.present("q")}
		}
	default:
		return Route{}, false
	}
	return route, true
}

type queryParam struct {
	set   bool
	array bool // the assignment was name[...]=
	value string
}

func (p queryParam) is(v string) bool { return p.set && !p.array && p.value == v }

// routingQuery holds a query's CMS routing parameters: every assignment
// of the routing paths, the last one of their companions.
type routingQuery struct {
	q, task, restRoute           []queryParam
	civiwp, page, option, itemid queryParam
}

func (r *routingQuery) any() bool {
	return len(r.q) > 0 || len(r.task) > 0 || len(r.restRoute) > 0
}

func (r *routingQuery) values(param string) []queryParam {
	switch param {
	case paramQ:
		return r.q
	case paramTask:
		return r.task
	}
	return r.restRoute
}

// present returns the names among names that the query carried, for
// Route.DropParams.
func (r *routingQuery) present(names ...string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		var set bool
		switch n {
		case "q", "task", "rest_route":
			set = len(r.values(n)) > 0
		case "civiwp":
			set = r.civiwp.set
		case "page":
			set = r.page.set
		case "option":
			set = r.option.set
		case "Itemid":
			set = r.itemid.set
		}
		if set {
			out = append(out, n)
		}
	}
	return out
}

// scanRoutingQuery finds the CMS routing parameters in a raw query string.
func scanRoutingQuery(raw string) routingQuery {
	var r routingQuery
	for p := range routingPairs(raw) {
		v := queryParam{set: true, array: p.array, value: p.value}
		switch p.name {
		case paramQ:
			r.q = append(r.q, v)
		case paramTask:
			r.task = append(r.task, v)
		case paramRestRoute:
			r.restRoute = append(r.restRoute, v)
		case "civiwp":
			r.civiwp = v
		case "page":
			r.page = v
		case "option":
			r.option = v
		case "Itemid":
			r.itemid = v
		}
	}
	return r
}

// routingQueryPresent reports whether a query assigns a routing path
// parameter at all.
func routingQueryPresent(raw string) bool {
	for p := range routingPairs(raw) {
		if p.name == paramQ || p.name == paramTask || p.name == paramRestRoute {
			return true
		}
	}
	return false
}

// routingPair is one assignment of a CMS routing parameter.
type routingPair struct {
	name, value string
	array       bool // name[...]=: PHP made it an array
}

// routingPairs parses a query string or urlencoded body the way PHP does
// (split on '&', url-decoded, names mangled: leading spaces dropped, ' '
// and '.' turned into '_', name[…] an array) and yields only the CMS
// routing parameters, in order. Other pairs whose names need no decoding
// cost no allocation.
func routingPairs(s string) iter.Seq[routingPair] {
	return func(yield func(routingPair) bool) {
		for s != "" {
			var pair string
			pair, s, _ = strings.Cut(s, "&")
			if pair == "" {
				continue
			}
			k, v, _ := strings.Cut(pair, "=")
			var name string
			var array bool
			if strings.ContainsAny(k, "%+[. \x00") {
				name, array = topLevelName(urlDecode(k))
			} else {
				name = k // nothing for PHP to decode or mangle
			}
			if isRoutingName(name) {
				if !yield(routingPair{name: name, value: urlDecode(v), array: array}) {
					return
				}
			}
		}
	}
}

// isRoutingName reports whether a top-level PHP variable name is one of
// the CMS routing parameters or their companions.
func isRoutingName(name string) bool {
	switch name {
	case paramQ, paramTask, paramRestRoute, "civiwp", "page", "option", "Itemid":
		return true
	}
	return false
}

// topLevelName is the variable PHP registers a decoded name under, and
// whether the value goes into an array below it (registerVar's first
// level).
func topLevelName(name string) (string, bool) {
	if i := strings.IndexByte(name, 0); i >= 0 {
		name = name[:i]
	}
	name = strings.TrimLeft(name, " ")
	bracket := strings.IndexByte(name, '[')
	switch {
	case bracket == 0 || name == "":
		return "", false
	case bracket < 0:
		return mangleName(name), false
	case strings.IndexByte(name[bracket:], ']') < 0:
		return mangleName(name[:bracket]) + "_" + mangleRest(name[bracket+1:]), false
	}
	return mangleName(name[:bracket]), true
}
