package translate

import "strings"

// Whether PHP fills $_POST from a request body, and how, is one decision
// (phpPostForms) shared by everything that must read a body as PHP would
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
// Civigate cannot tell which server PHP is behind, so it reads the body in
// every way one of them could make PHP read it (a superset: a body read
// that PHP does not parse only makes the edge stricter).

// phpPostForms calls form for each way PHP may parse a request body with
// this method and these Content-Type values into $_POST: multipart false
// for application/x-www-form-urlencoded, true with the boundary PHP finds
// for multipart/form-data. It calls it never when PHP leaves $_POST empty
// whatever the body.
func phpPostForms(method string, contentTypes []string, form func(multipart bool, boundary string)) {
	if !phpPostMethod(method) {
		return
	}
	if len(contentTypes) == 0 || contentTypes[0] == "" {
		form(false, "") // php_fastcgi's default CONTENT_TYPE
	}
	for _, ct := range contentTypeCandidates(contentTypes) {
		switch kind, boundary := phpPostType(ct); kind {
		case "urlencoded":
			form(false, "")
		case "multipart":
			form(true, boundary)
		}
	}
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
