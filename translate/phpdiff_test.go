package translate

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/internal/phptest"
)

// The differential tests run every input through real PHP (one php process
// per test, all inputs in one file) and compare canonical dumps. The dump
// tells int keys from string keys, keeps order, and hex-encodes every string
// so invalid UTF-8 and NUL bytes survive the trip.

// phpDumpFunc is the PHP function d() that writes such a dump.
const phpDumpFunc = `function d($v) {
	if (is_array($v)) {
		$s = '{';
		foreach ($v as $k => $x) {
			$s .= (is_int($k) ? 'i' . $k : 's' . bin2hex($k)) . ':' . d($x) . ',';
		}
		return $s . '}';
	}
	if (is_string($v)) return '"' . bin2hex($v) . '"';
	if (is_int($v)) return 'I' . $v;
	if (is_float($v)) return 'F' . bin2hex(pack('E', $v));
	if ($v === true) return 'T';
	if ($v === false) return 'B';
	if ($v === null) return 'N';
	return '?';
}
`

const phpDumpScript = "<?php\n" + phpDumpFunc + `
while (($line = fgets(STDIN)) !== false) {
	$line = rtrim($line, "\n");
	$data = hex2bin(substr($line, 2));
	if ($line[0] === 'Q') {
		$r = [];
		parse_str($data, $r);
		echo d($r), "\n";
	} else {
		$r = json_decode($data, true);
		echo ($r === null && json_last_error() !== JSON_ERROR_NONE) ? 'ERR' : d($r), "\n";
	}
}
`

// runPHP feeds inputs (kind 'Q' = parse_str, 'J' = json_decode) to one php
// process and returns one dump per input.
func runPHP(t *testing.T, kind byte, inputs []string) []string {
	t.Helper()
	php := phptest.Path(t)
	dir := t.TempDir()
	script := filepath.Join(dir, "dump.php")
	if err := os.WriteFile(script, []byte(phpDumpScript), 0o600); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for _, s := range inputs {
		in.WriteByte(kind)
		in.WriteByte(' ')
		in.WriteString(hex.EncodeToString([]byte(s)))
		in.WriteByte('\n')
	}
	cmd := exec.Command(php, "-n",
		"-d", "max_input_vars=1000", "-d", "max_input_nesting_level=64",
		"-d", "error_reporting=0", "-d", "display_errors=0", "-d", "memory_limit=1G",
		script)
	cmd.Stdin = &in
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v\n%s", err, stderr.String())
	}
	var dumps []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<28)
	for sc.Scan() {
		dumps = append(dumps, sc.Text())
	}
	if len(dumps) != len(inputs) {
		t.Fatalf("php answered %d lines for %d inputs", len(dumps), len(inputs))
	}
	return dumps
}

// dumpValue is the Go twin of the PHP d() function above. Number literals
// are converted the way PHP's JSON scanner does: integers that fit int64
// stay ints, the rest become floats.
func dumpValue(b *strings.Builder, v any) {
	switch v := v.(type) {
	case *Array:
		b.WriteByte('{')
		for i := 0; i < v.Len(); i++ {
			k := v.Key(i)
			if _, ok := IntKey(k); ok {
				b.WriteString("i" + k)
			} else {
				b.WriteString("s" + hex.EncodeToString([]byte(k)))
			}
			b.WriteByte(':')
			dumpValue(b, v.Value(i))
			b.WriteByte(',')
		}
		b.WriteByte('}')
	case string:
		b.WriteString(`"` + hex.EncodeToString([]byte(v)) + `"`)
	case Number:
		s := string(v)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil {
				b.WriteString("I" + strconv.FormatInt(n, 10))
				return
			}
		}
		f, _ := strconv.ParseFloat(s, 64)
		b.WriteString(fmt.Sprintf("F%016x", math.Float64bits(f)))
	case bool:
		if v {
			b.WriteByte('T')
		} else {
			b.WriteByte('B')
		}
	case nil:
		b.WriteByte('N')
	default:
		b.WriteString("?")
	}
}

func dump(v any) string {
	var b strings.Builder
	dumpValue(&b, v)
	return b.String()
}

func diffSeed(t *testing.T) *rand.Rand {
	seed := uint64(time.Now().UnixNano())
	if s := os.Getenv("PHPDIFF_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("seed %d (rerun with PHPDIFF_SEED=%d)", seed, seed)
		}
	})
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

func pick[T any](r *rand.Rand, xs ...T) T { return xs[r.IntN(len(xs))] }

var queryNames = []string{
	"a", "b", "json", "return", "entity", "key", "q", "0", "1", "5", "-1", "-0", "05", "+5", "1e3",
	"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
	" a", "  a", "a.b", "a b", "a+b", "+a", "%20a", "a%2Eb", "a%2eb", ".a", "a.", "api.Email.get",
	"return.display_name", "option.limit", "%00a", "a%00b", "a%", "a%2", "a%zz", "é", "\xff\xfe", "%FF",
	"this", "GLOBALS", "_", "a\x00b", "ab[", "[", "]", "%5B", "%5D", "x]y",
}

var queryIndexes = []string{
	"", "", "0", "1", "x", "5", "-1", "-5", "05", "00", "9223372036854775807", "9223372036854775806",
	"-9223372036854775808", "99999999999999999999", " a", "a b", "a.b", ".", " ", "c.d", "%00", "[", "é", "\xc3",
}

func genName(r *rand.Rand) string {
	var b strings.Builder
	if r.IntN(8) == 0 {
		for range r.IntN(6) {
			b.WriteByte(byte(r.IntN(256)))
		}
	} else {
		b.WriteString(pick(r, queryNames...))
	}
	open := func() string { return pick(r, "[", "[", "[", "%5B", "%5b") }
	shut := func() string { return pick(r, "]", "]", "]", "%5D", "%5d") }
	depth := 0
	switch n := r.IntN(20); {
	case n < 6:
	case n < 18:
		depth = 1 + r.IntN(4)
	default:
		depth = 60 + r.IntN(8)
	}
	for i := 0; i < depth; i++ {
		b.WriteString(open())
		if r.IntN(20) == 0 {
			b.WriteString(pick(r, "x", "a.b", "a b", "x[y", "")) // unclosed
			return b.String()
		}
		b.WriteString(pick(r, queryIndexes...))
		b.WriteString(shut())
		if r.IntN(25) == 0 {
			b.WriteString(pick(r, "c", "x[y]", ".", " "))
		}
	}
	return b.String()
}

func genValue(r *rand.Rand) string {
	switch r.IntN(10) {
	case 0:
		return ""
	case 1:
		return pick(r, "%00", "a%00b", "%", "%2", "%zz", "%%41", "+", "a+b", "%2B", "=", "a=b", "é", "%C3%A9", "%FF%FE", "\xff", "\x00x")
	case 2:
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteByte(byte(r.IntN(256)))
		}
		return b.String()
	default:
		return pick(r, "1", "2", "x", "Alice", "{\"a\":1}", "0")
	}
}

func genQuery(r *rand.Rand) string {
	n := 1 + r.IntN(6)
	if r.IntN(150) == 0 {
		n = 990 + r.IntN(30)
	}
	var b strings.Builder
	if r.IntN(20) == 0 {
		b.WriteString("&")
	}
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(pick(r, "&", "&", "&", "&", "&&", ";"))
		}
		b.WriteString(genName(r))
		switch r.IntN(10) {
		case 0: // bare name
		default:
			b.WriteString("=")
			b.WriteString(genValue(r))
		}
	}
	return b.String()
}

func TestParseQueryMatchesPHP(t *testing.T) {
	r := diffSeed(t)
	n := 10000
	if testing.Short() {
		n = 1000
	}
	inputs := make([]string, 0, n+len(parseQueryFixed))
	inputs = append(inputs, parseQueryFixed...)
	for range n {
		inputs = append(inputs, genQuery(r))
	}
	want := runPHP(t, 'Q', inputs)
	fails := 0
	for i, in := range inputs {
		got := NewArray()
		if err := ParseQuery(got, in, DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if g := dump(got); g != want[i] {
			fails++
			if fails <= 10 {
				t.Errorf("ParseQuery(%q):\n got  %s\n php  %s", truncate(in, 300), truncate(g, 400), truncate(want[i], 400))
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d queries differ from PHP", fails, len(inputs))
	}
}

// parseQueryFixed are hand-picked cases always checked (many from spec §1.2).
var parseQueryFixed = []string{
	"return.display_name=1&option.limit=5&api.Email.get[return]=email&a+b=1",
	"a.b[c.d]=1", "a[b=1", "a[b.c=1", "[a]=1", "a[b]c=1", "a=1&a=2", "a=1&a[]=2", "a[]=1&a=2",
	"a[]=1&a[]=2&a[5]=x&a[]=3", "a[x]=1&a[x]=2", "a[b][c][]=1", "k=&k2", "a%5Bb%5D=1",
	"a[-5]=1&a[]=2", "a[9223372036854775807]=1&a[]=2", "a[][x=1", "a[x][y=1", "a[x]=1&a[b]" + strings.Repeat("[c]", 64) + "=2",
	"a[x]=1&a" + strings.Repeat("[c]", 63) + "=2", "a[x]=1&a" + strings.Repeat("[c]", 64) + "=2",
	strings.Repeat("v=1&", 1001) + "w=2", strings.Repeat("&", 5) + "x=1",
	"a%00b=1", "a=%00", "%=1", "a=%zz%4", " =1", "  x y.z=1", "a\x00b=1&c=2",
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

func genJSON(r *rand.Rand, depth int) string {
	if depth > 6 {
		return pick(r, "1", `"x"`, "null")
	}
	switch r.IntN(12) {
	case 0, 1:
		var b strings.Builder
		b.WriteString("{")
		for i := range r.IntN(5) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(pick(r, `"a"`, `"a"`, `"0"`, `"5"`, `"-1"`, `"05"`, `""`, `"-0"`, `"9223372036854775808"`, `"é"`, `"\u0000"`, `"_empty_"`, `"1.5"`))
			b.WriteString(pick(r, ":", " : "))
			b.WriteString(genJSON(r, depth+1))
		}
		b.WriteString("}")
		return b.String()
	case 2, 3:
		var b strings.Builder
		b.WriteString("[")
		for i := range r.IntN(4) {
			if i > 0 {
				b.WriteString(",")
			}
			b.WriteString(genJSON(r, depth+1))
		}
		b.WriteString("]")
		return b.String()
	case 4:
		return pick(r, "0", "-0", "1", "-1", "1.0", "1e2", "1E+2", "-1e-2", "0.1", "01", "1.", ".5", "+1", "-",
			"9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
			"12345678901234567890123", "1e400", "-1e400", "4.9e-324", "1e-400", "0e0", "0.30000000000000004")
	case 5:
		return pick(r, "true", "false", "null", "tru", "nul", "True", "NULL")
	case 6:
		return pick(r, `"\ud83d\ude00"`, `"\ud83d"`, `"\ude00"`, `"\ud83dx"`, `"\u00e9"`, `"\u0000"`, `"\x"`, `"\/"`,
			`"a\"b"`, `"\uD800\uDBFF"`, `"`+"\xff"+`"`, `"`+"\xc3\xa9"+`"`, `"`+"\t"+`"`, `"\u12"`, `"\U0041"`, `"\ud800\u0041"`)
	default:
		return pick(r, `"x"`, `"Alice"`, `""`, `"1"`)
	}
}

func mutateJSON(r *rand.Rand, s string) string {
	if s == "" || r.IntN(4) != 0 {
		return s
	}
	i := r.IntN(len(s))
	switch r.IntN(4) {
	case 0:
		return s[:i] + s[i+1:]
	case 1:
		return s[:i] + pick(r, ",", "}", "]", "\"", " ", "\x00", "\xff", "\n", "/") + s[i:]
	case 2:
		return " \t\n" + s + pick(r, " ", "\r\n", "x", "")
	default:
		return s[:i]
	}
}

func TestDecodeJSONMatchesPHP(t *testing.T) {
	r := diffSeed(t)
	n := 10000
	if testing.Short() {
		n = 1000
	}
	inputs := []string{
		`{"a":1,"b":2,"a":3}`, `{"5":1,"05":2,"-0":3,"":4}`, `{"0":"a","1":"b"}`, `[]`, `{}`, ``, ` `,
		strings.Repeat("[", 511) + strings.Repeat("]", 511), strings.Repeat("[", 512) + strings.Repeat("]", 512),
		strings.Repeat(`{"a":`, 511) + "1" + strings.Repeat("}", 511), strings.Repeat(`{"a":`, 512) + "1" + strings.Repeat("}", 512),
		`{"a":1}x`, "{\"a\":1}\x00", `"\ud83d\ude00"`, `{"\ud800":1}`,
	}
	for range n {
		inputs = append(inputs, mutateJSON(r, genJSON(r, 0)))
	}
	want := runPHP(t, 'J', inputs)
	fails := 0
	for i, in := range inputs {
		v, err := DecodeJSON([]byte(in))
		got := "ERR"
		if err == nil {
			got = dump(v)
		}
		if got != want[i] {
			fails++
			if fails <= 10 {
				t.Errorf("DecodeJSON(%q):\n got  %s\n php  %s", truncate(in, 300), truncate(got, 300), truncate(want[i], 300))
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d JSON inputs differ from PHP", fails, len(inputs))
	}
}

// What Civigate sends upstream in json= must decode in CiviCRM to exactly
// what the client's JSON decoded to there: every PHP type kept, floats
// with an integral value (1.0, 1e0, -0.0, 1e15) staying floats, huge
// integers staying floats, out-of-range literals staying INF. Checked with
// real PHP: json_decode(client JSON) against json_decode(Civigate's
// re-encoding of its own decoding of it).
func TestUpstreamJSONKeepsPHPTypes(t *testing.T) {
	r := diffSeed(t)
	numbers := []string{"1.0", "1e0", "1E0", "10e-1", "1.00000000000000000001", "0.0", "-0.0", "-0", "0e0", "-0e5",
		"1e15", "1e16", "1e17", "1e22", "123456789012345678", "9223372036854775807", "9223372036854775808",
		"-9223372036854775809", "12345678901234567890", "1e400", "-1e400", "1e-400", "4.9e-324", "2.2250738585072014e-308",
		"1.7976931348623157e308", "1.7976931348623159e308", "100000000000000000000000000000000000000000", "0.1", "1.5", "3"}
	var inputs []string
	for _, n := range numbers {
		inputs = append(inputs, `{"api.Contact.delete":`+n+`,"l":[`+n+`],"o":{"x":`+n+`}}`)
	}
	for range 3000 {
		doc := genJSON(r, 0)
		if v, err := DecodeJSON([]byte(doc)); err == nil && v != nil {
			inputs = append(inputs, `{"v":`+doc+`}`)
		}
	}
	var again []string
	for _, in := range inputs {
		v, err := DecodeJSON([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		again = append(again, string(EncodeJSONObject(v.(*Array))))
	}
	want, got := runPHP(t, 'J', inputs), runPHP(t, 'J', again)
	fails := 0
	for i := range inputs {
		if got[i] != want[i] {
			fails++
			if fails <= 10 {
				t.Errorf("%s went upstream as %s:\n php decodes %s\n instead of %s", truncate(inputs[i], 200), truncate(again[i], 200),
					truncate(got[i], 200), truncate(want[i], 200))
			}
		}
	}
	if fails > 0 {
		t.Errorf("%d of %d documents change in CiviCRM", fails, len(inputs))
	}
}
