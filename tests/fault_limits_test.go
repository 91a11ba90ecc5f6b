package tests

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
)

// Oversized queries and bodies are refused at the edge with an APIv3-shaped
// 414/413 in the client's format, and never reach CiviCRM; a request just
// under the limits still goes through, so the limits are where configured.
func TestFaultSizeLimits(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(stub.Host(), "site_key "+sk, "max_query_size 2KiB", "max_body_size 4KiB"))
	stub.seen()
	base := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + sk + "&api_key=" + stub.APIKey
	ajax := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=1"
	xheader := http.Header{"X-Civi-Auth": {"Bearer " + stub.APIKey}, "X-Civi-Key": {sk}}
	// pad fills a parameter so the query or body is n bytes longer.
	pad := func(n int) string { return "&sort_name=" + strings.Repeat("a", n) }
	_, baseQuery, _ := strings.Cut(base, "?")
	under := 2048 - 100 - len(baseQuery) - len(pad(0)) // a query of 1948 bytes

	for _, tc := range []struct {
		name, method, url, body string
		header                  http.Header
		status                  int
	}{
		{name: "query under the limit", method: "GET", url: base + pad(under), status: 200},
		{name: "query over the limit", method: "GET", url: base + pad(4096), status: http.StatusRequestURITooLong},
		{name: "modern query over the limit", method: "GET", url: ajax + pad(4096), header: xheader, status: http.StatusRequestURITooLong},
		{name: "body under the limit", method: "POST", url: base, body: "entity=Contact" + pad(2048), status: 200},
		{name: "body over the limit", method: "POST", url: base, body: "entity=Contact" + pad(8192), status: http.StatusRequestEntityTooLarge},
		{name: "modern body over the limit", method: "POST", url: ajax, body: "entity=Contact" + pad(8192), header: xheader, status: http.StatusRequestEntityTooLarge},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := do(t, tc.method, tc.url, tc.body, tc.header)
			if got.status != tc.status {
				t.Fatalf("status %d, want %d; body %.300s", got.status, tc.status, got.body)
			}
			reqs, _ := stub.seen()
			apiCalls := 0
			for _, r := range reqs {
				if r.URL.Path == "/civicrm/ajax/rest" {
					apiCalls++
				}
			}
			if tc.status != 200 {
				assertAPIv3Error(t, got)
				if apiCalls != 0 {
					t.Errorf("an oversized request reached CiviCRM (%d API calls)", apiCalls)
				}
			} else if apiCalls != 1 {
				t.Errorf("%d API calls reached CiviCRM, want 1", apiCalls)
			}
		})
	}
}

// A body without Content-Length (chunked) is cut off at the limit too, not
// read to the end first.
func TestFaultSizeLimitChunkedBody(t *testing.T) {
	stub := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(stub.Host(), "site_key "+sk, "max_body_size 4KiB"))
	// json=1 in the query: the format is known without parsing the body.
	body := "entity=Contact&action=get&key=" + sk + "&api_key=" + stub.APIKey + "&sort_name=" + strings.Repeat("a", 64<<10)
	// MultiReader hides the length, so the client sends chunked.
	req, err := http.NewRequest("POST", inst.URL+"/sites/all/modules/civicrm/extern/rest.php?json=1", io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusRequestEntityTooLarge {
		t.Fatalf("status %d, want 413; body %.300s", resp.StatusCode, b)
	}
	assertAPIv3Error(t, answer{resp.StatusCode, resp.Header, string(b)})
}

// assertAPIv3Error checks a JSON client got {"is_error":1,"error_message":...}.
func assertAPIv3Error(t *testing.T, got answer) {
	t.Helper()
	if ct := got.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	var v struct {
		IsError      *int   `json:"is_error"`
		ErrorMessage string `json:"error_message"`
	}
	if err := json.Unmarshal([]byte(got.body), &v); err != nil || v.IsError == nil || *v.IsError != 1 || v.ErrorMessage == "" {
		t.Errorf("not an APIv3 error: %.300s", got.body)
	}
}
