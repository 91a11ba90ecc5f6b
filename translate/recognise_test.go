package translate

import (
	"fmt"
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
	cron := func(v string) recExpect { return recExpect{form: FormCron, variant: v} }
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
		// bin/cron.php, the scheduled jobs over HTTP: under the same
		// prefixes and the same normalisation as extern/rest.php
		{"/sites/all/modules/civicrm/bin/cron.php?name=a&pass=p&key=k", cron("drupal")},
		{"/wp-content/plugins/civicrm/civicrm/bin/cron.php", cron("wordpress")},
		{"/administrator/components/com_civicrm/civicrm/bin/cron.php", cron("joomla")},
		{"/modules/civicrm/bin/cron.php", cron("backdrop")},
		{"/vendor/civicrm/civicrm-core/bin/cron.php", cron("custom")},
		{"/SITES/all/modules/CiviCRM/Bin/CRON.php/", cron("drupal")},
		{"//sites/all/modules/civicrm/bin//cron.php", cron("drupal")},
		{"/sites/all/modules/civicrm/bin%2Fcron.php", refuse},
		{"/sites/all/modules/civicrm/bin/cron%2ephp", refuse},
		{"/sites/all/modules/civicrm/bin/%63ron.php", refuse},
		{"/sites/all/modules/civicrm/bin/../bin/cron.php", refuse},
		{"/sites/all/modules/civicrm/bin/./cron.php", refuse},
		{"/sites/all/modules/civicrm/bin/cron.php;x=1", refuse},
		{"/sites/all/modules/civicrm/bin/cron.php/extra", refuse},
		{"/sites/all/modules/civicrm/bin/cli.php", pass},
		{"/sites/all/modules/civicrm/cron.php", pass},
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
		// Past max_input_vars PHP keeps the first assignment: every one counts.
		{"/?rest_route=/civicrm/v3/rest&rest_route=/wp/v2/posts", refuse},
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
		{"/?q=civicrm/ajax/rest&q=node", refuse},
		{"/?q[]=civicrm/ajax/rest", pass},
		{"/?Q=civicrm/ajax/rest", pass},
		{"/?civiwp=Other&q=civicrm/ajax/rest", refuse},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest/x", refuse},
		// A task that routes is refused unless option is exactly com_civicrm:
		// the cmd filter, SEF URLs and menu items can still pick the component.
		{"/index.php?option=com_content&task=civicrm/ajax/rest", refuse},
		{"/index.php?option=com_civicrm&task=civicrm/contact/view", pass},
		{"/", pass},
		{"/index.php", pass},
		{"/favicon.ico", pass},

		// Issue 12 item 4: what the CMSs normalise before CiviCRM routes it.
		{"/?civiwp=CiviCRM&q=%20civicrm/ajax/rest", refuse},                               // WordPress trims PHP whitespace
		{"/?civiwp=CiviCRM&q=civicrm/ajax/rest%20", refuse},                               // and so does CiviCRM's menu lookup (PAD SPACE)
		{"/?civiwp=CiviCRM&q=civicrm/ajax/rest%0B", refuse},                               // \v is in PHP's trim set
		{"/?civiwp=CiviCRM&q=civicrm/civicrm/ajax/rest", refuse},                          // WordPress turns it into civicrm/ajax/rest
		{"/civicrm/ajax/rest%20", refuse},                                                 // every CMS's clean URLs
		{"/civicrm/ajax/rest+", refuse},                                                   // urldecode, parse_str: '+' is a space
		{"/civicrm/ajax/rest%09", refuse},                                                 // WordPress's trim
		{"/civicrm/0/ajax/rest", refuse},                                                  // Standalone drops "0" segments
		{"/civicrm/ajax/0/rest", refuse},                                                  //
		{"/civicrm/ajax/r%C3%A9st/civicrm/ajax/restx", refuse},                            // the accent-insensitive lookup finds the route, which occurs later
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/re%3Cb%3Est", refuse},           // sanitize_text_field strips tags
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/re%2541st", refuse},             // and %XX octets
		{"/wp-admin/admin.php?page=CiviCRM&q=%09civicrm/ajax/rest", refuse},               // and whitespace
		{"/index.php?option=com_civicrm&task=civicrm/ajax/rest%20", refuse},               // Joomla trims task
		{"/index.php?option=com_civicrm&task=civicrm/ajax/re%3Cx%3Est", refuse},           // getString strips tags
		{"/index.php?option=com_civicrm&task=civicrm/ajax/re%26%23115%3Bt", refuse},       // and decodes entities
		{"/index.php?option=com_civicrm&task=civicrm/ajax/re%26lt%3Bb%26gt%3Bst", refuse}, // both
		{"/index.php?option=com_civi%21crm&task=civicrm/ajax/rest", refuse},               // the cmd filter drops '!'
		{"/index.php?task=civicrm/ajax/rest", refuse},                                     // option from a menu item or SEF URL
		{"/civicrm/x&q=civicrm/ajax/rest", refuse},                                        // WordPress parses the base page rule's match as a query
		{"/wp-json/x&rest_route=/civicrm/v3/rest", refuse},                                // its REST rule too
		{"/wp-json/civicrm/v3/rest%0A", refuse},                                           // @^route$@ matches before a final newline
		{"/wp-json/civicrm/v3/rest%5C", refuse},                                           // untrailingslashit
		{"/?rest_route=/civicrm/v3/rest%0A", refuse},                                      //
		{"/api/civicrm/v3/rest", refuse},                                                  // rest_url_prefix need not be wp-json
		{"/crm/ajax/rest", refuse},                                                        // a WordPress base page other than civicrm
		{"/blog/crm/ajax/api4/Contact/get", refuse},                                       //
		{"/civicrm/api/json", refuse},                                                     // CRM_Utils_REST::ajaxJson, not served
		{"/?q=civicrm/api/json&entity=Contact", refuse},                                   //
		{"/civicrm/ajax/api4/Contact/get?q=civicrm/ajax/rest", refuse},                    // q beats the path
		{"/civicrm/ajax/api4%2FContact/get", refuse},                                      // disguised APIv4
		{"/civicrm/ajax/api4/Contact/get/../../rest", refuse},                             //
		{"/civicrm/ajax/api4//Contact/get", refuse},                                       // read differently by Standalone and the rest
		{"/index.php?q=civicrm/ajax/api4/Contact/get/extra", refuse},                      //
		// civicrm-wordpress logs a user in by api_key for any REST route
		// holding "civicrm" and "rest" (strpos), before routes are matched.
		{"/wp-json/civicrm/v3/restx", refuse},
		{"/wp-json/x/civicrm-rest", refuse},
		{"/wp-json/civicrm/v3/url/rest", refuse},
		{"/blog/wp-json/civicrm/v3/rest/x", refuse},
		{"/index.php/wp-json/civicrm/v3/restful", refuse},
		{"/wp-json/civi%63rm/v3/restx", refuse},     // the rewrite rule matches the decoded path too
		{"/wp-json/civicrm/v3/rest%2Fx", refuse},    //
		{"/?rest_route=/civicrm/v3/restx", refuse},  // plain permalinks
		{"/?rest_route=civicrm-rest", refuse},       //
		{"/?rest_route=/x/y/civicrm/rest/", refuse}, //
		// Not API routes.
		{"/civicrm/ajax/rest-api-guide", pass},
		{"/docs/ajax/rest-guide", pass},
		{"/civicrm/ajax/restore", pass},
		{"/civicrm/api4", pass},
		{"/?q=civicrm/ajax/contactlist", pass},
		{"/index.php?option=com_civicrm&task=civicrm/contact/view", pass},
		{"/civicrm/ajax/api4/Contact/get", pass},                // APIv4 recognition is off by default
		{"/wp-json/wp/v2/posts?search=civicrm+rest", pass},      // the query is no part of the route
		{"/wp-json/CiviCRM/v3/Restx", pass},                     // strpos is case-sensitive
		{"/2024/05/civicrm-restaurant-review/", pass},           // not under the REST prefix
		{"/?rest_route=/wp/v2/posts&search=civicrm/rest", pass}, //
		// Past the modelling bounds: refused.
		{"/civicrm/" + strings.Repeat("x/", maxRoutingLen/2) + "rest", refuse},
		{"/" + strings.Repeat("x/", maxRoutingLen/2), pass},
		{"/?q=civicrm/ajax/rest" + strings.Repeat("x", maxRoutingLen), refuse},
		{"/?" + manyValues(maxRoutingValues+1), refuse},
		{"/?" + manyValues(maxRoutingValues), pass},
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
	// bin/cron.php lives beside extern/, under the same prefixes.
	u, _ = url.Parse("/core/bin/cron.php")
	if r, ok := Recognise("GET", u, cfg); !ok || r.Form != FormCron || r.Variant != "configured" {
		t.Errorf("bin/cron.php under a configured prefix: %+v %v", r, ok)
	}
	u, _ = url.Parse("/other/bin/cron.php")
	if _, ok := Recognise("GET", u, cfg); ok || !cfg.Suspicious(u) {
		t.Error("bin/cron.php under an unknown prefix with ExternKnownPrefixesOnly must be refused")
	}
	if _, ok := Recognise("GET", u, RecogniseConfig{DisableExtern: true}); !ok {
		t.Error("bin/cron.php is no API form to switch off: it is recognised whatever forms says")
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

func TestRecogniseAPI4(t *testing.T) {
	type want struct {
		variant, entity, action string
		refuse                  bool
	}
	clean := func(variant, entity, action string) want {
		return want{variant: variant, entity: entity, action: action}
	}
	refuse := want{refuse: true}
	for _, tt := range []struct {
		url  string
		want want
	}{
		{"/civicrm/ajax/api4/Contact/get", clean("clean", "Contact", "get")},
		{"/civicrm/ajax/api4", clean("clean", "", "")},
		{"/civicrm/ajax/api4/", clean("clean", "", "")},
		{"/civicrm/ajax/api4/Contact", clean("clean", "Contact", "")},
		{"/civicrm/ajax/api4/Contact/get/", clean("clean", "Contact", "get")},
		{"/civicrm/ajax/api4/Contact/get/extra", clean("clean", "Contact", "get")}, // extra segments ignored
		{"/civicrm/ajax/api4/Contact%2Fget", clean("clean", "Contact", "get")},     // decoded before splitting
		{"/drupal/civicrm/ajax/api4/Custom_my_group/getFields", clean("clean", "Custom_my_group", "getFields")},
		{"/CiviCRM/Ajax/API4/Contact/get", clean("clean", "Contact", "get")}, // Drupal 8 routes it
		{"/civicrm/ajax/api4/Contact/get?params=%7B%7D&index=0", clean("clean", "Contact", "get")},
		{"/index.php?q=civicrm/ajax/api4/Contact/get", clean("q", "Contact", "get")},
		{"/?civiwp=CiviCRM&q=civicrm/ajax/api4/Activity/create", clean("civiwp", "Activity", "create")},
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/ajax/api4/Contact/get", clean("wp-admin", "Contact", "get")},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/api4/Contact/get", clean("joomla", "Contact", "get")},
		{"/index.php?q=civicrm/ajax/api4", clean("q", "", "")},
		{"/civicrm/ajax/api4//Contact/get", refuse},
		{"/civicrm/ajax/api4/0/Contact/get", refuse},
		{"/civicrm/0/ajax/api4/Contact/get", refuse},
		{"/civicrm/ajax/api4/Con%25tact/get", refuse},
		{"/civicrm/ajax/api4/Contact/get%20", refuse},
		{"/civicrm/ajax/api4/Contact.x/get", refuse},
		{"/civicrm/ajax/api4/Contact/get/civicrm/ajax/api4/Activity/delete", refuse},
		{"/civicrm/ajax/api4/Contact/get?q=node", refuse}, // forwarded as sent: no routing query at all
		{"/civicrm/ajax/api4/Contact/get?task=x", refuse},
		{"/civicrm/ajax/api4/Contact/get?rest_route=/", refuse},
		{"/civicrm/ajax/api4%20/Contact/get", refuse},
		{"/index.php?q=/civicrm/ajax/api4/Contact/get", refuse}, // WordPress trims it, the APIv4 page does not
		{"/index.php?q=civicrm/ajax/api4/Contact/get%20", refuse},
		{"/index.php?q=civicrm/ajax/api4/Contact/get&q=civicrm/ajax/api4/Contact/delete", refuse},
		{"/index.php?q=civicrm/ajax/api4/Contact/delete&q=civicrm/ajax/api4/Contact/get", refuse},
		{"/index.php?option=com_civicrm&task=civicrm/ajax/api4/Contact/get&q=civicrm/ajax/rest", refuse},
	} {
		u, err := url.ParseRequestURI(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		route, ok := Recognise("POST", u, RecogniseConfig{API4: true})
		refused := IsAPIv3Like(u)
		if tt.want.refuse {
			if ok || !refused {
				t.Errorf("%s: Recognise = %+v, %v, IsAPIv3Like = %v; want refused", tt.url, route, ok, refused)
			}
			continue
		}
		if !ok || refused || route.Form != FormAPI4 || route.Variant != tt.want.variant || route.Entity != tt.want.entity || route.Action != tt.want.action {
			t.Errorf("%s: Recognise = %+v, %v, IsAPIv3Like = %v; want %+v", tt.url, route, ok, refused, tt.want)
		}
		if _, off := Recognise("POST", u, RecogniseConfig{}); off {
			t.Errorf("%s: recognised with API4 off", tt.url)
		}
	}
}

// AuthX's own routes are recognised like the API routes, every CMS
// spelling modelled, and refused when disguised; they go upstream as sent,
// so a routing query beside them is refused too.
func TestRecogniseAuthxRoutes(t *testing.T) {
	type want struct {
		variant, route string
		refuse         bool
	}
	clean := func(variant, route string) want { return want{variant: variant, route: route} }
	refuse := want{refuse: true}
	for _, tt := range []struct {
		url  string
		want want
	}{
		{"/civicrm/authx/id", clean("clean", "id")},
		{"/civicrm/authx/login", clean("clean", "login")},
		{"/civicrm/authx/logout", clean("clean", "logout")},
		{"/civicrm/authx/id/", clean("clean", "id")},
		{"/CiviCRM/AuthX/Login", clean("clean", "login")},
		{"/drupal/civicrm/authx/id?_authx=Bearer+k", clean("clean", "id")},
		{"/index.php?q=civicrm/authx/id", clean("q", "id")},
		{"/?civiwp=CiviCRM&q=civicrm/authx/login", clean("civiwp", "login")},
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/authx/logout", clean("wp-admin", "logout")},
		{"/index.php?option=com_civicrm&task=civicrm/authx/id", clean("joomla", "id")},
		{"/civicrm/authx/id%20", refuse},
		{"/civicrm/authx/id/x", refuse}, // CiviCRM's menu lookup runs authx/id
		{"/civicrm/authx%2Fid", refuse},
		{"/civicrm/0/authx/login", refuse},
		{"/civicrm/authx/./login", refuse},
		{"/civicrm/authx/id?q=civicrm/ajax/rest", refuse},
		{"/civicrm/authx/login?task=x", refuse},
		{"/index.php?q=civicrm/authx/id%20", refuse},
		{"/wp-admin/admin.php?page=CiviCRM&q=civicrm/authx/lo%3Cb%3Egin", refuse},
		{"/index.php?option=com_civicrm&task=civicrm/authx/id&q=civicrm/authx/login", refuse},
		{"/index.php?q=civicrm/authx/id&q=civicrm/authx/login", refuse},
	} {
		u, err := url.ParseRequestURI(tt.url)
		if err != nil {
			t.Fatal(err)
		}
		route, ok := Recognise("GET", u, RecogniseConfig{})
		refused := IsAPIv3Like(u)
		if tt.want.refuse {
			if ok || !refused {
				t.Errorf("%s: Recognise = %+v, %v, IsAPIv3Like = %v; want refused", tt.url, route, ok, refused)
			}
			continue
		}
		if !ok || refused || route.Form != FormAuthx || route.Variant != tt.want.variant || route.Action != tt.want.route {
			t.Errorf("%s: Recognise = %+v, %v, IsAPIv3Like = %v; want %+v", tt.url, route, ok, refused, tt.want)
		}
	}
	// A body that routes elsewhere is checked, since the request goes on as sent.
	u, _ := url.Parse("/civicrm/authx/login")
	if !IsAPIv3LikeBody(u, "application/x-www-form-urlencoded", []byte("_authx=Bearer+k&q=civicrm/ajax/rest")) {
		t.Error("a login body with q=civicrm/ajax/rest is not refused")
	}
	if IsAPIv3LikeBody(u, "application/x-www-form-urlencoded", []byte("_authx=Bearer+k")) {
		t.Error("a plain login body is refused")
	}
}

func TestRecogniseWPBasePage(t *testing.T) {
	cfg := RecogniseConfig{WPBasePages: []string{"crm", "/about/civi-crm/"}, API4: true}
	for _, tt := range []struct {
		url     string
		form    Form
		refused bool
	}{
		{"/crm/ajax/rest", FormAjax, false},
		{"/blog/crm/ajax/rest", FormAjax, false},
		{"/CRM/ajax/rest/", FormAjax, false},
		{"/about/civi-crm/ajax/rest", FormAjax, false},
		{"/crm/ajax/api4/Contact/get", FormAPI4, false},
		{"/crm/ajax/rest/x", "", true},
		{"/crm/ajax/rest%20", "", true},
		{"/civi-crm/ajax/rest", "", true}, // a child page's slug alone is not the base page
		{"/other/ajax/rest", "", true},
		{"/civicrm/ajax/rest", FormAjax, false},
	} {
		u, _ := url.ParseRequestURI(tt.url)
		route, ok := Recognise("GET", u, cfg)
		suspicious := cfg.Suspicious(u)
		if route.Form != tt.form || ok != (tt.form != "") || suspicious != tt.refused {
			t.Errorf("%s: Recognise = %+v, %v, Suspicious = %v; want form %q, refused %v", tt.url, route, ok, suspicious, tt.form, tt.refused)
		}
		if ok && tt.url != "/civicrm/ajax/rest" && route.Variant != "wp-basepage" {
			t.Errorf("%s: variant %q, want wp-basepage", tt.url, route.Variant)
		}
	}
}

// A site whose rest_url_prefix is not wp-json declares it: the plugin's
// login routes under it are refused too.
func TestRecogniseWPRESTPrefix(t *testing.T) {
	cfg := RecogniseConfig{WPRESTPrefixes: []string{"api", "/v/json/"}}
	for _, tt := range []struct {
		url                 string
		refused, refusedCfg bool
	}{
		{"/api/civicrm/v3/restx", false, true},
		{"/blog/api/x/civicrm-rest", false, true},
		{"/v/json/civicrm/v3/restx", false, true},
		{"/wp-json/civicrm/v3/restx", true, true}, // the default stays
		{"/api/civicrm/v3/rest", true, true},      // CiviCRM's own route: under any prefix
		{"/api/wp/v2/posts", false, false},
		{"/json/civicrm/v3/restx", false, false},
	} {
		u, _ := url.ParseRequestURI(tt.url)
		if got := (RecogniseConfig{}).Suspicious(u); got != tt.refused {
			t.Errorf("%s: Suspicious = %v without the prefixes", tt.url, got)
		}
		if got := cfg.Suspicious(u); got != tt.refusedCfg {
			t.Errorf("%s: Suspicious = %v with them", tt.url, got)
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
		for _, seq := range [][]string{scriptFiles[0].segs, scriptFiles[1].segs, {"civicrm", "ajax", "rest"}, segsWPJSON} {
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

// BenchmarkRecogniseHostile: requests built to make the models work hard
// (every byte a wildcard, a '<' or an octet, many segments) cost time
// linear in their size, bounded by maxRoutingLen.
func BenchmarkRecogniseHostile(b *testing.B) {
	n := maxRoutingLen - 64
	var urls []*url.URL
	for _, s := range []string{
		"/civicrm/ajax/rest/" + strings.Repeat("%C3%A9/", n/7),
		"/" + strings.Repeat("civicrm/", n/8) + "ajax/rest",
		"/" + strings.Repeat("x/", n/2) + "ajax/api4",
		"/?civiwp=CiviCRM&q=civicrm/ajax/rest" + url.QueryEscape(strings.Repeat("<", n/3)),
		"/?q=civicrm/ajax/rest" + url.QueryEscape(strings.Repeat("%%4141", n/18)),
		"/index.php?option=com_civicrm&task=civicrm/ajax/rest" + url.QueryEscape(strings.Repeat("<style", n/18)),
		"/?q=" + strings.Repeat("q=civicrm/ajax/rest&q=", n/22),
	} {
		u, err := url.ParseRequestURI(s)
		if err != nil {
			b.Fatal(err)
		}
		urls = append(urls, u)
	}
	b.ReportAllocs()
	for b.Loop() {
		for _, u := range urls {
			IsAPIv3Like(u)
		}
	}
}

// BenchmarkIsAPIv3LikeBody: the body check reads every byte of a form
// body up to max_body_size; 8 MiB of ordinary pairs, and of routing values
// built to be modelled (refused past maxRoutingValues).
func BenchmarkIsAPIv3LikeBody(b *testing.B) {
	var hostile strings.Builder
	for i := 0; hostile.Len() < 8<<20; i++ {
		fmt.Fprintf(&hostile, "q=civicrm/ajax/restx%d&", i)
	}
	u, _ := url.ParseRequestURI("/")
	for name, body := range map[string]string{"plain": strings.Repeat("a=b&", 2<<20), "hostile": hostile.String()} {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				IsAPIv3LikeBody(u, "application/x-www-form-urlencoded", []byte(body))
			}
		})
	}
}

func TestIsAPIv3LikeBody(t *testing.T) {
	mp := func(ct, nl string, fields ...string) (string, string) {
		var b strings.Builder
		for i := 0; i < len(fields); i += 2 {
			b.WriteString("--XyZ" + nl + "Content-Disposition: form-data; name=\"" + fields[i] + "\"" + nl + nl + fields[i+1] + nl)
		}
		b.WriteString("--XyZ--" + nl)
		return ct, b.String()
	}
	const form = "application/x-www-form-urlencoded"
	padding := strings.Repeat("a=b&", 16<<10) // 64 KiB
	type row struct {
		url, ct, body string
		want          bool
	}
	tests := []row{
		{"/", form, "rest_route=/civicrm/v3/rest&entity=Contact&action=get", true},
		{"/", form, "rest.route=%2Fcivicrm%2Fv3%2Frest", true},
		{"/index.php", form, "option=com_civicrm&task=civicrm/ajax/rest", true},
		{"/index.php?option=com_civicrm", form, "task=civicrm/ajax/rest", true},
		{"/administrator/index.php", "application/x-www-form-urlencoded; charset=UTF-8", "option=com_civicrm&task=civicrm/ajax/rest", true},
		{"/", form, "q=civicrm/ajax/rest/x", true},
		// civicrm-wordpress's login routes, and the batch route that runs
		// them for its sub-requests from this same body.
		{"/", form, "rest_route=/civicrm/v3/restx&api_key=k", true},
		{"/", form, "rest_route=%2Fx%2Fcivicrm-rest", true},
		{"/", form, "rest_route=/batch/v1&requests[0][path]=/wp/v2/posts", true},
		{"/", form, "rest_route=/BATCH/v1/", true},
		{"/", form, "rest_route=/wp/v2/posts&title=batch+civicrm+rest", false},
		{"/", form, "title=civicrm/ajax/rest&body=see+rest_route", false},
		{"/wp-login.php", form, "log=a&pwd=b", false},
		{"/", "application/json", `{"rest_route":"/civicrm/v3/rest"}`, false},
		{"/", "text/plain", "rest_route=/civicrm/v3/rest", false},
		{"/", form, "", false},
		// the URL decides for the forms Civigate rebuilds
		{"/civicrm/ajax/rest", form, "rest_route=/civicrm/v3/rest", false},
		// but APIv4 is forwarded as sent: WordPress takes POST q over the path
		{"/civicrm/ajax/api4/Contact/get", form, "params=%7B%7D&q=civicrm/ajax/rest", true},
		{"/civicrm/ajax/api4/Contact/get", form, "params=%7B%7D&index=0", false},
		// Issue 12 item 5: the whole body, as PHP reads it.
		{"/", form, padding + "rest_route=/civicrm/v3/rest", true},
		{"/", "Application/X-WWW-Form-URLEncoded", "rest_route=/civicrm/v3/rest", true},
		{"/", "APPLICATION/x-www-form-urlencoded;charset=utf-8", "rest_route=/civicrm/v3/rest", true},
		{"/", "application/x-www-form-urlencoded,text/plain", "rest_route=/civicrm/v3/rest", true},
		{"/", "application/x-www-form-urlencodedx", "rest_route=/civicrm/v3/rest", false},
		{"/", form, "q=civicrm/ajax/rest&" + padding + "q=node", true}, // past max_input_vars PHP keeps the first
		{"/", form, "%20%20q=civicrm/ajax/rest", true},
		{"/", form, "%71=civicrm/ajax/rest", true},
		{"/", form, "q[]=civicrm/ajax/rest", false}, // an array routes nowhere
		{"/", form, "civiwp=CiviCRM&q=civicrm/ajax/rest%20", true},
		{"/index.php", form, "option=com_civicrm&task=civicrm/ajax/re%26lt%3Bb%26gt%3Bst", true},
		{"/", form, "civiwp=CiviCRM&q=civicrm/ajax/api4/Contact/delete", true},
		// Past the modelling bounds: refused.
		{"/", form, "q=" + strings.Repeat("x", maxRoutingLen) + "rest", true},
		{"/", form, manyValues(maxRoutingValues + 1), true},
		{"/", form, manyValues(maxRoutingValues), false},
	}
	for _, m := range []struct{ ct, nl string }{
		{"multipart/form-data; boundary=XyZ", "\r\n"},
		{"multipart/form-data; boundary=XyZ; x", "\r\n"}, // mime.ParseMediaType rejects it, PHP does not
		{"Multipart/Form-Data; BOUNDARY=XyZ", "\r\n"},
		{`multipart/form-data; boundary="XyZ"`, "\r\n"},
		{"multipart/form-data; charset=x; boundary=XyZ, text/plain", "\r\n"},
		{"multipart/form-data; boundary=XyZ", "\n"}, // PHP takes bare LF line ends
	} {
		ct, body := mp(m.ct, m.nl, "title", "x", "rest_route", "/civicrm/v3/rest")
		tests = append(tests, row{"/", ct, body, true})
		ct, body = mp(m.ct, m.nl, "title", strings.Repeat("x", 70<<10), "q", "civicrm/ajax/rest")
		tests = append(tests, row{"/", ct, body, true})
		ct, body = mp(m.ct, m.nl, "title", "civicrm/ajax/rest", "text", "rest_route")
		tests = append(tests, row{"/", ct, body, false})
	}
	tests = append(tests, row{"/", "multipart/form-data", "--XyZ\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--XyZ--\r\n", false}) // no boundary: PHP reads nothing
	for _, tt := range tests {
		u, _ := url.ParseRequestURI(tt.url)
		body := tt.body
		if len(body) > 80 {
			body = body[:40] + "…" + body[len(body)-40:]
		}
		if got := IsAPIv3LikeBody(u, tt.ct, []byte(tt.body)); got != tt.want {
			t.Errorf("%s %q %q: %v, want %v", tt.url, tt.ct, body, got, tt.want)
		}
		if tt.want && (RecogniseConfig{}).BodyScanner(u, "POST", tt.ct) == nil {
			t.Errorf("%q: no BodyScanner", tt.ct)
		}
	}
	// A clean form switched off goes on as sent: its body is checked.
	u, _ := url.ParseRequestURI("/civicrm/ajax/rest")
	if !(RecogniseConfig{DisableAjax: true}).SuspiciousBody(u, form, []byte("civiwp=CiviCRM&q=civicrm/ajax/api4/Contact/delete")) {
		t.Error("the body of a switched-off clean form not checked")
	}
	// PHP sees the first Content-Type (FastCGI) or all of them joined
	// (Apache): a second one is not read past, it is refused.
	if _, ok := OneContentType([]string{"text/plain", form}); ok {
		t.Error("a second Content-Type header not refused")
	}
}

// manyValues is a body or query with n different q values that mention a
// route but reach none.
func manyValues(n int) string {
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, "q=civicrm/ajax/restx%d&", i)
	}
	return b.String()
}

func TestPHPPostType(t *testing.T) {
	for _, tt := range []struct{ ct, kind, boundary string }{
		{"application/x-www-form-urlencoded", "urlencoded", ""},
		{"APPLICATION/X-WWW-FORM-URLENCODED; charset=x", "urlencoded", ""},
		{"application/x-www-form-urlencoded x", "urlencoded", ""},
		{"multipart/form-data; boundary=abc", "multipart", "abc"},
		{"multipart/form-data; boundary=abc; x", "multipart", "abc"},
		{"multipart/form-data;boundary=abc,def", "multipart", "abc"},
		{`multipart/form-data; boundary="a;b"`, "multipart", "a;b"},
		{"multipart/form-data; xboundary=abc", "multipart", "abc"}, // PHP looks for the word anywhere
		{"multipart/form-data; BOUNDARY=abc", "multipart", "abc"},
		{"multipart/form-data", "", ""},
		{"multipart/form-data; boundary", "", ""},
		{"multipart/mixed; boundary=abc", "", ""},
		{"text/plain", "", ""},
		{"", "", ""},
	} {
		kind, boundary := phpPostType(tt.ct)
		if kind != tt.kind || boundary != tt.boundary {
			t.Errorf("%q: %q %q, want %q %q", tt.ct, kind, boundary, tt.kind, tt.boundary)
		}
	}
}
