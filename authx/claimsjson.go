package authx

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// phpJSON encodes values the way PHP's json_encode(…, JSON_UNESCAPED_SLASHES)
// does, which is what firebase/php-jwt uses for JWT headers and claims:
// non-ASCII as \uXXXX (UTF-16 pairs), "/" unescaped, no HTML escaping. Only
// the value types a claim set needs are supported.
type phpJSON struct{ buf []byte }

// claimOrder is the order CiviCRM's AuthxCredential.create writes claims in.
var claimOrder = []string{"exp", "sub", "scope", "nbf", "iat"}

func (e *phpJSON) claims(m map[string]any) error {
	keys := make([]string, 0, len(m))
	for _, k := range claimOrder {
		if _, ok := m[k]; ok {
			keys = append(keys, k)
		}
	}
	var rest []string
	for k := range m {
		if !slices.Contains(claimOrder, k) {
			rest = append(rest, k)
		}
	}
	slices.Sort(rest)
	return e.object(append(keys, rest...), m)
}

func (e *phpJSON) object(keys []string, m map[string]any) error {
	e.buf = append(e.buf, '{')
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.str(k)
		e.buf = append(e.buf, ':')
		if err := e.value(m[k]); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func (e *phpJSON) value(v any) error {
	switch x := v.(type) {
	case nil:
		e.buf = append(e.buf, "null"...)
	case bool:
		e.buf = strconv.AppendBool(e.buf, x)
	case string:
		e.str(x)
	case int:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int32:
		e.buf = strconv.AppendInt(e.buf, int64(x), 10)
	case int64:
		e.buf = strconv.AppendInt(e.buf, x, 10)
	case uint32:
		e.buf = strconv.AppendUint(e.buf, uint64(x), 10)
	case uint64:
		e.buf = strconv.AppendUint(e.buf, x, 10)
	case json.Number:
		e.buf = append(e.buf, x...)
	case float64:
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return fmt.Errorf("authx: claim value %v cannot be encoded", x)
		}
		// An integral float is almost always a Unix time that went through
		// encoding/json; CiviCRM writes those as integers.
		if x == math.Trunc(x) && math.Abs(x) < 1<<53 {
			e.buf = strconv.AppendInt(e.buf, int64(x), 10)
		} else {
			e.buf = strconv.AppendFloat(e.buf, x, 'g', 17, 64)
		}
	case []string:
		e.buf = append(e.buf, '[')
		for i, s := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			e.str(s)
		}
		e.buf = append(e.buf, ']')
	case []any:
		e.buf = append(e.buf, '[')
		for i, s := range x {
			if i > 0 {
				e.buf = append(e.buf, ',')
			}
			if err := e.value(s); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		return e.object(keys, x)
	default:
		return fmt.Errorf("authx: claim type %T not supported", v)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

func (e *phpJSON) str(s string) {
	e.buf = append(e.buf, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch c {
			case '"':
				e.buf = append(e.buf, '\\', '"')
			case '\\':
				e.buf = append(e.buf, '\\', '\\')
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
					e.u16(uint16(c))
				} else {
					e.buf = append(e.buf, c)
				}
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			r = utf8.RuneError // PHP would fail; substitute rather than emit invalid JSON
		}
		if r >= 0x10000 {
			a, b := utf16.EncodeRune(r)
			e.u16(uint16(a))
			e.u16(uint16(b))
		} else {
			e.u16(uint16(r))
		}
		i += size
	}
	e.buf = append(e.buf, '"')
}

func (e *phpJSON) u16(v uint16) {
	e.buf = append(e.buf, '\\', 'u', hexDigits[v>>12], hexDigits[v>>8&15], hexDigits[v>>4&15], hexDigits[v&15])
}
