package translate

import (
	"net/http"
	"net/url"
	"testing"
)

// civicrm/authx/id is asked under the base a call came in under, in the
// call's own URL form, and read back by Recognise as that same route.
func TestAuthxIDUnderTheCallsBase(t *testing.T) {
	cfg := RecogniseConfig{API4: true, WPBasePages: []string{"crm"}}
	for _, tc := range []struct{ call, want string }{
		{"/civicrm/ajax/api4/Contact/get", "/civicrm/authx/id"},
		{"/site2/civicrm/ajax/api4/Contact/get", "/site2/civicrm/authx/id"},
		{"/fr/civicrm/ajax/api4/Contact/get?params=%7B%7D", "/fr/civicrm/authx/id"},
		{"/Site2//CiviCRM//ajax/api4/Contact/get", "/Site2//CiviCRM//authx/id"},
		{"/site2/crm/ajax/api4/Contact/get", "/site2/crm/authx/id"},
		{"/site2/civicrm/ajax/api4", "/site2/civicrm/authx/id"},
		{"/site2/index.php?q=civicrm/ajax/api4/Contact/get", "/site2/index.php?q=civicrm/authx/id"},
		{"/site2/?civiwp=CiviCRM&q=civicrm/ajax/api4/Contact/get", "/site2/?civiwp=CiviCRM&q=civicrm/authx/id"},
		{"/site2/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/api4/Contact/get", "/site2/wp-admin/admin.php?page=CiviCRM&q=civicrm/authx/id"},
		{"/site2/index.php?option=com_civicrm&task=civicrm/ajax/api4/Contact/get&Itemid=3", "/site2/index.php?option=com_civicrm&task=civicrm/authx/id"},
		{"/site2/administrator/index.php?option=com_civicrm&task=civicrm/ajax/api4/Contact/get", "/site2/administrator/index.php?option=com_civicrm&task=civicrm/authx/id"},
		{"/?q=civicrm/ajax/api4/Contact/get", "/?q=civicrm/authx/id"},
		{"?q=civicrm/ajax/api4/Contact/get", "/?q=civicrm/authx/id"},
		// AuthX's own routes and APIv3's.
		{"/site2/civicrm/authx/login", "/site2/civicrm/authx/id"},
		{"/site2/civicrm/authx/id/", "/site2/civicrm/authx/id"},
		{"/site2/index.php?q=civicrm/authx/logout", "/site2/index.php?q=civicrm/authx/id"},
		{"/site2/civicrm/ajax/rest?entity=Contact&action=get", "/site2/civicrm/authx/id"},
		{"/site2/?civiwp=CiviCRM&q=civicrm/ajax/rest", "/site2/?civiwp=CiviCRM&q=civicrm/authx/id"},
	} {
		u, err := url.Parse(tc.call)
		if err != nil {
			t.Fatal(err)
		}
		route, ok := Recognise(http.MethodGet, u, cfg)
		if !ok {
			t.Errorf("%s: not recognised", tc.call)
			continue
		}
		q, ok := cfg.AuthxID(route)
		if !ok || q.RequestURI() != tc.want {
			t.Errorf("%s (%+v): authx/id at %v %v, want %s", tc.call, route, q, ok, tc.want)
		}
	}
	for _, tc := range []struct{ endpoint, want string }{
		{"", "/civicrm/authx/id"},
		{"/civicrm/ajax/rest", "/civicrm/authx/id"},
		{"/site2/civicrm/ajax/rest", "/site2/civicrm/authx/id"},
		{"/index.php?q=civicrm/ajax/rest", "/index.php?q=civicrm/authx/id"},
		{"/site2/?civiwp=CiviCRM&q=civicrm/ajax/rest", "/site2/?civiwp=CiviCRM&q=civicrm/authx/id"},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest", "/index.php?option=com_civicrm&task=civicrm/authx/id"},
		{"/crm/ajax/rest", "/crm/authx/id"},
	} {
		u, err := (RecogniseConfig{WPBasePages: []string{"crm"}, DisableAjax: true, DisableAjaxVerbose: true}).EndpointAuthxID(tc.endpoint)
		if err != nil || u.RequestURI() != tc.want {
			t.Errorf("endpoint %q: authx/id at %v %v, want %s", tc.endpoint, u, err, tc.want)
		}
	}
	for _, endpoint := range []string{"/custom/rest.php", "http://other.example/civicrm/ajax/rest", "/civicrm/ajax/api4/Contact/get", "/%63ivicrm/ajax/rest"} {
		if u, err := cfg.EndpointAuthxID(endpoint); err == nil {
			t.Errorf("endpoint %q: authx/id at %v", endpoint, u)
		}
	}
	// No question for a route that is not one of these forms.
	for _, r := range []Route{{Form: FormAPI4, Variant: "clean", Base: "civicrm"}, {Form: FormWPRest, Variant: "wp-json"},
		{Form: FormAPI4, Variant: "clean", Base: "/x"}, {Form: FormAPI4, Variant: "q", Base: "/x.js"}, {Form: FormExtern, Variant: "drupal"}} {
		if u, ok := cfg.AuthxID(r); ok {
			t.Errorf("%+v: authx/id at %v", r, u)
		}
	}
}

// A CiviCRM page's credential is asked about under the base its URL
// names, in its form; a URL that names none has none.
func TestPageAuthxID(t *testing.T) {
	cfg := RecogniseConfig{API4: true, WPBasePages: []string{"crm"}}
	for _, tc := range []struct{ page, want string }{
		{"/civicrm/contact/view?cid=3", "/civicrm/authx/id"},
		{"/site2/civicrm/contact/view?cid=3", "/site2/civicrm/authx/id"},
		{"/fr/CiviCRM/event/info?id=1", "/fr/CiviCRM/authx/id"},
		{"/site2/crm/contact/view", "/site2/crm/authx/id"},
		{"/civicrm", "/civicrm/authx/id"},
		{"/site2/index.php?q=civicrm/contact/view&cid=3", "/site2/index.php?q=civicrm/authx/id"},
		{"/site2/?civiwp=CiviCRM&q=civicrm/contact/view", "/site2/?civiwp=CiviCRM&q=civicrm/authx/id"},
		{"/site2/index.php?option=com_civicrm&task=civicrm/contact/view", "/site2/index.php?option=com_civicrm&task=civicrm/authx/id"},
		{"/site2/civicrm/contact/view?q=civicrm/dashboard", "/site2/civicrm/contact/view?q=civicrm/authx/id"},
		{"/node/5", ""},
		{"/site2/events/", ""},
		{"/site2/?q=node/5", ""},
		{"/site2/?civiwp=Other&q=civicrm/contact/view", ""},
		{"/site2/x.js?q=civicrm/contact/view", ""},
		{"/site2/%63ivicrm/contact/view", ""},
		{"/site2/../civicrm/contact/view", ""},
	} {
		u, err := url.Parse(tc.page)
		if err != nil {
			t.Fatal(err)
		}
		q, ok := cfg.PageAuthxID(u)
		got := ""
		if ok {
			got = q.RequestURI()
		}
		if got != tc.want {
			t.Errorf("%s: authx/id at %q, want %q", tc.page, got, tc.want)
		}
	}
}

// A page path a web server may route elsewhere than its bytes name: dot
// segments (plain, encoded, double-encoded), encoded slashes and
// backslashes. Plain paths, percent-encoded letters and dots inside a
// segment are not.
func TestPathResolvesElsewhere(t *testing.T) {
	for raw, want := range map[string]bool{
		"/civicrm/contact/view":                         false,
		"/site2/civicrm/contact/view":                   false,
		"/caf%C3%A9/civicrm/contact/view":               false,
		"/civicrm/file.pdf":                             false,
		"/civicrm/..x/view":                             false,
		"/civicrm/x/../../site2/civicrm/contact/view":   true,
		"/civicrm/./contact/view":                       true,
		"/civicrm/contact/%2e%2e/%2E%2E/site2/civicrm/": true,
		"/civicrm/%252e%252e/site2/civicrm/":            true,
		"/site2%2Fcivicrm/contact/view":                 true,
		"/site2%252fcivicrm/contact/view":               true,
		"/site2%5Ccivicrm/contact/view":                 true,
		"/site2\\civicrm/contact/view":                  true,
		"/x/..":                                         true,
	} {
		u, err := url.Parse(raw)
		if err != nil {
			t.Fatalf("%s: %v", raw, err)
		}
		if got := PathResolvesElsewhere(u); got != want {
			t.Errorf("%s: %v, want %v", raw, got, want)
		}
	}
}
