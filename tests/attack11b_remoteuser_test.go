package tests

// Behind php_fastcgi, Caddy's FastCGI transport sets PHP's REMOTE_USER from
// the {http.auth.user.id} placeholder, which Civigate sets to the verified
// caller's contact id. REMOTE_USER is the CGI variable for the user the web
// server itself authenticated (RFC 3875 4.1.11); CMS modules that trust the
// web server's authentication (Drupal's webserver_auth, WordPress's HTTP
// Authentication plugins…) log that name in as a CMS user name, so a caller
// whose contact id is 42 would be handed the CMS user named "42", and a
// basic_auth user set in front is replaced. The README: upstream only ever
// receives the AuthX headers Civigate sets for the verified principal; the
// placeholders are for logs and other handlers. PHP must see no REMOTE_USER
// Civigate made up, on the API calls it rebuilds and on the pages it passes
// on after checking their AuthX credential.

import (
	"net"
	"net/http"
	"net/http/fcgi"
	"sync"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func TestA11bFastCGIRemoteUserNotSet(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	var mu sync.Mutex
	remoteUser := map[string]string{} // request path -> REMOTE_USER
	go fcgi.Serve(ln, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u := fcgi.ProcessEnv(r)["REMOTE_USER"]; u != "" {
			mu.Lock()
			remoteUser[r.URL.Path] = u
			mu.Unlock()
		}
		sim.ServeHTTP(w, r)
	}))
	cf := testGlobalOptions + "http://:{PORT} {\n\troot * " + t.TempDir() + "\n\tcivicrm {\n\t\tsite_key " + sim.SiteKey() + "\n\t}\n\tphp_fastcgi " + ln.Addr().String() + "\n}\n"
	inst := startCaddy(t, cf)
	hdr := map[string]string{"X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Civi-Key": sim.SiteKey(), "X-Requested-With": "XMLHttpRequest"}
	for _, pq := range []string{
		"/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22id%22%3A2%7D",
		"/civicrm/ajax/api4/Contact/get?params=%7B%22limit%22%3A1%7D",
		"/civicrm/contact/view?cid=2",
	} {
		if resp, b := fidDo(t, "GET", inst.URL+pq, hdr, ""); resp.StatusCode != 200 {
			t.Fatalf("%s: %d %.200s", pq, resp.StatusCode, b)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	for path, u := range remoteUser {
		t.Errorf("%s reached PHP with REMOTE_USER=%q (the caller's contact id, from {http.auth.user.id}): PHP and the CMS take REMOTE_USER as a user the web server authenticated, by user name", path, u)
	}
}
