package translate

import (
	"net/url"
	"strings"
)

// RecogniseConfig switches endpoint forms off (all are on in the zero value)
// and adds extern/rest.php prefixes.
type RecogniseConfig struct {
	DisableExtern      bool // …/extern/rest.php
	DisableWPRest      bool // /wp-json/civicrm/v3/rest, ?rest_route=/civicrm/v3/rest
	DisableAjaxVerbose bool // ?q=civicrm/ajax/rest, WordPress civiwp/page, Joomla option/task
	DisableAjax        bool // clean /civicrm/ajax/rest

	// ExternPrefixes are extra path prefixes under which extern/rest.php
	// lives (e.g. "/vendor/civicrm/civicrm-core"); they are reported as
	// variant "configured".
	ExternPrefixes []string
	// ExternKnownPrefixesOnly limits FormExtern to the CMS default prefixes
	// and ExternPrefixes; any other …/extern/rest.php is then not
	// recognised, and IsAPIv3Like reports it so it can be refused.
	ExternKnownPrefixesOnly bool
}

// Recognise decides whether a request is APIv3 REST traffic Civigate
// translates, and in which endpoint form.
//
// Matching works on the percent-decoded path split into segments, compared
// case-insensitively, with empty segments (double or trailing slashes)
// ignored. Case is folded deliberately: Linux file systems are
// case-sensitive, but CiviCRM's and Drupal's menu lookups go through MySQL's
// case-insensitive collation and some hosts (mod_speling, macOS, Windows)
// fold case on files too. Recognising a variant the upstream would 404 is
// harmless, since Civigate builds the upstream URL itself; letting a variant
// the upstream would route pass unrecognised would bypass the edge.
//
// Requests whose path needs more than that to match — percent-encoded
// '/', '.', '\' or '%', any other percent-encoding, dot segments,
// backslashes, ';' path parameters, NUL, extra segments after the route
// (PATH_INFO, CiviCRM's longest-prefix menu match), a mangled or unusual
// routing query value — are not recognised; IsAPIv3Like reports them so the
// caller refuses them instead of passing them on.
func Recognise(method string, u *url.URL, cfg RecogniseConfig) (Route, bool) {
	_ = method // every method reaches the PHP endpoints; the method rule is CiviCRM's
	c := classify(u, &cfg)
	if c.kind != kindClean || !cfg.enabled(c.route.Form) {
		return Route{}, false
	}
	return c.route, true
}

// IsAPIv3Like reports whether u looks like an attempt at one of the APIv3
// routes that is not a clean form Recognise accepts under the default
// configuration: an obfuscated path (encoded slashes or dots, dot segments,
// route followed by extra segments) or routing query parameters (q,
// rest_route, task, civiwp, page) pointing at the API in a form the CMS might
// still route. The Caddy layer should refuse such requests (e.g. 400) rather
// than pass them to CiviCRM unauthenticated by the edge. Clean forms that
// were switched off in RecogniseConfig are not reported: the operator chose
// to let them through.
func IsAPIv3Like(u *url.URL) bool {
	return classify(u, &RecogniseConfig{}).kind == kindTricky
}

// Suspicious is IsAPIv3Like under cfg's prefix rules: with
// ExternKnownPrefixesOnly an extern/rest.php under an unknown prefix is
// suspicious too. The Disable* switches do not matter here.
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
	}
	return false
}

type matchKind int

const (
	kindNone   matchKind = iota // not APIv3
	kindClean                   // a form Recognise accepts
	kindTricky                  // looks like APIv3 but not cleanly: refuse
)

type classification struct {
	kind  matchKind
	route Route
}

var (
	segsExtern = []string{"extern", "rest.php"}
	segsWPJSON = []string{"wp-json", "civicrm", "v3", "rest"}
	segsAjax   = []string{"civicrm", "ajax", "rest"}
	segsWPRest = []string{"civicrm", "v3", "rest"} // a rest_route value
)

func classify(u *url.URL, cfg *RecogniseConfig) classification {
	raw := u.EscapedPath()
	if raw == "" {
		raw = "/"
	}
	// Fast exit for ordinary traffic: every route and every routing value
	// contains "rest", and hiding it takes a '%' or '\'.
	if !containsFoldRest(raw) && !strings.ContainsAny(raw, "%\\") &&
		!containsFoldRest(u.RawQuery) && !strings.Contains(u.RawQuery, "%") {
		return classification{}
	}
	segs, pathTricky := pathSegments(raw)

	// Path forms. The route must be the last segments; the same segments
	// followed by more are PATH_INFO (Apache runs rest.php) or CiviCRM's
	// longest-prefix menu match (civicrm/ajax/rest/x routes to ajax/rest).
	if at := findSeq(segs, segsExtern); at >= 0 {
		if pathTricky || at+len(segsExtern) != len(segs) {
			return classification{kind: kindTricky}
		}
		variant, known := externVariant(segs[:at], cfg)
		if !known && cfg.ExternKnownPrefixesOnly {
			return classification{kind: kindTricky}
		}
		return classification{kindClean, Route{Form: FormExtern, Variant: variant}}
	}
	if at := findSeq(segs, segsWPJSON); at >= 0 {
		if pathTricky || at+len(segsWPJSON) != len(segs) {
			return classification{kind: kindTricky}
		}
		return classification{kindClean, Route{Form: FormWPRest, Variant: "wp-json"}}
	}
	if at := findSeq(segs, segsAjax); at >= 0 {
		if pathTricky || at+len(segsAjax) != len(segs) {
			return classification{kind: kindTricky}
		}
		return classification{kindClean, Route{Form: FormAjax, Variant: "clean"}}
	}

	// Query forms. Only cheap scanning here: most requests carry none of
	// these keys and must not pay for a PHP parse.
	q := scanRoutingQuery(u.RawQuery)
	if !q.any() {
		return classification{}
	}
	rootish, variantHint := entryScript(segs)
	tricky := pathTricky || !rootish

	if q.task.set || q.option.set {
		if q.option.is("com_civicrm") {
			switch routeValue(q.task, segsAjax) {
			case valueExact:
				if tricky {
					return classification{kind: kindTricky}
				}
				v := "joomla"
				if variantHint == "admin-index" {
					v = "joomla-admin"
				}
				return classification{kindClean, Route{Form: FormAjaxVerbose, Variant: v, DropParams: q.present("option", "task", "Itemid")}}
			case valueLike:
				return classification{kind: kindTricky}
			}
		}
	}
	if q.q.set {
		switch routeValue(q.q, segsAjax) {
		case valueExact:
			if tricky {
				return classification{kind: kindTricky}
			}
			switch {
			case q.civiwp.set:
				if !q.civiwp.is("CiviCRM") {
					return classification{kind: kindTricky}
				}
				return classification{kindClean, Route{Form: FormAjaxVerbose, Variant: "civiwp", DropParams: q.present("civiwp", "q")}}
			case q.page.set:
				if !q.page.is("CiviCRM") {
					return classification{kind: kindTricky}
				}
				v := "wp-page"
				if variantHint == "wp-admin" {
					v = "wp-admin"
				}
				return classification{kindClean, Route{Form: FormAjaxVerbose, Variant: v, DropParams: q.present("page", "q")}}
			}
			return classification{kindClean, Route{Form: FormAjaxVerbose, Variant: "q", DropParams: q.present("q")}}
		case valueLike:
			return classification{kind: kindTricky}
		}
	}
	if q.restRoute.set {
		switch routeValue(q.restRoute, segsWPRest) {
		case valueExact:
			if tricky {
				return classification{kind: kindTricky}
			}
			return classification{kindClean, Route{Form: FormWPRest, Variant: "rest_route", DropParams: q.present("rest_route")}}
		case valueLike:
			return classification{kind: kindTricky}
		}
	}
	return classification{}
}

// pathSegments splits an escaped path into lower-cased, fully decoded,
// non-empty segments. tricky reports anything beyond cosmetic variation:
// percent-encoding, dot segments, backslashes, ';', control characters.
func pathSegments(raw string) (segs []string, tricky bool) {
	if strings.ContainsAny(raw, "%\\;") {
		tricky = true
	}
	dec := raw
	// Decode repeatedly so %252e and friends are seen for what some layer
	// further down might turn them into.
	for range 3 {
		if !strings.Contains(dec, "%") {
			break
		}
		d, err := url.PathUnescape(dec)
		if err != nil {
			break
		}
		dec = d
	}
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
		for i := 0; i < len(s); i++ {
			if s[i] < 0x20 || s[i] == 0x7f {
				tricky = true
			}
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
		match := true
		for j, s := range seq {
			if segs[i+j] != s {
				match = false
				break
			}
		}
		if match {
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
		if len(ps) == len(prefix) && findSeq(prefix, ps) == 0 {
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

type routeMatch int

const (
	valueNone  routeMatch = iota // not about the API
	valueExact                   // the route, cosmetically varied at most
	valueLike                    // the route hidden or extended: refuse
)

// routeValue compares a routing parameter value (q, task, rest_route) with
// the route's segments. Case and leading/trailing slashes are cosmetic
// (WordPress trims slashes from rest_route and matches routes with /i;
// Drupal's menu lookup is case-insensitive); anything else that still
// contains the route is suspicious.
func routeValue(p queryParam, route []string) routeMatch {
	if p.array {
		// PHP made it an array: not a string route. But a scalar sent
		// later would have won, so only the last assignment counts.
		return valueNone
	}
	v := strings.ToLower(p.value)
	trimmed := strings.Trim(v, "/")
	if trimmed == strings.Join(route, "/") {
		return valueExact
	}
	segs, _ := pathSegments(v)
	if findSeq(segs, route) >= 0 {
		return valueLike
	}
	// The route hidden behind encodings or control characters that some
	// layer below might strip or decode.
	if strings.ContainsAny(v, "%\\\x00\t\r\n") && strings.Contains(v, route[len(route)-2]) && strings.Contains(v, route[len(route)-1]) {
		return valueLike
	}
	return valueNone
}

type queryParam struct {
	set   bool
	array bool // the last assignment was name[...]=
	value string
}

func (p queryParam) is(v string) bool { return p.set && !p.array && p.value == v }

type routingQuery struct {
	q, restRoute, civiwp, page, option, task, itemid queryParam
}

func (r *routingQuery) any() bool {
	return r.q.set || r.restRoute.set || r.task.set || r.option.set
}

// present returns the names among names that the query carried, for
// Route.DropParams.
func (r *routingQuery) present(names ...string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		var p queryParam
		switch n {
		case "q":
			p = r.q
		case "rest_route":
			p = r.restRoute
		case "civiwp":
			p = r.civiwp
		case "page":
			p = r.page
		case "option":
			p = r.option
		case "task":
			p = r.task
		case "Itemid":
			p = r.itemid
		}
		if p.set {
			out = append(out, n)
		}
	}
	return out
}

// scanRoutingQuery finds the CMS routing parameters in a raw query string
// with PHP's semantics where they matter: the last assignment wins, leading
// spaces of a name are dropped, '.' and ' ' in a name become '_' (so
// rest.route is rest_route), and name[…] makes an array.
func scanRoutingQuery(raw string) routingQuery {
	var r routingQuery
	for raw != "" {
		var pair string
		pair, raw, _ = strings.Cut(raw, "&")
		if pair == "" {
			continue
		}
		k, v, _ := strings.Cut(pair, "=")
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		name = strings.TrimLeft(name, " ")
		isArray := false
		if i := strings.IndexByte(name, '['); i > 0 && strings.IndexByte(name[i:], ']') > 0 {
			name, isArray = name[:i], true
		}
		var dst *queryParam
		switch phpMangleName(name) {
		case "q":
			dst = &r.q
		case "rest_route":
			dst = &r.restRoute
		case "civiwp":
			dst = &r.civiwp
		case "page":
			dst = &r.page
		case "option":
			dst = &r.option
		case "task":
			dst = &r.task
		case "Itemid":
			dst = &r.itemid
		default:
			continue
		}
		val, err := url.QueryUnescape(v)
		if err != nil {
			val = v
		}
		*dst = queryParam{set: true, array: isArray, value: val}
	}
	return r
}

// phpMangleName applies PHP's variable-name mangling for the characters
// that matter here.
func phpMangleName(name string) string {
	if !strings.ContainsAny(name, ". [") {
		return name
	}
	return strings.Map(func(r rune) rune {
		if r == '.' || r == ' ' || r == '[' {
			return '_'
		}
		return r
	}, name)
}

// containsFoldRest reports whether s contains "rest" in any letter case,
// without allocating.
func containsFoldRest(s string) bool {
	for i := 0; i+4 <= len(s); i++ {
		if s[i]|0x20 == 'r' && s[i+1]|0x20 == 'e' && s[i+2]|0x20 == 's' && s[i+3]|0x20 == 't' {
			return true
		}
	}
	return false
}
