package translate

import (
	"errors"
	"strings"
)

// Limits are PHP's request-parsing limits (php.ini).
type Limits struct {
	MaxInputVars    int // max_input_vars, default 1000
	MaxNestingLevel int // max_input_nesting_level, default 64
}

// DefaultLimits are PHP's defaults.
var DefaultLimits = Limits{MaxInputVars: 1000, MaxNestingLevel: 64}

// withDefaults fills zero limits with PHP's defaults, so a zero Limits{}
// (an unconfigured option) does not silently drop every variable.
func (l Limits) withDefaults() Limits {
	if l.MaxInputVars <= 0 {
		l.MaxInputVars = DefaultLimits.MaxInputVars
	}
	if l.MaxNestingLevel <= 0 {
		l.MaxNestingLevel = DefaultLimits.MaxNestingLevel
	}
	return l
}

// errNilArray is the only error ParseQuery reports: PHP itself never fails
// to parse a query string, it only drops what it cannot register.
var errNilArray = errors.New("translate: ParseQuery into a nil *Array")

// maxReservedParams caps how many entries ParseQuery reserves up front.
const maxReservedParams = 64

// ParseQuery parses an application/x-www-form-urlencoded string into dst
// exactly as PHP 8.2's parse_str / $_GET registration does
// (php_default_treat_data + php_register_variable_ex):
//
//   - the string ends at a raw NUL byte (PHP walks it as a C string);
//   - it is split on '&' only (arg_separator.input), empty pieces are
//     skipped and not counted;
//   - the first max_input_vars pieces are registered, the rest dropped;
//   - name and value are split at the first '=', then url-decoded
//     ('+' is a space, %XX a byte, a malformed % stays literal); the
//     decoded name ends at its first NUL;
//   - names are mangled and nested per registerVar.
//
// Values are always strings. Existing entries of dst are updated in place,
// as PHP does when several sources register into one array.
func ParseQuery(dst *Array, query string, lim Limits) error {
	if dst == nil {
		return errNilArray
	}
	lim = lim.withDefaults()
	// Room for every piece, up to a bound: a query of many "&" must not
	// reserve more than a few entries before they are parsed.
	dst.reserve(min(strings.Count(query, "&")+1, maxReservedParams))
	formPieces(query, false, lim, func(piece string) {
		name, val, _ := strings.Cut(piece, "=")
		registerVar(dst, urlDecode(name), urlDecode(val), lim)
	})
	return nil
}

// formPieces calls piece with each name=value piece of a query string as
// ParseQuery takes them (body false), or of a POST body as parsePostBody
// takes them (body true): split on '&'; a query ends at a raw NUL, skips
// empty pieces and takes no more than max_input_vars; a body counts every
// piece and still takes the one that crosses the limit.
func formPieces[S string | []byte](form S, body bool, lim Limits, piece func(S)) {
	if !body {
		if i := index(form, 0); i >= 0 {
			form = form[:i]
		}
	}
	count := 0
	for len(form) > 0 {
		p := form
		if i := index(form, '&'); i >= 0 {
			p, form = form[:i], form[i+1:]
		} else {
			form = form[len(form):]
		}
		if !body {
			if len(p) == 0 {
				continue // php_strtok_r never yields empty tokens
			}
			if count++; count > lim.MaxInputVars {
				return
			}
		}
		piece(p)
		if body {
			if count++; count > lim.MaxInputVars {
				return
			}
		}
	}
}

func index[S string | []byte](s S, c byte) int {
	for i := 0; i < len(s); i++ {
		if s[i] == c {
			return i
		}
	}
	return -1
}

// parsePostBody parses an application/x-www-form-urlencoded request body as
// PHP's POST reader (add_post_vars) does. It differs from ParseQuery in how
// max_input_vars is counted: empty pieces count, and the variable that
// crosses the limit is still registered before PHP stops (the check runs
// after each registration). A raw NUL does not end the body; it ends the
// name it lands in.
func parsePostBody(dst *Array, body string, lim Limits) {
	lim = lim.withDefaults()
	formPieces(body, true, lim, func(piece string) {
		name, val, _ := strings.Cut(piece, "=")
		registerVar(dst, urlDecode(name), urlDecode(val), lim)
	})
}

// urlDecode is php_url_decode: '+' becomes a space, '%' followed by two hex
// digits the byte they spell; anything else (a lone '%', "%zz", invalid
// UTF-8) is kept as is.
func urlDecode(s string) string {
	if strings.IndexByte(s, '%') < 0 && strings.IndexByte(s, '+') < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '+':
			b = append(b, ' ')
		case c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			b = append(b, c)
		}
	}
	return string(b)
}

// isCSpace is C's isspace in the "C" locale.
func isCSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// registerVar is php_register_variable_ex for one decoded name/value pair.
//
// The top-level name loses its leading spaces and has ' ' and '.' turned
// into '_' up to the first '['. Each "[index]" then descends one level
// ("[]" appends with the array's next free integer key); text after a ']'
// that is not '[' is ignored. An unclosed '[' at the first level is not an
// index: it and any ' ', '.', '[' after it become '_' and the whole thing
// is a plain name; deeper, an unclosed '[' just ends the path. Passing
// max_input_nesting_level levels deletes the whole top-level variable, even
// what earlier pieces stored there (zend_symtable_str_del on the var name).
func registerVar(top *Array, rawName, val string, lim Limits) {
	if i := strings.IndexByte(rawName, 0); i >= 0 {
		rawName = rawName[:i] // the name is a C string from here on
	}
	rawName = strings.TrimLeft(rawName, " ")
	bracket := strings.IndexByte(rawName, '[')
	varEnd := bracket
	if bracket < 0 {
		varEnd = len(rawName)
	}
	if varEnd == 0 {
		return // empty name, or one starting with '['
	}
	varName := mangleName(rawName[:varEnd])
	if bracket < 0 {
		top.Set(varName, val)
		return
	}

	sym := top
	index, hasIndex := varName, true
	ip := bracket // position of the current '['
	for nest := 1; ; nest++ {
		if nest > lim.MaxNestingLevel {
			top.Delete(varName)
			return
		}
		ip++
		start := ip
		// PHP skips one whitespace character before testing for "[]", so
		// "[ ]" appends, while "[ x]" and "[  ]" keep their spaces.
		if ip < len(rawName) && isCSpace(rawName[ip]) {
			ip++
		}
		var newIndex string
		newHas := true
		if ip < len(rawName) && rawName[ip] == ']' {
			newHas = false
		} else {
			j := strings.IndexByte(rawName[ip:], ']')
			if j < 0 {
				if nest == 1 {
					// PHP un-terminates the var name: the '[' becomes '_'
					// and the rest is mangled like a top-level name.
					index = varName + "_" + mangleRest(rawName[start:])
				}
				break
			}
			newIndex = rawName[start : ip+j]
			ip += j
		}

		var child *Array
		if !hasIndex {
			child = NewArray()
			if !sym.Append(child) {
				return
			}
		} else if v, ok := sym.Get(index); ok {
			if arr, isArr := v.(*Array); isArr {
				child = arr
			} else {
				child = NewArray()
				sym.Set(index, child) // a scalar is replaced in place
			}
		} else {
			child = NewArray()
			sym.Set(index, child)
		}
		sym = child
		index, hasIndex = newIndex, newHas

		ip++ // past ']'
		if ip >= len(rawName) || rawName[ip] != '[' {
			break
		}
	}
	if !hasIndex {
		sym.Append(val)
		return
	}
	sym.Set(index, val)
}

// mangleName turns ' ' and '.' into '_' (PHP variable names cannot hold them).
func mangleName(s string) string {
	if !strings.ContainsAny(s, " .") {
		return s
	}
	b := []byte(s)
	for i, c := range b {
		if c == ' ' || c == '.' {
			b[i] = '_'
		}
	}
	return string(b)
}

// mangleRest is the mangling PHP applies after an unclosed '[': ' ', '.'
// and '[' become '_'.
func mangleRest(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c == ' ' || c == '.' || c == '[' {
			b[i] = '_'
		}
	}
	return string(b)
}
