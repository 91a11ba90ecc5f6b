package translate

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"net/url"
	"slices"
	"strings"
	"unicode/utf8"
)

// How an APIv3 call's parameters travel to CiviCRM (issue 12).
//
// CiviCRM's buildParamList decodes json= as the base array, then assigns
// every request key but its six reserved ones over it ($params[$n] = $v:
// a key the JSON has keeps its place, a new one is appended). JSON alone
// cannot carry every PHP value: json_decode refuses invalid UTF-8 (and
// \u00ff is another, two-byte string), and a control character costs six
// bytes. So a top-level parameter whose value is a string, or an array of
// arrays of strings, goes as form fields of its own where that is the only
// way (invalid UTF-8) or much cheaper (escapes): its bytes as they are,
// under its own name (PHP bracket names for arrays, every key explicit).
// json= holds every other parameter, and a 0 in the place of each one sent
// as fields, which the field then overwrites: CiviCRM builds exactly
// call.Params, keys in the same order, types unchanged.
//
// What may go as fields is what PHP registers back exactly and nothing
// else reads: names PHP keeps as they are (no '.', ' ', '[', leading
// space, NUL; no integer key, which exportValues' array_merge would
// renumber), array keys a bracket can hold, at most max_input_nesting_level
// levels, no empty array (no field makes one), at most max_input_vars
// fields in all; and none of the names something reads from the request
// besides buildParamList (upstreamReserved).
//
// The bound: a POST's body is at most canonicalSize(params) plus 1/16
// plus 256 KiB (multipart framing, field headers, the escapes JSON still
// needs); a call that would need more is refused with ErrParamsTooCostly,
// one whose invalid UTF-8 cannot go as fields with ErrParamsNotUTF8.

// ErrParamsTooCostly: the call's parameters would make an upstream request
// more than the bound larger than themselves (escapes JSON must write for
// strings that cannot go as fields). The client gets a 413.
var ErrParamsTooCostly = errors.New("translate: the parameters would make a request to CiviCRM much larger than themselves")

// ErrParamsNotUTF8: a parameter holds bytes that are not UTF-8 where only
// JSON could carry it (json_decode refuses them). The client gets a 400.
var ErrParamsNotUTF8 = errors.New("translate: a parameter holds invalid UTF-8 that CiviCRM can only be sent as JSON")

// Upstream size bound (see above): slack = size/upstreamSlackDiv + upstreamSlack.
const (
	upstreamSlackDiv = 16
	upstreamSlack    = 256 << 10
)

// minFieldSaving is how much smaller a parameter must be as fields than in
// JSON to go as fields when JSON could carry it: the names of parameters
// with ordinary values never reach PHP's request arrays, where a CMS might
// read them.
const minFieldSaving = 64

// upstreamReserved are the request keys something reads besides
// buildParamList, which the fields of a parameter must never be: the keys
// buildParamList itself skips (q json key api_key entity action) or
// expands (an array `return`); those output() (prettyprint) and ajax()
// (fnName, className) read; AuthX's (_authx, _authxSes, _authxSiteKey)
// and Afform's (_aff); CiviCRM's locale and page switches; the PHP session;
// WordPress's public query vars (WP::parse_request takes them from POST
// too) with its REST and sitemap routes and the CiviCRM plugin's own;
// Joomla's and Drupal's routing keys. Such a parameter goes in json=.
var upstreamReserved = func() map[string]bool {
	m := map[string]bool{}
	for _, list := range []string{
		"q json key api_key entity action return prettyprint fnName className",
		"_authx _authxSes _authxSiteKey _aff lcMessages snippet reset force qfKey PHPSESSID",
		// WordPress core (WP::$public_query_vars, REST, sitemaps)
		"m p posts w cat withcomments withoutcomments s search exact sentence calendar page paged more tb pb " +
			"author order orderby year monthnum day hour minute second name category_name tag feed author_name " +
			"static pagename page_id error comments_popup attachment attachment_id subpost subpost_id preview " +
			"robots favicon taxonomy term cpage post_type embed rest_route sitemap sitemap-subtype sitemap-stylesheet",
		// CiviCRM's WordPress plugin, Joomla, Drupal
		"civiwp id html mode cid gid sid cs option task view layout Itemid format tmpl lang controller destination",
	} {
		for _, n := range strings.Fields(list) {
			m[n] = true
		}
	}
	return m
}()

// fieldsPlan says which top-level parameters go as fields.
type fieldsPlan struct {
	asFields []bool // by index in params; nil: none
	n        int    // fields they make
	bytes    int    // about their size in the carrier
}

// carrier is where the parameters go: a multipart body (POST) or the
// query string (other methods). It prices a field and a JSON value.
type carrier bool

const (
	inBody  carrier = true
	inQuery carrier = false
)

// fieldHeaderCost is a multipart field's framing beside its name and value,
// with the longest (random) boundary.
const fieldHeaderCost = len("--civigate-") + 32 + len("\r\nContent-Disposition: form-data; name=\"\"\r\n\r\n") + len("\r\n")

// planFields chooses the top-level parameters of params that go as fields.
func planFields(params *Array, c carrier, lim Limits) (fieldsPlan, error) {
	budget := lim.MaxInputVars - 16 // room for entity, action, json, fnName, className and routing keys
	type candidate struct {
		i, leaves, saving, size int
		mustField               bool
	}
	var cands []candidate
	for i := range params.Len() {
		k := params.Key(i)
		if !fieldName(k) {
			continue
		}
		cost := entryCost{c: c, lim: lim, ok: true}
		nameCost := len(k)
		if c == inQuery {
			nameCost = urlCost(k)
		}
		cost.walk(params.Value(i), nameCost, 0, budget)
		if !cost.ok {
			continue
		}
		// In json= the value becomes the placeholder 0.
		saving := cost.json - 1 - cost.fields
		if cost.invalid || saving >= minFieldSaving {
			cands = append(cands, candidate{i, cost.leaves, saving, cost.fields, cost.invalid})
		}
	}
	if len(cands) == 0 {
		return fieldsPlan{}, nil
	}
	// What JSON cannot carry first, then the largest savings.
	slices.SortStableFunc(cands, func(a, b candidate) int {
		if a.mustField != b.mustField {
			if a.mustField {
				return -1
			}
			return 1
		}
		return cmp.Compare(b.saving, a.saving)
	})
	plan := fieldsPlan{asFields: make([]bool, params.Len())}
	for _, cd := range cands {
		if plan.n+cd.leaves > budget {
			if cd.mustField {
				return plan, fmt.Errorf("%w (%q: more fields than max_input_vars allows)", ErrParamsNotUTF8, params.Key(cd.i))
			}
			continue
		}
		plan.asFields[cd.i] = true
		plan.n += cd.leaves
		plan.bytes += cd.size
	}
	return plan, nil
}

// fieldName reports whether a top-level key can be a field's name: PHP
// registers the name as is, as a string key, and nothing but buildParamList
// reads it.
func fieldName(k string) bool {
	if k == "" || k[0] == ' ' || upstreamReserved[k] {
		return false
	}
	if _, isInt := IntKey(k); isInt {
		return false
	}
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c == '.' || c == ' ' || c == '[' || c == '"' || c == '\\' || c < 0x20 || c == 0x7f:
			return false
		}
	}
	return true
}

// bracketKey reports whether an array key can be written between brackets
// and read back by PHP as itself: not empty, not a lone whitespace character
// ("[ ]" appends), no ']' nor anything a multipart header cannot hold
// unquoted.
func bracketKey(k string) bool {
	if k == "" || len(k) == 1 && isCSpace(k[0]) {
		return false
	}
	for i := 0; i < len(k); i++ {
		switch c := k[i]; {
		case c == ']' || c == '"' || c == '\\' || c < 0x20 || c == 0x7f:
			return false
		}
	}
	return true
}

// entryCost weighs one top-level parameter: whether it can go as fields,
// how many, and what it costs as fields and as its JSON value (in the
// carrier's bytes).
type entryCost struct {
	c       carrier
	lim     Limits
	ok      bool // it can go as fields
	invalid bool // it holds invalid UTF-8 (JSON cannot carry it)
	leaves  int
	fields  int // bytes as fields
	json    int // bytes of its JSON value
}

// walk adds v, reached under a field name of nameCost bytes at depth
// bracket levels. It stops as soon as v cannot go as fields.
func (e *entryCost) walk(v any, nameCost, depth, budget int) {
	switch x := v.(type) {
	case string:
		if e.leaves++; e.leaves > budget {
			e.ok = false
			return
		}
		js, valid := jsonStringCost(x, e.c)
		e.json += js
		e.invalid = e.invalid || !valid
		if e.c == inBody {
			e.fields += fieldHeaderCost + nameCost + len(x)
		} else {
			e.fields += nameCost + 1 + urlCost(x) + 1
		}
	case *Array:
		if x.Len() == 0 || depth >= e.lim.MaxNestingLevel {
			e.ok = false
			return
		}
		list := x.IsList()
		e.json += e.c.punct(2 + x.Len() - 1) // brackets, commas
		for i := range x.Len() {
			k := x.Key(i)
			if !bracketKey(k) {
				e.ok = false
				return
			}
			if !list {
				js, valid := jsonStringCost(k, e.c)
				e.json += js + e.c.punct(1) // "key":
				e.invalid = e.invalid || !valid
			}
			keyCost := len(k) + 2
			if e.c == inQuery {
				keyCost = urlCost(k) + 6 // %5B…%5D
			}
			e.walk(x.Value(i), nameCost+keyCost, depth+1, budget)
			if !e.ok {
				return
			}
		}
	default:
		e.ok = false
	}
}

// punct is what n bytes of JSON punctuation ({}[]:,) cost in the carrier.
func (c carrier) punct(n int) int {
	if c == inQuery {
		return 3 * n
	}
	return n
}

// jsonStringCost is the size of s as a JSON string (quotes included) as
// the encoder writes it, in the carrier's bytes, and whether JSON can
// carry it at all (valid UTF-8).
func jsonStringCost(s string, c carrier) (n int, valid bool) {
	valid = true
	n = c.punct(2)
	for i := 0; i < len(s); {
		b := s[i]
		if b < utf8.RuneSelf {
			switch {
			case b == '"' || b == '\\':
				n += 2 + 4*b2i(c == inQuery) // \" → %5C%22
			case b == '\b' || b == '\f' || b == '\n' || b == '\r' || b == '\t':
				n += 2 + 2*b2i(c == inQuery) // \n → %5Cn
			case b < 0x20:
				n += 6 + 2*b2i(c == inQuery) // \u0001 → %5Cu0001
			case c == inQuery && !unreservedURL(b):
				n += 3
			default:
				n++
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			valid = false
			n += 6
		case r == '\u2028' || r == '\u2029':
			n += 6 + 2*b2i(c == inQuery)
		case c == inQuery:
			n += 3 * size
		default:
			n += size
		}
		i += size
	}
	return n, valid
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// urlCost is the size of s after url.QueryEscape.
func urlCost(s string) int {
	n := 0
	for i := 0; i < len(s); i++ {
		if unreservedURL(s[i]) || s[i] == ' ' {
			n++
		} else {
			n += 3
		}
	}
	return n
}

// unreservedURL: bytes url.QueryEscape leaves as they are.
func unreservedURL(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_' || c == '.' || c == '~'
}

// canonicalSize is the size of a PHP value as the bound counts it: every
// string and key its own bytes, numbers as written, and JSON's structure
// (quotes, colons, commas, brackets) around them.
func canonicalSize(v any) int {
	switch x := v.(type) {
	case string:
		return len(x) + 2
	case Number:
		return len(x)
	case bool:
		if x {
			return 4
		}
		return 5
	case nil:
		return 4
	case *Array:
		n := 2 + max(x.Len()-1, 0)
		for i := range x.Len() {
			n += len(x.Key(i)) + 3 + canonicalSize(x.Value(i))
		}
		return n
	}
	return len(PHPString(v)) + 2
}

// appendParamsJSON appends params as the json= object: a parameter that
// goes as fields is a 0 there. A parameter the encoder found invalid
// UTF-8 in is an error.
func appendParamsJSON(b []byte, params *Array, plan fieldsPlan) ([]byte, error) {
	e := upstreamJSONEncoder(b)
	e.buf = append(e.buf, '{')
	for i := range params.Len() {
		if i > 0 {
			e.buf = append(e.buf, ',')
		}
		e.str(params.Key(i))
		e.buf = append(e.buf, ':')
		if plan.asFields != nil && plan.asFields[i] {
			e.buf = append(e.buf, '0')
		} else {
			e.value(params.Value(i), 1)
		}
		if e.invalidUTF8 {
			return nil, fmt.Errorf("%w (%q)", ErrParamsNotUTF8, params.Key(i))
		}
	}
	e.buf = append(e.buf, '}')
	return e.buf, nil
}

// eachField calls f with the name and value of every form field that
// makes PHP register v under k, in order (PHP then builds its arrays in
// the same order): k[key]…[key] for each leaf, every key explicit, a
// scalar as PHP's string of it; an empty array makes none. name is reused
// between calls.
func eachField(k string, v any, f func(name []byte, value string)) {
	name := make([]byte, 0, 64)
	var walk func(name []byte, v any)
	walk = func(name []byte, v any) {
		switch x := v.(type) {
		case string:
			f(name, x)
		case *Array:
			for i := range x.Len() {
				sub := append(append(append(name, '['), x.Key(i)...), ']')
				walk(sub, x.Value(i))
			}
		default:
			f(name, PHPString(x))
		}
	}
	walk(append(name, k...), v)
}

// multipartParams writes fields, then the parameters' JSON under
// jsonName (json= for APIv3; APIv4's params or calls; "": none) and the
// parameters sent as fields, as a multipart/form-data body, which PHP
// registers byte for byte. A value holding the boundary (a client can send
// the fixed one) means another try with a random one. sizeHint is the
// JSON's expected size.
func multipartParams(fields []upstreamField, jsonName string, params *Array, plan fieldsPlan, sizeHint int) ([]byte, string, error) {
	boundary := multipartBoundary
	for {
		n := 512 + sizeHint + sizeHint/16 + plan.bytes
		for _, f := range fields {
			n += len(boundary) + len(f.name) + len(f.value) + 48
		}
		b := make([]byte, 0, n)
		clash := false
		part := func(name []byte) {
			clash = clash || bytes.Contains(name, []byte(boundary))
			b = append(b, "--"...)
			b = append(b, boundary...)
			b = append(b, "\r\nContent-Disposition: form-data; name=\""...)
			b = append(b, name...)
			b = append(b, "\"\r\n\r\n"...)
		}
		value := func(v string) {
			b = append(b, v...)
			b = append(b, "\r\n"...)
			clash = clash || strings.Contains(v, boundary)
		}
		for _, f := range fields {
			part([]byte(f.name))
			value(f.value)
		}
		if jsonName != "" {
			part([]byte(jsonName))
			start := len(b)
			var err error
			if b, err = appendParamsJSON(b, params, plan); err != nil {
				return nil, "", err
			}
			clash = clash || bytes.Contains(b[start:], []byte(boundary))
			b = append(b, "\r\n"...)
		}
		for i, asFields := range plan.asFields {
			if asFields {
				eachField(params.Key(i), params.Value(i), func(name []byte, v string) {
					part(name)
					value(v)
				})
			}
		}
		if clash {
			boundary = "civigate-" + randomAlnum(32)
			continue
		}
		b = append(b, "--"...)
		b = append(b, boundary...)
		b = append(b, "--\r\n"...)
		return b, "multipart/form-data; boundary=" + boundary, nil
	}
}

// queryParams is the query-string form of the same: fields, json= and
// the parameters sent as fields.
func queryParams(fields []upstreamField, params *Array, plan fieldsPlan) (string, error) {
	json, err := appendParamsJSON(nil, params, plan)
	if err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString(queryString(append(fields, upstreamField{"json", unsafeString(json)})))
	for i, asFields := range plan.asFields {
		if asFields {
			eachField(params.Key(i), params.Value(i), func(name []byte, v string) {
				b.WriteByte('&')
				b.WriteString(url.QueryEscape(unsafeString(name)))
				b.WriteByte('=')
				b.WriteString(url.QueryEscape(v))
			})
		}
	}
	return b.String(), nil
}
