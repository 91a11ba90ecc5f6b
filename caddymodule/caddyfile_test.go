package caddymodule

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
)

var updateGolden = flag.Bool("update", false, "rewrite the golden adapt files")

// Each testdata/adapt/NAME.caddyfile must adapt to exactly NAME.json: the
// directive's grammar, its order before reverse_proxy and php_fastcgi, and
// that secrets stay placeholders in the JSON config.
func TestCaddyfileAdaptGolden(t *testing.T) {
	files, err := filepath.Glob("testdata/adapt/*.caddyfile")
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden Caddyfiles: %v", err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			input, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt(input, map[string]any{"filename": file})
			if err != nil {
				t.Fatalf("adapt: %v", err)
			}
			var pretty bytes.Buffer
			if err := json.Indent(&pretty, out, "", "\t"); err != nil {
				t.Fatal(err)
			}
			pretty.WriteByte('\n')
			golden := strings.TrimSuffix(file, ".caddyfile") + ".json"
			if *updateGolden {
				if err := os.WriteFile(golden, pretty.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run with -update to create it)", err)
			}
			if !bytes.Equal(pretty.Bytes(), want) {
				t.Errorf("adapted JSON differs from %s:\n%s", golden, pretty.String())
			}
		})
	}
}

func TestCaddyfileErrorsNameTheToken(t *testing.T) {
	for _, tc := range []struct{ input, want string }{
		{"civicrm extra", `"extra"`},
		{"civicrm {\n bogus 1\n}", `"bogus"`},
		{"civicrm {\n site_key a b\n}", `"b"`},
		{"civicrm {\n site_key\n}", "site_key"},
		{"civicrm {\n forms\n}", "forms"},
		{"civicrm {\n wp_base_page\n}", "wp_base_page"},
		{"civicrm {\n wp_rest_prefix\n}", "wp_rest_prefix"},
		{"civicrm {\n http_cron on\n}", `"on"`},
		{"civicrm {\n http_cron\n}", "http_cron"},
		{"civicrm {\n http_cron allow refuse\n}", `"refuse"`},
		{"civicrm {\n max_body_size lots\n}", `"lots"`},
		{"civicrm {\n auth {\n allow {\n version 5\n }\n }\n}", `"5"`},
		{"civicrm {\n auth {\n ipv6_prefix 16\n }\n}", `"16"`},
		{"civicrm {\n auth {\n ipv6_prefix /64\n }\n}", `"/64"`},
		{"civicrm {\n auth {\n ipv6_prefix 64 48\n }\n}", `"48"`},
		{"civicrm {\n auth {\n ipv6_prefix\n }\n}", "ipv6_prefix"},
	} {
		var h Handler
		err := h.UnmarshalCaddyfile(caddyfile.NewTestDispenser(tc.input))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got error %v, want one naming %s", tc.input, err, tc.want)
		}
	}
}
