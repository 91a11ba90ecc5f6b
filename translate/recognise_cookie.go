package translate

import (
	"iter"
	"strings"
)

// Cookies can route a request too. Where php.ini leaves request_order
// empty (PHP run without a php.ini, as the official Docker images are),
// PHP builds $_REQUEST from variables_order ("EGPCS" by default, "GPCS"
// in the shipped php.ini files): GET, then POST, then the cookies, each
// later one winning. Joomla's input (Joomla\CMS\Input\Input) wraps
// $_REQUEST, and CiviCRM's front-end Joomla component (civicrm-joomla
// site/civicrm.php) copies $_REQUEST['task'] over $_GET['task'] when
// $_REQUEST holds Itemid and view, then routes on $_GET['task']. So
// "Cookie: Itemid=1; view=x; task=civicrm/ajax/rest" sent to a CiviCRM
// page (option=com_civicrm, a CiviCRM menu item, or option in a cookie
// too) runs the APIv3 page, whatever the URL's own task says.
// Civigate assumes the worst case (request_order empty) and refuses such
// requests (SuspiciousCookies).

// joomlaRequestVars are the routing variables Joomla and CiviCRM's Joomla
// component read from $_REQUEST: the component (option, through getCmd),
// the menu item (Itemid) and view that make the component take task from
// $_REQUEST, and task itself. A cookie of such a name never goes upstream
// (IsRequestVar).
var joomlaRequestVars = [...]string{"option", "task", "view", "Itemid"}

// SuspiciousCookies reports whether a request's Cookie header values
// carry a CMS routing parameter whose value could route the request to
// one of CiviCRM's APIs: Joomla's task (see above), and q and rest_route,
// which no CMS reads from a cookie today (WordPress rebuilds $_REQUEST
// from GET and POST, Drupal reads $_GET['q']) but which no client has a
// reason to send either. The caller refuses such a request like
// IsAPIv3Like ones: a cookie reaches CiviCRM unchanged wherever Civigate
// forwards a request as sent. Every assignment counts, as in the query.
func (cfg RecogniseConfig) SuspiciousCookies(values []string) bool {
	modelled := 0
	for _, h := range values {
		// The value of a cookie is only rawurldecoded: a header with no
		// '%' and no word of a route cannot carry one.
		if !valueMayRoute(h) {
			continue
		}
		for p := range cookieRoutingPairs(h) {
			switch {
			case p.array || p.name != paramTask && p.name != paramQ && p.name != paramRestRoute:
				continue
			case !valueMayRoute(p.value):
				continue
			}
			if modelled++; modelled > maxRoutingValues {
				return true
			}
			if valueReach(p.name, p.value).any() {
				return true
			}
		}
	}
	return false
}

// cookieRoutingPairs yields the CMS routing parameters among the cookies
// of one Cookie header value, as PHP registers cookies (main/
// php_variables.c, PARSE_COOKIE): split on ';', white space dropped from
// the start of a name, a pair with an empty name skipped, the name not
// url-decoded (since the fix of CVE-2020-7070, PHP 7.2.34, 7.3.23, 7.4.11;
// an older PHP decoded it: both are read), the value rawurldecoded ('+'
// stays), then the names mangled as registerVar mangles them. PHP keeps
// the first cookie of a name, but an array assignment replaces it: every
// assignment is yielded.
func cookieRoutingPairs(h string) iter.Seq[routingPair] {
	return cookiePairs(h, isRoutingName)
}

// cookiePairs yields the cookies of one Cookie header value whose name,
// as PHP registers it (see cookieRoutingPairs), want takes.
func cookiePairs(h string, want func(name string) bool) iter.Seq[routingPair] {
	return func(yield func(routingPair) bool) {
		for pair := range strings.SplitSeq(h, ";") {
			pair = strings.TrimLeft(pair, " \t\n\v\f\r")
			k, v, _ := strings.Cut(pair, "=")
			if k == "" {
				continue
			}
			names := []string{k}
			if strings.ContainsAny(k, "%+") {
				names = append(names, urlDecode(k)) // PHP before CVE-2020-7070's fix
			}
			for _, n := range names {
				name, array := topLevelName(n)
				if !want(name) {
					continue
				}
				if !yield(routingPair{name: name, value: rawURLDecode(v), array: array}) {
					return
				}
				break
			}
		}
	}
}
