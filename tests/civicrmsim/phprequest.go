package civicrmsim

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/civigate/civigate/translate"
)

// What PHP makes of a request before CiviCRM runs, beyond $_GET and
// $_POST (rest.go, api4page.go): post_max_size, the cookies in $_REQUEST,
// and CRM_Utils_Request::retrieve's reading of it.

// defaultPostMaxSize is PHP's post_max_size default, 8M.
const defaultPostMaxSize = 8 << 20

// postRead reports whether PHP fills $_POST for r: past post_max_size it
// warns ("POST Content-Length of … bytes exceeds the limit") and leaves
// $_POST (and $_FILES) empty, and the script runs all the same.
func (s *Simulator) postRead(r *http.Request) bool {
	max := s.opts.PostMaxSize
	if max == 0 {
		max = defaultPostMaxSize
	}
	return r.ContentLength <= max
}

// withCookies puts the cookies into $_REQUEST, after (over) GET and POST,
// when request_order says so (Options.RequestOrder).
func (s *Simulator) withCookies(q *request) {
	if !strings.Contains(s.opts.RequestOrder, "C") {
		return
	}
	q.req = translate.MergeRequest(q.req, phpCookies(q.r.Header.Values("Cookie")))
}

// phpCookies is $_COOKIE: each header split on ";", leading white space
// dropped from a name, which is not url-decoded (PHP 7.4.11+) but mangled
// like any variable name; values raw-url-decoded ("+" stays); the first
// cookie of a name wins.
func phpCookies(headers []string) *translate.Array {
	out := translate.NewArray()
	for _, h := range headers {
		for pair := range strings.SplitSeq(h, ";") {
			name, value, _ := strings.Cut(pair, "=")
			name = strings.TrimLeft(name, " \t\n\v\f\r")
			if name == "" {
				continue
			}
			escaped := url.QueryEscape(name) // ParseQuery decodes it back to the raw name
			if top := translate.PHPVarName(escaped); top == "" || out.Has(top) {
				continue
			}
			if v, err := url.PathUnescape(value); err == nil {
				value = v
			}
			_ = translate.ParseQuery(out, escaped+"="+url.QueryEscape(value), translate.DefaultLimits)
		}
	}
	return out
}

// retrieve is CRM_Utils_Request::retrieve($name, 'String', …) over one of
// $_GET, $_POST, $_REQUEST: getValue's reading, where a key holding
// "amp;" stands in for a missing name (translate.Retrieve, checked against
// PHP's own getValue); 'String' validates anything.
func retrieve(a *translate.Array, name string) (any, bool) {
	return translate.Retrieve(a, name)
}
