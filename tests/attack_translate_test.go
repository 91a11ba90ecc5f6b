package tests

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// Attack corpus for what Civigate's translation sends CiviCRM: the client's
// credentials, in whatever parameter they came, never travel upstream in
// the URL or the body (Civigate sends the identity it vouches for in
// AuthX headers), on any form. Each row names its class; every row must
// reach CiviCRM's API once.
func TestAttackTranslateUpstreamCarriesNoCredential(t *testing.T) {
	up := newStubCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(up.Host(), "site_key "+sk, "cache off"))
	ak := up.APIKey
	authx, authxSite, authxSes := "Bearer ax-"+randomHex(t, 12), "as-"+randomHex(t, 12), "ss-"+randomHex(t, 12)
	secrets := []string{ak, sk, authx, url.QueryEscape(authx), authxSite, authxSes}
	fields := map[string]any{"entity": "Contact", "action": "get", "json": 1, "key": sk, "api_key": ak,
		"_authx": authx, "_authxSiteKey": authxSite, "_authxSes": authxSes}
	form := url.Values{}
	for k, v := range fields {
		if s, ok := v.(string); ok {
			form.Set(k, s)
		}
	}
	form.Set("json", "1")
	jsonBody, _ := json.Marshal(fields)
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	wp := inst.URL + "/wp-json/civicrm/v3/rest"
	extern := inst.URL + "/sites/all/modules/civicrm/extern/rest.php"
	api4 := inst.URL + "/civicrm/ajax/api4/Contact/get"
	var amp url.Values = url.Values{}
	for _, k := range []string{"amp;key", "amp;api_key", "amp;_authx", "amp;_authxSiteKey", "amp;_authxSes", "amp;amp;key", "API_KEY", "amp;Key"} {
		amp.Set(k, map[bool]string{true: ak, false: sk}[strings.Contains(strings.ToLower(k), "api_key")])
	}
	amp.Set("amp;_authx", authx)
	ampSpellings := amp.Encode()
	// The caller authenticates by header here, so that each spelling is
	// only a passenger.
	xCivi := http.Header{"X-Civi-Auth": {"Bearer " + ak}, "X-Civi-Key": {sk}, "Content-Type": {"application/x-www-form-urlencoded"}}

	rows := []struct {
		class, method, target, body string
		header                      http.Header
	}{
		// WordPress checks the site key in $_REQUEST (the query, a POST
		// form) whatever else sets its key argument, so a JSON or PUT body
		// goes with the key in the query too (in the body alone it is
		// refused: TestFidWPSiteKeyOnlyInJSONBody).
		{"AuthX parameters in a WordPress REST JSON body", "POST", wp + "?key=" + url.QueryEscape(sk), string(jsonBody), jsonHeader},
		{"AuthX parameters in a WordPress REST form body", "POST", wp, form.Encode(), nil},
		{"AuthX parameters in a WordPress REST query", "GET", wp + "?" + form.Encode(), "", nil},
		{"AuthX parameters in a WordPress REST PUT body", "PUT", wp + "?key=" + url.QueryEscape(sk), form.Encode(), nil},
		{"AuthX parameters beside extern/rest.php keys", "POST", inst.URL + "/sites/all/modules/civicrm/extern/rest.php", form.Encode(), nil},
		{"AuthX parameters beside extern/rest.php keys in the query", "GET", inst.URL + "/sites/all/modules/civicrm/extern/rest.php?" + form.Encode(), "", nil},
		// extern/rest.php reads api_key through CRM_Utils_Request::retrieve,
		// which takes a key holding "amp;" for it (URLs written with &amp;).
		{"an amp;api_key alias beside extern/rest.php's key", "GET", inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" +
			url.QueryEscape(sk) + "&amp;api_key=" + url.QueryEscape(ak), "", nil},
		// No other page reads an "amp;" spelling as a credential, but a
		// client whose URL was HTML-escaped sent one all the same.
		{"amp; spellings of every credential beside extern/rest.php's keys", "GET", extern + "?" + form.Encode() + "&" + ampSpellings, "", nil},
		{"amp; spellings of every credential in an ajax/rest form body", "POST", inst.URL + "/civicrm/ajax/rest",
			"entity=Contact&action=get&json=1&" + ampSpellings, xCivi},
		{"APIv4: amp; spellings of every credential in the query of a GET", "GET",
			api4 + "?params=%7B%7D&" + ampSpellings, "", xCivi},
		{"APIv4: amp; spellings of every credential in the query of a POST", "POST",
			api4 + "?" + ampSpellings, "params=%7B%7D&" + ampSpellings, xCivi},
	}
	for _, row := range rows {
		t.Run(row.class, func(t *testing.T) {
			h := http.Header{}
			for k, v := range row.header {
				h[k] = v
			}
			r, err := http.NewRequest(row.method, row.target, strings.NewReader(row.body))
			if err != nil {
				t.Fatal(err)
			}
			if row.body != "" && h.Get("Content-Type") == "" {
				h.Set("Content-Type", "application/x-www-form-urlencoded")
			}
			r.Header = h
			got := doReq(t, r)
			reqs, bodies := up.seen()
			api := 0
			for i, rq := range reqs {
				if rq.URL.Path != "/civicrm/ajax/rest" && !strings.HasPrefix(rq.URL.Path, "/civicrm/ajax/api4/") {
					continue
				}
				api++
				for _, s := range secrets {
					if strings.Contains(rq.URL.RawQuery, s) || strings.Contains(bodies[i], s) {
						t.Errorf("a credential (%.6s…) reached CiviCRM in the URL or body: %s %.300s", s, rq.URL.RawQuery, bodies[i])
					}
				}
			}
			if api != 1 || got.status != 200 {
				t.Errorf("%d API calls reached CiviCRM; the client got %d %.200s", api, got.status, got.body)
			}
		})
	}
}
