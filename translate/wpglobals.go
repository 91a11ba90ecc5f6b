package translate

import (
	"net/http"
	"strconv"
	"strings"
)

// WordPress core's global parameters on the civicrm/v3/rest route
// (WP_REST_Server::serve_request and rest_api_default_filters' filters),
// besides _jsonp and _pretty (wpparse.go):
//
//   - _method in the query, else the X-HTTP-Method-Override header, is the
//     method the route sees (WP_REST_Request::set_method, upper-cased): the
//     route takes GET, POST, PUT, PATCH and DELETE alike (HEAD as GET),
//     OPTIONS is answered from the route's description, any other method
//     is 404 rest_no_route; it decides which of the form body's
//     parameters count (wpFormBody), and a HEAD gets no JSON body.
//   - _fields (any parameter source) trims the JSON answer's data to the
//     fields it lists (rest_filter_response_fields, on rest_post_dispatch):
//     the top-level keys of a result, dotted names for keys inside them.
//   - _envelope in the query wraps the answer in {"body","status","headers"}
//     answered 200 (envelope_response), XML answers too.
//   - _embed embeds a response's links: the route's responses have none,
//     so it changes nothing (it is an API parameter like any other).

// wpMethod is the method WordPress's route sees for c: its
// WP_REST_Request's, the client's method or the override, upper-cased.
func (c *Call) wpMethod() string {
	if c.WPMethod != "" {
		return c.WPMethod
	}
	return asciiUpper(c.Method)
}

// wpMethodOverride reads _method from the query, else the
// X-HTTP-Method-Override header, as serve_request does, into c.WPMethod.
// An array _method is a PHP TypeError in strtoupper: WordPress's fatal 500.
func wpMethodOverride(r *http.Request, c *Call, get *Array) *Reply {
	m, ok := get.Get("_method")
	if !ok {
		vs := r.Header.Values("X-Http-Method-Override")
		if len(vs) == 0 {
			return nil
		}
		// PHP's $_SERVER joins repeated header fields with ", ".
		m = strings.Join(vs, ", ")
	}
	if _, isArr := m.(*Array); isArr {
		r := wpFatal(c)
		return &r
	}
	c.WPMethod = asciiUpper(PHPString(m))
	return nil
}

// wpFatal is the answer to a request WordPress dies on with a PHP fatal
// error (its handler answers 500): WordPress's REST error shape, never
// enveloped or trimmed (the fatal-error handler knows neither).
func wpFatal(c *Call) Reply {
	plain := Call{Form: FormWPRest, Method: c.Method, JSONP: c.JSONP, Pretty: c.Pretty}
	return WPErrorReply(&plain, http.StatusInternalServerError, "internal_server_error", "There has been a critical error on this website.", nil)
}

// wpFormBody reports whether the form body's parameters are among the
// route's, for a request sent with method real that WordPress sees as
// method: WP_REST_Request::get_parameter_order reads them for POST, PUT,
// PATCH and DELETE; they are $_POST (filled by PHP for a real POST only)
// merged with the raw body parse_body_params reads for any method but
// POST, so a PUT sent as POST brings none.
func wpFormBody(real, method string) bool {
	return wpBodyMethod(method) && (real == http.MethodPost || method != http.MethodPost)
}

func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c >= 'a' && c <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'a' && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// wpEnvelopeData is envelope_response's data for an answer with data,
// status and Allow header allow ("": none; headers is then [], an empty
// PHP array).
func wpEnvelopeData(data any, status int, allow string) *Array {
	env := NewArray()
	env.Set("body", data)
	env.Set("status", Number(strconv.Itoa(status)))
	headers := NewArray()
	if allow != "" {
		headers.Set("Allow", allow)
	}
	env.Set("headers", headers)
	return env
}

// wpFieldTree is rest_filter_response_fields' $fields_as_keyed: a field
// named whole (true), or the fields wanted inside it.
type wpFieldTree map[string]*wpFieldNode

type wpFieldNode struct {
	all bool
	sub wpFieldTree
}

// wpFilterFields is rest_filter_response_fields for a JSON answer's data
// and the request's _fields. ok is false where PHP dies
// (_rest_array_intersect_key_recursive given a scalar: a TypeError), which
// WordPress answers 500 after the call ran; the caller then sends data
// as it is (README, deliberate deviations).
func wpFilterFields(data, fields any) (out any, ok bool) {
	list := wpParseList(fields)
	if len(list) == 0 {
		return data, true
	}
	tree := wpFieldTree{}
	for _, f := range list {
		parts := strings.Split(strings.Trim(f, " \t\n\r\x00\x0B"), ".")
		ref := tree
		skip := false
		for len(parts) > 1 {
			next := parts[0]
			parts = parts[1:]
			n, has := ref[next]
			if has && n.all {
				skip = true // its parent is wanted whole
				break
			}
			if !has || n.sub == nil {
				n = &wpFieldNode{sub: wpFieldTree{}}
				ref[next] = n
			}
			ref = n.sub
		}
		if !skip {
			ref[parts[0]] = &wpFieldNode{all: true}
		}
	}
	arr, isArr := data.(*Array)
	if !isArr {
		return data, false
	}
	for i := range arr.Len() {
		if _, intKey := IntKey(arr.Key(i)); !intKey {
			return wpIntersect(arr, tree), true
		}
	}
	// wp_is_numeric_array: each entry trimmed, the list renumbered.
	list2 := NewArray()
	for i := range arr.Len() {
		item, ok := arr.Value(i).(*Array)
		if !ok {
			return data, false
		}
		list2.Append(wpIntersect(item, tree))
	}
	return list2, true
}

// wpIntersect is _rest_array_intersect_key_recursive.
func wpIntersect(a *Array, tree wpFieldTree) *Array {
	out := NewArray()
	for i := range a.Len() {
		n, ok := tree[a.Key(i)]
		if !ok {
			continue
		}
		v := a.Value(i)
		if sub, isArr := v.(*Array); isArr && !n.all {
			v = wpIntersect(sub, n.sub)
		}
		out.Set(a.Key(i), v)
	}
	return out
}

// wpParseList is wp_parse_list: a scalar split on whitespace and commas,
// an array's scalar entries.
func wpParseList(v any) []string {
	arr, isArr := v.(*Array)
	if !isArr {
		var out []string
		for _, f := range strings.FieldsFunc(PHPString(v), func(r rune) bool {
			return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' || r == '\f' || r == '\v'
		}) {
			out = append(out, f)
		}
		return out
	}
	var out []string
	for i := range arr.Len() {
		switch e := arr.Value(i).(type) {
		case *Array, nil:
		default:
			out = append(out, PHPString(e))
		}
	}
	return out
}
