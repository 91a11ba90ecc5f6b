package tests

import (
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// upstreamLog stands where CiviCRM is and records every request reaching
// it, so a test can tell Civigate's own credential check (civicrm/authx/id)
// and what Civigate built from anything passed on as the client sent it. It answers through next
// (e.g. the simulator), or with "upstream" when next is nil.
type upstreamLog struct {
	next http.Handler
	mu   sync.Mutex
	seen []seenRequest
}

type seenRequest struct {
	method, uri, body string
	civigate          bool // Civigate's credential check (civicrm/authx/id)
	complete          bool // the whole body arrived (its end, not a broken connection)
	contentLength     int64
	header            http.Header
}

// civigateQuestionQuery are the queries of Civigate's verbose questions
// (translate.RecogniseConfig.AuthxID).
var civigateQuestionQuery = map[string]bool{
	"q=civicrm/authx/id": true, "civiwp=CiviCRM&q=civicrm/authx/id": true, "page=CiviCRM&q=civicrm/authx/id": true,
	"option=com_civicrm&task=civicrm/authx/id": true,
}

func (u *upstreamLog) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	// Civigate asks civicrm/authx/id under the call's base in its form:
	// clean, or a front controller's routing parameters alone.
	own := r.URL.Path == "/civicrm/authx/id" && r.URL.RawQuery == "" || r.Method == "GET" && len(body) == 0 && civigateQuestionQuery[r.URL.RawQuery]
	u.mu.Lock()
	u.seen = append(u.seen, seenRequest{r.Method, r.RequestURI, string(body), own, err == nil, r.ContentLength, r.Header.Clone()})
	u.mu.Unlock()
	if u.next != nil {
		u.next.ServeHTTP(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain")
	io.WriteString(w, "upstream")
}

// waitFor waits up to timeout for n requests to be recorded (one whose
// body Civigate cut reaches the upstream as the client gets its answer),
// then takes them.
func (u *upstreamLog) waitFor(n int, timeout time.Duration) []seenRequest {
	for deadline := time.Now().Add(timeout); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		u.mu.Lock()
		got := len(u.seen)
		u.mu.Unlock()
		if got >= n {
			break
		}
	}
	return u.take()
}

func (u *upstreamLog) take() []seenRequest {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := u.seen
	u.seen = nil
	return out
}

// rawRequest sends target as the request line verbatim, so path tricks are
// not cleaned by the client library first.
func rawRequest(t *testing.T, base, method, target, contentType, body string) (int, string) {
	t.Helper()
	var header []string
	if contentType != "" {
		header = append(header, "Content-Type: "+contentType)
	}
	return rawExchange(t, base, method, target, header, body)
}

// rawExchange is rawRequest with any header lines ("Name: value").
func rawExchange(t *testing.T, base, method, target string, header []string, body string) (int, string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	req := method + " " + target + " HTTP/1.1\r\nHost: civicrm.example\r\nConnection: close\r\n"
	for _, h := range header {
		req += h + "\r\n"
	}
	req += "Content-Length: " + itoa(len(body)) + "\r\n\r\n" + body
	if _, err := io.WriteString(conn, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufioReader(conn), nil)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// Path tricks aimed at the API routes must either be refused by Civigate or
// be recognised (and then authenticated): none may reach CiviCRM as sent.
// Paths that are not API routes pass through untouched.
func TestPathTricksThroughCaddy(t *testing.T) {
	up := &upstreamLog{}
	stub := httptest.NewServer(up)
	defer stub.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(stub.URL, "http://"), "site_key test-site-key-0123"))
	up.take() // startCaddy's readiness probe

	const (
		refused = iota // Civigate answers 400 itself
		authed         // recognised: Civigate refuses the missing credentials
		passed         // not the API: CiviCRM receives it unchanged
	)
	for _, tc := range []struct {
		method, target, ct, body string
		want                     int
	}{
		{"GET", "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "//sites/all/modules/civicrm/extern//rest.php?entity=Contact&action=get", "", "", authed},
		{"GET", "/SITES/all/modules/CIVICRM/extern/REST.php?entity=Contact&action=get", "", "", authed},
		{"GET", "/sites/all/modules/civicrm/extern/rest%2ephp?entity=Contact&action=get", "", "", refused},
		{"GET", "/sites/all/modules/civicrm/extern%2frest.php?entity=Contact&action=get", "", "", refused},
		{"GET", "/sites/all/modules/civicrm/x/../extern/rest.php?entity=Contact&action=get", "", "", refused},
		{"GET", "/sites/all/modules/civicrm/extern/rest.php/extra?entity=Contact", "", "", refused},
		{"GET", "/civicrm/ajax/rest?entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "/civicrm/ajax/rest/?entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "/civicrm/ajax/rest%2f?entity=Contact&action=get", "", "", refused},
		{"GET", "/civicrm/./ajax/rest?entity=Contact&action=get", "", "", refused},
		{"GET", "/civicrm/ajax/rest/x?entity=Contact&action=get", "", "", refused},
		{"GET", "/index.php?q=civicrm/ajax/rest&entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "/index.php?q=civicrm%2fajax%2frest&entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "/?civiwp=CiviCRM&q=civicrm/ajax/rest&entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "/?rest_route=/civicrm/v3/rest&entity=Contact&action=get&json=1", "", "", authed},
		{"GET", "/index.php?option=com_civicrm&task=civicrm/ajax/rest&entity=Contact&action=get&json=1", "", "", authed},
		{"POST", "/", "application/x-www-form-urlencoded", "rest_route=/civicrm/v3/rest&entity=Contact&action=get&json=1", refused},
		{"POST", "/index.php", "application/x-www-form-urlencoded", "option=com_civicrm&task=civicrm/ajax/rest&entity=Contact&action=get", refused},
		{"GET", "/sites/all/modules/civicrm/extern/rest.php.bak", "", "", passed},
		{"GET", "/civicrm/dashboard", "", "", passed},
		{"POST", "/contact-form", "application/x-www-form-urlencoded", "name=Alice&message=hello", passed},
	} {
		status, body := rawRequest(t, inst.URL, tc.method, tc.target, tc.ct, tc.body)
		got := up.take()
		switch tc.want {
		case refused:
			if status != http.StatusBadRequest || !strings.Contains(body, `"is_error":1`) || len(got) != 0 {
				t.Errorf("%s %s: want Civigate's 400, got %d %q, upstream saw %+v", tc.method, tc.target, status, body, got)
			}
		case authed:
			refusal := strings.Contains(body, `"is_error":1`) || strings.Contains(body, "<is_error>1</is_error>") ||
				strings.Contains(body, `"code":"civicrm_rest_api_error"`)
			if !refusal || len(got) != 0 {
				t.Errorf("%s %s: want an edge auth refusal, got %d %q, upstream saw %+v", tc.method, tc.target, status, body, got)
			}
		case passed:
			if status != http.StatusOK || body != "upstream" || len(got) != 1 || got[0].uri != tc.target {
				t.Errorf("%s %s: want it passed through unchanged, got %d %q, upstream saw %+v", tc.method, tc.target, status, body, got)
			}
		}
	}
}

// With extern_strict, extern/rest.php is only served under the CMS default
// prefixes and the configured ones; elsewhere it is refused, never passed on.
func TestExternStrictPrefixes(t *testing.T) {
	checkEdgeAnswers(t, []string{"site_key test-site-key-0123", "extern_prefix /crm/core", "extern_strict"}, map[string]int{
		"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1": http.StatusOK, // auth refusal, legacy shape
		"/crm/core/extern/rest.php?entity=Contact&action=get&json=1":                  http.StatusOK,
		"/elsewhere/extern/rest.php?entity=Contact&action=get&json=1":                 http.StatusBadRequest,
	})
}

// With wp_base_page, WordPress's clean CiviCRM URLs under that base page
// are served like /civicrm/ajax/rest; under a base page Civigate was not
// told about they are refused, since WordPress would route them to the API.
func TestWPBasePageThroughCaddy(t *testing.T) {
	checkEdgeAnswers(t, []string{"site_key test-site-key-0123", "wp_base_page crm"}, map[string]int{
		"/crm/ajax/rest?entity=Contact&action=get&json=1":      http.StatusUnauthorized, // recognised: Civigate wants credentials
		"/blog/crm/ajax/rest?entity=Contact&action=get&json=1": http.StatusUnauthorized,
		"/other/ajax/rest?entity=Contact&action=get&json=1":    http.StatusBadRequest,
		"/crm/ajax/rest%20?entity=Contact&action=get&json=1":   http.StatusBadRequest,
	})
}

// With wp_rest_prefix, the REST routes CiviCRM's WordPress plugin logs a
// user in for are refused under that prefix as under /wp-json/.
func TestWPRESTPrefixThroughCaddy(t *testing.T) {
	checkEdgeAnswers(t, []string{"site_key test-site-key-0123", "wp_rest_prefix api"}, map[string]int{
		"/api/civicrm/v3/restx?api_key=k":      http.StatusBadRequest,
		"/blog/api/x/civicrm-rest?api_key=k":   http.StatusBadRequest,
		"/wp-json/civicrm/v3/restx?api_key=k":  http.StatusBadRequest,
		"/?rest_route=/civicrm/v3/restx&key=k": http.StatusBadRequest,
	})
}

// checkEdgeAnswers sends each target (GET, no credentials) through Caddy
// with civicrmLines and wants Civigate itself to answer it with that status
// and an APIv3 error, CiviCRM seeing none of them.
func checkEdgeAnswers(t *testing.T, civicrmLines []string, want map[string]int) {
	t.Helper()
	up := &upstreamLog{}
	stub := httptest.NewServer(up)
	defer stub.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(stub.URL, "http://"), civicrmLines...))
	up.take()
	for target, status := range want {
		got, body := rawRequest(t, inst.URL, "GET", target, "", "")
		if got != status || !strings.Contains(body, `"is_error":1`) {
			t.Errorf("%s: %d %s, want %d with an APIv3 error", target, got, body, status)
		}
	}
	if got := up.take(); len(got) != 0 {
		t.Errorf("CiviCRM received %+v", got)
	}
}
