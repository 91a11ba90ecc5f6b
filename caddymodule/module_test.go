package caddymodule

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2"
)

// A handler provisions only with a site key of at least 8 characters once
// its placeholders are resolved: without one no site key is checked
// anywhere (the edge has none, CiviCRM is asked through AuthX), so a legacy
// call with any API key and a wrong or missing key= would be served. The
// error names site_key and the variable it reads, never the value. JSON
// configs (what the Caddyfile adapts to) are checked alike.
func TestSiteKeyRequired(t *testing.T) {
	t.Setenv("CIVIGATE_TEST_EMPTY_SITE_KEY", "")
	t.Setenv("CIVIGATE_TEST_BLANK_SITE_KEY", " \t ")
	t.Setenv("CIVIGATE_TEST_SHORT_SITE_KEY", "sk12345")
	t.Setenv("CIVIGATE_TEST_SITE_KEY", "a-site-key-long-enough")
	for _, tc := range []struct {
		name, json string
		want       []string // nil: provisions
	}{
		{"no site_key", `{"cache":{"off":true}}`, []string{"site_key is missing", "site_key {env.CIVICRM_SITE_KEY}"}},
		{"empty site_key", `{"site_key":"","cache":{"off":true}}`, []string{"site_key is missing"}},
		{"blank site_key", `{"site_key":"   ","cache":{"off":true}}`, []string{"site_key is missing"}},
		{"unset variable", `{"site_key":"{env.CIVIGATE_TEST_UNSET_SITE_KEY}"}`,
			[]string{"site_key is empty (is CIVIGATE_TEST_UNSET_SITE_KEY set?): CiviCRM's site key must be set, every legacy call is checked against it"}},
		{"empty variable", `{"site_key":"{env.CIVIGATE_TEST_EMPTY_SITE_KEY}"}`, []string{"site_key is empty (is CIVIGATE_TEST_EMPTY_SITE_KEY set?)"}},
		{"blank variable", `{"site_key":"{env.CIVIGATE_TEST_BLANK_SITE_KEY}"}`, []string{"site_key is empty (is CIVIGATE_TEST_BLANK_SITE_KEY set?)"}},
		{"short variable", `{"site_key":"{env.CIVIGATE_TEST_SHORT_SITE_KEY}"}`, []string{"site_key is shorter than 8 characters (is CIVIGATE_TEST_SHORT_SITE_KEY set?)"}},
		{"short literal", `{"site_key":"sk12345"}`, []string{"site_key is shorter than 8 characters"}},
		{"set variable", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY}","cache":{"off":true}}`, nil},
		{"literal", `{"site_key":"12345678","cache":{"off":true}}`, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := provisionJSON(t, tc.json, nil)
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want != nil && err == nil:
				t.Fatal("provisioned without a usable site key")
			case err != nil:
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %q", err, w)
					}
				}
				if strings.Contains(err.Error(), "sk12345") {
					t.Errorf("error %q shows the site key", err)
				}
			}
		})
	}
}

// A placeholder Caddy cannot resolve when the handler provisions is
// refused, where it was taken as its literal text (a site key anyone
// reading the configuration knows): an unknown one, an unclosed one, a
// request placeholder, and {env.X:default}, which Caddy's replacer reads as
// the variable "X:default". The error names the setting and the
// placeholder, never the resolved value. sign_keys, the auth secret and the
// Redis URL are resolved the same way.
func TestSecretPlaceholdersResolvedOrRefused(t *testing.T) {
	const key = "the-real-site-key-0123456789"
	t.Setenv("CIVIGATE_TEST_SITE_KEY", key)
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "site_key"), []byte(key+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, json string
		want       []string // nil: provisions with the real key
	}{
		{"env", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY}"}`, nil},
		{"literal", `{"site_key":"` + key + `"}`, nil},
		{"file", `{"site_key":"{file.` + filepath.ToSlash(filepath.Join(dir, "site_key")) + `}"}`, nil},
		{"colon", `{"site_key":"{env:CIVIGATE_TEST_SITE_KEY}"}`,
			[]string{"site_key holds a placeholder Caddy does not know {env:CIVIGATE_TEST_SITE_KEY}"}},
		{"upper case", `{"site_key":"{ENV.CIVIGATE_TEST_SITE_KEY}"}`,
			[]string{"site_key holds a placeholder Caddy does not know {ENV.CIVIGATE_TEST_SITE_KEY}"}},
		{"unknown literal-looking", `{"site_key":"{abcdef0123456789}"}`,
			[]string{"site_key holds a placeholder Caddy does not know:"}},
		{"unclosed", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY"}`, []string{"site_key holds a '{' or '}'", "unclosed placeholder"}},
		{"stray close", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY}}"}`, []string{"site_key holds a '{' or '}'"}},
		{"request", `{"site_key":"{http.request.header.X-Civi-Key}"}`,
			[]string{"site_key: {http.request.header.X-Civi-Key} is a request placeholder", "when Caddy starts"}},
		{"env with default", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY:fallback-key-123}"}`,
			[]string{"site_key: {env.CIVIGATE_TEST_SITE_KEY:fallback-key-123}: Caddy's {env.NAME} placeholder takes no default",
				"{$CIVIGATE_TEST_SITE_KEY:default}"}},
		{"sign_keys", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY}","sign_keys":"{env:CIVICRM_SIGN_KEYS}"}`,
			[]string{"sign_keys holds a placeholder Caddy does not know {env:CIVICRM_SIGN_KEYS}"}},
		{"auth secret", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY}","auth":{"secret":"{ENV.CIVIGATE_SECRET}"}}`,
			[]string{"secret holds a placeholder Caddy does not know {ENV.CIVIGATE_SECRET}"}},
		{"redis", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY}","redis":"{env.REDIS_URL"}`, []string{"redis holds a '{' or '}'"}},
		{"unset within text", `{"site_key":"abc{env.CIVIGATE_TEST_UNSET_PART}defghijk"}`,
			[]string{"site_key: {env.CIVIGATE_TEST_UNSET_PART} is empty or unset, which would leave only the text around it"}},
		{"not a secret's source", `{"site_key":"{time.now.unix}"}`,
			[]string{"site_key: {time.now.unix} is not where a secret is kept"}},
		{"system", `{"site_key":"{env.CIVIGATE_TEST_SITE_KEY}","auth":{"secret":"s-{system.hostname}"}}`,
			[]string{"secret: {system.hostname} is not where a secret is kept"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, err := provisionJSON(t, tc.json, func(h *Handler) { h.Cache = &CacheConfig{Off: true} })
			switch {
			case tc.want == nil && err != nil:
				t.Fatalf("refused: %v", err)
			case tc.want == nil:
				if h.siteKey != key {
					t.Fatalf("site key resolved to %q, want the variable's value", h.siteKey)
				}
			case err == nil:
				t.Fatalf("provisioned with site key %q", h.siteKey)
			default:
				for _, w := range tc.want {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not name %q", err, w)
					}
				}
				for _, secret := range []string{key, "abcdef0123456789"} {
					if strings.Contains(err.Error(), secret) {
						t.Errorf("error %q shows the key", err)
					}
				}
			}
		})
	}
}

// provisionJSON provisions a handler from its JSON configuration (adjusted
// by change, when not nil) as Caddy would, and cleans it up when the test
// ends.
func provisionJSON(t *testing.T, js string, change func(*Handler)) (*Handler, error) {
	t.Helper()
	var h Handler
	if err := json.Unmarshal([]byte(js), &h); err != nil {
		t.Fatal(err)
	}
	if change != nil {
		change(&h)
	}
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	err := h.Provision(ctx)
	if err == nil {
		t.Cleanup(func() { _ = h.Cleanup() })
	}
	return &h, err
}
