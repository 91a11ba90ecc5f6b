package caddymodule

import (
	"net/http"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

func TestCredentialsFilterURI(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/civicrm/ajax/rest?entity=Contact&action=get", "/civicrm/ajax/rest?entity=Contact&action=get"},
		{"/x?key=s1&api_key=s2&json=1", "/x?key=REDACTED&api_key=REDACTED&json=1"},
		{"/x?api.key=s&api+key=s&api%5Bkey=s&api[key=s&%20key=s&+api_key=s", "/x?api.key=REDACTED&api+key=REDACTED&api%5Bkey=REDACTED&api[key=REDACTED&%20key=REDACTED&+api_key=REDACTED"},
		{"/x?.authx=s&.authxSiteKey=s&_authxSes=s&api_key[]=s&key%00x=s", "/x?.authx=REDACTED&.authxSiteKey=REDACTED&_authxSes=REDACTED&api_key[]=REDACTED&key%00x=REDACTED"},
		{"/x?amp;api_key=s&api_amp;key=s&amp%3Bkey=s&amamp;p;api_key=s&amp;x=s", "/x?amp;api_key=REDACTED&api_amp;key=REDACTED&amp%3Bkey=REDACTED&amamp;p;api_key=REDACTED&amp;x=s"},
		{"/x?API_KEY=s&Key=s", "/x?API_KEY=REDACTED&Key=REDACTED"},
		// bin/cron.php's CMS password (authenticateScript), under the names
		// PHP reads as pass; the user name is no secret.
		{"/sites/all/modules/civicrm/bin/cron.php?name=admin&pass=s&key=k&job=x", "/sites/all/modules/civicrm/bin/cron.php?name=admin&pass=REDACTED&key=REDACTED&job=x"},
		{"/x/bin/migrate/export.php?.pass=s&%70ass=s&PASS=s&amp;pass=s&passx=s&password=s", "/x/bin/migrate/export.php?.pass=s&%70ass=REDACTED&PASS=REDACTED&amp;pass=REDACTED&passx=s&password=s"},
		// Afform's page token, the link CiviCRM mails (civicrm/my-form?_aff=Bearer+<JWT>).
		{"/civicrm/my-form?_aff=Bearer+eyJ.x.y&.aff=s&%5Faff=s&staff=s", "/civicrm/my-form?_aff=REDACTED&.aff=REDACTED&%5Faff=REDACTED&staff=s"},
		// Not credentials: a nested key, a different name, '=' inside the value.
		{"/x?api[key]=s&keys=s&monkey=s&json=key%3Ds", "/x?api[key]=s&keys=s&monkey=s&json=key%3Ds"},
		// Empty pieces and values, a value holding '=' and '?'.
		{"/x?&&key=&api_key=a=b?c&", "/x?&&key=&api_key=REDACTED&"},
		{"no query key=s", "no query key=s"},
		// A raw '#' stays in the query PHP sees, so it is part of the value.
		{"/extern/rest.php?q=1&key=s#frag", "/extern/rest.php?q=1&key=REDACTED"},
		// An API key as data: every value but the envelope's goes.
		{"/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22api_key%22%3A%22s%22%2C%22return%22%3A%22id%22%7D&sequential=1",
			"/civicrm/ajax/rest?entity=Contact&action=get&json=REDACTED&sequential=REDACTED"},
		{"/civicrm/ajax/api4/Contact/get?params=%7B%22where%22%3A%5B%5B%22API_KEY%22%2C%22%3D%22%2C%22s%22%5D%5D%7D",
			"/civicrm/ajax/api4/Contact/get?params=REDACTED"},
		{"/x?json=%257B%2522api_key%2522%253A%2522s%2522%257D", "/x?json=REDACTED"},
		{"/extern/rest.php?entity=Contact&action=setvalue&field=api_key&value=s&id=3&key=k",
			"/extern/rest.php?entity=Contact&action=setvalue&field=REDACTED&value=REDACTED&id=REDACTED&key=REDACTED"},
		{"/civicrm/ajax/api4/Contact/get?where[0][]=api_key&where[0][]==&where[0][]=s",
			"/civicrm/ajax/api4/Contact/get?where[0][]=REDACTED&where[0][]=REDACTED&where[0][]=REDACTED"},
		{"/index.php?q=civicrm/ajax/rest&entity=Contact&action=get&json[api_key]=s",
			"/index.php?q=civicrm/ajax/rest&entity=Contact&action=get&json[api_key]=REDACTED"},
		// The name JSON-escaped, which json_decode reads as api_key: escaped
		// and percent-encoded, or sent as it is, or with an escape PHP keeps.
		{"/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22%5Cu0061pi%5Cu005Fkey%22%3A%22s%22%7D",
			"/civicrm/ajax/rest?entity=Contact&action=get&json=REDACTED"},
		{`/civicrm/ajax/api4/Contact/get?params={"where":[["\u0061pi_key","=","s"]]}`,
			"/civicrm/ajax/api4/Contact/get?params=REDACTED"},
		{"/x?json=%7B%22api%5Cu005fkey%22%3A%22s%22%2C%22x%22%3A%22%zz%22%7D", "/x?json=REDACTED"},
		// A credential parameter alone is not data; nor is an api_key-less json.
		{"/x?api_key=s&json=%7B%22id%22%3A1%7D", "/x?api_key=REDACTED&json=%7B%22id%22%3A1%7D"},
	} {
		got := CredentialsFilter{}.Filter(zap.String("uri", tc.in)).String
		if got != tc.want {
			t.Errorf("%q\n got %q\nwant %q", tc.in, got, tc.want)
		}
	}
}

func TestCredentialsFilterHeaders(t *testing.T) {
	h := http.Header{
		"X.civi.auth":        {"Bearer sec1"},
		"X_civi-auth":        {"Bearer sec2"},
		"X-Civi-Key":         {"sec3"},
		"X.civi_key":         {"sec4"},
		"X-Civi-Auth-Afform": {"sec5"},
		"Authorization":      {"Basic sec6"},
		"Referer":            {"https://site.org/extern/rest.php?entity=Contact&api.key=sec7"},
		"Cookie":             {"SESS=sec8"},
		"User-Agent":         {"curl/8"},
		// Civigate's own token on its authx/id questions (attack r4 F7).
		"X-Civigate-Subrequest": {"1800000000.sec10"},
		"X_civigate.subrequest": {"1800000000.sec11"},
	}
	orig := h.Clone()
	f := CredentialsFilter{}.Filter(zap.Object("headers", caddyhttp.LoggableHTTPHeader{Header: h}))
	enc := zapcore.NewMapObjectEncoder()
	f.AddTo(enc)
	logged := enc.Fields["headers"].(map[string]any)
	if len(logged) != len(orig) {
		t.Errorf("logged %d headers, want %d: %v", len(logged), len(orig), logged)
	}
	for name, vals := range logged {
		if s := strings.Join(toStrings(vals), ","); strings.Contains(s, "sec") {
			t.Errorf("%s logged as %q", name, s)
		}
	}
	if got := toStrings(logged["Referer"]); len(got) != 1 || got[0] != "https://site.org/extern/rest.php?entity=Contact&api.key=REDACTED" {
		t.Errorf("Referer logged as %q", got)
	}
	if got := toStrings(logged["User-Agent"]); len(got) != 1 || got[0] != "curl/8" {
		t.Errorf("User-Agent logged as %q", got)
	}
	for k, v := range orig {
		if h[k][0] != v[0] {
			t.Errorf("the request's own %s changed to %q", k, h[k])
		}
	}
	// One header's values, as a filter on request>headers>Referer gets them.
	one := CredentialsFilter{}.Filter(zap.Array("Referer", caddyhttp.LoggableStringArray{"/x?key=sec9", "/y"}))
	if got := one.Interface.(caddyhttp.LoggableStringArray); got[0] != "/x?key=REDACTED" || got[1] != "/y" {
		t.Errorf("Referer values filtered to %q", got)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}

func TestCredentialsFilterCaddyfile(t *testing.T) {
	var f CredentialsFilter
	if err := f.UnmarshalCaddyfile(caddyfile.NewTestDispenser("civicrm_credentials")); err != nil {
		t.Errorf("no arguments: %v", err)
	}
	for _, in := range []string{"civicrm_credentials key", "civicrm_credentials {\n\tkey\n}"} {
		err := f.UnmarshalCaddyfile(caddyfile.NewTestDispenser(in))
		if err == nil || !strings.Contains(err.Error(), "key") {
			t.Errorf("%q: want an error naming the extra token, got %v", in, err)
		}
	}
}
