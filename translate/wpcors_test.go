package translate

import (
	"net/http"
	"testing"
)

// rest_send_cors_headers reflects an Origin that sanitize_url keeps; an
// answer to any other request is granted nothing, and Vary: Origin goes
// on every answer once.
func TestSetWPCORSHeaders(t *testing.T) {
	for _, tt := range []struct {
		origins []string
		grant   string
	}{
		{[]string{"https://app.example.org"}, "https://app.example.org"},
		{[]string{"http://localhost:3000"}, "http://localhost:3000"},
		{[]string{"http://[::1]:8080"}, "http://[::1]:8080"},
		{[]string{"null"}, "null"},
		{nil, ""},
		{[]string{""}, ""},
		{[]string{"chrome-extension://abc"}, ""},
		{[]string{"https://a.example/path"}, ""},
		{[]string{"https://a.example\"x"}, ""},
		{[]string{"https://a.example", "https://b.example"}, ""},
	} {
		h := http.Header{"Vary": {"Accept-Encoding"}}
		SetWPCORSHeaders(h, http.Header{"Origin": tt.origins})
		SetWPCORSHeaders(h, http.Header{"Origin": tt.origins}) // idempotent
		if got := h.Get("Access-Control-Allow-Origin"); got != tt.grant {
			t.Errorf("%q: Allow-Origin %q, want %q", tt.origins, got, tt.grant)
		}
		granted := tt.grant != ""
		if (h.Get("Access-Control-Allow-Credentials") == "true") != granted || (h.Get("Access-Control-Allow-Methods") == wpCORSMethods) != granted {
			t.Errorf("%q: %v", tt.origins, h)
		}
		if v := h.Values("Vary"); len(v) != 2 || v[1] != "Origin" {
			t.Errorf("%q: Vary %q", tt.origins, v)
		}
		if h.Get("Access-Control-Allow-Headers") != wpCORSAllowHeaders || h.Get("Access-Control-Expose-Headers") != wpCORSExposeHeaders {
			t.Errorf("%q: %v", tt.origins, h)
		}
	}
}
