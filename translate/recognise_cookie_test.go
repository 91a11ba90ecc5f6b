package translate

import (
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
)

// Joomla's CiviCRM component takes task from $_REQUEST, which holds the
// cookies where php.ini sets no request_order (recognise_cookie.go).
func TestSuspiciousCookies(t *testing.T) {
	for _, tc := range []struct {
		cookies []string
		want    bool
	}{
		{[]string{"Itemid=1; view=x; task=civicrm/ajax/rest"}, true},
		{[]string{"PHPSESSID=abc", "task=civicrm%2Fajax%2Frest"}, true},
		{[]string{" task=civicrm/ajax/rest%20"}, true},        // trimmed by the component
		{[]string{"task=civicrm/ajax/re%3Cx%3Est"}, true},     // getString strips the tag
		{[]string{"task=civicrm/ajax/re%26%23115%3Bt"}, true}, // and decodes the entity
		{[]string{"task=civicrm/ajax/api4/Contact/delete"}, true},
		{[]string{"task=civicrm/authx/login"}, true},
		{[]string{"task=civicrm/dashboard; task=civicrm/ajax/rest"}, true}, // every assignment counts
		{[]string{"ta%73k=civicrm/ajax/rest"}, true},                       // a PHP before CVE-2020-7070's fix decodes the name
		{[]string{"q=civicrm/ajax/rest"}, true},
		{[]string{"rest_route=/civicrm/v3/rest"}, true},
		{[]string{"rest.route=/civicrm/v3/rest"}, true}, // PHP mangles '.' into '_'
		{[]string{"task[]=civicrm/ajax/rest"}, false},   // an array: trim() fails
		{[]string{"ta.sk=civicrm/ajax/rest"}, false},    // ta_sk
		{[]string{"task=civicrm/dashboard; option=com_civicrm; Itemid=1; view=x"}, false},
		{[]string{"view=rest; option=api"}, false},
		{[]string{"wordpress_logged_in_x=admin%7C1%7Crest; SESSabc=def"}, false},
		{nil, false},
	} {
		if got := (RecogniseConfig{}).SuspiciousCookies(tc.cookies); got != tc.want {
			t.Errorf("SuspiciousCookies(%q) = %v", tc.cookies, got)
		}
	}
	many := strings.Repeat("task=civicrm/x%41rest; ", maxRoutingValues+1)
	if !(RecogniseConfig{}).SuspiciousCookies([]string{many}) {
		t.Error("more routing values than are modelled: not refused")
	}
}

// cookieRoutingPairs must see every value PHP's cookie parser can leave
// in $_REQUEST under a routing name, with request_order empty: checked
// against php-cgi on spellings of names and values.
func TestCookieRoutingPairsThroughPHP(t *testing.T) {
	php := newPHPCGI(t, `<?php $o = []; foreach (['q', 'task', 'rest_route'] as $k) if (isset($_REQUEST[$k]) && is_string($_REQUEST[$k])) $o[$k] = bin2hex($_REQUEST[$k]);
echo json_encode((object) $o);`)
	r := diffSeed(t)
	checked := 0
	for range 150 {
		var b strings.Builder
		for i := range 1 + r.IntN(3) {
			if i > 0 {
				b.WriteString(pick(r, "; ", ";", ";\t", " ;"))
			}
			b.WriteString(pick(r, "task", " task", "\ttask", "ta.sk", "ta sk", "task[]", "task[", "task[x]", "TASK", "ta%73k", "q", "q.",
				"rest_route", "rest.route", "rest route", "rest[route", "=task", "PHPSESSID"))
			if r.IntN(6) > 0 {
				b.WriteString("=" + pick(r, "civicrm/ajax/rest", "civicrm%2Fajax%2Frest", "civicrm/ajax/rest+", "%20civicrm/ajax/rest",
					"/civicrm/v3/rest", "a=b", "", "%", "%2", "x%00y"))
			}
		}
		header := b.String()
		php.env = []string{"HTTP_COOKIE=" + header}
		var got map[string]string
		out := php.serve(t, "GET", "", "", nil, 0)
		if err := json.Unmarshal([]byte(out[strings.LastIndexByte(out, '{'):]), &got); err != nil {
			t.Fatalf("php-cgi answered %q", out)
		}
		for name, hexValue := range got {
			v, _ := hex.DecodeString(hexValue)
			checked++
			found := false
			for p := range cookieRoutingPairs(header) {
				found = found || !p.array && p.name == name && p.value == string(v)
			}
			if !found {
				t.Errorf("Cookie %q: PHP's $_REQUEST[%q] = %q, not among the cookie's routing pairs", header, name, v)
			}
		}
	}
	if checked < 50 {
		t.Fatalf("PHP held a routing value for only %d cookie headers", checked)
	}
}
