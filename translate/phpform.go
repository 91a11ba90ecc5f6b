package translate

import (
	"net/http"
	"strings"
)

// Whether PHP fills $_POST from a request body, and how, is one decision
// (phpPostForm) shared by everything that must read a body as PHP would
// before it goes on as sent: the CMS routing scan (WordPress and Joomla
// read q, rest_route and task from $_POST) and AuthX's _authx and
// _authxSiteKey (read from $_POST on every method but GET). Both go
// through BodyScanner, which reads the body once for both.
//
// PHP's SAPI (main/SAPI.c sapi_activate) reads a form body only when
// REQUEST_METHOD is exactly "POST" and CONTENT_TYPE is set; the type up
// to the first ';', ',' or ' ', lower-cased, picks the reader
// (sapi_read_post_data). What PHP is handed depends on the server in
// front of it:
//
//   - Caddy's php_fastcgi (reverseproxy/fastcgi client.go) sends GET, HEAD
//     and OPTIONS as such when spelled exactly so; any other method goes
//     through its Post, which upper-cases it and turns a resulting "GET"
//     into "POST": "post", "Post" and "get" (with or without a body) all
//     reach PHP as POST. Its CONTENT_TYPE is the first Content-Type value,
//     and application/x-www-form-urlencoded when that is empty or absent.
//   - A web server proxied to (Apache, nginx) passes the method as sent
//     (PHP then parses for "POST" only) and Apache joins repeated headers
//     with ", ".
//
// Civigate cannot tell which server PHP is behind, so it reads the body
// as any of them could make PHP read it: a request with one Content-Type
// value is read under that value (without one, as urlencoded: php_fastcgi
// sends that and the others parse nothing, and a body read that PHP does
// not parse only makes the edge stricter). Repeated values are handed
// over differently (the first, or all joined), and reading the body under
// each reading multiplied the cost of reading it before any credential is
// checked (one reader per distinct value, some 400 in Caddy's default
// 16 KiB of header). Content-Type is a singleton field (RFC 9110 §8.3)
// that no client has reason to repeat, so a request whose values PHP
// could see differently is refused instead (OneContentType), before its
// body is read.

// ManyContentTypes is the problem named when a request is refused for
// carrying more than one Content-Type (OneContentType).
const ManyContentTypes = "Civigate: the request has more than one Content-Type; send one"

// OneContentType is the Content-Type PHP sees for a request with these
// Content-Type header values ("": none), whatever the server in front of
// it: ok is false when servers could hand PHP different ones, values that
// differ or repeats of one value that PHP reads differently joined (as
// Apache joins them, with ", ") than alone. Such a request is refused
// unread wherever Civigate reads its body.
func OneContentType(values []string) (ct string, ok bool) {
	if len(values) == 0 {
		return "", true
	}
	ct = values[0]
	for _, v := range values[1:] {
		if v != ct {
			return "", false
		}
	}
	if len(values) > 1 {
		kind, boundary := phpPostType(ct)
		joinedKind, joinedBoundary := phpPostType(strings.Join(values, ", "))
		if kind != joinedKind || boundary != joinedBoundary {
			return "", false
		}
	}
	return ct, true
}

// BodyContentType is OneContentType for r's body: ok is true for a
// request without a body, whose Content-Type nothing reads.
func BodyContentType(r *http.Request) (ct string, ok bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return "", true
	}
	return OneContentType(r.Header.Values("Content-Type"))
}

// phpPostForm is how PHP may parse a request body with this method and
// Content-Type (OneContentType's; "": none) into $_POST: form false when
// it leaves $_POST empty whatever the body, else multipart false for
// application/x-www-form-urlencoded, true with the boundary PHP finds for
// multipart/form-data.
func phpPostForm(method, contentType string) (form, multipart bool, boundary string) {
	if !phpPostMethod(method) {
		return false, false, ""
	}
	if contentType == "" {
		return true, false, "" // php_fastcgi's default CONTENT_TYPE
	}
	switch kind, boundary := phpPostType(contentType); kind {
	case "urlencoded":
		return true, false, ""
	case "multipart":
		return true, true, boundary
	}
	return false, false, ""
}

// phpPostMethod reports whether a request with this method may reach PHP
// as REQUEST_METHOD "POST": exactly POST anywhere, or under php_fastcgi
// a method other than exactly GET, HEAD and OPTIONS that upper-cases
// (strings.ToUpper, which EqualFold's folding covers) to POST or GET.
func phpPostMethod(method string) bool {
	switch method {
	case "POST":
		return true
	case "GET", "HEAD", "OPTIONS":
		return false
	}
	return strings.EqualFold(method, "POST") || strings.EqualFold(method, "GET")
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
