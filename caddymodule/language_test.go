package caddymodule

import (
	"net/http"
	"testing"
)

// A request's language (cache.Caller.Language) is its Accept-Language as
// it goes upstream, every spelling PHP reads as HTTP_ACCEPT_LANGUAGE,
// unparsed: requests that may be answered in two languages never share
// it, and one without the header has none.
func TestRequestLanguage(t *testing.T) {
	lang := func(kv ...string) string {
		h := http.Header{"X-Other": {"x"}}
		for i := 0; i+1 < len(kv); i += 2 {
			h[kv[i]] = append(h[kv[i]], kv[i+1])
		}
		return requestLanguage(h)
	}
	if l := lang(); l != "" {
		t.Errorf("no Accept-Language: %q", l)
	}
	fr := lang("Accept-Language", "fr-FR,fr;q=0.9")
	if fr == "" || fr != lang("Accept-Language", "fr-FR,fr;q=0.9") {
		t.Errorf("one header, one language: %q", fr)
	}
	differ := map[string]string{
		"another language":                    lang("Accept-Language", "de-DE,de;q=0.9"),
		"another spelling of it":              lang("Accept-Language", "fr"),
		"surrounding space (substr reads it)": lang("Accept-Language", " fr-FR,fr;q=0.9"),
		"a second line":                       lang("Accept-Language", "fr-FR,fr;q=0.9", "Accept-Language", "de"),
		// php_fastcgi hands PHP Accept_Language as HTTP_ACCEPT_LANGUAGE,
		// and PHP registers '.' as '_'.
		"Accept_Language alone":     lang("Accept_language", "de"),
		"Accept.Language beside it": lang("Accept-Language", "fr-FR,fr;q=0.9", "Accept.language", "de"),
		"an empty header":           lang("Accept-Language", ""),
	}
	for what, l := range differ {
		if l == fr || l == "" {
			t.Errorf("%s: %q (one Accept-Language of French: %q; none: \"\")", what, l, fr)
		}
	}
}

// BenchmarkRequestLanguage is what keying a call by its language costs
// when it is prepared (a prepared request's key holds its headers
// already): a look at each header name without the header, the string
// of its spellings with it. The load test's APIv4 read's headers.
func BenchmarkRequestLanguage(b *testing.B) {
	for _, c := range []struct {
		name string
		h    http.Header
	}{
		{"absent", http.Header{"X-Civi-Auth": {"Bearer k"}, "X-Civi-Key": {"s"}, "User-Agent": {"Go-http-client/1.1"}}},
		{"present", http.Header{"X-Civi-Auth": {"Bearer k"}, "X-Civi-Key": {"s"}, "User-Agent": {"Go-http-client/1.1"},
			"Accept-Language": {"fr-FR,fr;q=0.9"}}},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				requestLanguage(c.h)
			}
		})
	}
}
