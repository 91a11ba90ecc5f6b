package translate

import (
	"context"
	"encoding/hex"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// CRM_Utils_Request::getValue as CiviCRM 6.x has it, run by real PHP over
// parse_str's array: the value it returns, or NULL.
const phpGetValue = `<?php
function getValue($name, $method) {
	if (isset($method[$name])) {
		return $method[$name];
	}
	foreach ($method as $key => $value) {
		if (strpos($key, 'amp;') !== FALSE) {
			$method[str_replace('amp;', '', $key)] = $method[$key];
			if (isset($method[$name])) {
				return $method[$name];
			}
			else {
				continue;
			}
		}
	}
	return NULL;
}
while (($line = fgets(STDIN)) !== FALSE) {
	[$name, $q] = explode(' ', hex2bin(rtrim($line, "\n")), 2);
	parse_str($q, $a);
	$v = getValue($name, $a);
	echo $v === NULL ? 'NULL' : bin2hex(json_encode($v)), "\n";
}
`

// Retrieve agrees with getValue on queries mixing a name, its aliases
// (amp;params, paramp;ams, amp;amp;params, amamp;p;params, whose copy
// lands on amp;params first) and other keys.
func TestRetrieveMatchesPHP(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 18))
	keys := []string{"params", "amp;params", "paramp;ams", "amp;amp;params", "amamp;p;params", "amp;par.ams", "par%61ms",
		"amp;params[x]", "amp;index", "index", "x", "amp;x", "0", "amp;", "amp%3Bparams", "params[]"}
	var queries, names []string
	for i := 0; i < 3000; i++ {
		var pairs []string
		for n := rng.IntN(5); n >= 0; n-- {
			pairs = append(pairs, keys[rng.IntN(len(keys))]+"="+pick(rng, "A", "B", "", "0", "C"))
		}
		queries = append(queries, strings.Join(pairs, "&"))
		names = append(names, pick(rng, "params", "index", "x"))
	}
	inputs := make([]string, len(queries))
	for i, q := range queries {
		inputs[i] = names[i] + " " + q
	}
	lines := runPHPLines(t, phpGetValue, inputs)
	for i, q := range queries {
		a := NewArray()
		ParseQuery(a, q, Limits{}.withDefaults()) //nolint:errcheck
		got := "NULL"
		if v, ok := Retrieve(a, names[i]); ok {
			got = hex.EncodeToString(EncodeJSON(v, JSONOptions{Legacy: true}))
		}
		if got != lines[i] {
			t.Errorf("getValue(%q) of %s: %s, php %s", names[i], q, got, lines[i])
		}
	}
}

func TestIsRetrieveAlias(t *testing.T) {
	for key, want := range map[string]bool{
		"amp;params": true, "paramp;ams": true, "amp;amp;params": true, "amamp;p;params": true, "params": false,
		"amp;param": false, "amp;paramsx": false, "Amp;params": false, "amp:params": false,
		"ampamp;;params": true, // its copy lands on amp;params, which getValue may reach later
	} {
		if got := IsRetrieveAlias(key, "params"); got != want {
			t.Errorf("IsRetrieveAlias(%q) = %v", key, got)
		}
	}
	// Linear, however the aliases nest.
	deep := strings.Repeat("am", 100000) + strings.Repeat("p;", 100000) + "params"
	if !IsRetrieveAlias(deep, "params") {
		t.Error("a nested alias")
	}
	for _, name := range []string{"params", "index", "calls", "json", "key", "api_key", "_authx", "amp;api_key", "q", "entity"} {
		if !IsRequestVar(name) {
			t.Errorf("IsRequestVar(%q) = false", name)
		}
	}
	for _, name := range []string{"SESSCIVISO", "PHPSESSID", "wordpress_logged_in_x", "limit", "amp;limit"} {
		if IsRequestVar(name) {
			t.Errorf("IsRequestVar(%q) = true", name)
		}
	}
}

// extern/rest.php reads api_key through retrieve(): an alias authenticates
// as the real name does, and goes no further than the credential does.
func TestExternAPIKeyAlias(t *testing.T) {
	for _, q := range []string{"amp;api_key=A", "api_amp;key=A", "amamp;p;api_key=A&amp;api_key=B"} {
		r := httptest.NewRequest(http.MethodGet, "/extern/rest.php?entity=Contact&action=get&key=K&"+q, nil)
		c, reply := ParseEnvelope(r, externRoute(), ParseOptions{})
		if reply != nil || c.Credentials.APIKey != "A" {
			t.Fatalf("%s: api key %q, %+v", q, c.Credentials.APIKey, reply)
		}
		c.DecodeParams(context.Background())
		for _, k := range c.Params.Keys() {
			if strings.Contains(k, "amp;") {
				t.Errorf("%s: %s went into the params", q, k)
			}
		}
		c.Release()
	}
	// The modern forms' legacyrest flow reads $_REQUEST['api_key'] itself.
	r := httptest.NewRequest(http.MethodGet, "/civicrm/ajax/rest?entity=Contact&action=get&key=K&amp;api_key=A", nil)
	route, _ := Recognise(r.Method, r.URL, RecogniseConfig{})
	if c, _ := ParseEnvelope(r, route, ParseOptions{}); c.Credentials.APIKey != "" {
		t.Errorf("ajax/rest took amp;api_key: %q", c.Credentials.APIKey)
	}
}
