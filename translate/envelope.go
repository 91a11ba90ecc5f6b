package translate

import (
	"io"
	"net/http"
	"strings"
)

// Before authentication a request is read for a few fields only (its
// credentials, json and prettyprint for the answer's format, q, fnName
// and entity for extern/rest.php's answers without a key check), and of
// those only their shape: a string, or an array (whose members do not
// matter yet), or nothing. PHP's parse_str would build every field,
// arrays of arrays up to max_input_nesting_level deep included: some
// twenty megabytes for a body of a hundred kilobytes. The envelope never
// does; DecodeParams parses everything once the caller is known.

// envelopeFields are the fields the envelope reads (_jsonp, _pretty,
// _method and _envelope: WordPress's REST server reads them before its
// route runs, wpEnvelope).
var envelopeFields = [...]string{"key", "api_key", "_authx", "_authxSiteKey", "q", "fnName", "entity", "json", "prettyprint", "_jsonp", "_pretty", "_method", "_envelope"}

func isEnvelopeField(name string) bool { return envelopeField(name) != "" }

// envelopeField is name as one of envelopeFields (a string of its own,
// not one sharing a body's memory), or "". A name retrieve() could take
// for api_key (IsRetrieveAlias: extern/rest.php reads api_key through it)
// is one too.
func envelopeField(name string) string {
	for _, f := range envelopeFields {
		if name == f {
			return f
		}
	}
	if IsRetrieveAlias(name, "api_key") {
		return strings.Clone(name)
	}
	return ""
}

// formatOnly: fields of which the envelope needs no more than emptiness;
// a long value is not even decoded.
func formatOnly(name string) bool {
	return name == "json" || name == "prettyprint" || name == "entity" || name == "_pretty" || name == "_envelope"
}

// shortValue is longer than any spelling of PHP's empty strings ("" and
// "0", "%30" in a form, "\u0030" in JSON).
const shortValue = 16

// envelopeArray stands for an array field in the envelope: non-empty
// (any array a form field makes has a member), contents unknown.
func envelopeArray() *Array {
	a := NewArray()
	a.Set("0", nil)
	return a
}

// formFields are the envelope's fields of a query string or urlencoded
// body, registered as PHP would register them (ParseQuery's rules for a
// query, parsePostBody's for a body) but by shape only. levels counts the
// arrays PHP would make for the whole of it, for the decode budget.
func formFields(raw string, body bool, lim Limits) (fields *Array, levels int) {
	lim = lim.withDefaults()
	fields = NewArray()
	formPieces(raw, body, lim, func(piece string) {
		name, val, _ := strings.Cut(piece, "=")
		levels += registerShape(fields, urlDecode(name), val, true, lim)
	})
	return fields, levels
}

// registerShape is registerVar for the envelope: rawName's top-level
// variable is set to its value (when the envelope reads it), or to an
// array when rawName indexes into it, or deleted when rawName nests
// deeper than max_input_nesting_level (PHP deletes the whole variable).
// encoded says val is still url-encoded. It returns how many arrays PHP
// would make for rawName.
func registerShape(top *Array, rawName, val string, encoded bool, lim Limits) (levels int) {
	if i := strings.IndexByte(rawName, 0); i >= 0 {
		rawName = rawName[:i]
	}
	rawName = strings.TrimLeft(rawName, " ")
	bracket := strings.IndexByte(rawName, '[')
	if bracket == 0 || rawName == "" {
		return 0
	}
	setScalar := func(name string) {
		if name = envelopeField(name); name == "" {
			return
		}
		switch {
		case formatOnly(name) && len(val) > shortValue:
			val = "x" // non-empty is all that counts
		case encoded:
			// The value must not share the body's memory: DecodeParams
			// decodes the body in place.
			if d := urlDecode(val); d != val {
				val = d
			} else {
				val = strings.Clone(val)
			}
		}
		top.Set(name, val)
	}
	if bracket < 0 {
		setScalar(mangleName(rawName))
		return 0
	}
	varName := mangleName(rawName[:bracket])
	ip := bracket
	for nest := 1; ; nest++ {
		if nest > lim.MaxNestingLevel {
			top.Delete(varName)
			return levels
		}
		ip++
		start := ip
		if ip < len(rawName) && isCSpace(rawName[ip]) {
			ip++
		}
		if ip >= len(rawName) || rawName[ip] != ']' {
			j := strings.IndexByte(rawName[ip:], ']')
			if j < 0 {
				if nest == 1 {
					setScalar(varName + "_" + mangleRest(rawName[start:]))
					return 0
				}
				break
			}
			ip += j
		}
		levels++
		ip++ // past ']'
		if ip >= len(rawName) || rawName[ip] != '[' {
			break
		}
	}
	if name := envelopeField(varName); name != "" {
		if v, ok := top.Get(name); !ok || !isArray(v) {
			top.Set(name, envelopeArray())
		}
	}
	return levels
}

func isArray(v any) bool {
	_, ok := v.(*Array)
	return ok
}

// multipartFields is formFields for a multipart/form-data body: only the
// envelope's parts are read, and of a format-only part only its start.
func multipartFields(ct string, body []byte, lim Limits) (fields *Array, levels int) {
	lim = lim.withDefaults()
	fields = NewArray()
	formParts(ct, body, lim, func(name string, part io.Reader) bool {
		var val []byte
		top, _ := topLevelName(name)
		switch {
		case !isEnvelopeField(top):
		case formatOnly(top):
			val, _ = io.ReadAll(io.LimitReader(part, shortValue+1))
		default:
			val, _ = io.ReadAll(part)
		}
		levels += registerShape(fields, name, string(val), false, lim)
		return true
	})
	return fields, levels
}

// envelopeBody is the envelope's fields of a request body PHP registers
// in $_POST, and the arrays its full parse would make.
func envelopeBody(r *http.Request, form Form, body []byte, lim Limits) (*Array, int) {
	if len(body) == 0 {
		return NewArray(), 0
	}
	ct := r.Header.Get("Content-Type")
	switch mediaType(ct) {
	case "application/x-www-form-urlencoded":
		if r.Method == http.MethodPost || form == FormWPRest {
			return formFields(unsafeString(body), r.Method == http.MethodPost, lim)
		}
	case "multipart/form-data":
		if r.Method == http.MethodPost {
			return multipartFields(ct, body, lim)
		}
	}
	return NewArray(), 0
}
