package caddymodule

import (
	"context"
	"encoding/json"
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
			var h Handler
			if err := json.Unmarshal([]byte(tc.json), &h); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
			defer cancel()
			err := h.Provision(ctx)
			if err == nil {
				defer h.Cleanup()
			}
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
