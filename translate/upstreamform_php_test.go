package translate

import (
	"bytes"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civigate/civigate/internal/phptest"
)

// The upstream request through real PHP: php-cgi parses the request
// BuildUpstream makes (query, multipart body) as CiviCRM's PHP does, and a
// PHP model of CRM_Utils_Request::exportValues and
// CRM_Utils_REST::buildParamList builds the parameters from it. They must
// be call.Params exactly: the same keys in the same order, the same types,
// the same bytes, for random parameter trees holding control characters,
// invalid UTF-8, the multipart boundary, large strings, deep and wide
// arrays, integer keys and every name something else reads.

const buildParamListScript = "<?php\n" + phpDumpFunc + `
// exportValues(): $_GET, then $_POST over it (array_merge).
$request = [];
if ($_GET) $request = array_merge($request, $_GET);
if ($_POST) $request = array_merge($request, $_POST);
// buildParamList(): json= decoded as the base, the other request keys
// (less the six reserved ones) assigned over it, an array return expanded.
$params = [];
$skip = ['q' => 1, 'json' => 1, 'key' => 1, 'api_key' => 1, 'entity' => 1, 'action' => 1];
if (array_key_exists('json', $request) && $request['json'][0] == '{') {
	$params = json_decode($request['json'], TRUE);
	if ($params === NULL) { echo "JSONERR\n"; exit; }
}
foreach ($request as $n => $v) {
	if (!array_key_exists($n, $skip)) $params[$n] = $v;
}
if (array_key_exists('return', $request) && is_array($request['return'])) {
	foreach ($request['return'] as $k => $v) $params['return.' . $k] = 1;
}
echo count($_GET) + count($_POST), '|', d($params), "\n";
`

// phpCGI runs a PHP script as PHP's own CGI SAPI runs a request: the
// request parsing under test is PHP's.
type phpCGI struct {
	cgi, script string
	env         []string // more CGI variables (HTTP_COOKIE=…)
}

func newPHPCGI(t *testing.T, script string) phpCGI {
	t.Helper()
	cgi := phptest.CGIPath(t)
	path := filepath.Join(t.TempDir(), "script.php")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	return phpCGI{cgi: cgi, script: path}
}

// serve runs the script for a request (body: what arrived of a body of
// contentLength bytes; no body when nil) and returns what it printed
// (php-cgi -q prints no headers).
func (p phpCGI) serve(t *testing.T, method, query, ct string, body []byte, contentLength int) string {
	t.Helper()
	cmd := exec.Command(p.cgi, "-n", "-q", "-d", "max_input_vars=1000", "-d", "max_input_nesting_level=64",
		"-d", "post_max_size=64M", "-d", "memory_limit=1G", "-d", "error_reporting=0", "-d", "display_errors=0", p.script)
	cmd.Env = append([]string{"REQUEST_METHOD=" + method, "QUERY_STRING=" + query, "SCRIPT_FILENAME=" + p.script, "REDIRECT_STATUS=1"}, p.env...)
	if body != nil {
		cmd.Env = append(cmd.Env, "CONTENT_TYPE="+ct, fmt.Sprintf("CONTENT_LENGTH=%d", contentLength))
		cmd.Stdin = bytes.NewReader(body)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php-cgi: %v\n%s", err, stderr.String())
	}
	return string(out)
}

// run hands an upstream request to the script.
func (p phpCGI) run(t *testing.T, r *UpstreamRequest) string {
	t.Helper()
	return strings.TrimSuffix(p.serve(t, r.Method, r.RawQuery, r.Header.Get("Content-Type"), r.Body, len(r.Body)), "\n")
}

func TestUpstreamParamsThroughPHP(t *testing.T) {
	php := newPHPCGI(t, buildParamListScript)
	r := diffSeed(t)
	type result struct{ fields, refused, notUTF8 int }
	var got result
	check := func(name string, params *Array, method string) {
		t.Helper()
		call := &Call{Form: FormExtern, Method: method, Entity: "Contact", Action: "create", Params: params}
		up, err := BuildUpstream(call, UpstreamConfig{OmitCredentials: true})
		switch {
		case errors.Is(err, ErrParamsNotUTF8):
			if validUTF8Tree(params) {
				t.Errorf("%s: refused as not UTF-8, but every string and key is: %v", name, err)
			}
			got.notUTF8++
			return
		case errors.Is(err, ErrParamsTooCostly):
			got.refused++
			return
		case err != nil:
			t.Fatalf("%s: %v", name, err)
		}
		out := php.run(t, up)
		count, built, _ := strings.Cut(out, "|")
		if want := dump(params); built != want {
			t.Errorf("%s (%s): CiviCRM would build\n%.600s\nnot\n%.600s", name, method, built, want)
			return
		}
		if count != "3" {
			got.fields++
		}
		if method == "POST" {
			if size := canonicalSize(params); len(up.Body) > size+size/16+256<<10 {
				t.Errorf("%s: %d bytes upstream for %d bytes of parameters", name, len(up.Body), size)
			}
		}
	}

	// Cases that must go through, as fields where JSON cannot carry them.
	deep := func(levels int, leaf any) *Array {
		a := arr("k", leaf)
		for range levels - 1 {
			a = arr("k", a)
		}
		return arr("deep", a)
	}
	wide := func(n int, leaf string) *Array {
		a := NewArray()
		for i := range n {
			a.Set(fmt.Sprint(i), leaf)
		}
		return arr("wide", a)
	}
	for _, tc := range []struct {
		name   string
		params *Array
	}{
		{"1 MiB of 0x01", arr("notes", strings.Repeat("\x01", 1<<20))},
		{"1 MiB of 0xFF", arr("notes", strings.Repeat("\xff", 1<<20))},
		{"typed around a string of control characters, order kept", arr("x", Number("1"), "y", strings.Repeat("\x01\x02", 100), "z", true, "w", Number("1.0"))},
		{"invalid UTF-8 in array keys and values", arr("t", arr("\xff", "x", "k", arr("\xfe\xfd", "\xc3"), "5", "\x80"))},
		{"the boundary in a value", arr("a", "\r\n--"+multipartBoundary+"--\r\n"+strings.Repeat("\x00", 100))},
		{"64 levels of brackets", deep(64, strings.Repeat("\xff", 10))},
		{"an integer key beside a string of 0xFF", arr("5", "x", "b", strings.Repeat("\xff", 200))},
		{"980 leaves of invalid UTF-8", wide(980, "\xff")},
		{"2000 leaves with escapes (JSON)", wide(2000, strings.Repeat("\x01", 10))},
	} {
		check(tc.name, tc.params, "POST")
		if canonicalSize(tc.params) < 20000 {
			check(tc.name, tc.params, "GET")
		}
	}
	if got.refused+got.notUTF8 != 0 {
		t.Fatalf("%d of the cases that must go through were refused", got.refused+got.notUTF8)
	}
	for i := range 400 {
		params := genParams(r, 0)
		method := "POST"
		if canonicalSize(params) < 20000 && r.IntN(3) == 0 {
			method = "GET"
		}
		check(fmt.Sprintf("random %d", i), params, method)
	}
	t.Logf("%d requests carried parameters as fields; refused: %d as too costly, %d for invalid UTF-8 JSON cannot carry", got.fields, got.refused, got.notUTF8)
	if got.fields < 20 {
		t.Errorf("only %d requests carried parameters as fields: the generator does not exercise them", got.fields)
	}
}

// Refused: what cannot be carried exactly (invalid UTF-8 where only JSON
// can go), and what would be too large upstream.
func TestUpstreamParamsRefused(t *testing.T) {
	for _, tc := range []struct {
		name   string
		params *Array
		want   error
	}{
		{"invalid UTF-8 under a name WordPress reads", arr("name", "\xff"), ErrParamsNotUTF8},
		{"invalid UTF-8 under an integer key", arr("7", "\xff"), ErrParamsNotUTF8},
		{"invalid UTF-8 beside a number", arr("t", arr("a", "\xff", "n", Number("1"))), ErrParamsNotUTF8},
		{"invalid UTF-8 in a key with a control character", arr("t", arr("\x01\xff", "x")), ErrParamsNotUTF8},
		{"invalid UTF-8 65 levels deep", arr("t", nest(65, "\xff")), ErrParamsNotUTF8},
		{"invalid UTF-8 in more leaves than max_input_vars", arr("t", listOf(1000, "\xff")), ErrParamsNotUTF8},
		{"1 MiB of 0x01 under a name WordPress reads", arr("name", strings.Repeat("\x01", 1<<20)), ErrParamsTooCostly},
		{"1 MiB of 0x01 in 2000 leaves", arr("t", listOf(2000, strings.Repeat("\x01", 512))), ErrParamsTooCostly},
	} {
		call := &Call{Form: FormExtern, Method: "POST", Entity: "Contact", Action: "create", Params: tc.params}
		if _, err := BuildUpstream(call, UpstreamConfig{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

func arr(kv ...any) *Array {
	a := NewArray()
	for i := 0; i < len(kv); i += 2 {
		a.Set(kv[i].(string), kv[i+1])
	}
	return a
}

func nest(levels int, leaf any) *Array {
	a := arr("k", leaf)
	for range levels - 1 {
		a = arr("k", a)
	}
	return a
}

func listOf(n int, leaf string) *Array {
	a := NewArray()
	for range n {
		a.Append(leaf)
	}
	return a
}

func validUTF8Tree(v any) bool {
	switch x := v.(type) {
	case string:
		return strings.ToValidUTF8(x, "") == x
	case *Array:
		for i := range x.Len() {
			if strings.ToValidUTF8(x.Key(i), "") != x.Key(i) || !validUTF8Tree(x.Value(i)) {
				return false
			}
		}
	}
	return true
}

var paramKeys = []string{
	"a", "first_name", "notes", "custom_12", "api_Email_create", "options", "sequential",
	"id", "name", "return", "entity", "json", "q", "_authx", "page", "fnName", "version",
	"0", "5", "-3", "05", "-0", "99999999999999999999", "", " ", " a", "a.b", "a b", "a[b", "x]",
	"\"q", `back\slash`, "é", "\xff", "\x01ctl", "semi;colon", "eq=ual", strings.Repeat("k", 300),
}

var paramStrings = []string{
	"", "plain", "0", "1.0", "a/b & é", "\"quoted\" \\ back", "line\nbreak\r\n", "\x00\x01\x1f\x7f",
	"\xff\xfe", "\xc3", "é\xe2\x80\xa8", "--" + multipartBoundary, "\r\n--" + multipartBoundary + "--\r\n", "\n--x\r",
}

func genString(r *rand.Rand) string {
	switch r.IntN(12) {
	case 0:
		b := make([]byte, r.IntN(40))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	case 1:
		return strings.Repeat(pick(r, "\x01", "\xff", "\"", "ab", "\x00\n"), r.IntN(3000))
	}
	return pick(r, paramStrings...)
}

func genKey(r *rand.Rand) string {
	if r.IntN(12) == 0 {
		b := make([]byte, 1+r.IntN(6))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		return string(b)
	}
	return pick(r, paramKeys...)
}

// genParams makes a parameter array of every shape CiviCRM may be sent.
func genParams(r *rand.Rand, depth int) *Array {
	a := NewArray()
	n := r.IntN(6)
	switch {
	case depth == 0 && r.IntN(20) == 0:
		n = 200 + r.IntN(1200) // wide, past max_input_vars
	case depth > 0 && r.IntN(4) == 0:
		n = 0 // an empty array
	}
	list := depth > 0 && r.IntN(3) == 0
	for range n {
		var v any
		switch k := r.IntN(12); {
		case k < 6:
			v = genString(r)
		case k < 7:
			v = pick[any](r, Number("1"), Number("1.0"), Number("-0"), Number("1e3"), Number("12345678901234567890"), true, false, nil)
		case k < 8 && depth < 3:
			v = genParams(r, depth+1)
		case k < 9 && depth == 0:
			v = nest(60+r.IntN(8), genString(r))
		default:
			v = genString(r)
		}
		if list {
			a.Append(v)
		} else {
			a.Set(genKey(r), v)
		}
	}
	return a
}
