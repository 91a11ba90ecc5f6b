package translate

import (
	"bytes"
	"net/url"
	"strings"
)

// IsFormBody reports whether PHP fills $_POST from a POST body sent with
// these Content-Type header values: only then can the body carry CMS
// routing parameters, and only then need the caller read it for
// IsAPIv3LikeBody.
func IsFormBody(contentTypes []string) bool {
	for _, ct := range contentTypeCandidates(contentTypes) {
		if kind, _ := phpPostType(ct); kind != "" {
			return true
		}
	}
	return false
}

// IsAPIv3LikeBody reports whether a form POST body would route a request
// to one of CiviCRM's APIs when Civigate does not rebuild it: WordPress
// takes its query vars (q, civiwp, rest_route) from $_POST before $_GET,
// and Joomla's input reads task from $_REQUEST, so "POST /
// rest_route=/civicrm/v3/rest&…" or "POST /index.php
// option=com_civicrm&task=civicrm/ajax/rest&…" reach the API with a URL that
// looks like nothing. A request Recognise accepts as an APIv3 form is
// rebuilt by Civigate, so only the URL decides for it; everything else,
// APIv4 (forwarded as sent) included, is checked here.
//
// body must be the whole body: every assignment counts wherever it is,
// since past max_input_vars PHP keeps the first one. contentTypes are the
// request's Content-Type header values; the body is read the way PHP reads
// them (urlencoded or multipart/form-data, case-insensitively, boundary as
// PHP finds it); other bodies never route. The caller refuses what this
// reports, like IsAPIv3Like requests.
func IsAPIv3LikeBody(u *url.URL, contentTypes []string, body []byte) bool {
	return RecogniseConfig{}.SuspiciousBody(u, contentTypes, body)
}

// SuspiciousBody is IsAPIv3LikeBody under cfg: a form switched off is not
// rebuilt by Civigate, so its body is checked too.
func (cfg RecogniseConfig) SuspiciousBody(u *url.URL, contentTypes []string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	if c := classify(u, &cfg); c.kind == kindClean && c.route.Form != FormAPI4 && cfg.enabled(c.route.Form) {
		return false
	}
	// A value is judged once however often it is repeated.
	var judged map[routingPair]bool
	routes := func(p routingPair) bool {
		if p.array || p.name != paramQ && p.name != paramTask && p.name != paramRestRoute || !valueMayRoute(p.value) {
			return false
		}
		if judged[p] {
			return false
		}
		if judged == nil {
			judged = make(map[routingPair]bool)
		}
		judged[p] = true
		return len(judged) > maxRoutingValues || valueReach(p.name, p.value).any()
	}
	for _, ct := range contentTypeCandidates(contentTypes) {
		switch kind, boundary := phpPostType(ct); kind {
		case "urlencoded":
			for p := range routingPairs(string(body)) {
				if routes(p) {
					return true
				}
			}
		case "multipart":
			for _, p := range multipartRoutingPairs(body, boundary) {
				if routes(p) {
					return true
				}
			}
		}
	}
	return false
}

// contentTypeCandidates are the Content-Types PHP may see: FastCGI (Caddy's
// php_fastcgi) passes the first header value, Apache joins repeated
// headers with ", ".
func contentTypeCandidates(values []string) []string {
	if len(values) <= 1 {
		return values
	}
	return append(append([]string(nil), values...), strings.Join(values, ", "))
}

// phpPostType is how PHP's SAPI picks a POST body reader: the Content-Type
// up to the first ';', ',' or ' ', lower-cased, must be exactly one of the
// two form types. For multipart the boundary is what follows the first
// "boundary" (any case) and its '=', up to ',' or ';', or inside quotes
// (rfc1867.c); parameters PHP does not understand are ignored, where
// mime.ParseMediaType would reject the whole header.
func phpPostType(ct string) (kind, boundary string) {
	mt := ct
	if i := strings.IndexAny(ct, ";, "); i >= 0 {
		mt = ct[:i]
	}
	switch strings.ToLower(mt) {
	case "application/x-www-form-urlencoded":
		return "urlencoded", ""
	case "multipart/form-data":
	default:
		return "", ""
	}
	i := strings.Index(ct, "boundary")
	if i < 0 {
		i = indexFold(ct, "boundary")
	}
	if i < 0 {
		return "", "" // PHP: "Missing boundary", no $_POST
	}
	eq := strings.IndexByte(ct[i:], '=')
	if eq < 0 {
		return "", ""
	}
	b := ct[i+eq+1:]
	if strings.HasPrefix(b, `"`) {
		end := strings.IndexByte(b[1:], '"')
		if end < 0 {
			return "", ""
		}
		return "multipart", b[1 : 1+end]
	}
	if end := strings.IndexAny(b, ",;"); end >= 0 {
		b = b[:end]
	}
	return "multipart", b
}

// multipartRoutingPairs extracts the CMS routing fields of a
// multipart/form-data body the way PHP's rfc1867 reader finds them: every
// "--boundary" starts a part (wherever it occurs, as PHP's search does),
// header lines end in LF or CRLF up to an empty line, the field name is the
// name= parameter of Content-Disposition (any case, quoted or not), and
// the value runs to the next boundary. Parts PHP would take as files count
// too: a superset is enough here.
func multipartRoutingPairs(body []byte, boundary string) []routingPair {
	if boundary == "" {
		return nil
	}
	delim := []byte("--" + boundary)
	var out []routingPair
	i := bytes.Index(body, delim)
	for i >= 0 {
		part := body[i+len(delim):]
		next := bytes.Index(part, delim)
		if next >= 0 {
			part = part[:next]
		}
		if name, value, ok := multipartField(part); ok {
			if n, array := topLevelName(name); n != "" {
				switch n {
				case paramQ, paramTask, paramRestRoute:
					out = append(out, routingPair{name: n, value: value, array: array})
				}
			}
		}
		if next < 0 {
			break
		}
		i += len(delim) + next
	}
	return out
}

// multipartField reads a part (what follows its boundary line's
// "--boundary") into its field name and value.
func multipartField(part []byte) (name, value string, ok bool) {
	// The rest of the boundary line.
	nl := bytes.IndexByte(part, '\n')
	if nl < 0 {
		return "", "", false
	}
	part = part[nl+1:]
	for {
		nl = bytes.IndexByte(part, '\n')
		if nl < 0 {
			return "", "", false
		}
		line := string(bytes.TrimSuffix(part[:nl], []byte("\r")))
		part = part[nl+1:]
		if line == "" {
			break
		}
		hname, hval, found := strings.Cut(line, ":")
		if found && strings.EqualFold(strings.TrimSpace(hname), "Content-Disposition") {
			if n, found := dispositionName(hval); found {
				name, ok = n, true
			}
		}
	}
	if !ok {
		return "", "", false
	}
	// The value ends before the line break preceding the next boundary.
	v := bytes.TrimSuffix(part, []byte("\n"))
	v = bytes.TrimSuffix(v, []byte("\r"))
	return name, string(v), true
}

// dispositionName finds the name parameter of a Content-Disposition value
// as PHP's php_ap_getword loop does: ';'-separated words, the key before
// '=' compared case-insensitively, the value unquoted.
func dispositionName(v string) (string, bool) {
	for word := range strings.SplitSeq(v, ";") {
		k, val, found := strings.Cut(strings.TrimSpace(word), "=")
		if !found || !strings.EqualFold(strings.TrimSpace(k), "name") {
			continue
		}
		val = strings.TrimSpace(val)
		if len(val) >= 2 && (val[0] == '"' || val[0] == '\'') {
			if end := strings.IndexByte(val[1:], val[0]); end >= 0 {
				val = val[1 : 1+end]
			}
		}
		return val, true
	}
	return "", false
}
