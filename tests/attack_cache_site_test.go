package tests

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
)

// domainCiviCRM is one CiviCRM database with several domains, as a CMS
// multisite runs it: the domain is chosen by the Host, or by
// X-Forwarded-Host where the CMS trusts its proxy, and by the base path
// (a subdirectory subsite, a language prefix). Its API names, in every
// answer, the domain and the number of writes it has seen, so an answer
// served to the wrong domain, or stale after a write, shows. API key key
// is contact 3 on every domain.
type domainCiviCRM struct {
	key    string
	writes atomic.Int64
	calls  atomic.Int64
}

func (c *domainCiviCRM) domain(r *http.Request, route string) string {
	host := r.Host
	if xfh := r.Header.Get("X-Forwarded-Host"); xfh != "" {
		host = xfh
	}
	if _, fwd, ok := strings.Cut(r.Header.Get("Forwarded"), "host="); ok {
		host = fwd
	}
	base, _, _ := strings.Cut(r.URL.Path, route)
	return host + base + "#" + strconv.FormatInt(c.writes.Load(), 10)
}

func (c *domainCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseMultipartForm(1 << 20)
	keyed := r.Header.Get("X-Civi-Auth") == "Bearer "+c.key
	w.Header().Set("Content-Type", "application/json")
	switch {
	case strings.HasSuffix(r.URL.Path, "/civicrm/authx/id") && keyed:
		io.WriteString(w, `{"contact_id":3,"user_id":3,"flow":"xheader","cred":"api_key"}`)
	case !keyed:
		w.WriteHeader(http.StatusUnauthorized)
	case strings.HasSuffix(r.URL.Path, "/civicrm/ajax/rest"):
		c.calls.Add(1)
		if r.Form.Get("action") == "create" {
			c.writes.Add(1)
		}
		io.WriteString(w, `{"is_error":0,"version":3,"count":1,"values":[{"id":"3","domain":"`+c.domain(r, "/civicrm/ajax/rest")+`"}]}`)
	case strings.Contains(r.URL.Path, "/civicrm/ajax/api4/"):
		c.calls.Add(1)
		io.WriteString(w, `{"values":[{"id":3,"domain":"`+c.domain(r, "/civicrm/ajax/api4/")+`"}],"entity":"Contact","action":"get","debug":null,"version":4,"count":1,"countFetched":1}`)
	default:
		http.NotFound(w, r)
	}
}

// No cache crossing between the CiviCRM domains one Civigate site fronts
// (issues 12 and 14, attacker's review): an entry is bound to the Host
// CiviCRM gets, to the forwarded host a trusted proxy sends on, and for
// APIv4 to the path the call came in under; a write through one domain
// invalidates what it may change on all of them (they share a database);
// calls that reach the same domain by different APIv3 forms still share
// their entries. Each row sends a request that fills an entry, then one
// that must (or must not) be answered from it; every row but the controls
// failed before.
func TestAttackCacheCrossesNoSite(t *testing.T) {
	up := &domainCiviCRM{key: randomHex(t, 16)}
	srv := httptest.NewServer(up)
	defer srv.Close()
	sk := "sk-" + randomHex(t, 12)
	caddyfile := siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sk, "cache {\n\t\t\tttl 1h\n\t\t}")
	// 127.0.0.1 (the test client) is a trusted proxy only where a row says so.
	trustingCaddyfile := strings.Replace(caddyfile, "\tlog {", "\tservers {\n\t\ttrusted_proxies static 127.0.0.1/32\n\t}\n\tlog {", 1)

	type req struct {
		host, path, query, form, xfh string
		forwarded                    string // a Forwarded header
		absolute                     string // an absolute-form request target's authority
	}
	v3 := func(host string) req {
		return req{host: host, path: "/civicrm/ajax/rest", query: "entity=Contact&action=get&json=" + url.QueryEscape(`{"id":3}`)}
	}
	extern := func(host string) req {
		return req{host: host, path: "/sites/all/modules/civicrm/extern/rest.php",
			query: "entity=Contact&action=get&json=" + url.QueryEscape(`{"id":3}`) + "&key=" + url.QueryEscape(sk) + "&api_key=" + up.key}
	}
	v4 := func(host, base string) req {
		return req{host: host, path: base + "/civicrm/ajax/api4/Contact/get", form: "params=" + url.QueryEscape(`{"select":["id"],"where":[["id","=",3]]}`)}
	}
	withXFH := func(r req, xfh string) req { r.xfh = xfh; return r }
	rows := []struct {
		class       string
		trusting    bool
		fill, probe req
		shared      bool   // the probe is answered from the fill's entry
		want        string // in the probe's answer
	}{
		{class: "host: APIv3 on another Host of the same site", fill: v3("a.example"), probe: v3("b.example")},
		{class: "host: APIv4 on another Host of the same site", fill: v4("a.example", ""), probe: v4("b.example", "")},
		{class: "host: the same name with a port is another Host", fill: v3("a.example"), probe: v3("a.example:8080")},
		{class: "host: letter case is kept (a site's settings may compare it)", fill: v3("a.example"), probe: v3("A.example")},
		{class: "host: a trailing dot is kept", fill: v3("a.example"), probe: v3("a.example.")},
		{class: "host: an absolute-form request target names the Host", fill: v3("a.example"), probe: req{host: "a.example", absolute: "b.example",
			path: "/civicrm/ajax/rest", query: v3("").query}},
		{class: "path: APIv4 under a language prefix", fill: v4("a.example", ""), probe: v4("a.example", "/fr")},
		{class: "path: APIv4 under a subsite's base path", fill: v4("a.example", "/site2"), probe: v4("a.example", "/site3")},
		{class: "forwarded: a trusted proxy's X-Forwarded-Host selects the domain", trusting: true,
			fill: withXFH(v3("a.example"), "b.example"), probe: v3("a.example")},
		{class: "forwarded: a trusted proxy's X-Forwarded-Host selects the domain (APIv4)", trusting: true,
			fill: withXFH(v4("a.example", ""), "b.example"), probe: v4("a.example", "")},
		{class: "control: an untrusted client's X-Forwarded-Host changes nothing", fill: withXFH(v3("a.example"), "b.example"), probe: v3("a.example"), shared: true},
		{class: "forwarded: an untrusted client's Forwarded never reaches CiviCRM", fill: req{host: "a.example", path: v3("").path, query: v3("").query,
			forwarded: "host=b.example"}, probe: v3("a.example"), shared: true, want: `"a.example#`},
		{class: "control: extern/rest.php and ajax/rest on one Host share", fill: extern("a.example"), probe: v3("a.example"), shared: true},
		{class: "control: extern/rest.php under a prefix shares too", fill: extern("a.example"),
			probe: req{host: "a.example", path: "/fr" + extern("").path, query: extern("").query}, shared: true},
		{class: "control: APIv4 on one Host and base shares", fill: v4("a.example", "/fr"), probe: v4("a.example", "/fr"), shared: true},
	}
	send := func(t *testing.T, inst caddyInstance, q req) answer {
		t.Helper()
		method, body := "GET", ""
		if q.form != "" {
			method, body = "POST", q.form
		}
		r, err := http.NewRequest(method, inst.URL+q.path+"?"+q.query, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		r.Host = q.host
		if q.absolute != "" {
			// Go's client sends the path alone; an absolute URI goes
			// through a proxy-style request line.
			r.URL.Opaque = "http://" + q.absolute + q.path
		}
		if body != "" {
			r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		if !strings.Contains(q.query, "api_key=") {
			r.Header.Set("X-Civi-Auth", "Bearer "+up.key)
			r.Header.Set("X-Civi-Key", sk)
		}
		if q.forwarded != "" {
			r.Header.Set("Forwarded", q.forwarded)
		}
		if q.xfh != "" {
			r.Header.Set("X-Forwarded-Host", q.xfh)
		}
		return doReq(t, r)
	}
	for _, row := range rows {
		// Each row on a Civigate of its own: its memory cache is empty.
		cf := caddyfile
		if row.trusting {
			cf = trustingCaddyfile
		}
		inst := startCaddy(t, cf)
		fill := send(t, inst, row.fill)
		before := up.calls.Load()
		probe := send(t, inst, row.probe)
		hit := up.calls.Load() == before
		switch {
		case fill.status != 200 || probe.status != 200:
			t.Errorf("%s: %d %s / %d %s", row.class, fill.status, trunc(fill.body), probe.status, trunc(probe.body))
		case row.shared && !hit:
			t.Errorf("%s: the probe missed the fill's entry (%s)", row.class, probe.header.Get("Cache-Status"))
		case !row.shared && (hit || probe.body == fill.body):
			t.Errorf("%s: another domain's answer was served from the cache: %s (%s)", row.class, trunc(probe.body), probe.header.Get("Cache-Status"))
		case !strings.Contains(probe.body, row.want):
			t.Errorf("%s: %s, want %s in it", row.class, trunc(probe.body), row.want)
		}
	}

	// A write through one domain changes the others' answers (one
	// database): it invalidates their entries too.
	t.Run("invalidation", func(t *testing.T) {
		inst := startCaddy(t, caddyfile)
		a, b := v3("a.example"), v3("b.example")
		for _, q := range []req{a, b, a, b} {
			send(t, inst, q)
		}
		before := up.calls.Load()
		create := req{host: "a.example", path: "/civicrm/ajax/rest",
			form: "entity=Contact&action=create&json=" + url.QueryEscape(`{"contact_type":"Individual","first_name":"x"}`)}
		if w := send(t, inst, create); w.status != 200 || up.calls.Load() != before+1 {
			t.Fatalf("the write: %d %s", w.status, trunc(w.body))
		}
		writes := "#" + strconv.FormatInt(up.writes.Load(), 10)
		for _, q := range []req{a, b} {
			if got := send(t, inst, q); !strings.Contains(got.body, writes) {
				t.Errorf("%s after a write through a.example: %s (%s), want a fresh answer (%s)", q.host, trunc(got.body), got.header.Get("Cache-Status"), writes)
			}
		}
	})
}
