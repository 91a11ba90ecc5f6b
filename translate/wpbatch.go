package translate

import (
	"net/url"
	"strings"
	"unicode/utf8"
)

// WordPress's REST batch route (POST /wp-json/batch/v1, or
// ?rest_route=/batch/v1) runs up to 25 sub-requests named in its
// parameters, requests[i][path] and requests[i][body]. For each of them
// WP_REST_Server::serve_batch_request_v1 applies rest_pre_dispatch, and
// so civicrm-wordpress's login (wpLogsIn), before it looks at whether
// the sub-request's route exists or may be batched; only
// validation=require-all-validate with a sub-request that fails stops it.
// A batch naming /civicrm/v3/rest (which Civigate never sees as such) or
// any other route holding "civicrm" and "rest" is a login by API key, so
// it is refused; other batches (the block editor's widgets and menus) go
// on.

// WPBatch reports whether u runs WordPress's REST batch route: its path
// (any REST prefix, any decoding the rewrite rules apply) or its
// rest_route query parameter. The caller then checks the request's query
// and whole body with WPBatchLogsIn. A rest_route in a form body that
// runs it is refused by the body check (IsAPIv3LikeBody).
func (cfg RecogniseConfig) WPBatch(u *url.URL) bool {
	raw := u.EscapedPath()
	if indexFold(raw, "batch") >= 0 || strings.ContainsAny(raw, "%+") {
		if len(raw) > maxRoutingLen {
			return true
		}
		for _, d := range pathVariants(raw) {
			if pathReachesWP(d, wpBatchRoute) {
				return true
			}
		}
		_, restRoutes := pathQueryValues(raw)
		for _, v := range restRoutes {
			if wpBatchValue(v) {
				return true
			}
		}
	}
	if indexFold(u.RawQuery, "batch") < 0 && !strings.Contains(u.RawQuery, "%") {
		return false
	}
	for p := range routingPairs(u.RawQuery) {
		if p.name == paramRestRoute && !p.array && wpBatchValue(p.value) {
			return true
		}
	}
	return false
}

// WPBatchLogsIn reports whether a request to the batch route (WPBatch)
// may name a sub-request route wpLogsIn holds for. WordPress takes
// requests from a JSON body, a form body or the query (a GET does, with
// _method=POST or X-HTTP-Method-Override), and a sub-request's route is
// its path as given, not decoded. Rather than parse each source the way
// WordPress would, the query and the body are read as text, as sent and
// with what PHP or json_decode would decode undone (%XX and '+', JSON's
// escapes): any of them holding both "civicrm" and "rest" may name such a
// route. That is more than the plugin's condition (the two words in one
// path), never less.
func WPBatchLogsIn(rawQuery string, body []byte) bool {
	for _, s := range []string{rawQuery, string(body)} {
		if !strings.Contains(s, "rest") && !strings.ContainsAny(s, "%+\\") {
			continue // nothing can spell "rest"
		}
		for _, d := range []string{s, urlDecode(s), jsonUnescapeLoose(s)} {
			if wpLogsIn(d) {
				return true
			}
		}
	}
	return false
}

// jsonUnescapeLoose undoes JSON string escapes anywhere in s (\uXXXX,
// \/, \n, …), whether or not they stand in a string, so that what
// json_decode would make of a document's strings is in the result: a
// \u escape of a non-ASCII character gives that character, a lone
// surrogate U+FFFD.
func jsonUnescapeLoose(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch e := s[i]; e {
		case 'u':
			if i+4 < len(s) {
				var r rune
				ok := true
				for _, h := range []byte(s[i+1 : i+5]) {
					switch {
					case '0' <= h && h <= '9':
						r = r<<4 | rune(h-'0')
					case 'a' <= lowerASCII(h) && lowerASCII(h) <= 'f':
						r = r<<4 | rune(lowerASCII(h)-'a'+10)
					default:
						ok = false
					}
				}
				if ok {
					if !utf8.ValidRune(r) {
						r = utf8.RuneError
					}
					b.WriteRune(r)
					i += 4
					continue
				}
			}
			b.WriteByte(e)
		case 'n':
			b.WriteByte('\n')
		case 't':
			b.WriteByte('\t')
		case 'r':
			b.WriteByte('\r')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		default:
			b.WriteByte(e) // \" \\ \/
		}
	}
	return b.String()
}
