package cache

import (
	"context"
	"testing"

	"github.com/civigate/civigate/translate"
)

// An entry is bound to where upstream its call runs (Site, the APIv3
// endpoint, an APIv4 call's base path), for both API versions, while the
// APIv3 forms that reach one site still share it; invalidation is not
// bound: a write through one site reaches every site's entries (CiviCRM's
// domains share one database).
func TestKeyBindsSite(t *testing.T) {
	c, _ := New(Config{}, NewMemoryStore(1<<20, nil))
	other, _ := New(Config{Endpoint: "/site2/?civiwp=CiviCRM&q=civicrm/ajax/rest"}, NewMemoryStore(1<<20, nil))
	a := Site{Host: "a.example"}
	key := func(c *Cache, target string, site Site) string {
		t.Helper()
		var r *Request
		if len(target) > 0 && target[0] == '4' {
			r = c.PrepareFor(api4(t, "GET", target[1:], ""), Caller{ContactID: 3, Credential: "api_key", Site: site})
		} else {
			r = c.PrepareFor(httpCall(t, "GET", target, ""), Caller{ContactID: 3, Credential: "api_key", Site: site})
		}
		if !r.Cacheable {
			t.Fatalf("%s: not cacheable: %s", target, r.Reason)
		}
		return r.Key
	}
	v3 := "/civicrm/ajax/rest?entity=Contact&action=get&json=" + q(`{"id":3}`)
	extern := "/fr/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&key=k&api_key=a&json=" + q(`{"id":3}`)
	v4 := func(base string) string {
		return "4" + base + "/civicrm/ajax/api4/Contact/get?params=" + q(`{"where":[["id","=",3]]}`)
	}
	base := map[string]string{"v3": key(c, v3, a), "v4": key(c, v4(""), a)}
	differ := []struct {
		class, which, target string
		site                 Site
		c                    *Cache
	}{
		{"another Host", "v3", v3, Site{Host: "b.example"}, c},
		{"another Host", "v4", v4(""), Site{Host: "b.example"}, c},
		{"a port", "v3", v3, Site{Host: "a.example:8080"}, c},
		{"letter case", "v3", v3, Site{Host: "A.example"}, c},
		{"a trailing dot", "v3", v3, Site{Host: "a.example."}, c},
		{"TLS", "v4", v4(""), Site{Host: "a.example", TLS: true}, c},
		{"a trusted proxy's forwarded host", "v3", v3, Site{Host: "a.example", Proxy: "X-Forwarded-Host\x00b.example\x00"}, c},
		{"a trusted proxy's forwarded host", "v4", v4(""), Site{Host: "a.example", Proxy: "X-Forwarded-Host\x00b.example\x00"}, c},
		{"another upstream endpoint", "v3", v3, a, other},
		{"a language prefix", "v4", v4("/fr"), a, c},
		{"a subsite", "v4", v4("/site2"), a, c},
	}
	for _, d := range differ {
		if key(d.c, d.target, d.site) == base[d.which] {
			t.Errorf("%s (%s): same key", d.class, d.which)
		}
	}
	if key(c, extern, a) != base["v3"] {
		t.Error("extern/rest.php under a prefix and ajax/rest on one site: different keys")
	}
	if key(other, v4(""), a) != base["v4"] {
		t.Error("the APIv3 endpoint changed an APIv4 key")
	}

	// A write through b.example invalidates a.example's entries.
	ctx := context.Background()
	up := &counter{resp: ok200(okBody)}
	read := c.PrepareFor(httpCall(t, "GET", v3, ""), Caller{ContactID: 3, Credential: "api_key", Site: a})
	c.Serve(ctx, read, up.fetch)
	if !c.Serve(ctx, read, up.fetch).Status.Hit {
		t.Fatal("no hit")
	}
	write := httpCall(t, "POST", "/civicrm/ajax/rest", "entity=Email&action=create&json="+q(`{"contact_id":3,"email":"x@example.org"}`))
	if err := c.Invalidate(ctx, write); err != nil {
		t.Fatal(err)
	}
	if c.Serve(ctx, c.PrepareFor(httpCall(t, "GET", v3, ""), Caller{ContactID: 3, Credential: "api_key", Site: a}), up.fetch).Status.Hit {
		t.Error("a write through another site left this site's entry fresh")
	}
}

// Tag tells every site and base apart, whatever bytes their fields hold.
func TestSiteTag(t *testing.T) {
	sites := []Site{{}, {Host: "a.example"}, {Host: "a.example", TLS: true}, {Host: "a.example:8080"}, {Host: "A.example"},
		{Host: "a.example", Proxy: "X-Forwarded-Host\x00b.example\x00"}, {Host: "a.example\x01f", Proxy: ""},
		{Host: "a.example", Proxy: "\x01f"}, {Proxy: "a.example"}, {Host: "a.example", Proxy: "/civicrm/authx/id"}}
	bases := []string{"", "/civicrm/authx/id", "/site2/civicrm/authx/id", "/site2/index.php?q=civicrm/authx/id", "\x01f"}
	type tagged struct {
		s    Site
		base string
	}
	seen := map[string]tagged{}
	for _, s := range sites {
		for _, base := range bases {
			tag := s.Tag(base)
			if other, dup := seen[tag]; dup {
				t.Errorf("%+v under %q and %+v under %q have one tag", s, base, other.s, other.base)
			}
			seen[tag] = tagged{s, base}
			if tag != (Site{Host: s.Host, TLS: s.TLS, Proxy: s.Proxy}).Tag(base) {
				t.Errorf("%+v: the tag changes", s)
			}
		}
	}
}

// An entry is bound to the request's language (Caller.Language, its
// Accept-Language as it goes upstream), for both API versions and for
// shared entries too: under inheritLocale the CMS picks the answer's
// language from it.
func TestKeyBindsLanguage(t *testing.T) {
	c, _ := New(Config{Shared: []string{"Contact.getfields"}}, NewMemoryStore(1<<20, nil))
	targets := map[string]*translate.Call{
		"v3":        httpCall(t, "GET", "/civicrm/ajax/rest?entity=Contact&action=get&json="+q(`{"id":3}`), ""),
		"v4":        api4(t, "GET", "/civicrm/ajax/api4/Contact/get?params="+q(`{"where":[["id","=",3]]}`), ""),
		"v3 shared": httpCall(t, "GET", "/civicrm/ajax/rest?entity=Contact&action=getfields", ""),
	}
	for name, call := range targets {
		key := func(lang string) string {
			r := c.PrepareFor(call, Caller{ContactID: 3, Credential: "api_key", Site: Site{Host: "a.example"}, Language: lang})
			if !r.Cacheable {
				t.Fatalf("%s: not cacheable: %s", name, r.Reason)
			}
			return r.Key
		}
		none, fr, de := key(""), key("Accept-Language\x00fr\x00"), key("Accept-Language\x00de\x00")
		if none == fr || fr == de || none == de {
			t.Errorf("%s: two languages, one key", name)
		}
		if fr != key("Accept-Language\x00fr\x00") {
			t.Errorf("%s: one language, two keys", name)
		}
	}
}
