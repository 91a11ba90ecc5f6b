package authx

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civigate/civigate/internal/phptest"
)

// The PHP operations of php.go, checked against real PHP: one php process,
// every input on one line ("<op> <hex>"), one hex answer per line.
const phpCredentialScript = `<?php
while (($line = fgets(STDIN)) !== false) {
	$op = $line[0];
	$s = hex2bin(trim(substr($line, 2)));
	switch ($op) {
	case 'T': echo bin2hex(trim($s)); break;
	case 'B': echo bin2hex(base64_decode($s)); break;
	case 'U': // firebase/php-jwt JWT::urlsafeB64Decode
		$r = strlen($s) % 4;
		if ($r) { $s .= str_repeat('=', 4 - $r); }
		echo bin2hex(base64_decode(strtr($s, '-_', '+/'))); break;
	case 'N': echo is_numeric($s) ? bin2hex(pack('E', (float) $s)) : 'no'; break;
	case 'J': // firebase/php-jwt JWT::jsonDecode, then $obj->alg
		$o = json_decode($s, false, 512, JSON_BIGINT_AS_STRING);
		if (json_last_error() || !($o instanceof stdClass)) { echo 'no'; break; }
		echo 'obj:', (isset($o->alg) && is_string($o->alg)) ? bin2hex($o->alg) : '-';
		break;
	}
	echo "\n";
}
`

func runPHPLines(t *testing.T, op byte, inputs []string) []string {
	t.Helper()
	php := phptest.Path(t)
	script := filepath.Join(t.TempDir(), "cred.php")
	if err := os.WriteFile(script, []byte(phpCredentialScript), 0o600); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for _, s := range inputs {
		in.WriteByte(op)
		in.WriteByte(' ')
		in.WriteString(hex.EncodeToString([]byte(s)))
		in.WriteByte('\n')
	}
	cmd := exec.Command(php, "-n", "-d", "error_reporting=0", "-d", "display_errors=0", script)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v", err)
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != len(inputs) {
		t.Fatalf("php answered %d lines for %d inputs", len(lines), len(inputs))
	}
	return lines
}

// randomStrings mixes the bytes that matter to these operations.
func randomStrings(seed uint64, n int, alphabet string) []string {
	rng := rand.New(rand.NewPCG(seed, seed^0x5bd1e995))
	out := make([]string, n)
	for i := range out {
		b := make([]byte, rng.IntN(12))
		for j := range b {
			b[j] = alphabet[rng.IntN(len(alphabet))]
		}
		out[i] = string(b)
	}
	return out
}

func TestPHPTrimLikePHP(t *testing.T) {
	inputs := append([]string{"", " k ", "k\x00", "\x0bk\x0b", "k\x0c", "k\u00a0", "\u0085k", "\t\r\n k \n", "k\x00\x00 "},
		randomStrings(1, 500, " \t\n\r\x00\x0b\x0cab\xc2\xa0")...)
	for i, want := range runPHPLines(t, 'T', inputs) {
		if got := hex.EncodeToString([]byte(phpTrim(inputs[i]))); got != want {
			t.Errorf("trim(%q) = %s, PHP %s", inputs[i], got, want)
		}
	}
}

func TestPHPBase64DecodeLikePHP(t *testing.T) {
	inputs := append([]string{"", "YWRtaW46cHc=", "YWRtaW46cHc", "YWRtaW46cHc=\r\n", "YQ==YQ==", "Y", "Y!Q", "=Y=Q=", " Y W J j ", "-_-_", "+/+/"},
		randomStrings(2, 1000, "AZaz09+/-_= \r\n\t.!\x00\xff")...)
	for i, want := range runPHPLines(t, 'B', inputs) {
		if got := hex.EncodeToString(phpBase64Decode(inputs[i])); got != want {
			t.Errorf("base64_decode(%q) = %s, PHP %s", inputs[i], got, want)
		}
	}
	for i, want := range runPHPLines(t, 'U', inputs) {
		if got := hex.EncodeToString(jwtSegmentDecode(inputs[i])); got != want {
			t.Errorf("urlsafeB64Decode(%q) = %s, PHP %s", inputs[i], got, want)
		}
	}
}

func TestPHPIsNumericLikePHP(t *testing.T) {
	inputs := append([]string{"", " ", "123", " 123", "123 ", "\v1\f", "1e5", "1E+5", ".5", "5.", "+1", "-1", "+.5e-3",
		"0x1A", "0b1", "1_0", "Inf", "NAN", "1e", "e1", ".", "+", "1e400", "-1e400", "1e-400", "99999999999999999999", "1.5.5", "1 2"},
		randomStrings(3, 1000, "0123456789+-.eE xX_\t\n\v\f")...)
	for i, want := range runPHPLines(t, 'N', inputs) {
		got := "no"
		if f, ok := phpNumeric(inputs[i]); ok {
			got = hex.EncodeToString(binary.BigEndian.AppendUint64(nil, math.Float64bits(f)))
		}
		if got != want {
			t.Errorf("is_numeric(%q): %s, PHP %s", inputs[i], got, want)
		}
	}
}

// phpJSONObject is json_decode in object mode: the JWT header and claims
// as firebase/php-jwt sees them.
func TestPHPJSONObjectLikePHP(t *testing.T) {
	inputs := []string{
		`{"alg":"HS256"}`, `{"Alg":"HS256"}`, `{"ALG":"HS256","alg":"x"}`, `{"alg":"HS256","ALG":"x"}`,
		`{"alg":"a","alg":"HS256"}`, `{"alg":"HS256","alg":"a"}`, `{"alg":"\u0048S256"}`, `{"alg":"HS256\u0000"}`,
		`{"\u0000a":1,"alg":"HS256"}`, `{"alg":"HS256","a":{"\u0000":1}}`, `{"alg":"HS256","a":[{"\u0000b":1}]}`,
		`{"alg":"HS256","a":["\u0000"]}`, `{"":1,"alg":"HS256"}`, `[1]`, `"x"`, `null`, `1`, ``, ` {"alg":"HS256"} `,
		"{\"alg\":\"\xff\"}", `{"alg":"HS256"}x`, `{"alg":1}`, `{"alg":true}`, `{"alg":["HS256"]}`,
		strings.Repeat(`{"a":`, 511) + `1` + strings.Repeat(`}`, 511), strings.Repeat(`{"a":`, 512) + `1` + strings.Repeat(`}`, 512),
		"{\"alg\":\"HS256\"\x0b}", "{\"alg\":\"HS\t256\"}",
	}
	for i, want := range runPHPLines(t, 'J', inputs) {
		got := "no"
		if obj, ok := phpJSONObject([]byte(inputs[i])); ok {
			got = "obj:-"
			if alg, ok := claimValue(obj, "alg").(string); ok {
				got = "obj:" + hex.EncodeToString([]byte(alg))
			}
		}
		if got != want {
			t.Errorf("json_decode(%q): %s, PHP %s", inputs[i], got, want)
		}
	}
}
