package caddymodule

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// One classification decides what the console counts as legacy and what
// the cut-off refuses (usesLegacy over legacyFeatures): the legacy forms,
// and key/api_key as parameters, key-value parameters or an XML answer on
// any form. Modern calls (headers, one json= object, JSON; APIv4 with
// headers) are not legacy.
func TestLegacyClassification(t *testing.T) {
	urlCreds := translate.Credentials{SiteKey: "sk", APIKey: "ak"}
	header := translate.Credentials{XCiviAuth: "Bearer ak", XCiviKey: "sk"}
	for _, tc := range []struct {
		class  string
		call   translate.Call
		legacy bool
	}{
		{"modern: civicrm/ajax/rest, headers, json=, JSON", translate.Call{Form: translate.FormAjax, Format: translate.FormatJSON, Credentials: header}, false},
		{"modern: APIv4 with headers", translate.Call{Form: translate.FormAPI4, Format: translate.FormatJSON, Credentials: header}, false},
		{"modern: _authx parameter", translate.Call{Form: translate.FormAjax, Format: translate.FormatJSON, Credentials: translate.Credentials{Authx: "Bearer ak"}}, false},
		{"extern/rest.php", translate.Call{Form: translate.FormExtern, Format: translate.FormatJSON, Credentials: header}, true},
		{"WordPress REST", translate.Call{Form: translate.FormWPRest, Format: translate.FormatJSON}, true},
		{"a CMS URL for civicrm/ajax/rest", translate.Call{Form: translate.FormAjaxVerbose, Format: translate.FormatJSON, Credentials: header}, true},
		{"key and api_key on civicrm/ajax/rest", translate.Call{Form: translate.FormAjax, Format: translate.FormatJSON, Credentials: urlCreds}, true},
		{"key alone on civicrm/ajax/rest", translate.Call{Form: translate.FormAjax, Format: translate.FormatJSON, Credentials: translate.Credentials{SiteKey: "sk", XCiviAuth: "Bearer ak"}}, true},
		{"key-value parameters on civicrm/ajax/rest", translate.Call{Form: translate.FormAjax, Format: translate.FormatJSON, KeyValue: true, Credentials: header}, true},
		{"XML on civicrm/ajax/rest", translate.Call{Form: translate.FormAjax, Format: translate.FormatXML, Credentials: header}, true},
		{"key and api_key on APIv4", translate.Call{Form: translate.FormAPI4, Format: translate.FormatJSON, Credentials: urlCreds}, true},
	} {
		call := tc.call
		if got := usesLegacy(legacyFeatures(&call)); got != tc.legacy {
			t.Errorf("%s: legacy %v, want %v (features %v)", tc.class, got, tc.legacy, legacyFeatures(&call))
		}
		// The console's count is the same test.
		p := &authx.Principal{ContactID: 2, CredType: authx.CredAPIKey}
		if s := usageOf(httptest.NewRequest("GET", "/", nil), &call, p); s.legacy != tc.legacy {
			t.Errorf("%s: the console counts it legacy %v, want %v", tc.class, s.legacy, tc.legacy)
		}
	}
}

// After the cut-off a legacy call gets 410 in its client's shape, naming
// every change the console's recipe for the same call lists, in the same
// words (the shape the history stores, encoded and decoded, included).
func TestCutoffReplyNamesTheConsolesChanges(t *testing.T) {
	lc := &LegacyConfig{Cutoff: "2026-01-01", Link: "https://example.org/migrate"}
	if err := lc.provision(); err != nil {
		t.Fatal(err)
	}
	params := translate.NewArray()
	params.Set("id", "3")
	for _, tc := range []struct {
		class string
		call  translate.Call
		cred  string
		shape string // part of the refusal's body
		want  []string
	}{
		{"extern/rest.php, key-value, XML", translate.Call{Form: translate.FormExtern, Method: "GET", Entity: "Contact", Action: "get", Format: translate.FormatXML, KeyValue: true,
			Credentials: translate.Credentials{SiteKey: "sk", APIKey: "ak"}}, authx.CredAPIKey, "<is_error>1</is_error>",
			[]string{"Call /civicrm/ajax/rest instead of extern/rest.php.", "not as key/api_key in the URL.", "X-Civi-Key", "not as key-value pairs.", "not XML."}},
		{"WordPress REST", translate.Call{Form: translate.FormWPRest, Method: "GET", Entity: "Contact", Action: "get", Format: translate.FormatJSON,
			Credentials: translate.Credentials{SiteKey: "sk", APIKey: "ak"}}, authx.CredAPIKey, `"code":"civigate_retired"`,
			[]string{"the WordPress REST route"}},
		{"civicrm/ajax/rest, key and api_key", translate.Call{Form: translate.FormAjax, Method: "GET", Entity: "Contact", Action: "get", Format: translate.FormatJSON,
			Credentials: translate.Credentials{SiteKey: "sk", APIKey: "ak"}}, authx.CredAPIKey, `"is_error":1`,
			[]string{"not as key/api_key in the URL."}},
		{"civicrm/ajax/rest, a write over GET with key-value parameters", translate.Call{Form: translate.FormAjax, Method: "GET", Entity: "Contact", Action: "create", Format: translate.FormatJSON, KeyValue: true,
			Credentials: translate.Credentials{XCiviAuth: "Bearer jwt"}}, authx.CredJWT, `"is_error":1`,
			[]string{"Send it as POST", "not as key-value pairs."}},
		{"civicrm/ajax/rest, XML", translate.Call{Form: translate.FormAjax, Method: "POST", Entity: "Contact", Action: "get", Format: translate.FormatXML,
			Credentials: translate.Credentials{XCiviAuth: "Bearer ak"}}, authx.CredAPIKey, "<is_error>1</is_error>",
			[]string{"not XML."}},
		{"APIv4, key and api_key", translate.Call{Form: translate.FormAPI4, Method: "GET", Entity: "Contact", Action: "get", Format: translate.FormatJSON,
			Credentials: translate.Credentials{SiteKey: "sk", APIKey: "ak"}}, authx.CredAPIKey, `"error_code":410`,
			[]string{"not as key/api_key in the URL."}},
	} {
		call := tc.call
		call.Params = params
		p := &authx.Principal{ContactID: 2, CredType: tc.cred}
		shape, ok := decodeShape(shapeOf(httptest.NewRequest("GET", "/", nil), &call, p).encode())
		if !ok {
			t.Fatalf("%s: no shape", tc.class)
		}
		console := shape.modernCall(true).Changes
		for _, who := range []*authx.Principal{p, nil} { // after authentication, and before
			if who == nil && call.Credentials.APIKey == "" {
				continue // before authentication only a URL's api_key tells the credential
			}
			reply := lc.cutoffReply(&call, who, true)
			// PHP's JSON escapes slashes (WordPress's too).
			body := strings.ReplaceAll(string(reply.Body), `\/`, "/")
			if reply.Status != http.StatusGone || !strings.Contains(body, "retired on 2026-01-01.") || !strings.Contains(body, tc.shape) ||
				!strings.Contains(body, "See https://example.org/migrate") {
				t.Errorf("%s: %d %s", tc.class, reply.Status, body)
			}
			for _, change := range console {
				if !strings.Contains(body, change) {
					t.Errorf("%s: the refusal does not name the console's change %q: %s", tc.class, change, body)
				}
			}
			for _, want := range tc.want {
				if !strings.Contains(strings.Join(console, " "), want) {
					t.Errorf("%s: the console's changes %q lack %q", tc.class, console, want)
				}
			}
		}
	}
	if lc.refused(time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC)) || !lc.refused(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("the cut-off is not at its date")
	}
}

// An APIv4 caller's legacy habit is key/api_key in its URL: the console's
// recipe keeps it an APIv4 call (its route, params=) with the credential
// in headers, and does not send it to civicrm/ajax/rest.
func TestConsoleRecipeForAPIv4(t *testing.T) {
	params := translate.NewArray()
	params.Set("select", "display_name")
	call := translate.Call{Form: translate.FormAPI4, Method: "GET", Entity: "Contact", Action: "get", Format: translate.FormatJSON, Params: params,
		Credentials: translate.Credentials{SiteKey: "sk", APIKey: "ak"}}
	shape, ok := decodeShape(shapeOf(httptest.NewRequest("GET", "http://crm.example/", nil), &call, &authx.Principal{CredType: authx.CredAPIKey}).encode())
	if !ok {
		t.Fatal("no shape")
	}
	m := shape.modernCall(true)
	if m.URL != "http://crm.example/civicrm/ajax/api4/Contact/get" || m.Legacy != "GET APIv4 (civicrm/ajax/api4)" ||
		len(m.Fields) != 1 || m.Fields[0].Name != "params" || !strings.Contains(m.Fields[0].Value, `"select"`) {
		t.Errorf("recipe %+v", m)
	}
	if got := strings.Join(m.Changes, " "); strings.Contains(got, "ajax/rest") || !strings.Contains(got, "X-Civi-Auth header, not as key/api_key in the URL.") {
		t.Errorf("changes %q", m.Changes)
	}
}
