package translate

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
	"unsafe"
)

// phpJSONMaxDepth is json_decode's default depth (512). PHP counts the
// scalar level too, so at most 511 arrays/objects may nest: 511 '[' decode,
// 512 fail (checked against php 8.2).
const phpJSONMaxDepth = 512

// ErrJSON is returned for any input PHP's json_decode would reject (it then
// returns NULL, which CiviCRM reports as "Unable to decode supplied JSON.").
var ErrJSON = errors.New("invalid JSON")

// DecodeJSON decodes data as PHP's json_decode($data, TRUE) does: objects and
// arrays become *Array (numeric-string object keys become int keys, a repeated
// key keeps its first position and its last value), numbers stay Number
// literals, invalid UTF-8, unpaired surrogates, control characters, trailing
// garbage and more than 511 nested arrays/objects are errors.
func DecodeJSON(data []byte) (any, error) {
	d := jsonDecoder{data: data}
	return d.document()
}

// decodeResult is DecodeJSON for CiviCRM's answers, which Civigate may
// encode again (prettyprint, WordPress's shapes): an object whose keys
// would make a list stays an object (Array.object), as the PHP object
// json_encode wrote it from would, where json_decode($data, TRUE) makes
// it an array.
func decodeResult(data []byte) (any, error) {
	d := jsonDecoder{data: data, objects: true}
	return d.document()
}

// decodeJSONString is DecodeJSON over a string without copying it: the
// strings of the result that hold no escape share the text's memory, so a
// large json= value costs its tree, not a second copy of itself.
func decodeJSONString(s string) (any, error) {
	d := jsonDecoder{data: unsafe.Slice(unsafe.StringData(s), len(s)), alias: true}
	return d.document()
}

// scanJSON checks data exactly as DecodeJSON would, without building
// anything, and counts the values (scalars, arrays and objects) DecodeJSON
// would create. It is what lets a request be weighed before it is decoded.
func scanJSON(data []byte) (values int, err error) {
	d := jsonDecoder{data: data, scan: true}
	_, err = d.document()
	return d.values, err
}

// scanJSONMembers is scanJSON that also reports each member of a top-level
// object: its key (decoded) and its value's raw JSON text. A repeated key is
// reported each time; as in PHP, the last one counts. The key aliases data.
func scanJSONMembers(data []byte, member func(key string, raw []byte)) (values int, err error) {
	d := jsonDecoder{data: data, scan: true, alias: true, member: member}
	_, err = d.document()
	return d.values, err
}

type jsonDecoder struct {
	data []byte
	pos  int
	// alias: strings without escapes share data's memory (data must never
	// change). scan: validate and count only, build nothing.
	alias, scan bool
	// objects: mark objects whose keys make a list (decodeResult).
	objects bool
	values  int // values met so far
	member  func(key string, raw []byte)
	stack   []any // elements of the lists being read
}

func (d *jsonDecoder) document() (any, error) {
	if !utf8.Valid(d.data) {
		return nil, fmt.Errorf("%w: malformed UTF-8", ErrJSON)
	}
	d.skipSpace()
	v, err := d.value(0)
	if err != nil {
		return nil, err
	}
	d.skipSpace()
	if d.pos != len(d.data) {
		return nil, fmt.Errorf("%w: trailing data at offset %d", ErrJSON, d.pos)
	}
	return v, nil
}

func (d *jsonDecoder) errorf(format string, args ...any) error {
	return fmt.Errorf("%w: "+format+" at offset %d", append([]any{ErrJSON}, append(args, d.pos)...)...)
}

func (d *jsonDecoder) skipSpace() {
	for d.pos < len(d.data) {
		switch d.data[d.pos] {
		case ' ', '\t', '\n', '\r':
			d.pos++
		default:
			return
		}
	}
}

func (d *jsonDecoder) value(depth int) (any, error) {
	if d.pos >= len(d.data) {
		return nil, d.errorf("unexpected end")
	}
	d.values++
	switch c := d.data[d.pos]; {
	case c == '{':
		return d.object(depth + 1)
	case c == '[':
		return d.array(depth + 1)
	case c == '"':
		return d.str(!d.scan)
	case c == '-' || (c >= '0' && c <= '9'):
		return d.number()
	case d.literal("true"):
		return true, nil
	case d.literal("false"):
		return false, nil
	case d.literal("null"):
		return nil, nil
	default:
		return nil, d.errorf("unexpected character %q", c)
	}
}

func (d *jsonDecoder) literal(word string) bool {
	if strings.HasPrefix(string(d.data[d.pos:min(len(d.data), d.pos+len(word))]), word) {
		d.pos += len(word)
		return true
	}
	return false
}

func (d *jsonDecoder) object(depth int) (any, error) {
	if depth >= phpJSONMaxDepth {
		return nil, d.errorf("maximum depth exceeded")
	}
	d.pos++ // {
	var arr *Array
	if !d.scan {
		arr = NewArray()
	}
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == '}' {
		d.pos++
		if arr != nil {
			arr.object = d.objects
		}
		return arr, nil
	}
	report := d.member != nil && depth == 1
	for {
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != '"' {
			return nil, d.errorf("object key expected")
		}
		key, err := d.str(!d.scan || report)
		if err != nil {
			return nil, err
		}
		d.skipSpace()
		if d.pos >= len(d.data) || d.data[d.pos] != ':' {
			return nil, d.errorf("':' expected")
		}
		d.pos++
		d.skipSpace()
		start := d.pos
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		if report {
			d.member(key, d.data[start:d.pos])
		}
		if !d.scan {
			arr.Set(NormalizeKey(key), v)
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end in object")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case '}':
			d.pos++
			if d.objects && arr != nil {
				arr.object = arr.IsList()
			}
			return arr, nil
		default:
			return nil, d.errorf("',' or '}' expected")
		}
	}
}

func (d *jsonDecoder) array(depth int) (any, error) {
	if depth >= phpJSONMaxDepth {
		return nil, d.errorf("maximum depth exceeded")
	}
	d.pos++ // [
	d.skipSpace()
	if d.pos < len(d.data) && d.data[d.pos] == ']' {
		d.pos++
		if d.scan {
			return nil, nil
		}
		return NewArray(), nil
	}
	// Elements wait on a stack shared by every level and become one
	// exactly sized array at ']': no slice growth, no index.
	mark := len(d.stack)
	for {
		d.skipSpace()
		v, err := d.value(depth)
		if err != nil {
			return nil, err
		}
		if !d.scan {
			d.stack = append(d.stack, v)
		}
		d.skipSpace()
		if d.pos >= len(d.data) {
			return nil, d.errorf("unexpected end in array")
		}
		switch d.data[d.pos] {
		case ',':
			d.pos++
		case ']':
			d.pos++
			if d.scan {
				return nil, nil
			}
			return d.list(mark), nil
		default:
			return nil, d.errorf("',' or ']' expected")
		}
	}
}

// list makes the PHP list [0 => …, 1 => …] of the values stacked since mark.
func (d *jsonDecoder) list(mark int) *Array {
	n := len(d.stack) - mark
	a := &Array{keys: make([]string, n), vals: make([]any, n), next: int64(n), nextSet: true}
	copy(a.vals, d.stack[mark:])
	clear(d.stack[mark:])
	d.stack = d.stack[:mark]
	for i := range a.keys {
		a.keys[i] = listKey(i)
	}
	return a
}

// listKeys are the keys of small lists, shared instead of made per element.
var listKeys = func() []string {
	k := make([]string, 1024)
	for i := range k {
		k[i] = strconv.Itoa(i)
	}
	return k
}()

func listKey(i int) string {
	if i < len(listKeys) {
		return listKeys[i]
	}
	return strconv.Itoa(i)
}

func (d *jsonDecoder) number() (any, error) {
	start := d.pos
	if d.data[d.pos] == '-' {
		d.pos++
	}
	digits := func() int {
		n := 0
		for d.pos < len(d.data) && d.data[d.pos] >= '0' && d.data[d.pos] <= '9' {
			d.pos++
			n++
		}
		return n
	}
	if d.pos < len(d.data) && d.data[d.pos] == '0' {
		d.pos++
	} else if digits() == 0 {
		return nil, d.errorf("digit expected")
	}
	if d.pos < len(d.data) && d.data[d.pos] == '.' {
		d.pos++
		if digits() == 0 {
			return nil, d.errorf("digit expected after '.'")
		}
	}
	if d.pos < len(d.data) && (d.data[d.pos] == 'e' || d.data[d.pos] == 'E') {
		d.pos++
		if d.pos < len(d.data) && (d.data[d.pos] == '+' || d.data[d.pos] == '-') {
			d.pos++
		}
		if digits() == 0 {
			return nil, d.errorf("digit expected in exponent")
		}
	}
	if d.scan {
		return nil, nil
	}
	return Number(d.text(start, d.pos)), nil
}

// text is data[start:end] as a string, shared with data when aliasing.
func (d *jsonDecoder) text(start, end int) string {
	if d.alias && end > start {
		return unsafe.String(&d.data[start], end-start)
	}
	return string(d.data[start:end])
}

// str reads a string; want says whether its text is needed at all.
func (d *jsonDecoder) str(want bool) (string, error) {
	d.pos++ // opening quote
	start := d.pos
	// Fast path: no escapes.
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		if c == '"' {
			var s string
			if want {
				s = d.text(start, d.pos)
			}
			d.pos++
			return s, nil
		}
		if c == '\\' {
			break
		}
		if c < 0x20 {
			return "", d.errorf("control character in string")
		}
		d.pos++
	}
	var b strings.Builder
	if want {
		// Room for the whole string at once: the text up to its closing
		// quote is at least as long as what it decodes to.
		end := d.pos
		for end < len(d.data) && d.data[end] != '"' {
			if d.data[end] == '\\' {
				end++
			}
			end++
		}
		b.Grow(end - start)
	}
	write := func(p ...byte) {
		if want {
			b.Write(p)
		}
	}
	write(d.data[start:d.pos]...)
	for d.pos < len(d.data) {
		c := d.data[d.pos]
		switch {
		case c == '"':
			d.pos++
			return b.String(), nil
		case c < 0x20:
			return "", d.errorf("control character in string")
		case c != '\\':
			write(c)
			d.pos++
			continue
		}
		d.pos++
		if d.pos >= len(d.data) {
			break
		}
		e := d.data[d.pos]
		d.pos++
		switch e {
		case '"', '\\', '/':
			write(e)
		case 'b':
			write('\b')
		case 'f':
			write('\f')
		case 'n':
			write('\n')
		case 'r':
			write('\r')
		case 't':
			write('\t')
		case 'u':
			r, err := d.hex4()
			if err != nil {
				return "", err
			}
			if utf16.IsSurrogate(r) {
				if r >= 0xDC00 || d.pos+6 > len(d.data) || d.data[d.pos] != '\\' || d.data[d.pos+1] != 'u' {
					return "", d.errorf("unpaired UTF-16 surrogate")
				}
				d.pos += 2
				r2, err := d.hex4()
				if err != nil {
					return "", err
				}
				if r2 < 0xDC00 || r2 > 0xDFFF {
					return "", d.errorf("unpaired UTF-16 surrogate")
				}
				r = utf16.DecodeRune(r, r2)
			}
			if want {
				b.WriteRune(r)
			}
		default:
			return "", d.errorf("invalid escape")
		}
	}
	return "", d.errorf("unterminated string")
}

func (d *jsonDecoder) hex4() (rune, error) {
	if d.pos+4 > len(d.data) {
		return 0, d.errorf("short unicode escape")
	}
	n, err := strconv.ParseUint(string(d.data[d.pos:d.pos+4]), 16, 32)
	if err != nil {
		return 0, d.errorf("invalid unicode escape")
	}
	d.pos += 4
	return rune(n), nil
}

// NormalizeKey returns the canonical key text PHP stores for a string key:
// the same text, which IntKey then recognises as an int key when it is one.
// It exists so call sites say explicitly that a key came from untrusted text.
func NormalizeKey(key string) string { return key }

// JSONOptions select PHP json_encode flags.
type JSONOptions struct {
	// Legacy is plain json_encode (no flags): "/" escaped as "\/" and non-ASCII
	// as \uXXXX. CiviCRM before 6.8 and AuthX's legacyrest errors use it.
	Legacy bool
	// EscapeUnicode writes non-ASCII as \uXXXX but leaves "/" alone, as
	// json_encode(…, JSON_UNESCAPED_SLASHES) does (firebase/php-jwt's JWT
	// headers and claims).
	EscapeUnicode bool
	// Pretty is JSON_PRETTY_PRINT: four-space indent, ": " after keys.
	Pretty bool
	// PreserveZeroFraction is JSON_PRESERVE_ZERO_FRACTION: a float is
	// always written as a float ("1.0", "-0.0"), so that PHP decodes it
	// back to a float, never to the integer it looks like (1.0 is no
	// chain trigger; the integer 1 is).
	PreserveZeroFraction bool
}

// EncodeJSON encodes v as PHP's json_encode does with
// JSON_UNESCAPED_SLASHES|JSON_UNESCAPED_UNICODE (CiviCRM 6.8+ REST output),
// or with the flags in opts. A list-shaped *Array becomes a JSON array, any
// other *Array an object.
func EncodeJSON(v any, opts JSONOptions) []byte {
	e := jsonEncoder{opts: opts}
	e.value(v, 0)
	return e.buf
}

// EncodeJSONObject encodes a as a JSON object even when it is list-shaped:
// CiviCRM only decodes a `json=` parameter whose first character is `{`, and
// PHP decodes {"0":"a"} to the same array as ["a"]. It is what CiviCRM is
// to decode into exactly a: every value keeps its PHP type, floats with
// an integral value included (PreserveZeroFraction).
func EncodeJSONObject(a *Array) []byte {
	return appendJSONObject(nil, a)
}

// appendJSONObject is EncodeJSONObject appending to buf.
func appendJSONObject(buf []byte, a *Array) []byte {
	e := upstreamJSONEncoder(buf)
	e.object(a, 0)
	return e.buf
}

// upstreamJSONEncoder is the encoder of what CiviCRM is to json_decode
// back into the same values (EncodeJSONObject, the upstream json=).
func upstreamJSONEncoder(buf []byte) *jsonEncoder {
	return &jsonEncoder{buf: buf, opts: JSONOptions{PreserveZeroFraction: true}}
}

type jsonEncoder struct {
	buf  []byte
	opts JSONOptions
	// invalidUTF8: a string held invalid UTF-8, written as U+FFFD.
	invalidUTF8 bool
}

// grow makes room for n more bytes, at least doubling the buffer, so that
// a large document costs its size about twice, not the five times that
// append's growth of large slices adds up to.
func (e *jsonEncoder) grow(n int) {
	if cap(e.buf)-len(e.buf) >= n {
		return
	}
	b := make([]byte, len(e.buf), max(2*cap(e.buf), len(e.buf)+n, 64))
	copy(b, e.buf)
	e.buf = b
}

func (e *jsonEncoder) newline(depth int) {
	if !e.opts.Pretty {
		return
	}
	e.buf = append(e.buf, '\n')
	for i := 0; i < depth; i++ {
		e.buf = append(e.buf, "    "...)
	}
}

func (e *jsonEncoder) value(v any, depth int) {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		if x {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case string:
		e.str(x)
	case Number:
		e.buf = append(e.buf, phpJSONNumber(x, e.opts.PreserveZeroFraction)...)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case *Array:
		if x.IsList() && !x.object {
			e.list(x, depth)
		} else {
			e.object(x, depth)
		}
	default:
		e.str(fmt.Sprint(x))
	}
}

func (e *jsonEncoder) list(a *Array, depth int) {
	e.buf = append(e.buf, '[')
	for i := range a.Len() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.newline(depth + 1)
		e.value(a.vals[i], depth+1)
	}
	if a.Len() > 0 {
		e.newline(depth)
	}
	e.buf = append(e.buf, ']')
}

func (e *jsonEncoder) object(a *Array, depth int) {
	e.buf = append(e.buf, '{')
	for i := range a.Len() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.newline(depth + 1)
		e.str(a.keys[i])
		e.buf = append(e.buf, ':')
		if e.opts.Pretty {
			e.buf = append(e.buf, ' ')
		}
		e.value(a.vals[i], depth+1)
	}
	if a.Len() > 0 {
		e.newline(depth)
	}
	e.buf = append(e.buf, '}')
}

const hexDigits = "0123456789abcdef"

func (e *jsonEncoder) str(s string) {
	e.grow(len(s) + 2)
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				e.buf = append(e.buf, '\\', '"')
			case '\\':
				e.buf = append(e.buf, '\\', '\\')
			case '/':
				if e.opts.Legacy {
					e.buf = append(e.buf, '\\')
				}
				e.buf = append(e.buf, '/')
			case '\b':
				e.buf = append(e.buf, '\\', 'b')
			case '\f':
				e.buf = append(e.buf, '\\', 'f')
			case '\n':
				e.buf = append(e.buf, '\\', 'n')
			case '\r':
				e.buf = append(e.buf, '\\', 'r')
			case '\t':
				e.buf = append(e.buf, '\\', 't')
			default:
				if c < 0x20 {
					e.buf = append(e.buf, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xF])
				} else {
					e.buf = append(e.buf, c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// PHP's json_encode fails on invalid UTF-8; CiviCRM never emits it.
			// Substitute rather than produce an invalid document.
			e.buf = append(e.buf, `\ufffd`...)
			e.invalidUTF8 = true
		case e.opts.Legacy || e.opts.EscapeUnicode || r == '\u2028' || r == '\u2029':
			if r > 0xFFFF {
				r1, r2 := utf16.EncodeRune(r)
				e.hexRune(r1)
				e.hexRune(r2)
			} else {
				e.hexRune(r)
			}
		default:
			e.buf = append(e.buf, s[i:i+size]...)
		}
		i += size
	}
	e.buf = append(e.buf, '"')
}

func (e *jsonEncoder) hexRune(r rune) {
	e.buf = append(e.buf, '\\', 'u', hexDigits[r>>12&0xF], hexDigits[r>>8&0xF], hexDigits[r>>4&0xF], hexDigits[r&0xF])
}

// phpJSONNumber renders a JSON number literal as PHP re-encodes it after
// decoding: integers verbatim ("-0" becomes "0"), integers beyond int64 and
// every float as PHP's shortest float form, which json_encode writes
// without a fraction when it has none ("1" for 1.0) unless
// zeroFraction (JSON_PRESERVE_ZERO_FRACTION) adds ".0". A literal past
// float64's range stays as it is: PHP decodes it to the same INF.
func phpJSONNumber(n Number, zeroFraction bool) string {
	s := string(n)
	if !strings.ContainsAny(s, ".eE") {
		if i, err := strconv.ParseInt(s, 10, 64); err == nil {
			return strconv.FormatInt(i, 10)
		}
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsInf(f, 0) {
		return s
	}
	out := phpFloatJSON(f)
	if zeroFraction && !strings.ContainsAny(out, ".") {
		out += ".0"
	}
	return out
}

// phpFloatJSON is PHP's json_encode of a float (serialize_precision=-1:
// shortest round-trip digits, exponent past 17 digits, no ".0" added).
func phpFloatJSON(f float64) string { return phpGcvt(f, 17, true, 'e') }

// phpGcvt is PHP's php_gcvt/zend_gcvt: ndigit significant digits (or the
// shortest round-trip digits when shortest), trailing zeros dropped, and
// exponential form when the decimal exponent is below -3 or above ndigit,
// written d.d[dd]e+N with at least one fractional digit.
func phpGcvt(f float64, ndigit int, shortest bool, expChar byte) string {
	if f == 0 {
		if math.Signbit(f) {
			return "-0"
		}
		return "0"
	}
	prec := ndigit - 1
	if shortest {
		prec = -1
	}
	s := strconv.FormatFloat(math.Abs(f), 'e', prec, 64) // d.ddde±XX
	mant, exp, _ := strings.Cut(s, "e")
	digits := strings.TrimRight(strings.Replace(mant, ".", "", 1), "0")
	if digits == "" {
		digits = "0"
	}
	e, _ := strconv.Atoi(exp)
	decpt := e + 1
	var b strings.Builder
	if f < 0 {
		b.WriteByte('-')
	}
	switch {
	case (decpt < 0 && decpt < -3) || (decpt >= 0 && decpt > ndigit):
		b.WriteByte(digits[0])
		b.WriteByte('.')
		if len(digits) > 1 {
			b.WriteString(digits[1:])
		} else {
			b.WriteByte('0')
		}
		b.WriteByte(expChar)
		if decpt-1 < 0 {
			b.WriteByte('-')
		} else {
			b.WriteByte('+')
		}
		x := decpt - 1
		if x < 0 {
			x = -x
		}
		b.WriteString(strconv.Itoa(x))
	case decpt <= 0:
		b.WriteString("0.")
		b.WriteString(strings.Repeat("0", -decpt))
		b.WriteString(digits)
	case len(digits) <= decpt:
		b.WriteString(digits)
		b.WriteString(strings.Repeat("0", decpt-len(digits)))
	default:
		b.WriteString(digits[:decpt])
		b.WriteByte('.')
		b.WriteString(digits[decpt:])
	}
	return b.String()
}

// PHPString converts a scalar to the string PHP's string cast gives (what
// CRM_Utils_Array::xml prints): true → "1", false/null → "", ints verbatim,
// floats with precision 14.
func PHPString(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		if x {
			return "1"
		}
		return ""
	case string:
		return x
	case Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if i, err := strconv.ParseInt(s, 10, 64); err == nil {
				return strconv.FormatInt(i, 10)
			}
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return s
		}
		return phpFloatString(f)
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case *Array:
		return "Array"
	default:
		return fmt.Sprint(x)
	}
}

// phpFloatString is PHP's (string) cast of a float at precision=14.
func phpFloatString(f float64) string {
	switch {
	case math.IsInf(f, 1):
		return "INF"
	case math.IsInf(f, -1):
		return "-INF"
	case math.IsNaN(f):
		return "NAN"
	}
	return phpGcvt(f, 14, false, 'E')
}
