package civicrmsim

import (
	"net/http"
	"strings"
)

// The simulator stands for PHP behind Caddy's php_fastcgi, so a request
// reaches "PHP" as that transport hands it over
// (modules/caddyhttp/reverseproxy/fastcgi: client.go's Post), and PHP's
// SAPI then decides whether to parse the body (main/SAPI.c).

// fcgiMethod is REQUEST_METHOD: GET, HEAD and OPTIONS when sent exactly
// so; any other method upper-cased, a resulting "GET" made "POST".
func fcgiMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return m
	}
	if up := strings.ToUpper(m); up != http.MethodGet {
		return up
	}
	return http.MethodPost
}

// fcgiContentType is CONTENT_TYPE for a request with a body: the first
// Content-Type value, or application/x-www-form-urlencoded when it is
// empty or absent.
func fcgiContentType(r *http.Request) string {
	if ct := r.Header.Get("Content-Type"); ct != "" {
		return ct
	}
	return "application/x-www-form-urlencoded"
}

// phpFormType is the Content-Type PHP's form readers take ct as, spelled
// so that a strict MIME parser reads it the same: PHP takes the type up to
// the first ';', ',' or ' ' (sapi_read_post_data), and a multipart
// boundary as what follows "boundary=" up to ',' or ';', or inside quotes
// (rfc1867.c), ignoring parameters it does not understand. "" when PHP
// parses no form.
func phpFormType(ct string) string {
	mt := ct
	if i := strings.IndexAny(ct, ";, "); i >= 0 {
		mt = ct[:i]
	}
	switch strings.ToLower(mt) {
	case "application/x-www-form-urlencoded":
		return "application/x-www-form-urlencoded"
	case "multipart/form-data":
	default:
		return ""
	}
	i := strings.Index(ct, "boundary")
	if i < 0 {
		i = strings.Index(strings.ToLower(ct), "boundary")
	}
	if i < 0 {
		return ""
	}
	_, b, ok := strings.Cut(ct[i:], "=")
	if !ok {
		return ""
	}
	if rest, quoted := strings.CutPrefix(b, `"`); quoted {
		b, _, _ = strings.Cut(rest, `"`)
	} else if j := strings.IndexAny(b, ",;"); j >= 0 {
		b = b[:j]
	}
	return `multipart/form-data; boundary="` + b + `"`
}
