package translate

import (
	"strconv"
	"strings"
)

// MergeRequest is CRM_Utils_Request::exportValues(): array_merge($_GET, $_POST).
// String keys keep the position of their first appearance and take the POST
// value; integer keys are renumbered 0, 1, 2… in order (GET's first, then
// POST's appended), as array_merge does. Values are shared, not copied.
func MergeRequest(get, post *Array) *Array {
	out := NewArray()
	out.reserve(get.Len() + post.Len())
	for _, src := range []*Array{get, post} {
		for i := 0; i < src.Len(); i++ {
			k := src.Key(i)
			if _, isInt := IntKey(k); isInt {
				out.Append(src.Value(i))
			} else {
				out.Set(k, src.Value(i))
			}
		}
	}
	return out
}

// reservedParams are the request keys buildParamList never copies into the
// API params (CRM_Utils_REST::buildParamList $skipVars).
var reservedParams = [...]string{"q", "json", "key", "api_key", "entity", "action"}

func isReservedParam(k string) bool {
	for _, r := range reservedParams {
		if k == r {
			return true
		}
	}
	return false
}

// BuildParamList is CRM_Utils_REST::buildParamList() over the merged request
// (exportValues()): reserved keys removed; a json given as an array (a
// JSON body's json object, or json[k]=v fields) is taken member for member,
// a json string starting with '{' is decoded; key-values go on top; then
// the return.<key> expansion. A non-nil Reply is CiviCRM's immediate answer
// ("Unable to decode supplied JSON.").
func BuildParamList(req *Array) (*Array, *Reply) {
	params, ok := buildParamList(req)
	if !ok {
		return nil, jsonDecodeReply()
	}
	return params, nil
}

// buildParamList is BuildParamList; ok is false when json= does not decode.
func buildParamList(req *Array) (params *Array, ok bool) {
	if v, has := req.Get("json"); has {
		switch j := v.(type) {
		case *Array:
			// CiviCRM 6.17 takes the members of an array json as
			// parameters (observed: json[sequential]=1 answers a list).
			// A copy of its top level: json itself stays as it came.
			params = NewArray()
			params.reserve(j.Len() + req.Len())
			for i := 0; i < j.Len(); i++ {
				params.Set(j.Key(i), j.Value(i))
			}
		case string:
			// `$requestParams['json'][0] == "{"`: its first byte.
			if strings.HasPrefix(j, "{") {
				d, err := decodeJSONString(j)
				if err != nil {
					return nil, false
				}
				params = d.(*Array) // a valid document starting with '{' is an object
			}
		}
	}
	copied := 0
	for _, k := range req.Keys() {
		if !isReservedParam(k) {
			copied++
		}
	}
	if params == nil {
		params = NewArray()
		params.reserve(copied)
	}
	for i := 0; i < req.Len(); i++ {
		if k := req.Key(i); !isReservedParam(k) {
			params.Set(k, req.Value(i))
		}
	}
	if ret, ok := req.Get("return"); ok {
		if arr, isArr := ret.(*Array); isArr {
			for _, k := range arr.Keys() {
				params.Set("return."+k, Number("1"))
			}
		}
	}
	return params, true
}

// jsonDecodeReply is CRM_Utils_JSON::output() of buildParamList's decode
// failure: plain json_encode of a PHP array mixing string and int keys,
// always application/json, whatever format the client asked for.
func jsonDecodeReply() *Reply {
	a := NewArray()
	a.Set("is_error", Number("1"))
	a.Set("0", "error_message")
	a.Set("1", "Unable to decode supplied JSON.")
	return &Reply{Status: 200, ContentType: ctJSON, Body: EncodeJSON(a, JSONOptions{Legacy: true})}
}

// BuildWPParamList is the WordPress controller's get_formatted_api_params()
// (civicrm-wordpress wp-rest/Controller/Rest.php) over WP_REST_Request's
// merged params: entity, action, key and api_key removed; if json is absent
// or numeric every remaining param (json included) is an API param; if json
// is a string only its decoded value is used and the other params are
// ignored; if json is an array the params are empty.
//
// check_permissions=TRUE, which the controller adds last, is left out: it is
// forced by CiviCRM's REST layer upstream anyway. A json string that does not
// decode to an array fails WordPress's argument validation: the Reply is
// WordPress's 400 rest_invalid_param for "json", sent as c's answers are.
func BuildWPParamList(c *Call, req *Array) (*Array, *Reply) {
	j, hasJSON := req.Get("json")
	if !hasJSON || j == nil || isNumericValue(j) {
		out := NewArray()
		for i := 0; i < req.Len(); i++ {
			switch k := req.Key(i); k {
			case "entity", "action", "key", "api_key":
			default:
				out.Set(k, req.Value(i))
			}
		}
		return out, nil
	}
	switch j := j.(type) {
	case string:
		if d, err := decodeJSONString(j); err == nil {
			if arr, ok := d.(*Array); ok {
				return arr, nil
			}
		}
	case *Array:
		return NewArray(), nil
	}
	r := wpInvalidParams(c, "json")
	return nil, &r
}

// wpInvalidParams is WordPress's argument-validation failure
// (WP_REST_Request::has_valid_params with a validate_callback returning
// false): 400 rest_invalid_param with the per-parameter messages.
func wpInvalidParams(c *Call, names ...string) Reply {
	params := NewArray()
	for _, n := range names {
		params.Set(n, "Invalid parameter.")
	}
	data := WPStatusData(400)
	data.Set("params", params)
	data.Set("details", NewArray())
	return WPErrorReply(c, 400, "rest_invalid_param", "Invalid parameter(s): "+strings.Join(names, ", "), data)
}

// wpMissingParams is WordPress's required-argument failure: 400
// rest_missing_callback_param listing the missing names.
func wpMissingParams(c *Call, names ...string) Reply {
	list := NewArray()
	for _, n := range names {
		list.Append(n)
	}
	data := WPStatusData(400)
	data.Set("params", list)
	return WPErrorReply(c, 400, "rest_missing_callback_param", "Missing parameter(s): "+strings.Join(names, ", "), data)
}

// isNumericValue is PHP 8's is_numeric: ints and floats, and strings that
// are a decimal number with optional leading and trailing whitespace
// (" 1", "1 ", "1e3", ".5", "-2."), but not hex, "", " " or "1x".
func isNumericValue(v any) bool {
	switch v := v.(type) {
	case Number:
		return true
	case string:
		s := strings.TrimLeft(v, " \t\n\r\v\f")
		s = strings.TrimRight(s, " \t\n\r\v\f")
		if s == "" || len(s) != len(strings.TrimSpace(s)) {
			return false
		}
		return phpNumericString(s)
	}
	return false
}

// phpNumericString reports whether s (already trimmed) matches PHP's
// numeric-string grammar: [+-]? (digits [. digits?] | . digits) ([eE][+-]?digits)?
func phpNumericString(s string) bool {
	i := 0
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		i++
	}
	intDigits := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
		intDigits++
	}
	fracDigits := 0
	if i < len(s) && s[i] == '.' {
		i++
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
			fracDigits++
		}
	}
	if intDigits+fracDigits == 0 {
		return false
	}
	if i < len(s) && (s[i] == 'e' || s[i] == 'E') {
		j := i + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j {
			i = k
		}
	}
	return i == len(s)
}

// phpEmpty is PHP's empty() for a request value that may be absent.
func phpEmpty(v any, present bool) bool { return !present || PHPEmpty(v) }

// PHPEmpty is PHP's empty() on a present value: "", "0", 0, 0.0, false,
// null and [] are empty. "false" is a non-empty string (debug=false turns
// API debugging on).
func PHPEmpty(v any) bool {
	switch v := v.(type) {
	case nil:
		return true
	case string:
		return v == "" || v == "0"
	case bool:
		return !v
	case *Array:
		return v.Len() == 0
	case Number:
		f, err := strconv.ParseFloat(string(v), 64)
		return err == nil && f == 0
	}
	return false
}
