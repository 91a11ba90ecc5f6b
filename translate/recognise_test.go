package translate

import (
	"net/url"
	"slices"
	"strings"
	"testing"
)

// expectation for one URL: recognised as a form, refused (IsAPIv3Like), or
// not APIv3 at all (passed on).
type recExpect struct {
	form    Form // "" with refuse false: not APIv3
	variant string
	refuse  bool
	drop    []string
}

func TestRecognisePathTricks(t *testing.T) {
	ext := func(v string) recExpect { return recExpect{form: FormExtern, variant: v} }
	ajax := recExpect{form: FormAjax, variant: "clean"}
	wpj := recExpect{form: FormWPRest, variant: "wp-json"}
	refuse := recExpect{refuse: true}
	pass := recExpect{}
	verbose := func(v string, drop ...string) recExpect {
		return recExpect{form: FormAjaxVerbose, variant: v, drop: drop}
	}
	tests := []struct {
		url  string
		want recExpect
	}{
		// extern/rest.php under the CMS prefixes and elsewhere
		{"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get", ext("drupal")},
		{"/sites/example.org/modules/civicrm/extern/rest.php", ext("drupal")},
		{"/modules/civicrm/extern/rest.php", ext("backdrop")},
		{"/administrator/components/com_civicrm/civicrm/extern/rest.php", ext("joomla")},
		{"/wp-content/plugins/civicrm/civicrm/extern/rest.php", ext("wordpress")},
		{"/blog/wp-content/plugins/civicrm/civicrm/extern/rest.php", ext("wordpress")},
		{"/core/extern/rest.php", ext("custom")},
		{"/extern/rest.php", ext("custom")},
		// cosmetic variants: recognised
		{"//sites/all/modules/civicrm/extern//rest.php", ext("drupal")},
		{"/sites/all/modules/civicrm/extern/rest.php/", ext("drupal")},
		{"/SITES/All/Modules/CiviCRM/Extern/REST.PHP", ext("drupal")},
		{"/sites/all/modules/civicrm/extern/rest.php?q=civicrm/ajax/rest", ext("drupal")},
		// obfuscated: refused
		{"/sites/all/modules/civicrm/extern/rest%2ephp", refuse},
		{"/sites/all/modules/civicrm/extern/rest%2Ephp", refuse},
		{"/sites/all/modules/civicrm/extern%2frest.php", refuse},
		{"/sites/all/modules/civicrm/extern%2Frest.php", refuse},
		{"/sites/all/modules/civicrm/extern%5crest.php", refuse},
		{"/sites/all/modules/civicrm/extern\\rest.php", refuse},
		{"/sites/all/modules/civicrm/ex%74ern/rest.php", refuse},
		{"/sites/all/modules/civicrm/extern/rest%252ephp", refuse},
		{"/sites/all/modules/civicrm/foo/../extern/rest.php", refuse},
		{"/sites/all/modules/civicrm/./extern/rest.php", refuse},
		{"/x/%2e%2e/extern/rest.php", refuse},
		{"/sites/all/modules/civicrm/extern/rest.php/extra", refuse},
		{"/sites/all/modules/civicrm/extern/rest.php;jsessionid=1", refuse},
		{"/sites/all/modules/civicrm/extern/rest.php%00.txt", refuse},
		// not the endpoint
		{"/sites/all/modules/civicrm/extern/rest.php.bak", pass},
		{"/sites/all/modules/civicrm/extern/restphp", pass},
		{"/sites/all/modules/civicrm/extern/soap.php", pass},
		{"/sites/all/modules/civicrm/xextern/rest.php", pass},
		{"/extern/rest.phpx", pass},

		// clean civicrm/ajax/rest
		{"/civicrm/ajax/rest", ajax},
		{"/civicrm/ajax/rest?entity=Contact&action=get&json=1", ajax},
		{"/civicrm/ajax/rest/", ajax},
		{"//civicrm///ajax/rest", ajax},
		{"/CiviCRM/Ajax/Rest", ajax},
		{"/drupal/civicrm/ajax/rest", ajax},
		{"/civicrm/ajax/rest/extra", refuse},
		{"/civicrm/ajax/rest%2f", refuse},
		{"/civicrm%2fajax%2frest", refuse},
		{"/civicrm/ajax/./rest", refuse},
		{"/civicrm/ajax/x/../rest", refuse},
		{"/civicrm/%61jax/rest", refuse},
		{"/civicrm/ajax/restx", pass},
		{"/civicrm/ajax/api4/Contact/get", pass},
		{"/civicrm/ajax/resting", pass},
		{"/civicrm/contact/view", pass},

		// WordPress REST
		{"/wp-json/civicrm/v3/rest", wpj},
		{"/wp-json/civicrm/v3/rest/", wpj},
		{"/blog/wp-json/civicrm/v3/rest", wpj},
		{"/index.php/wp-json/civicrm/v3/rest", wpj},
		{"/WP-JSON/CiviCRM/V3/REST", wpj},
		{"/wp-json/civicrm/v3/rest/extra", refuse},
		{"/wp-json/civicrm%2fv3/rest", refuse},
		{"/wp-json/civicrm/v3/../v3/rest", refuse},
		{"/wp-json/civicrm/v3/url", pass},
		{"/wp-json/wp/v2/posts", pass},
		{"/?rest_route=/civicrm/v3/rest", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/index.php?rest_route=%2Fcivicrm%2Fv3%2Frest&entity=Contact", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/?rest_route=/civicrm/v3/rest/", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/?rest_route=civicrm/v3/rest", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/?rest_route=/CIVICRM/v3/Rest", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/?rest.route=/civicrm/v3/rest", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/?rest_route=/wp/v2/posts&rest_route=/civicrm/v3/rest", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/?rest_route=/civicrm/v3/rest&rest_route=/wp/v2/posts", pass},
		{"/?rest_route=/civicrm/v3/rest/x", refuse},
		{"/?rest_route=/civicrm//v3/rest", refuse},
		{"/some-page/?rest_route=/civicrm/v3/rest", recExpect{form: FormWPRest, variant: "rest_route", drop: []string{"rest_route"}}},
		{"/wp-login.php?rest_route=/civicrm/v3/rest", refuse},
		{"/?rest_route[]=/civicrm/v3/rest", pass},
		{"/?rest_route=/wp/v2/posts", pass},

		// verbose AJAX
		{"/?q=civicrm/ajax/rest", verbose("q", "q")},
		{"/index.php?q=civicrm/ajax/rest&entity=Contact", verbose("q", "q")},
		{"/index.php?q=civicrm%2Fajax%2Frest", verbose("q", "q")},
		{"/drupal/index.php?q=civicrm/ajax/rest", verbose("q", "q")},
		{"/index.php?q=CiviCRM/Ajax/Rest", verbose("q", "q")},
		{"/index.php?%20q=civicrm/ajax/rest", verbose("q", "q")},
		{"/?civiwp=CiviCRM&q=civicrm/ajax/rest", verbose("civiwp", "civiwp", "q")},
		{"/blog/?civiwp=CiviCRM&q=civicrm/ajax/rest", verbose("civiwp", "civiwp", "q")},
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/rest", verbose("wp-admin", "page", "q")},
		{"/?page=CiviCRM&q=civicrm/ajax/rest", verbose("wp-page", "page", "q")},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest", verbose("joomla", "option", "task")},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest&Itemid=5", verbose("joomla", "option", "task", "Itemid")},
		{"/administrator/index.php?option=com_civicrm&task=civicrm/ajax/rest", verbose("joomla-admin", "option", "task")},
		{"/?q=civicrm/contact/view&reset=1", pass},
		{"/?q=civicrm/ajax/rest/x", refuse},
		{"/?q=civicrm//ajax/rest", refuse},
		{"/?q=civicrm/./ajax/rest", refuse},
		{"/?q=civicrm%252Fajax%252Frest", refuse},
		{"/?q=civicrm/ajax/rest%00", refuse},
		{"/node/1?q=civicrm/ajax/rest", verbose("q", "q")},
		{"/misc/drupal.js?q=civicrm/ajax/rest", refuse},
		{"/?q=node&q=civicrm/ajax/rest", verbose("q", "q")},
		{"/?q=civicrm/ajax/rest&q=node", pass},
		{"/?q[]=civicrm/ajax/rest", pass},
		{"/?Q=civicrm/ajax/rest", pass},
		{"/?civiwp=Other&q=civicrm/ajax/rest", refuse},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest/x", refuse},
		{"/index.php?option=com_content&task=civicrm/ajax/rest", pass},
		{"/index.php?option=com_civicrm&task=civicrm/contact/view", pass},
		{"/", pass},
		{"/index.php", pass},
		{"/favicon.ico", pass},
	}
	for _, tt := range tests {
		// ParseRequestURI, as net/http does: "//x" stays a path.
		u, err := url.ParseRequestURI(tt.url)
		if err != nil {
			t.Fatalf("%s: %v", tt.url, err)
		}
		route, ok := Recognise("GET", u, RecogniseConfig{})
		refused := IsAPIv3Like(u)
		switch {
		case tt.want.form != "":
			if !ok || route.Form != tt.want.form || route.Variant != tt.want.variant || !slices.Equal(route.DropParams, tt.want.drop) && len(route.DropParams)+len(tt.want.drop) > 0 {
				t.Errorf("%s: Recognise = %+v, %v; want %+v", tt.url, route, ok, tt.want)
			}
			if refused {
				t.Errorf("%s: recognised but also IsAPIv3Like", tt.url)
			}
		case tt.want.refuse:
			if ok || !refused {
				t.Errorf("%s: Recognise = %+v, %v, IsAPIv3Like = %v; want refused", tt.url, route, ok, refused)
			}
		default:
			if ok || refused {
				t.Errorf("%s: Recognise = %+v, %v, IsAPIv3Like = %v; want not APIv3", tt.url, route, ok, refused)
			}
		}
	}
}

func TestRecogniseConfig(t *testing.T) {
	u, _ := url.Parse("/civicrm/ajax/rest")
	if _, ok := Recognise("POST", u, RecogniseConfig{DisableAjax: true}); ok {
		t.Error("DisableAjax: still recognised")
	}
	if IsAPIv3Like(u) {
		t.Error("a clean, switched-off form must pass, not be refused")
	}
	u, _ = url.Parse("/core/extern/rest.php")
	cfg := RecogniseConfig{ExternKnownPrefixesOnly: true}
	if _, ok := Recognise("GET", u, cfg); ok {
		t.Error("unknown prefix recognised with ExternKnownPrefixesOnly")
	}
	if !cfg.Suspicious(u) {
		t.Error("unknown prefix with ExternKnownPrefixesOnly must be suspicious")
	}
	cfg.ExternPrefixes = []string{"/core/"}
	if r, ok := Recognise("GET", u, cfg); !ok || r.Variant != "configured" {
		t.Errorf("configured prefix: %+v %v", r, ok)
	}
	for _, c := range []struct {
		cfg RecogniseConfig
		url string
	}{
		{RecogniseConfig{DisableExtern: true}, "/extern/rest.php"},
		{RecogniseConfig{DisableWPRest: true}, "/wp-json/civicrm/v3/rest"},
		{RecogniseConfig{DisableWPRest: true}, "/?rest_route=/civicrm/v3/rest"},
		{RecogniseConfig{DisableAjaxVerbose: true}, "/?q=civicrm/ajax/rest"},
	} {
		u, _ := url.Parse(c.url)
		if _, ok := Recognise("GET", u, c.cfg); ok {
			t.Errorf("%s recognised with %+v", c.url, c.cfg)
		}
	}
}

func FuzzRecognise(f *testing.F) {
	for _, s := range []string{
		"/sites/all/modules/civicrm/extern/rest.php?entity=Contact", "/civicrm/ajax/rest", "/?q=civicrm/ajax/rest",
		"/wp-json/civicrm/v3/rest", "/?rest_route=/civicrm/v3/rest", "/x/%2e%2e/extern/rest.php", "/?q[=a&q.=b",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		u, err := url.ParseRequestURI(s)
		if err != nil {
			return
		}
		r, ok := Recognise("GET", u, RecogniseConfig{})
		like := IsAPIv3Like(u)
		if ok && like {
			t.Fatalf("%q both recognised and refused", s)
		}
		if ok && r.Form == "" {
			t.Fatalf("%q recognised without form", s)
		}
		// Anything whose decoded path ends in a route must not pass silently.
		segs, _ := pathSegments(u.EscapedPath())
		for _, seq := range [][]string{segsExtern, segsAjax, segsWPJSON} {
			if findSeq(segs, seq) >= 0 && !ok && !like {
				t.Fatalf("%q contains an API route but passes", s)
			}
		}
	})
}

func BenchmarkRecognise(b *testing.B) {
	urls := []*url.URL{}
	for _, s := range []string{
		"/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=k&api_key=a",
		"/?civiwp=CiviCRM&q=civicrm/ajax/rest&entity=Contact&action=get",
		"/node/42/edit?destination=admin",
		"/wp-content/themes/x/style.css?ver=6.1",
	} {
		u, _ := url.Parse(s)
		urls = append(urls, u)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, u := range urls {
			Recognise("GET", u, RecogniseConfig{})
		}
	}
}

func TestIsAPIv3LikeBody(t *testing.T) {
	mp := func(fields ...string) (string, []byte) {
		var b strings.Builder
		for i := 0; i < len(fields); i += 2 {
			b.WriteString("--XyZ\r\nContent-Disposition: form-data; name=\"" + fields[i] + "\"\r\n\r\n" + fields[i+1] + "\r\n")
		}
		b.WriteString("--XyZ--\r\n")
		return "multipart/form-data; boundary=XyZ", []byte(b.String())
	}
	const form = "application/x-www-form-urlencoded"
	tests := []struct {
		url, ct, body string
		want          bool
	}{
		{"/", form, "rest_route=/civicrm/v3/rest&entity=Contact&action=get", true},
		{"/", form, "rest.route=%2Fcivicrm%2Fv3%2Frest", true},
		{"/index.php", form, "option=com_civicrm&task=civicrm/ajax/rest", true},
		{"/index.php?option=com_civicrm", form, "task=civicrm/ajax/rest", true},
		{"/administrator/index.php", "application/x-www-form-urlencoded; charset=UTF-8", "option=com_civicrm&task=civicrm/ajax/rest", true},
		{"/", form, "q=civicrm/ajax/rest/x", true},
		{"/", form, "title=civicrm/ajax/rest&body=see+rest_route", false},
		{"/wp-login.php", form, "log=a&pwd=b", false},
		{"/", "application/json", `{"rest_route":"/civicrm/v3/rest"}`, false},
		{"/", form, "", false},
		// the URL decides for clean forms
		{"/civicrm/ajax/rest", form, "rest_route=/civicrm/v3/rest", false},
	}
	for _, tt := range tests {
		u, _ := url.ParseRequestURI(tt.url)
		if got := IsAPIv3LikeBody(u, tt.ct, []byte(tt.body)); got != tt.want {
			t.Errorf("%s %q: %v, want %v", tt.url, tt.body, got, tt.want)
		}
	}
	u, _ := url.ParseRequestURI("/")
	ct, body := mp("title", "x", "rest_route", "/civicrm/v3/rest")
	if !IsAPIv3LikeBody(u, ct, body) {
		t.Error("multipart rest_route not seen")
	}
	ct, body = mp("title", "civicrm/ajax/rest", "text", "rest_route")
	if IsAPIv3LikeBody(u, ct, body) {
		t.Error("multipart content mentioning the routes flagged")
	}
}
