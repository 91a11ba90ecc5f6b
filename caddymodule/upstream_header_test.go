package caddymodule

import (
	"net/http"
	"slices"
	"testing"

	"github.com/civigate/civigate/translate"
)

func TestUpstreamHeader(t *testing.T) {
	client := http.Header{
		"User-Agent":      {"donations/2.1"},
		"Accept":          {"application/json", "text/xml"},
		"X-Civi-Auth":     {"Bearer client-key"},
		"X_civi_auth":     {"Bearer other"},
		"X-Civi-Key":      {"client-site-key"},
		"Authorization":   {"Basic dTpw"},
		"Cookie":          {"SESS=1"},
		"Content-Length":  {"99"},
		"Accept-Encoding": {"gzip"},
		"Content-Type":    {"text/plain"},
		// Civigate's token is its own, never a client's to pass on.
		"X-Civigate-Subrequest": {"1800000000.abc"},
		"X_civigate_subrequest": {"1800000000.abc"},
	}
	up := &translate.UpstreamRequest{
		Header:       http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Requested-With": {"XMLHttpRequest"}},
		StripHeaders: []string{"cookie"},
	}
	got := upstreamHeader(client, up, "X-Civi-Auth", "Bearer minted", "site-key")
	want := http.Header{
		"User-Agent":       {"donations/2.1"},
		"Accept":           {"application/json", "text/xml"},
		"Content-Type":     {"application/x-www-form-urlencoded"},
		"X-Requested-With": {"XMLHttpRequest"},
		"X-Civi-Auth":      {"Bearer minted"},
		"X-Civi-Key":       {"site-key"},
	}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}

	// The values are copies: what the proxy does to the upstream request
	// never shows in the client's (which the access log reads), and adding
	// a value to one header never overwrites another's (the client's values
	// and the identity share one array).
	got["Accept"][0] = "changed"
	for name := range got {
		got[name] = append(got[name], "appended")
	}
	if client["Accept"][0] != "application/json" || client["User-Agent"][0] != "donations/2.1" {
		t.Errorf("the client's header changed: %v", client)
	}
	if got["X-Civi-Auth"][0] != "Bearer minted" || got["X-Civi-Key"][0] != "site-key" || got["User-Agent"][0] != "donations/2.1" {
		t.Errorf("appending to one header overwrote another: %v", got)
	}

	// Anonymous: no identity at all, whatever the client sent or the
	// translation carried.
	up.Header = http.Header{"X-Civi-Auth": {"Bearer from-translation"}, "Authorization": {"Basic dTpw"}}
	anon := upstreamHeader(client, up, "", "", "")
	for _, name := range []string{"X-Civi-Auth", "X_civi_auth", "X-Civi-Key", "Authorization"} {
		if _, ok := anon[name]; ok {
			t.Errorf("anonymous call sent %s", name)
		}
	}
	if anon.Get("Content-Type") != "text/plain" {
		t.Errorf("client's Content-Type not kept when the translation sets none: %v", anon)
	}
}

// An Afform page token's call goes with the token in X-Civi-Auth-Afform
// alone: the client's spellings of it, its other identity headers, its
// cookies (a _aff cookie, its session) stay behind; its own
// X-Requested-With, which CiviCRM's CSRF rule asks of the afformpage
// flow, goes on.
func TestUpstreamHeaderPageToken(t *testing.T) {
	client := http.Header{
		"X-Civi-Auth-Afform": {"Bearer a.b.c"},
		"X_civi_auth_afform": {"Bearer a.b.c"},
		"X-Civi-Auth":        {"Bearer other"},
		"Cookie":             {"_aff=Bearer+a.b.c; SESS=1"},
		"X-Requested-With":   {"XMLHttpRequest"},
	}
	got := upstreamHeader(client, &translate.UpstreamRequest{Header: http.Header{}}, "X-Civi-Auth-Afform", "Bearer a.b.c", "")
	want := http.Header{"X-Civi-Auth-Afform": {"Bearer a.b.c"}, "X-Requested-With": {"XMLHttpRequest"}}
	if len(got) != len(want) {
		t.Errorf("got %v", got)
	}
	for k, v := range want {
		if !slices.Equal(got[k], v) {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

// A call Civigate vouches for leaves the client's session behind; an
// anonymous one keeps it but carries only the client's own
// X-Requested-With (never one a translation set: it sets one for the
// Authorization flow).
func TestUpstreamHeaderSession(t *testing.T) {
	translation := func() *translate.UpstreamRequest {
		return &translate.UpstreamRequest{Header: http.Header{"X-Requested-With": {"XMLHttpRequest"}}}
	}
	cases := []struct {
		name      string
		client    http.Header
		auth      string
		cookie    []string
		requested []string
	}{
		{"stateless drops the cookie", http.Header{"Cookie": {"SESSCIVISO=admin"}}, "Bearer k", nil, []string{"XMLHttpRequest"}},
		{"stateless, client's XRW", http.Header{"Cookie": {"a=1", "b=2"}, "X-Requested-With": {"other"}}, "Bearer k", nil, []string{"XMLHttpRequest"}},
		{"anonymous cookie only: no XRW", http.Header{"Cookie": {"SESSCIVISO=admin"}}, "", []string{"SESSCIVISO=admin"}, nil},
		{"anonymous with its own XRW", http.Header{"Cookie": {"SESSCIVISO=s"}, "X-Requested-With": {"XMLHttpRequest"}}, "", []string{"SESSCIVISO=s"}, []string{"XMLHttpRequest"}},
		{"anonymous without anything", http.Header{}, "", nil, nil},
	}
	for _, tc := range cases {
		got := upstreamHeader(tc.client, translation(), "X-Civi-Auth", tc.auth, "")
		if !slices.Equal(got["Cookie"], tc.cookie) || !slices.Equal(got["X-Requested-With"], tc.requested) {
			t.Errorf("%s: Cookie %q, X-Requested-With %q", tc.name, got["Cookie"], got["X-Requested-With"])
		}
	}
}

// Where php.ini sets no request_order, $_REQUEST holds the cookies over
// the query and the form: a cookie named like a parameter CiviCRM's API
// pages read (params, index, json, a credential, an alias of one) or
// Joomla routes by never reaches CiviCRM, under any spelling PHP registers under that name. The
// session cookies do.
func TestUpstreamHeaderCookieParams(t *testing.T) {
	cases := []struct{ in, want []string }{
		{[]string{"SESSCIVISO=abc; wordpress_logged_in_1=x"}, []string{"SESSCIVISO=abc; wordpress_logged_in_1=x"}},
		{[]string{`params={"chain":{"x":["Note","create"]}}; SESS=1`}, []string{"SESS=1"}},
		{[]string{"SESS=1; index=5; par.ams=1;\tjson=x; api_key=k; key=s; _authx=Bearer+x; %70arams=1; params[x]=1;  calls=1"}, []string{"SESS=1; par.ams=1"}},
		{[]string{"params=1"}, nil},
		{[]string{"a=1", "params=2; b=3", "c=4"}, []string{"a=1", "b=3", "c=4"}},
		{[]string{"paramsx=1; myindex=2; a=1, params=2"}, []string{"paramsx=1; myindex=2; a=1, params=2"}}, // ", " is no separator
		// Joomla routes by option, Itemid, view and task from $_REQUEST: a
		// task cookie would send Civigate's own call to another page.
		{[]string{"SESS=1; Itemid=1; view=x; task=civicrm/ajax/api4/Contact/delete; option=com_civicrm"}, []string{"SESS=1"}},
		// Afform's page token: PageTokenCredential reads $_REQUEST['_aff']
		// and logs its contact in for the call.
		{[]string{"SESS=1; _aff=Bearer%20eyJ.x.y; .aff=z; affx=1"}, []string{"SESS=1; affx=1"}},
	}
	for _, tc := range cases {
		got := upstreamHeader(http.Header{"Cookie": tc.in}, &translate.UpstreamRequest{}, "", "", "")
		if !slices.Equal(got["Cookie"], tc.want) {
			t.Errorf("Cookie %q went on as %q, want %q", tc.in, got["Cookie"], tc.want)
		}
	}
}

// TestRedactURLHeaders: the client's Referer and Origin go on without the
// credentials in their query, every spelling the log filter redacts; other
// headers, and a Referer without a credential, are left as they are.
func TestRedactURLHeaders(t *testing.T) {
	h := http.Header{
		"Referer": {"https://www.example.org/list.html?entity=Contact&key=SITEKEY&api_key=APIKEY&api.key=K2&_authx=Bearer+T&AMP;api_key=K3&page=2"},
		"Origin":  {"https://www.example.org?api_key=K4"},
		"Cookie":  {"a=b?key=c"},
		"X-Other": {"https://x.example/?api_key=K5"},
	}
	redactURLHeaders(h)
	if got, want := h.Get("Referer"), "https://www.example.org/list.html?entity=Contact&key=REDACTED&api_key=REDACTED&api.key=REDACTED&_authx=REDACTED&AMP;api_key=REDACTED&page=2"; got != want {
		t.Errorf("Referer = %q, want %q", got, want)
	}
	if got := h.Get("Origin"); got != "https://www.example.org?api_key=REDACTED" {
		t.Errorf("Origin = %q", got)
	}
	if h.Get("Cookie") != "a=b?key=c" || h.Get("X-Other") != "https://x.example/?api_key=K5" {
		t.Errorf("other headers changed: %v", h)
	}
	plain := []string{"https://www.example.org/list.html?entity=Contact&monkey=1"}
	h = http.Header{"Referer": plain}
	redactURLHeaders(h)
	if &h["Referer"][0] != &plain[0] || h.Get("Referer") != plain[0] {
		t.Errorf("a Referer without a credential was replaced: %q", h.Get("Referer"))
	}
	h = http.Header{"Referer": {"https://www.example.org/list.html?entity=Contact&page=2&sort=name"}}
	if n := testing.AllocsPerRun(100, func() { redactURLHeaders(h) }); n != 0 {
		t.Errorf("a Referer without a credential costs %v allocations", n)
	}
}
