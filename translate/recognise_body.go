package translate

import (
	"net/url"
	"strings"
)

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
// rebuilt by Civigate, so its body is checked too. It is BodyScanner over
// the whole body.
func (cfg RecogniseConfig) SuspiciousBody(u *url.URL, contentTypes []string, body []byte) bool {
	if len(body) == 0 {
		return false
	}
	s := cfg.BodyScanner(u, contentTypes)
	return s != nil && (s.Write(body) || s.Close())
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
