package translate

import (
	"html"
	"math/bits"
	"strings"
	"unicode/utf8"
)

// This file models how the CMSs CiviCRM runs on turn a request into the
// path CiviCRM's router looks up, so that recognition can tell every
// spelling of a request that runs an API page.
//
// CiviCRM's side is the same for every CMS (CRM/Core/Invoke.php,
// CRM_Core_Menu::get): the CMS hands over its routing path split on '/';
// the first segment must be "civicrm"; every leading run of segments is
// looked up in the civicrm_menu table, the longest row found wins, and it is
// kept only if its path occurs in the requested path byte for byte. The
// table's collation (utf8mb4_unicode_ci) makes the lookup case- and
// accent-insensitive and blind to trailing spaces, so "civicrm/ajax/rest "
// and "civicrm/ajax/rest/anything" both run civicrm/ajax/rest.
//
// What the CMS hands over differs (see the *Candidates functions):
//   - WordPress, front end (?civiwp=CiviCRM&q=…, page=CiviCRM, and the base
//     page's clean URLs): q is a query var from POST, GET or the base page's
//     rewrite rule, which pastes the rest of the path into a query string
//     and parses it (decoding it once more, '&q=' in the path included);
//     the plugin trims PHP whitespace, then '/', and turns a leading
//     civicrm/civicrm/ into civicrm/.
//   - WordPress admin (wp-admin/admin.php?page=CiviCRM&q=…): q first goes
//     through sanitize_text_field (tags stripped, whitespace collapsed, %XX
//     octets removed).
//   - Drupal 7 and Backdrop: ?q= as is, or the urldecoded clean path, '/'
//     trimmed.
//   - Drupal 8 and later: the decoded path, matched case-insensitively
//     against routes made from the menu paths.
//   - Joomla: task, trimmed, raw (back end, older front ends) or through
//     the input filter's string cleaning (HTML entities decoded, tags
//     stripped).
//   - Standalone: the decoded path with empty and "0" segments dropped.

// menuRoute is a CiviCRM menu route whose page runs an API. Recognition of
// its clean and verbose URLs, refusal of its disguised ones and the form
// body check all read menuRoutes: adding an API route is adding an entry.
type menuRoute struct {
	path string // as civicrm_menu stores it: lower-case ASCII
	// form is the Form of the route's clean path, verbose that of its
	// verbose CMS URLs (?q=, civiwp, page, task); both "" for a route
	// Civigate does not serve, whose every form is refused.
	form, verbose Form
	// api4: the route is followed by {Entity}/{action} segments.
	api4 bool
	// tail is what follows the first segment: the base page of WordPress's
	// clean URLs stands in for "civicrm".
	tail []string
}

var menuRoutes = []*menuRoute{
	{path: "civicrm/ajax/rest", form: FormAjax, verbose: FormAjaxVerbose, tail: []string{"ajax", "rest"}},
	{path: "civicrm/ajax/api4", form: FormAPI4, verbose: FormAPI4, api4: true, tail: []string{"ajax", "api4"}},
	// CRM_Utils_REST::ajaxJson: an older JSON-only APIv3 page (entity,
	// action, json=) Civigate does not translate.
	{path: "civicrm/api/json", tail: []string{"api", "json"}},
	// AuthX's own pages (ext/authx/xml/Menu/authx.xml): who a credential
	// is, a session login, a logout. Each answers a valid credential
	// differently from an invalid one.
	{path: "civicrm/authx/id", form: FormAuthx, verbose: FormAuthx, tail: []string{"authx", "id"}},
	{path: "civicrm/authx/login", form: FormAuthx, verbose: FormAuthx, tail: []string{"authx", "login"}},
	{path: "civicrm/authx/logout", form: FormAuthx, verbose: FormAuthx, tail: []string{"authx", "logout"}},
}

// name is the route's last segment (Route.Action for FormAuthx).
func (r *menuRoute) name() string { return r.tail[len(r.tail)-1] }

// wpRESTRoute is the WordPress REST route of CiviCRM's APIv3
// (register_rest_route('civicrm/v3', '/rest')); the REST server matches
// routes with @^route$@i.
const wpRESTRoute = "/civicrm/v3/rest"

// phpTrimSet is what PHP's trim() removes by default.
const phpTrimSet = " \t\n\r\x00\x0B"

func phpTrim(s string) string { return strings.Trim(s, phpTrimSet) }

// lookupSet is a set of positions in a route path (bit i: its first i
// bytes matched) for the loose collation match below.
type lookupSet uint32

// step advances positions in route by one byte c of a looked-up path under
// a loose model of utf8mb4_unicode_ci: ASCII letters match either case,
// other printable ASCII matches only itself, and any other byte (control
// characters, which the collation ignores; every byte of a non-ASCII
// character, which may be an accented or full-width twin of an ASCII one,
// or an expansion like ß) may stand for up to three characters or none.
func step(route string, set lookupSet, c byte) lookupSet {
	if c < 0x20 || c >= 0x7f {
		out := set | set<<1 | set<<2 | set<<3
		return out & (1<<(len(route)+1) - 1)
	}
	c = lowerASCII(c)
	var out lookupSet
	for rest := set; rest != 0; rest &= rest - 1 {
		if j := bits.TrailingZeros32(uint32(rest)); j < len(route) && route[j] == c {
			out |= 1 << (j + 1)
		}
	}
	return out
}

func lowerASCII(c byte) byte {
	if 'A' <= c && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

// pathLookup runs CRM_Core_Menu::get loosely over the routing path n,
// starting a lookup at every offset in starts (all of them the start of a
// segment) with the positions in route already matched there (a fresh
// lookup has matched nothing; WordPress's base page rule matched
// "civicrm/" before the path's own text). It reports whether some leading
// run of segments after a start could be route, trailing spaces and
// control characters ignored. The lookups run side by side in one pass.
func pathLookup(route, n string, starts func(i int) lookupSet) bool {
	full := lookupSet(1) << len(route)
	var set, pad lookupSet
	inPad := false
	for i := 0; i <= len(n); i++ {
		if i == 0 || n[i-1] == '/' {
			set |= starts(i)
		}
		if i == len(n) || n[i] == '/' {
			if (set|pad)&full != 0 {
				return true
			}
			if i == len(n) {
				return false
			}
		}
		c := n[i]
		if c == ' ' || c < 0x20 || c == 0x7f {
			if !inPad {
				pad, inPad = set, true
			}
		} else {
			pad, inPad = 0, false
		}
		set = step(route, set, c)
	}
	return false
}

// reachesRoute reports whether CiviCRM's router, handed n as the path,
// could run route's page: a leading run of n's segments looks up as the
// route, and the route's path occurs in n (case folded, as Drupal 8's
// router matches paths). It reports a superset of what CiviCRM does.
func reachesRoute(n string, r *menuRoute) bool {
	if indexFold(n, r.path) < 0 {
		return false
	}
	return pathLookup(r.path, n, func(i int) lookupSet {
		if i == 0 {
			return 1
		}
		return 0
	})
}

// pathReachesRoute is reachesRoute for a URL path d (decoded or not) under
// an unknown base: the CMS's route may start at any segment (after Drupal's
// base path, WordPress's home path), and with WordPress's base page rule any
// segment may be the base page, the rest of the path then following
// "civicrm/".
func pathReachesRoute(d string, r *menuRoute) bool {
	last := lastIndexFold(d, r.path)
	tail := r.path[len("civicrm/"):]
	if last < 0 && indexFold(d, tail) < 0 {
		return false // the route's path cannot occur: no lookup can keep it
	}
	afterCivicrm := lookupSet(1) << len("civicrm/")
	return pathLookup(r.path, d, func(i int) lookupSet {
		var s lookupSet
		if i <= last {
			s = 1
		}
		// The base page segment is any segment before i; the route's path
		// then occurs in "civicrm/" + d[i:] if it does in d[i:], or
		// straddles the two.
		if i > 0 && i < len(d) && (i <= last || hasPrefixFold(d[i:], tail)) {
			s |= afterCivicrm
		}
		return s
	})
}

// pathVariants are the strings the CMSs derive from a raw URL path before
// routing on it: as sent, percent-decoded (with and without '+' as space),
// decoded twice (WordPress tries its rewrite rules on the urldecoded path,
// then parses the match as a query string), each also without the empty and
// "0" segments Standalone drops, and with dot segments resolved as the web
// server in front of PHP (Apache, nginx) does.
func pathVariants(raw string) []string {
	out := make([]string, 0, 16)
	add := func(s string) {
		for _, o := range out {
			if o == s {
				return
			}
		}
		out = append(out, s)
	}
	once := urlDecode(raw)
	decoded := []string{raw, rawURLDecode(raw), once, urlDecode(once)}
	// WordPress's base page rule parses the rest of the path as the value
	// of q in a query string: an '&' (raw, or decoded when the rule
	// matched the urldecoded path) ends the value there, before it is
	// decoded once more.
	for _, s := range []string{raw, once} {
		for i, cuts := 0, 0; cuts < 8; cuts++ {
			j := strings.IndexByte(s[i:], '&')
			if j < 0 {
				break
			}
			decoded = append(decoded, urlDecode(s[:i+j]))
			i += j + 1
		}
	}
	for _, s := range decoded {
		add(s)
		add(dropEmptySegments(s))
		if strings.Contains(s, "/.") {
			r := resolveDotSegments(s)
			add(r)
			add(dropEmptySegments(r))
		}
	}
	return out
}

// resolveDotSegments removes "." and ".." segments (RFC 3986 5.2.4).
func resolveDotSegments(s string) string {
	var out []string
	for seg := range strings.SplitSeq(s, "/") {
		switch seg {
		case ".":
		case "..":
			if len(out) > 1 {
				out = out[:len(out)-1]
			}
		default:
			out = append(out, seg)
		}
	}
	return strings.Join(out, "/")
}

// dropEmptySegments is Standalone's array_filter over the path segments.
func dropEmptySegments(s string) string {
	if !strings.Contains(s, "//") && !strings.Contains(s, "/0") && !strings.HasPrefix(s, "0") {
		return s
	}
	var b strings.Builder
	for seg := range strings.SplitSeq(s, "/") {
		if seg == "" || seg == "0" {
			continue
		}
		b.WriteByte('/')
		b.WriteString(seg)
	}
	return b.String()
}

// pathQueryValues are the routing values WordPress's rewrite rules take
// from the path itself: the rule pastes the rest of the path into its query
// string (…&q=civicrm%2F<rest>, rest_route=/<rest>) and parses it, so an
// '&q=' or '&rest_route=' in the path sets that parameter.
func pathQueryValues(raw string) (qs, restRoutes []string) {
	for _, s := range []string{raw, urlDecode(raw)} {
		if !strings.Contains(s, "&") {
			continue
		}
		for p := range routingPairs(s) {
			if p.array {
				continue
			}
			switch p.name {
			case "q":
				qs = append(qs, p.value)
			case "rest_route":
				restRoutes = append(restRoutes, p.value)
			}
		}
	}
	return qs, restRoutes
}

// qCandidates are the paths the CMSs hand CiviCRM for a q value: Drupal 7
// and Backdrop trim '/'; WordPress's front end trims PHP whitespace first
// and turns a leading civicrm/civicrm/ into civicrm/; its admin pages run
// sanitize_text_field before that.
func qCandidates(v string) []string {
	wp := func(s string) string {
		s = strings.Trim(phpTrim(s), "/")
		if strings.HasPrefix(s, "civicrm/civicrm/") {
			s = strings.ReplaceAll(s, "civicrm/civicrm/", "civicrm/")
		}
		return s
	}
	if !strings.ContainsAny(v, phpTrimSet+"<%") && utf8.ValidString(v) {
		return []string{strings.Trim(v, "/"), wp(v)} // sanitize_text_field changes nothing
	}
	return []string{strings.Trim(v, "/"), wp(v), wp(sanitizeTextField(v))}
}

// taskCandidates are the paths Joomla's CiviCRM component hands CiviCRM
// for a task value: trimmed, raw (back end, Joomla 3) or through
// Input::getString (Joomla 4 and 5 front end).
func taskCandidates(v string) []string {
	return []string{phpTrim(v), phpTrim(joomlaString(v))}
}

// wpRESTCandidates are the routes WordPress's REST server matches for a
// rest_route value: slashed by wp_magic_quotes or not, trailing '/' and '\'
// removed (untrailingslashit), with a leading '/'.
func wpRESTCandidates(v string) []string {
	out := make([]string, 0, 2)
	for _, s := range []string{v, addSlashes(v)} {
		s = strings.TrimRight(s, "/\\")
		out = append(out, "/"+strings.TrimLeft(s, "/"))
	}
	return out
}

// wpRouteReaches reports whether the REST server, matching a route
// pattern @^want$@i, runs want for route ('$' also matches before a
// final newline).
func wpRouteReaches(route, want string) bool {
	route = strings.TrimSuffix(route, "\n")
	return strings.EqualFold(route, want)
}

// wpRESTReaches: the route runs CiviCRM's APIv3 controller.
func wpRESTReaches(route string) bool { return wpRouteReaches(route, wpRESTRoute) }

// wpLogsIn models the condition of civicrm-wordpress's
// Plugin::bootstrap_civi (wp-rest/Plugin.php), hooked on
// rest_pre_dispatch, which the REST server runs before it looks the route
// up: for a route holding "civicrm" and "rest" anywhere (strpos: case
// sensitive, the route as WP_REST_Request::get_route has it), existing or
// not, do_user_login reads api_key from the request's parameters, answers
// whether it is a contact's key and whether that contact has a WordPress
// user, and logs that user in (wp_set_current_user, wp_set_auth_cookie:
// the answer carries WordPress's login cookies). Only /civicrm/v3/rest is
// CiviCRM's API, which Civigate serves and authenticates; on any other
// such route (/civicrm/v3/restx, /x/civicrm-rest, …) the plugin would be
// an API-key oracle beside Civigate's guessing protection and hand out
// WordPress sessions, so those routes are refused.
func wpLogsIn(route string) bool {
	return strings.Contains(route, "civicrm") && strings.Contains(route, "rest")
}

// wpRESTPrefix is WordPress's REST URL prefix (rest_get_url_prefix's
// default), with the '/' that ends it: its rewrite rule ^wp-json/(.*)?
// makes the rest of the path, after the home path, the REST route
// (rest_route=/$1).
const wpRESTPrefix = "wp-json/"

// pathLogsIn reports whether a URL path (one of pathVariants) is a REST
// prefix (lower-case, ending in '/'), under any home path, then a route
// wpLogsIn holds for. The route runs to the end of the path: more than
// the rule's match, which only a '&' cuts short (pathQueryValues), so it
// holds whenever the route's would. A site with another rest_url_prefix,
// not configured (RecogniseConfig.WPRESTPrefixes), has its login routes
// refused in the ?rest_route= form only.
func pathLogsIn(d, prefix string) bool {
	for i := 0; i < len(d); {
		j := indexFold(d[i:], prefix)
		if j < 0 {
			return false
		}
		at := i + j
		if (at == 0 || d[at-1] == '/') && wpLogsIn(d[at+len(prefix):]) {
			return true
		}
		i = at + 1
	}
	return false
}

// wpBatchRoute is the REST server's batch route (WP_REST_Server::
// serve_batch_request_v1), which runs rest_pre_dispatch, and so
// Plugin::bootstrap_civi, for each of its sub-requests whether or not
// their route exists (see WPBatchLogsIn).
const wpBatchRoute = "/batch/v1"

// wpBatchValue reports whether a rest_route value runs the batch route.
func wpBatchValue(v string) bool {
	if len(v) > maxRoutingLen {
		return true
	}
	if indexFold(v, "batch") < 0 {
		return false
	}
	for _, c := range wpRESTCandidates(v) {
		if wpRouteReaches(c, wpBatchRoute) {
			return true
		}
	}
	return false
}

// sanitizeTextField models WordPress's sanitize_text_field: invalid UTF-8
// gives "", tags are stripped (a '<' that starts none stays), runs of
// whitespace become one space, the ends are trimmed, and %XX octets are
// removed until none is left.
func sanitizeTextField(s string) string {
	if !utf8.ValidString(s) {
		return ""
	}
	if strings.Contains(s, "<") {
		s = phpTrim(stripTags(s, false))
	}
	s = phpTrim(collapseSpace(s, " \t\r\n"))
	if t, found := removeOctets(s); found {
		s = phpTrim(collapseSpace(t, " "))
	}
	return s
}

// removeOctets removes /%[a-f0-9]{2}/i until none is left, as
// sanitize_text_field's loop does (removing one can make another: "%%4141").
// Deleting from the end of what is kept as soon as it ends in an octet gives
// the same result in one pass.
func removeOctets(s string) (string, bool) {
	if !strings.Contains(s, "%") {
		return s, false
	}
	b := make([]byte, 0, len(s))
	found := false
	for i := 0; i < len(s); i++ {
		b = append(b, s[i])
		if n := len(b); n >= 3 && b[n-3] == '%' && isHex(b[n-2]) && isHex(b[n-1]) {
			b = b[:n-3]
			found = true
		}
	}
	return string(b), found
}

// joomlaString models Joomla's InputFilter string cleaning
// (Input::getString): HTML entities decoded, then tags stripped until
// nothing changes, a '<' that starts no tag dropped.
func joomlaString(s string) string {
	return stripTags(html.UnescapeString(s), true)
}

// stripTags removes <script> and <style> elements whole, then everything
// from a '<' to the next '>'. With dropLone, a '<' with no '>' after it
// (or another '<' first) is removed too, as Joomla's filter does; without,
// it stays, as wp_pre_kses_less_than makes wp_strip_all_tags keep it. The
// CMSs' parsers differ in details (quotes in attributes, comments, nested
// tags stripped again until nothing changes); recognition also checks the
// cruder valueSkeleton for what these variants miss.
func stripTags(s string, dropLone bool) string {
	if !strings.Contains(s, "<") {
		return s
	}
	s = stripElements(s)
	// One pass: the next '<' and '>' are looked up only past the last ones
	// found, so a value full of '<' costs no more than its length.
	var b strings.Builder
	lts, gts := forwardIndex(s, "<"), forwardIndex(s, ">")
	for i := 0; ; {
		lt := lts.from(i)
		if lt < 0 {
			b.WriteString(s[i:])
			return b.String()
		}
		b.WriteString(s[i:lt])
		gt, next := gts.from(lt+1), lts.from(lt+1)
		switch {
		case gt >= 0 && (next < 0 || gt < next):
			i = gt + 1
		case dropLone:
			i = lt + 1
		default:
			b.WriteByte('<')
			i = lt + 1
		}
	}
}

// stripElements removes <script …>…</script> and <style …>…</style>, case
// folded, as wp_strip_all_tags does first.
func stripElements(s string) string {
	var b strings.Builder
	opens := []*forwardIdx{forwardIndex(s, "<script"), forwardIndex(s, "<style")}
	closes := []*forwardIdx{forwardIndex(s, "</script>"), forwardIndex(s, "</style>")}
	i := 0
	for {
		at, el := -1, 0
		for k, o := range opens {
			if j := o.from(i); j >= 0 && (at < 0 || j < at) {
				at, el = j, k
			}
		}
		if at < 0 {
			break
		}
		end := closes[el].from(at)
		if end < 0 {
			break
		}
		b.WriteString(s[i:at])
		i = end + len(closes[el].sub)
	}
	if i == 0 {
		return s
	}
	b.WriteString(s[i:])
	return b.String()
}

// forwardIdx finds occurrences of sub (lower-case) in s, case folded, for
// offsets that only grow: each lookup resumes where the last one left off.
type forwardIdx struct {
	s, sub string
	at     int // last answer, -1: none left
	valid  bool
}

func forwardIndex(s, sub string) *forwardIdx { return &forwardIdx{s: s, sub: sub} }

// from returns the first occurrence at or after off, or -1.
func (f *forwardIdx) from(off int) int {
	if f.valid && (f.at < 0 || f.at >= off) {
		return f.at
	}
	f.valid = true
	if off > len(f.s) {
		f.at = -1
		return -1
	}
	f.at = indexFold(f.s[off:], f.sub)
	if f.at >= 0 {
		f.at += off
	}
	return f.at
}

func collapseSpace(s, set string) string {
	if !strings.ContainsAny(s, set) {
		return s
	}
	var b strings.Builder
	inRun := false
	for i := 0; i < len(s); i++ {
		if strings.IndexByte(set, s[i]) >= 0 {
			if !inRun {
				b.WriteByte(' ')
			}
			inRun = true
			continue
		}
		inRun = false
		b.WriteByte(s[i])
	}
	return b.String()
}

// addSlashes is PHP's addslashes, which wp_magic_quotes applies to every
// GET and POST value.
func addSlashes(s string) string {
	if !strings.ContainsAny(s, "'\"\\\x00") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\'', '"', '\\':
			b.WriteByte('\\')
			b.WriteByte(s[i])
		case 0:
			b.WriteString(`\0`)
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// rawURLDecode is PHP's rawurldecode: %XX decoded, '+' kept, a '%' not
// followed by two hex digits kept as is.
func rawURLDecode(s string) string {
	if !strings.Contains(s, "%") {
		return s
	}
	return urlDecode(strings.ReplaceAll(s, "+", "%2B"))
}

// valueSkeleton is a belt over the models above for routing values: the
// value with every encoding a layer below might undo undone (%XX, HTML
// entities, tags), lower-cased, and everything but letters, digits and '/'
// dropped, runs of '/' and "0" segments collapsed. A route in the skeleton
// followed by '/' or the end means the value may be a disguised route.
func valueSkeleton(v string) string {
	for range 3 {
		if !strings.ContainsAny(v, "%+&") {
			break
		}
		d := html.UnescapeString(urlDecode(v))
		if d == v {
			break
		}
		v = d
	}
	v = stripTags(v, true)
	b := make([]byte, 0, min(len(v), 64))
	for i := 0; i < len(v); i++ {
		c := lowerASCII(v[i])
		switch {
		case c == '/':
			if len(b) > 0 && b[len(b)-1] == '/' {
				continue
			}
			if len(b) >= 2 && b[len(b)-1] == '0' && b[len(b)-2] == '/' {
				b = b[:len(b)-1] // a "0" segment
				continue
			}
		case 'a' <= c && c <= 'z', '0' <= c && c <= '9':
		default:
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

// skeletonHasRoute reports whether skeleton holds path followed by '/' or
// its end.
func skeletonHasRoute(skeleton, path string) bool {
	for off := 0; ; {
		i := strings.Index(skeleton[off:], path)
		if i < 0 {
			return false
		}
		end := off + i + len(path)
		if end == len(skeleton) || skeleton[end] == '/' {
			return true
		}
		off += i + 1
	}
}

// indexFold is strings.Index with ASCII case folded; sub is lower-case.
func indexFold(s, sub string) int {
	for i := 0; i+len(sub) <= len(s); i++ {
		if hasPrefixFold(s[i:], sub) {
			return i
		}
	}
	return -1
}

func lastIndexFold(s, sub string) int {
	for i := len(s) - len(sub); i >= 0; i-- {
		if hasPrefixFold(s[i:], sub) {
			return i
		}
	}
	return -1
}

// hasPrefixFold: prefix is lower-case ASCII.
func hasPrefixFold(s, prefix string) bool {
	if len(s) < len(prefix) {
		return false
	}
	for j := 0; j < len(prefix); j++ {
		if lowerASCII(s[j]) != prefix[j] {
			return false
		}
	}
	return true
}
