package translate

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

func TestNamesAPIKeyAsData(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  bool
	}{
		{"entity=Contact&action=get&json=%7B%22id%22%3A2%7D", false},
		{"entity=Contact&action=get&json=%7B%22api_key%22%3A%22s%22%7D", true},
		{"params=%7B%22where%22%3A%5B%5B%22API_KEY%22%2C%22%3D%22%2C%22s%22%5D%5D%7D", true},
		{"json=%257B%2522api_key%2522%253A%2522s%2522%257D", true},               // encoded twice
		{"json=%25257B%252522api_key%252522%25253A%252522s%252522%25257D", true}, // three times
		{"json=%7B%22%61pi%5Fkey%22%3A1%7D", true},                               // the name's own letters escaped
		{"json=%7B%22%2561pi_key%22%3A1%7D", true},                               // an escape of an escape
		{"field=api_key&value=s", true},
		{"where[0][]=api_key&where[0][]==&where[0][]=s", true},
		{"json[api_key]=s", true},
		{"api_key=s&json=%7B%22id%22%3A1%7D", false}, // a credential parameter is no data
		{"API_KEY=s&amp;api_key=s&api.key=s", false},
		{"json=%7B%22api%22%3A%22key%22%7D&x=api+key&y=apikey", false},
		{"json=%zz%22api_key", true}, // an escape PHP would keep as it is
		{"", false},
		// JSON's escapes, which json_decode undoes in names and values
		// (attack 11b): the name is api_key to PHP and to Civigate.
		{"json=" + url.QueryEscape(`{"api\u005fkey":"s"}`), true},
		{"json=" + url.QueryEscape(`{"\u0061pi_key":"s"}`), true},
		{"json=" + url.QueryEscape(`{"\u0061\u0070\u0069\u005F\u006B\u0065\u0079":"s"}`), true}, // every letter, upper-case hex
		{"json=" + url.QueryEscape(`{"\u0041PI\u005fK\u0045y":"s"}`), true},                     // any letter case
		{"params=" + url.QueryEscape(`{"where":[["api_k\u0065y","=","s"]]}`), true},
		{`json={"api\u005fkey":"s"}`, true},                                   // not percent-encoded at all
		{`json={"\u0061pi_key":"s"}`, true},                                   // nor "api" left to find
		{"json=%7B%22%5Cu0061pi_key%22%3A1%7D", true},                         // the backslash percent-encoded
		{"json=%7B%22%255Cu0061pi_key%22%3A1%7D", true},                       // encoded twice
		{"json=%7B%22%5Cu0061pi%5Fkey%22%3A1%2C%22x%22%3A%22%zz%22%7D", true}, // an escape PHP keeps beside
		{`where[0][]=api\u005fkey&where[0][]==&where[0][]=s`, true},           // key-value: CiviCRM reads the name as it is; a false alarm at worst
		{"field=%5Cu0061pi_key&value=s", true},
		{`json={"api\\u005fkey":"s"}`, true}, // "api\u005fkey" is api\u005fkey to json_decode: a false alarm, harmless
		// What json_decode does not read as api_key's letters.
		{`json={"api\ud800\udc5fkey":"s"}`, false},      // a surrogate pair is U+1005F, not '_'
		{`json={"api\udc5fkey":"s"}`, false},            // a lone half: json_decode refuses the document
		{"json=%7B%22%C1%A1pi_key%22%3A1%7D", false},    // an overlong 'a': invalid UTF-8, refused
		{"json=%7B%22%EF%BD%81pi_key%22%3A1%7D", false}, // a fullwidth 'a' is another character
		{`json={"api\U005fkey":"s"}`, false},            // \U is no escape json_decode knows
		{"json=" + url.QueryEscape(`{"api\u005f\u006bex":"s"}`), false},
		{"x=api%5C+key", false},
		{"json=%7B%22%25u0061pi_key%22%3A1%7D", false}, // %u0061 is IIS's, not PHP's: urldecode keeps it
		{"json=%7B%22api%00_key%22%3A1%7D", false},     // a NUL: json_decode refuses the control character
	} {
		if got := NamesAPIKeyAsData(tc.query); got != tc.want {
			t.Errorf("NamesAPIKeyAsData(%q) = %v, want %v", tc.query, got, tc.want)
		}
	}
}

// namesAPIKeyAsDataDecoding is NamesAPIKeyAsData without mayNameAPIKey's
// shortcut: every piece decoded. The shortcut must never change the
// answer.
func namesAPIKeyAsDataDecoding(query string) bool {
	for piece := range strings.SplitSeq(query, "&") {
		name, _, _ := strings.Cut(piece, "=")
		if IsCredentialQueryName(name) {
			continue
		}
		if namesAPIKey(piece) {
			return true
		}
	}
	return false
}

func FuzzNamesAPIKeyAsData(f *testing.F) {
	for _, s := range []string{"json=%7B%22%61pi%5Fkey%22%3A1%7D", "a=%2561pi_key", "x=ap%69_key%", "json=%25%37%42", "k=api_kez%2B",
		`json={"\u0061pi_key":1}`, "j=%5Cu0061pi%5C%5Cu005fkey", `p=\ud800\udc61pi_key`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		if got, want := NamesAPIKeyAsData(q), namesAPIKeyAsDataDecoding(q); got != want {
			t.Errorf("NamesAPIKeyAsData(%q) = %v, decoding every piece says %v", q, got, want)
		}
	})
}

// Random queries made of api_key's letters and the escapes that spell
// them, compared with decoding every piece.
func TestNamesAPIKeyAsDataShortcut(t *testing.T) {
	parts := []string{"a", "p", "i", "_", "k", "e", "y", "A", "K", "%", "%25", "%61", "%41", "%5F", "%5f", "%6B", "%79",
		"%22", "%7B", "%3D", "+", "=", "&", "2", "5", "x", `\`, `\u`, `\u00`, "0061", "005f", "005F", "%5C", "%5c", "u", "0"}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 200_000 {
		var b strings.Builder
		for range 1 + rng.IntN(14) {
			b.WriteString(parts[rng.IntN(len(parts))])
		}
		q := b.String()
		if got, want := NamesAPIKeyAsData(q), namesAPIKeyAsDataDecoding(q); got != want {
			t.Fatalf("NamesAPIKeyAsData(%q) = %v, decoding every piece says %v", q, got, want)
		}
	}
}

// The queries Civigate sends for ordinary calls are looked at without an
// allocation: the check costs a scan.
func TestNamesAPIKeyAsDataOrdinaryQueriesAllocateNothing(t *testing.T) {
	for _, q := range []string{
		"entity=Contact&action=get&json=" + url.QueryEscape(`{"id":"2","sequential":1,"return":["display_name","email"],"options":{"limit":25},"api.Email.get":{"is_primary":1}}`),
		"params=" + url.QueryEscape(`{"select":["id","display_name"],"where":[["id","=",2]],"limit":25}`) + "&index=0",
	} {
		if n := testing.AllocsPerRun(100, func() { NamesAPIKeyAsData(q) }); n != 0 || NamesAPIKeyAsData(q) {
			t.Errorf("%s: %v allocations", q, n)
		}
	}
}

func BenchmarkNamesAPIKeyAsData(b *testing.B) {
	q := "entity=Contact&action=get&json=" + url.QueryEscape(`{"id":"2","sequential":1,"return":["display_name","email"],"options":{"limit":25,"offset":0},"api.Email.get":{"is_primary":1}}`)
	b.ReportAllocs()
	for b.Loop() {
		NamesAPIKeyAsData(q)
	}
}

// upstreamForm is what PHP registers from the built request: $_GET from
// its query, $_POST from its body, and how the body is encoded.
func upstreamForm(t *testing.T, r *UpstreamRequest) (get, post *Array) {
	t.Helper()
	get, post = NewArray(), NewArray()
	if err := ParseQuery(get, r.RawQuery, DefaultLimits); err != nil {
		t.Fatal(err)
	}
	if r.Method == "POST" {
		ParsePost(post, r.Header.Get("Content-Type"), r.Body, DefaultLimits)
	}
	return get, post
}

// An APIv3 call whose query names an API key as data goes as POST, its
// query as a urlencoded body, the URL only the route; CiviCRM's GET rule
// keeps every other call as it was.
func TestBuildUpstreamAPIKeyAsData(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	lookup := `{"api_key":"` + key + `","return":"id"}`
	for _, tc := range []struct {
		name, method, endpoint, params string
		setup                          func(*Call)
		post                           bool
	}{
		{"a GET lookup", "GET", "", lookup, nil, true},
		{"a HEAD lookup", "HEAD", "", lookup, nil, true},
		{"a verbose endpoint keeps its route in the URL", "GET", "/index.php?q=civicrm/ajax/rest", lookup, nil, true},
		{"api_key as a value", "GET", "", `{"field":"api_key","value":"` + key + `","id":3}`, func(c *Call) { c.Action = "getsingle" }, true},
		{"an ordinary GET stays a GET", "GET", "", `{"id":2,"return":"display_name"}`, nil, false},
		{"a batch of reads", "GET", "", `{"a":["Contact","get",` + lookup + `],"b":["Contact","getcount",{}]}`, func(c *Call) { c.Entity, c.Action, c.Batch = "api3", "call", true }, true},
		{"a batch with a member the GET rule refuses", "GET", "", `{"a":["Contact","get",` + lookup + `],"b":["Contact","create",{}]}`, func(c *Call) { c.Entity, c.Action, c.Batch = "api3", "call", true }, false},
		{"a batch with a member named Check", "GET", "", `{"a":["Contact","get",` + lookup + `],"b":["System","Check"]}`, func(c *Call) { c.Entity, c.Action, c.Batch = "api3", "call", true }, false},
		{"a batch with a member that is no call", "GET", "", `{"a":["Contact","get",` + lookup + `],"b":"x"}`, func(c *Call) { c.Entity, c.Action, c.Batch = "api3", "call", true }, false},
		{"a batch with a className member", "GET", "", `{"a":["Contact","get",{"className":"CRM_Core_Page_AJAX","api_key":"` + key + `"}]}`, func(c *Call) { c.Entity, c.Action, c.Batch = "api3", "call", true }, false},
		{"a className call", "GET", "", `{"className":"CRM_Core_Page_AJAX","api_key":"` + key + `"}`, func(c *Call) { c.ClassName, c.HasClassName = "CRM_Core_Page_AJAX", true }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := testCall(t, FormExtern, tc.method, tc.params)
			if tc.setup != nil {
				tc.setup(c)
			}
			r, err := BuildUpstream(c, UpstreamConfig{Endpoint: tc.endpoint})
			if err != nil {
				t.Fatal(err)
			}
			_, route, _ := strings.Cut(tc.endpoint, "?")
			get, post := upstreamForm(t, r)
			if !tc.post {
				if r.Method == "POST" || r.Body != nil {
					t.Errorf("went as %s with body %q", r.Method, r.Body)
				}
				return
			}
			if r.Method != "POST" || r.RawQuery != route || r.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				t.Fatalf("%s ?%s (%s), want POST ?%s urlencoded", r.Method, r.RawQuery, r.Header.Get("Content-Type"), route)
			}
			if strings.Contains(r.RawQuery, key) || !strings.Contains(string(r.Body), key) {
				t.Errorf("query %q, body %q", r.RawQuery, r.Body)
			}
			// The body is the query the call would have gone with.
			c.HasClassName = true // which keeps it a GET
			asGET, err := BuildUpstream(testCallLike(t, c, tc.params), UpstreamConfig{Endpoint: tc.endpoint})
			if err != nil {
				t.Fatal(err)
			}
			if want := joinQuery(route, string(r.Body)); asGET.RawQuery != want || asGET.Method != UpstreamMethod(tc.method) {
				t.Errorf("body %q\nwant the GET's query %q", r.Body, asGET.RawQuery)
			}
			if get.Len() != strings.Count(route, "=") || post.Len() == 0 {
				t.Errorf("$_GET %s, $_POST %s", EncodeJSON(get, JSONOptions{}), EncodeJSON(post, JSONOptions{}))
			}
		})
	}
	// Past max_body_size, PHP would empty $_POST: the client gets a 413.
	c := testCall(t, FormExtern, "GET", lookup)
	if _, err := BuildUpstream(c, UpstreamConfig{MaxBodyBytes: 20}); err == nil || !strings.Contains(err.Error(), "max_body_size") {
		t.Errorf("past max_body_size: %v", err)
	}
}

// testCallLike is a copy of c (entity, action, method, form) with params,
// built again so that no memo is shared.
func testCallLike(t *testing.T, c *Call, params string) *Call {
	cp := testCall(t, c.Form, c.Method, params)
	cp.Entity, cp.Action, cp.Batch, cp.ClassName, cp.HasClassName = c.Entity, c.Action, c.Batch, c.ClassName, c.HasClassName
	return cp
}

// An APIv4 GET whose query names an API key as data goes as POST, params
// and index in a urlencoded body, the routing and merged keys in the URL
// unless a merged key names the key itself, which goes into the params
// JSON; one CiviCRM refuses by its method goes with the route alone.
func TestBuildUpstreamAPI4APIKeyAsData(t *testing.T) {
	const key = "0123456789abcdef0123456789abcdef"
	where := url.QueryEscape(`[["api_key","=","` + key + `"]]`)
	for _, tc := range []struct {
		name, target string
		method       string // upstream
		query, body  string
	}{
		{"params", `/civicrm/ajax/api4/Contact/get?params=` + url.QueryEscape(`{"select":["id"],"where":[["api_key","=","`+key+`"]]}`) + `&index=0&limit=2&lcMessages=de_DE`,
			"POST", "", `{"index":"0","lcMessages":"de_DE","params":"{\"select\":[\"id\"],\"where\":[[\"api_key\",\"=\",\"` + key + `\"]],\"limit\":\"2\"}"}`},
		{"a merged where, no params", `/civicrm/ajax/api4/Contact/get?limit=2&where[0][]=api_key&where[0][]=%3D&where[0][]=` + key + `&select[]=id`,
			"POST", "", `{"params":"{\"limit\":\"2\",\"where\":[[\"api_key\",\"=\",\"` + key + `\"]],\"select\":[\"id\"]}"}`},
		{"a merged where beside params", `/civicrm/ajax/api4/Contact/get?params=` + url.QueryEscape(`{"select":["id"]}`) + `&where[0][]=api_key&where[0][]=%3D&where[0][]=` + key,
			"POST", "", `{"params":"{\"select\":[\"id\"],\"where\":[[\"api_key\",\"=\",\"` + key + `\"]]}"}`},
		{"a merged where, empty params", `/civicrm/ajax/api4/Contact/get?params=&where=` + where,
			"POST", "", `{"params":"{\"where\":\"[[\\\"api_key\\\",\\\"=\\\",\\\"` + key + `\\\"]]\"}"}`},
		{"WordPress routing keys stay", `/?civiwp=CiviCRM&q=civicrm/ajax/api4/Contact/get&params=` + url.QueryEscape(`{"where":[["api_key","=","`+key+`"]]}`),
			"POST", "civiwp=CiviCRM&q=civicrm%2Fajax%2Fapi4%2FContact%2Fget", `{"params":"{\"where\":[[\"api_key\",\"=\",\"` + key + `\"]]}"}`},
		{"a write CiviCRM refuses over GET", `/civicrm/ajax/api4/Contact/create?params=` + url.QueryEscape(`{"values":{"api_key":"`+key+`"}}`) + `&limit=1`,
			"GET", "", ""},
		{"an ordinary GET stays a GET", `/civicrm/ajax/api4/Contact/get?params=` + url.QueryEscape(`{"where":[["id","=",2]]}`) + `&limit=1`,
			"GET", "limit=1&params=" + url.QueryEscape(`{"where":[["id","=",2]]}`), ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := api4Request(t, "GET", tc.target, "", "")
			before := string(EncodeJSON(c.API4.Params, JSONOptions{}))
			up, err := BuildUpstream(c, UpstreamConfig{OmitCredentials: true})
			if err != nil {
				t.Fatal(err)
			}
			if up.Method != tc.method || up.RawQuery != tc.query {
				t.Errorf("%s ?%s, want %s ?%s", up.Method, up.RawQuery, tc.method, tc.query)
			}
			if after := string(EncodeJSON(c.API4.Params, JSONOptions{})); after != before {
				t.Errorf("the call's params changed: %s, were %s", after, before)
			}
			if tc.method != "POST" {
				if up.Body != nil {
					t.Errorf("a GET with a body: %s", up.Body)
				}
				return
			}
			if up.Header.Get("Content-Type") != "application/x-www-form-urlencoded" {
				t.Errorf("Content-Type %q", up.Header.Get("Content-Type"))
			}
			post := NewArray()
			ParsePost(post, up.Header.Get("Content-Type"), up.Body, DefaultLimits)
			if got := string(EncodeJSON(post, JSONOptions{Legacy: true})); got != tc.body {
				t.Errorf("form %s\nwant %s", got, tc.body)
			}
		})
	}
	c := api4Request(t, "GET", `/civicrm/ajax/api4/Contact/get?params=`+url.QueryEscape(`{"where":[["api_key","=","`+key+`"]]}`), "", "")
	if _, err := BuildUpstream(c, UpstreamConfig{MaxBodyBytes: 20}); err == nil || !strings.Contains(err.Error(), "max_body_size") {
		t.Errorf("past max_body_size: %v", err)
	}
}

// phpReadsAPIKey is the ground truth for NamesAPIKeyAsData: for each
// query piece (hex-encoded, one a line), whether PHP reads api_key in it,
// in any letter case: parse_str's names and values at any depth, and
// every string json_decode'd once, as CiviCRM decodes json=, params= and
// calls= (any string here, a superset), with its keys and strings at any
// depth.
const phpReadsAPIKey = `<?php
function has($s) { return stripos((string)$s, 'api_key') !== false; }
function reads($v, $decode) {
	if (is_array($v)) {
		foreach ($v as $k => $x) if (has($k) || reads($x, $decode)) return true;
		return false;
	}
	if (!is_string($v)) return false;
	if (has($v)) return true;
	return $decode && reads(json_decode($v, true), false);
}
while (($line = fgets(STDIN)) !== false) {
	parse_str(hex2bin(trim($line)), $a);
	echo reads($a, true) ? "1\n" : "0\n";
}
`

// NamesAPIKeyAsData sees api_key wherever PHP reads it (phpReadsAPIKey):
// JSON's escapes of the name's letters, percent-encoding of the JSON and
// of its escapes, in any mix, and the near misses json_decode refuses.
// It may see more (a query decoded twice, an escape PHP leaves alone),
// never less.
func TestNamesAPIKeyAsDataSeesWhatPHPReads(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 2))
	hexCase := func(s string) string {
		if rng.IntN(2) == 0 {
			return strings.ToUpper(s)
		}
		return s
	}
	// name spells api_key (or a near miss), each letter as it is, in
	// either case, or as a JSON escape, some as json_decode refuses them.
	name := func() string {
		var b strings.Builder
		word := "api_key"
		if rng.IntN(8) == 0 {
			word = []string{"api_kex", "apikey", "api-key", "ap_ikey"}[rng.IntN(4)]
		}
		for _, c := range []byte(word) {
			switch rng.IntN(24) {
			case 0, 1, 2, 3, 4, 5, 6:
				b.WriteByte(c)
			case 7, 8, 9:
				b.WriteString(strings.ToUpper(string(c)))
			case 10, 11, 12, 13, 14, 15:
				b.WriteString(`\u` + hexCase(fmt.Sprintf("%04x", c)))
			case 16, 17, 18:
				b.WriteString(`\u` + hexCase(fmt.Sprintf("%04x", strings.ToUpper(string(c))[0])))
			case 19: // near misses json_decode refuses or reads otherwise
				b.WriteString([]string{`\U00` + fmt.Sprintf("%02x", c), `\ud800\udc` + fmt.Sprintf("%02x", c), `\udc` + fmt.Sprintf("%02x", c), string([]byte{0xc0 | c>>6, 0x80 | c&0x3f}), `\\u00` + fmt.Sprintf("%02x", c)}[rng.IntN(5)])
			default:
				b.WriteString(`\u00` + hexCase(fmt.Sprintf("%02x", c)))
			}
		}
		return b.String()
	}
	// encode percent-encodes text as a client might: every byte a query
	// cannot hold as it is, and any other at random.
	encode := func(s string) string {
		var b strings.Builder
		for _, c := range []byte(s) {
			if c <= ' ' || c >= 0x7f || strings.IndexByte("%&=+#", c) >= 0 || rng.IntN(4) == 0 {
				b.WriteString("%" + hexCase(fmt.Sprintf("%02x", c)))
			} else {
				b.WriteByte(c)
			}
		}
		return b.String()
	}
	var pieces []string
	for range 3000 {
		var doc string
		switch rng.IntN(4) {
		case 0:
			doc = `{"` + name() + `":"SECRET"}`
		case 1:
			doc = `{"select":["id"],"where":[["` + name() + `","=","SECRET"]]}`
		case 2:
			doc = `{"field":"` + name() + `","value":"SECRET"}`
		default:
			doc = `{"a":["Contact","get",{"` + name() + `":"SECRET"}],"x":"%zz"}`
		}
		v := encode(doc)
		if rng.IntN(5) == 0 {
			v = encode(v) // encoded twice: PHP reads the escapes as text
		}
		pieces = append(pieces, []string{"json=", "params=", "calls=", "where[0][]="}[rng.IntN(4)]+v)
	}
	lines := runPHPLines(t, phpReadsAPIKey, pieces)
	var read int
	for i, p := range pieces {
		if lines[i] != "1" {
			continue
		}
		read++
		if !NamesAPIKeyAsData(p) {
			t.Errorf("PHP reads api_key in %q, NamesAPIKeyAsData does not", p)
		}
	}
	if read < len(pieces)/3 {
		t.Fatalf("PHP reads api_key in only %d of %d pieces: the generator tests little", read, len(pieces))
	}
}
