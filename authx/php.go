package authx

import (
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// The PHP operations CiviCRM applies to a credential before it compares it.
// Civigate must normalise exactly as they do: a credential CiviCRM refuses
// must not pass the edge, and one it accepts must not be refused or broken
// on its way upstream. Each is checked against real PHP in php_test.go.

// phpTrimChars is the character list of PHP's trim() without a second
// argument. It is not Go's notion of space: NUL and \v are trimmed, \f and
// Unicode spaces are not.
const phpTrimChars = " \t\n\r\x00\x0B"

// phpTrim is PHP's trim($s): what authenticateKey does to the site key of
// extern/rest.php and WordPress REST.
func phpTrim(s string) string { return strings.Trim(s, phpTrimChars) }

// phpEmpty is PHP's empty() of a request string: "" and "0" are empty. A
// credential parameter or header that is empty is not looked at at all.
func phpEmpty(s string) bool { return s == "" || s == "0" }

// base64Sextets maps a byte to its base64 value, -1 for any other byte.
var base64Sextets = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = int8(i)
	}
	return t
}()

// phpBase64Decode is PHP's base64_decode($s) (not strict), what CiviCRM
// uses for Basic credentials and firebase/php-jwt for every JWT segment:
// every byte outside the standard alphabet ('=' padding, whitespace, CR/LF,
// '-', '_', anything) is skipped wherever it is, the remaining characters
// are decoded as one stream, and a trailing partial byte is dropped.
func phpBase64Decode(s string) []byte {
	out := make([]byte, 0, len(s)*3/4+1)
	var cur byte
	n := 0
	for i := 0; i < len(s); i++ {
		v := base64Sextets[s[i]]
		if v < 0 {
			continue
		}
		c := byte(v)
		switch n % 4 {
		case 0:
			cur = c << 2
		case 1:
			out = append(out, cur|c>>4)
			cur = c << 4
		case 2:
			out = append(out, cur|c>>2)
			cur = c << 6
		case 3:
			out = append(out, cur|c)
		}
		n++
	}
	return out
}

// jwtSegmentDecode is firebase/php-jwt's urlsafeB64Decode: '-' and '_' read
// as '+' and '/', then phpBase64Decode (its '=' padding changes nothing).
func jwtSegmentDecode(s string) []byte {
	if strings.ContainsAny(s, "-_") {
		s = strings.NewReplacer("-", "+", "_", "/").Replace(s)
	}
	return phpBase64Decode(s)
}

// phpNumeric is is_numeric($v) for a decoded JSON value, with the number
// PHP compares it as: JSON numbers (an overflowing one is ±INF, as
// json_decode makes it), and numeric strings ("123", " 1e3 ", ".5", with
// PHP 8's leading and trailing whitespace). Booleans, null, arrays and
// other strings are not numeric.
func phpNumeric(v any) (float64, bool) {
	var s string
	switch x := v.(type) {
	case translate.Number:
		s = string(x)
	case string:
		s = strings.Trim(x, " \t\n\r\v\f")
		if !phpNumericLiteral(s) {
			return 0, false
		}
	default:
		return 0, false
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil && !isRangeError(err) {
		return 0, false
	}
	return f, true
}

func isRangeError(err error) bool {
	ne, ok := err.(*strconv.NumError)
	return ok && ne.Err == strconv.ErrRange
}

// phpNumericLiteral is PHP's numeric-string grammar without the
// whitespace: [+-]? (digits | digits.digits? | .digits) ([eE][+-]?digits)?
// (no hex, binary, underscores, INF or NAN, which strconv would take).
func phpNumericLiteral(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	digits := func() int {
		start := i
		for i < len(s) && '0' <= s[i] && s[i] <= '9' {
			i++
		}
		return i - start
	}
	mantissa := digits()
	if i < len(s) && s[i] == '.' {
		i++
		mantissa += digits()
	}
	if mantissa == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		i++
		if i < len(s) && (s[i] == '+' || s[i] == '-') {
			i++
		}
		if digits() == 0 {
			return false
		}
	}
	return i == len(s)
}

// headerSafe reports whether v, put at the end of an HTTP header value
// (X-Civi-Auth: Bearer <v>), reaches PHP exactly as it would have from a
// request parameter. HTTP forbids control characters in header values (Go
// refuses to send them) and every server strips the value's trailing spaces
// and tabs. Trailing spaces are harmless (CiviCRM's MySQL collations pad
// with spaces, base64 skips them); a trailing tab is not.
func headerSafe(v string) bool {
	for i := 0; i < len(v); i++ {
		if c := v[i]; c < 0x20 && c != '\t' || c == 0x7f {
			return false
		}
	}
	return !strings.HasSuffix(strings.TrimRight(v, " "), "\t")
}
