package translate

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strings"
)

// IsAPIv3LikeBody reports whether a request that Recognise did not accept
// routes to the API through its form body: WordPress takes its query vars
// (rest_route) from $_POST as well as $_GET, and Joomla's input merges
// POST into option/task, so "POST / rest_route=/civicrm/v3/rest&…" or
// "POST /index.php option=com_civicrm&task=civicrm/ajax/rest&…" reach the
// API with a URL that looks like nothing. Both body encodings PHP parses
// into $_POST are examined (urlencoded and multipart/form-data); other
// bodies cannot route. The caller refuses such requests like IsAPIv3Like
// ones. body may be a prefix of the real body (routing keys usually come
// first); the Caddy layer decides how much to buffer.
func IsAPIv3LikeBody(u *url.URL, contentType string, body []byte) bool {
	if len(body) == 0 || classify(u, &RecogniseConfig{}).kind == kindClean {
		// The URL alone decides for the clean forms (Recognise accepted
		// it, or the operator switched that form off).
		return false
	}
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	var pairs string
	switch mt {
	case "application/x-www-form-urlencoded":
		pairs = string(body)
	case "multipart/form-data":
		pairs = multipartRoutingPairs(body, params["boundary"])
	default:
		return false
	}
	if pairs == "" {
		return false
	}
	// GET and POST merged as the CMS sees them: POST wins (WordPress
	// refuses a mismatch outright, which is no better for us).
	merged := *u
	merged.RawQuery = joinQuery(u.RawQuery, pairs)
	return classify(&merged, &RecogniseConfig{}).kind != kindNone
}

// multipartRoutingPairs extracts the routing fields of a multipart body as
// urlencoded pairs, ignoring everything else.
func multipartRoutingPairs(body []byte, boundary string) string {
	if boundary == "" {
		return ""
	}
	r := multipart.NewReader(bytes.NewReader(body), boundary)
	var out []string
	for range 1000 { // max_input_vars
		p, err := r.NextPart()
		if err != nil {
			break
		}
		name := strings.TrimLeft(p.FormName(), " ")
		if i := strings.IndexByte(name, '['); i > 0 {
			name = name[:i]
		}
		switch phpMangleName(name) {
		case "q", "rest_route", "civiwp", "page", "option", "task", "Itemid":
			v, _ := io.ReadAll(io.LimitReader(p, 4096))
			out = append(out, url.QueryEscape(p.FormName())+"="+url.QueryEscape(string(v)))
		}
	}
	return strings.Join(out, "&")
}
