package translate

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// scanCredentials runs a BodyScanner over a whole body.
func scanCredentials(method, ct string, body string) (routes bool, c BodyCredentials, scanned bool) {
	u, _ := url.ParseRequestURI("/")
	s := RecogniseConfig{}.BodyScanner(u, method, ct)
	if s == nil {
		return false, BodyCredentials{}, false
	}
	routes = s.Write([]byte(body)) || s.Close()
	return routes, s.Credentials(), true
}

// Which bodies PHP parses into $_POST, by method and Content-Type, as the
// servers in front of it hand them over (issue 12: a body PHP parsed and
// the edge did not was a way past it). Each row names its case.
func TestPHPPostForm(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, method string
		ct           string
		want         string // the reader: u (urlencoded), m:<boundary>
	}{
		{"plain form", "POST", form, "u"},
		{"upper case type", "POST", "APPLICATION/X-WWW-FORM-URLENCODED", "u"},
		{"type cut at ','", "POST", form + ",x", "u"},
		{"type cut at ' '", "POST", form + " x", "u"},
		{"type cut at ';'", "POST", form + ";x", "u"},
		{"a leading space: PHP reads no type", "POST", " " + form, ""},
		{"multipart with a parameter Go rejects", "POST", "multipart/form-data; boundary=B; x", "m:B"},
		{"multipart, boundary in any case", "POST", "multipart/form-data; BOUNDARY=B", "m:B"},
		{"multipart without a boundary: nothing", "POST", "multipart/form-data", ""},
		{"no or an empty Content-Type: php_fastcgi sends urlencoded", "POST", "", "u"},
		{"lower-case post: php_fastcgi sends POST", "post", form, "u"},
		{"mixed-case post", "pOsT", form, "u"},
		{"lower-case get: php_fastcgi sends POST", "get", form, "u"},
		{"lower-case get without a Content-Type", "get", "", "u"},
		{"GET: never", "GET", form, ""},
		{"HEAD: never", "HEAD", form, ""},
		{"OPTIONS: never", "OPTIONS", form, ""},
		{"PUT: never", "PUT", form, ""},
		{"lower-case head: HEAD, never", "head", form, ""},
		{"JSON: never", "POST", "application/json", ""},
	} {
		got := ""
		switch form, multipart, boundary := phpPostForm(tt.method, tt.ct); {
		case multipart:
			got = "m:" + boundary
		case form:
			got = "u"
		}
		if got != tt.want {
			t.Errorf("%s: %s %q: reader %q, want %q", tt.name, tt.method, tt.ct, got, tt.want)
		}
	}
}

// AuthX's parameters in a form body, read as PHP registers them: every
// spelling PHP mangles into _authx, none it mangles into something else,
// and what the edge cannot check the way CiviCRM would is a Problem.
func TestBodyCredentials(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	mp := func(name, value string) string {
		return "--B\r\nContent-Disposition: form-data; name=\"" + name + "\"\r\n\r\n" + value + "\r\n--B--\r\n"
	}
	for _, tt := range []struct {
		name, method string
		ct           string
		body         string
		authx, key   string
		problem      bool
	}{
		{name: "plain", method: "POST", ct: form, body: "_authx=Bearer+k&_authxSiteKey=s", authx: "Bearer k", key: "s"},
		{name: "'.' mangled into '_'", method: "POST", ct: form, body: ".authx=Bearer+k", authx: "Bearer k"},
		{name: "a leading space dropped", method: "POST", ct: form, body: "+_authx=Bearer+k", authx: "Bearer k"},
		{name: "percent-encoded name", method: "POST", ct: form, body: "%5Fau%74hx=Bearer+k", authx: "Bearer k"},
		{name: "cut at NUL", method: "POST", ct: form, body: "_authx%00junk=Bearer+k", authx: "Bearer k"},
		{name: "_authx. is _authx_", method: "POST", ct: form, body: "_authx.=Bearer+k"},
		{name: "_authx[ is _authx_", method: "POST", ct: form, body: "_authx[=Bearer+k"},
		{name: "trailing space is _authx_", method: "POST", ct: form, body: "_authx+=Bearer+k"},
		{name: "case matters", method: "POST", ct: form, body: "_AUTHX=Bearer+k"},
		{name: "an array is never a credential", method: "POST", ct: form, body: "_authx[]=Bearer+k", problem: true},
		{name: "an array with a long key", method: "POST", ct: form, body: "_authx[aaaaaaaaaaaaaaaaaaaa]=k", problem: true},
		{name: "twice, the same", method: "POST", ct: form, body: "_authx=k&_authx=k", authx: "k"},
		{name: "twice, different (max_input_vars keeps the first)", method: "POST", ct: form, body: "_authx=guess&_authx=k", problem: true},
		{name: "site key twice, different", method: "POST", ct: form, body: "_authx=k&_authxSiteKey=a&.authxSiteKey=b", problem: true},
		{name: "longer than any credential", method: "POST", ct: form, body: "_authx=" + strings.Repeat("a", maxRoutingLen+1), problem: true},
		{name: "trailing CR LF kept as sent", method: "POST", ct: form, body: "_authx=k%0D%0A", authx: "k\r\n"},
		{name: "odd type, comma", method: "POST", ct: "application/x-www-form-urlencoded,x", body: "_authx=k", authx: "k"},
		{name: "odd type, space", method: "POST", ct: "application/x-www-form-urlencoded x", body: "_authx=k", authx: "k"},
		{name: "no Content-Type", method: "POST", body: "_authx=k", authx: "k"},
		{name: "lower-case post", method: "post", ct: form, body: "_authx=k", authx: "k"},
		{name: "lower-case get with a body", method: "get", body: "_authx=k", authx: "k"},
		{name: "multipart with a parameter Go rejects", method: "POST", ct: "multipart/form-data; boundary=B; x", body: mp("_authx", "Bearer k"), authx: "Bearer k"},
		{name: "multipart, mangled name", method: "POST", ct: "multipart/form-data; boundary=B", body: mp(".authx", "Bearer k"), authx: "Bearer k"},
		{name: "multipart, array", method: "POST", ct: "multipart/form-data; boundary=B", body: mp("_authx[x]", "k"), problem: true},
		{name: "multipart, a file is $_FILES", method: "POST", ct: "multipart/form-data; boundary=B",
			body: "--B\r\nContent-Disposition: form-data; name=\"_authx\"; filename=\"a\"\r\n\r\nk\r\n--B--\r\n"},
	} {
		routes, c, _ := scanCredentials(tt.method, tt.ct, tt.body)
		switch {
		case routes:
			t.Errorf("%s: refused as routing", tt.name)
		case tt.problem != (c.Problem != ""):
			t.Errorf("%s: problem %q, want one: %v", tt.name, c.Problem, tt.problem)
		case !tt.problem && (c.Authx != tt.authx || c.SiteKey != tt.key):
			t.Errorf("%s: _authx %q _authxSiteKey %q, want %q %q", tt.name, c.Authx, c.SiteKey, tt.authx, tt.key)
		}
	}
}

// Query strings are read by the same reader, and most of them cost
// nothing: no allocation without a name holding "authx".
func TestQueryCredentials(t *testing.T) {
	for _, tt := range []struct {
		query, authx string
		problem      bool
	}{
		{"a=1&_authx=Bearer+k", "Bearer k", false},
		{"%5F%61uthx=k", "k", false},
		{"_authx=guess&x=1&_authx=k", "", true},
		{"_authx[]=k", "", true},
		{"authx=k", "", false},
		{"s=foo%20bar&page=2", "", false},
		// Afform's page token is read beside them.
		{"_aff=Bearer+t&_aff=Bearer+u", "", true},
		{"_aff[]=t", "", true},
	} {
		c := QueryCredentials(tt.query)
		if c.Authx != tt.authx || (c.Problem != "") != tt.problem {
			t.Errorf("%q: %+v, want _authx %q problem %v", tt.query, c, tt.authx, tt.problem)
		}
	}
	if n := testing.AllocsPerRun(100, func() { QueryCredentials("s=foo%20bar&page=2&q=civicrm/contact/view") }); n != 0 {
		t.Errorf("a query without AuthX parameters: %v allocations", n)
	}
}

// Every _authx and _authxSiteKey PHP registers from a body (php-cgi, with
// the method and Content-Type Caddy's php_fastcgi hands it, and as sent,
// as Apache does) is what the edge reads, or the edge refuses the body.
func TestBodyCredentialsMatchPHP(t *testing.T) {
	php := newPHPCGI(t, `<?php $o = [];
foreach (['_authx', '_authxSiteKey'] as $k) if (isset($_POST[$k])) $o[$k] = is_string($_POST[$k]) ? bin2hex($_POST[$k]) : 'array';
echo json_encode((object) $o);`)
	r := diffSeed(t)
	names := []string{"_authx", "_authxSiteKey", " _authx", ".authx", "_authx.", "_authx[", "_authx[]", "_authx[a]", "%5Fauthx",
		"_AUTHX", "_authx%00x", "_authx ", "_au%74hx", ".authxSiteKey"}
	for range 400 {
		ct, body := genFormBodyOf(r, pick(r, names...), pick(r, "Bearer k", "x y", "", "0", "a&b", "é", "k\r"))
		method := pick(r, "POST", "POST", "post", "get", "Post", "PUT")
		if r.IntN(6) == 0 && !strings.HasPrefix(ct, "multipart") {
			ct = "" // none
		}
		routes, c, _ := scanCredentials(method, ct, body)
		if routes || c.Problem != "" {
			continue
		}
		// php_fastcgi (client.Post): the method upper-cased, GET made POST,
		// the first Content-Type or urlencoded; a web server: as sent.
		fcgiMethod := strings.ToUpper(method)
		if fcgiMethod == "GET" && method != "GET" {
			fcgiMethod = "POST"
		}
		fcgiCT := "application/x-www-form-urlencoded"
		if ct != "" {
			fcgiCT = ct
		}
		for _, env := range [][2]string{{fcgiMethod, fcgiCT}, {method, ct}} {
			out := php.serve(t, env[0], "", env[1], []byte(body), len(body))
			var got map[string]string
			if i := strings.LastIndexByte(out, '{'); i < 0 || json.Unmarshal([]byte(out[i:]), &got) != nil {
				t.Fatalf("php-cgi answered %q", out)
			}
			for k, edge := range map[string]string{"_authx": c.Authx, "_authxSiteKey": c.SiteKey} {
				v, ok := got[k]
				if !ok {
					continue
				}
				var raw []byte
				fmt.Sscanf(v, "%x", &raw)
				if v == "array" || !bytes.Equal(raw, []byte(edge)) {
					t.Errorf("%s %q body %q (PHP run as %s %q): PHP has %s=%q, the edge read %q", method, ct, truncate(body, 400), env[0], env[1], k, raw, edge)
				}
			}
		}
	}
}

// _authxSes asks AuthX for a session where PHP's !empty() says so: the
// edge never reads "no session" where PHP reads one (a value it cannot
// read as one, an array or two different ones, counts as a session).
func TestAuthxSessionMatchesPHP(t *testing.T) {
	for _, tt := range []struct {
		query string
		want  bool
	}{
		{"_authx=k&_authxSes=1", true},
		{"_authxSes=0&_authx=k", false},
		{"_authxSes=&_authx=k", false},
		{"_authxSes[]=&_authx=k", true},
		{".authxSes=1", true},
		{"_authxSes=0&_authxSes=1", true},
		{"_authx=k", false},
	} {
		if c := QueryCredentials(tt.query); c.Session != tt.want || c.Problem != "" {
			t.Errorf("%q: %+v, want session %v", tt.query, c, tt.want)
		}
	}
	php := newPHPCGI(t, `<?php echo json_encode(['ses' => !empty($_POST['_authxSes'])]);`)
	r := diffSeed(t)
	names := []string{"_authxSes", " _authxSes", ".authxSes", "_authxSes.", "_authxSes[]", "_authxSes[a]", "%5FauthxSes", "_AUTHXSES", "_authxSes%00x"}
	for range 200 {
		ct, body := genFormBodyOf(r, pick(r, names...), pick(r, "1", "0", "", "a", " ", "0.0"))
		routes, c, _ := scanCredentials("POST", ct, body)
		if routes {
			continue
		}
		out := php.serve(t, "POST", "", ct, []byte(body), len(body))
		var got struct{ Ses bool }
		if i := strings.LastIndexByte(out, '{'); i < 0 || json.Unmarshal([]byte(out[i:]), &got) != nil {
			t.Fatalf("php-cgi answered %q", out)
		}
		if got.Ses && !c.Session {
			t.Errorf("%q body %q: PHP asks for a session, the edge read none", ct, truncate(body, 400))
		}
	}
}

// A request carrying an Authorization header is authenticated at the
// edge where its URL may reach a CiviCRM page, in any CMS's spelling.
func TestMayReachCiviCRM(t *testing.T) {
	cfg := RecogniseConfig{WPBasePages: []string{"crm"}}
	for _, tt := range []struct {
		url  string
		want bool
	}{
		{"/civicrm/contact/view?cid=1", true},
		{"/CiviCRM/dashboard", true},
		{"/%63ivicrm/dashboard", true},
		{"/?q=civicrm/contact/view", true},
		{"/?civiwp=CiviCRM&q=civicrm/dashboard", true},
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/dashboard", true},
		{"/index.php?option=com_civicrm&task=civicrm/dashboard", true},
		{"/index.php?option=com_ci%3Cb%3Evi%3C/b%3Ecrm&task=x", true},
		{"/crm/contact/view", true},
		{"/crm", true},
		{"/crmx/contact", false},
		{"/wp-json/wp/v2/posts", false},
		{"/about-us", false},
	} {
		u, _ := url.ParseRequestURI(tt.url)
		if got := cfg.MayReachCiviCRM(u); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.url, got, tt.want)
		}
	}
}

// Afform's page token is $_REQUEST['_aff'] (PageTokenCredential::onInvoke):
// the query, the form body and the cookies, whatever the method, each
// name as PHP registers it; every one sent must be the same, or the
// request is refused (Problem).
func TestAfformTokenSources(t *testing.T) {
	form := "application/x-www-form-urlencoded"
	for _, tt := range []struct {
		name, method, query, body, cookie string
		want                              string
		sent, problem                     bool
	}{
		{name: "none", method: "GET", query: "staff=1&affx=2", cookie: "affx=1; traffic=2"},
		{name: "query", method: "GET", query: "_aff=Bearer+t", want: "Bearer t", sent: true},
		{name: "query mangled", method: "GET", query: "+.aff=Bearer+t", want: "Bearer t", sent: true},
		{name: "query of a POST", method: "POST", query: "_aff=Bearer+t", body: "x=1", want: "Bearer t", sent: true},
		{name: "form body", method: "POST", body: "_aff=Bearer+t", want: "Bearer t", sent: true},
		{name: "cookie", method: "GET", cookie: "SESS=1; _aff=Bearer%20t", want: "Bearer t", sent: true},
		{name: "cookie name encoded (PHP before 7.2.34)", method: "GET", cookie: "%5F%61ff=Bearer%20t", want: "Bearer t", sent: true},
		{name: "the same everywhere", method: "POST", query: "_aff=Bearer+t", body: "_aff=Bearer+t", cookie: "_aff=Bearer%20t", want: "Bearer t", sent: true},
		{name: "query and cookie differ", method: "GET", query: "_aff=Bearer+t", cookie: "_aff=Bearer%20u", sent: true, problem: true},
		{name: "query and body differ", method: "POST", query: "_aff=Bearer+t", body: "_aff=Bearer+u", sent: true, problem: true},
		{name: "cookie as an array", method: "GET", cookie: "_aff[x]=t", sent: true, problem: true},
	} {
		r := httptest.NewRequest(tt.method, "/civicrm/my-form?"+tt.query, strings.NewReader(tt.body))
		if tt.cookie != "" {
			r.Header.Set("Cookie", tt.cookie)
		}
		var body BodyCredentials
		if tt.body != "" {
			_, body, _ = scanCredentials(tt.method, form, tt.body)
		}
		c := AuthxCredentials(r, body)
		if c.Afform != tt.want || c.AfformSent != tt.sent || (c.Problem != "") != tt.problem {
			t.Errorf("%s: %+v, want _aff %q sent %v problem %v", tt.name, c, tt.want, tt.sent, tt.problem)
		}
	}
}
