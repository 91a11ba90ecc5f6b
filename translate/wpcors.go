package translate

import "net/http"

// WordPress core sends CORS headers with every answer of its REST server,
// the CiviCRM route's JSON, XML, errors and OPTIONS preflight included:
// WP_REST_Server::serve_request sends Access-Control-Expose-Headers and
// Access-Control-Allow-Headers, and rest_send_cors_headers (hooked on
// rest_pre_serve_request by rest_api_default_filters) reflects the
// request's Origin and allows credentials. Browser widgets on other sites
// read the route with fetch or XHR because of them. extern/rest.php sends
// none, so only the WordPress route gets them.
//
// They are worked out from each request's own Origin when its answer is
// written, never stored with a cached answer, so no client is ever sent
// another origin's grant. Reflecting any origin with credentials grants
// nothing a page could not do already: the route reads no ambient
// credential (no cookie, no Authorization; only key and api_key, which the
// page must send itself), and its OPTIONS preflight is answered at the
// edge, running nothing (API3MethodReply).

const (
	wpCORSMethods       = "OPTIONS, GET, POST, PUT, PATCH, DELETE"
	wpCORSExposeHeaders = "X-WP-Total, X-WP-TotalPages, Link"
	wpCORSAllowHeaders  = "Authorization, X-WP-Nonce, Content-Disposition, Content-MD5, Content-Type"
)

// SetWPCORSHeaders sets on h, the answer's header, the CORS headers
// WordPress sends with a REST answer to a request with header req.
//
// Two differences, both about shared caches and none a browser acts on
// otherwise: Vary: Origin is sent on every answer (WordPress sends it with
// an Origin, or on a GET by a visitor not logged in), so that no cache in
// front reuses an answer across origins; and an Origin that WordPress's
// sanitize_url would blank or change (a scheme other than http and https,
// stray characters, several Origin headers) gets no grant at all, where
// WordPress would grant what sanitize_url left, which matches no
// browser's origin.
func SetWPCORSHeaders(h, req http.Header) {
	h["Access-Control-Expose-Headers"] = []string{wpCORSExposeHeaders}
	h["Access-Control-Allow-Headers"] = []string{wpCORSAllowHeaders}
	if !hasVaryOrigin(h) {
		h.Add("Vary", "Origin")
	}
	origins := req["Origin"]
	if len(origins) != 1 || !wpGrantableOrigin(origins[0]) {
		return
	}
	h["Access-Control-Allow-Origin"] = []string{origins[0]}
	h["Access-Control-Allow-Methods"] = []string{wpCORSMethods}
	h["Access-Control-Allow-Credentials"] = []string{"true"}
}

func hasVaryOrigin(h http.Header) bool {
	for _, v := range h["Vary"] {
		if v == "Origin" {
			return true
		}
	}
	return false
}

// wpGrantableOrigin reports whether WordPress would send origin back as
// it came: "null" (file: and data: pages, which WordPress leaves alone),
// or a browser's serialised http or https origin, scheme://host[:port],
// which sanitize_url keeps unchanged.
func wpGrantableOrigin(origin string) bool {
	if origin == "null" {
		return true
	}
	var rest string
	switch {
	case len(origin) > len("https://") && origin[:len("https://")] == "https://":
		rest = origin[len("https://"):]
	case len(origin) > len("http://") && origin[:len("http://")] == "http://":
		rest = origin[len("http://"):]
	default:
		return false
	}
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '-', c == ':':
		case c == '[' || c == ']': // an IPv6 literal
		default:
			return false
		}
	}
	return true
}
