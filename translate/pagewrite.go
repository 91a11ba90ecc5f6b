package translate

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

// CiviCRM writes through pages as well as through its APIs: a contact's
// inline edit and forms, public profile forms, the mailing opt-out and
// unsubscribe pages, payment processors' notifications (civicrm/payment/ipn,
// extern/ipn.php). A request Civigate passes on to such a page changes
// what its cached reads answer, and nothing says which entities: the
// cache must forget everything, as for a write action it cannot bound.

// PageMayWrite reports whether a request that Recognise did not take (it
// goes on to the site as sent) may write CiviCRM data, by its method and
// URL: any method but GET, HEAD, OPTIONS and TRACE to a URL that may run a
// CiviCRM page (MayReachCiviCRM: a civicrm/ path under any base, ?q=
// civicrm/…, WordPress's civiwp=CiviCRM or page=CiviCRM, Joomla's
// option=com_civicrm, a configured WordPress base page) or one of
// CiviCRM's extern/ scripts (ExternScript); and a GET or HEAD to a page
// that writes when it is only fetched (TrackingPage). A CMS's own form
// (wp-login.php, a comment) does not name CiviCRM and is not reported;
// a CiviCRM page at a URL that names none of these (a path alias, a page
// with a CiviCRM shortcode) is not known by its URL and is not reported
// either.
func (cfg RecogniseConfig) PageMayWrite(method string, u *url.URL) bool {
	switch method {
	case http.MethodGet, http.MethodHead:
		return cfg.TrackingPage(u)
	case http.MethodOptions, http.MethodTrace:
		return false
	}
	return cfg.MayReachCiviCRM(u) || ExternScript(u)
}

// PageChangesCredentials reports whether a page write (PageMayWrite) may
// change credentials, so that remembered verdicts on them are to be
// forgotten. The rule: a page of credentialPages (administration, AuthX's
// settings at civicrm/admin/setting/authx among them, Standalone's user
// administration, the pages that merge contacts or link a CMS user to a
// contact), or a URL naming authx or apikey anywhere, in any URL form
// MayReachCiviCRM knows (clean, ?q=, WordPress, Joomla's task, a
// configured WordPress base page standing for "civicrm"). Public forms
// (civicrm/profile/create, civicrm/contribute/transact, an Afform's page,
// the mailing pages) are frequent and do not count.
func (cfg RecogniseConfig) PageChangesCredentials(method string, u *url.URL) bool {
	if !cfg.PageMayWrite(method, u) {
		return false
	}
	path, query := valueSkeleton(u.EscapedPath()), valueSkeleton(u.RawQuery)
	for _, v := range [2]string{path, query} {
		if strings.Contains(v, "authx") || strings.Contains(v, "apikey") {
			return true
		}
		if cfg.namesCredentialPage(v) {
			return true
		}
	}
	// The query's skeleton runs its parameters together (q=civicrm/
	// contact/merge&reset=1 is "qcivicrm/contact/mergereset1"), so a
	// route at a parameter's end is looked for in each parameter's too.
	for rest := u.RawQuery; rest != ""; {
		var p string
		p, rest, _ = strings.Cut(rest, "&")
		if p != "" && cfg.namesCredentialPage(valueSkeleton(p)) {
			return true
		}
	}
	return false
}

// namesCredentialPage reports whether the skeleton v holds a route of
// credentialPages, under civicrm/ or a configured WordPress base page.
func (cfg RecogniseConfig) namesCredentialPage(v string) bool {
	for _, r := range credentialPages {
		if skeletonHasRoute(v, "civicrm/"+r) {
			return true
		}
		for _, bp := range cfg.WPBasePages {
			if skeletonHasRoute(v, "/"+valueSkeleton(bp)+"/"+r) {
				return true
			}
		}
	}
	return false
}

// credentialPages are the routes under civicrm/ (as skeletons: lower
// case) whose writes PageChangesCredentials counts, from civicrm-core's
// menus (CRM/*/xml/Menu/*.xml): administration, Standalone's user
// administration (civicrm/user/#?User1=…), and the pages that change
// which contact a credential stands for, as an API merge or UFMatch write
// does (cache.ChangesCredentials): the merge screen's form
// (civicrm/contact/merge, CRM_Contact_Form_Merge, which the search task
// "Merge contacts" leads to), the batch merge (civicrm/contact/dedupemerge,
// CRM_Contact_Page_DedupeMerge, queues the merges and the web queue runner
// runs them, one POST to civicrm/queue/ajax/runNext a task; the runner
// also runs upgrades and extension installs, rare), and "Create User
// Record" (civicrm/contact/view/useradd, CRM_Contact_Form_Task_Useradd:
// creates a CMS user and its civicrm_uf_match row).
var credentialPages = []string{"admin", "user", "contact/merge", "contact/dedupemerge",
	"queue/ajax/runnext", "contact/view/useradd"}

// ExternScript reports whether u's path ends in one of CiviCRM's extern/
// scripts (extern/ipn.php, extern/open.php, extern/rest.php…), under any
// prefix (Standalone's and a Composer layout's do not name CiviCRM), as
// the web server finds the file: the last two path segments, compared as
// Recognise compares extern/rest.php's.
func ExternScript(u *url.URL) bool {
	_, ok := externScript(u.EscapedPath())
	return ok
}

// externScript is the name of the extern/ script the escaped path raw
// ends in (ExternScript), as its last segment reads once decoded.
func externScript(raw string) (string, bool) {
	if indexFold(raw, "extern") < 0 && !strings.Contains(raw, "%") {
		return "", false
	}
	segs, _ := pathSegments(raw)
	n := len(segs)
	if n >= 2 && segs[n-2] == "extern" && strings.HasSuffix(segs[n-1], ".php") {
		return segs[n-1], true
	}
	return "", false
}

// trackingRoutes are CiviCRM's pages that write when they are fetched
// (GET): CiviMail's open and click tracking (civicrm/mailing/open,
// civicrm/mailing/url, which replaced extern/open.php and extern/url.php
// in 5.27 and still serve their links) and the subscription confirmation
// link (civicrm/mailing/confirm, MailingEventConfirm::confirm adds the
// contact to the group).
var trackingRoutes = []string{"mailing/open", "mailing/url", "mailing/confirm"}

// trackingScripts are the extern/ scripts that write when fetched:
// extern/open.php records an open, extern/url.php a click.
var trackingScripts = []string{"open.php", "url.php"}

// TrackingPage reports whether a GET or HEAD to u may run a CiviCRM page
// that writes when fetched (trackingRoutes, trackingScripts). Every GET
// to a page Civigate passes on asks it, so it costs a scan of the path
// and query for "mailing" and a look at the path's end, and no more for
// any other URL. A route spelled with a percent-encoded letter of
// "mailing" is not seen.
func (cfg RecogniseConfig) TrackingPage(u *url.URL) bool {
	raw := u.EscapedPath()
	script := len(raw) > len(".php") && hasPrefixFold(raw[len(raw)-len(".php"):], ".php")
	if !script && !containsFold(raw, "mailing") && !containsFold(u.RawQuery, "mailing") {
		return false
	}
	if script {
		if name, ok := externScript(raw); ok && slices.Contains(trackingScripts, name) {
			return true
		}
	}
	if !cfg.MayReachCiviCRM(u) {
		return false
	}
	path, query := valueSkeleton(raw), valueSkeleton(u.RawQuery)
	for _, r := range trackingRoutes {
		if strings.Contains(path, r) || strings.Contains(query, r) {
			return true
		}
	}
	return false
}

// containsFold is indexFold(s, sub) >= 0 for a sub that starts with a
// lower-case letter, faster on the strings that do not hold it: it jumps
// to each occurrence of sub's first letter in either case.
func containsFold(s, sub string) bool {
	lo, up := sub[0], sub[0]-'a'+'A'
	for len(s) >= len(sub) {
		i := strings.IndexByte(s, lo)
		if j := strings.IndexByte(s, up); j >= 0 && (i < 0 || j < i) {
			i = j
		}
		if i < 0 {
			return false
		}
		if hasPrefixFold(s[i:], sub) {
			return true
		}
		s = s[i+1:]
	}
	return false
}
