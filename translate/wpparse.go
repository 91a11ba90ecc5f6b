package translate

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"unsafe"
)

// wpEnvelope is ParseEnvelope for the WordPress REST route. WP_REST_Request
// takes its params from the JSON body over the form body over the query;
// the controller reads api_key from them, and answers JSON iff json is
// present (and not null). Its key argument's validate_callback checks
// $_REQUEST's key (authenticateKey), whatever the argument holds. A JSON
// body is only checked (an invalid one is WordPress's 400
// rest_invalid_json, before anything else) and its key, api_key, json and
// _pretty looked at; wpDecode decodes it. Before any of that,
// WP_REST_Server::serve_request refuses an invalid _jsonp callback.
func wpEnvelope(r *http.Request, c *Call, get, post *Array, body []byte, lim Limits, levels int, fullGet func() *Array) (*Call, *Reply) {
	if reply := wpJSONP(c, get); reply != nil {
		putBodyBuffer(body)
		return nil, reply
	}
	if reply := wpMethodOverride(r, c, get); reply != nil {
		putBodyBuffer(body)
		return nil, reply
	}
	_, c.WPEnvelope = get.Get("_envelope")
	formBody := wpFormBody(r.Method, c.wpMethod())
	// $_REQUEST['key']: PHP fills $_POST for a POST only.
	sk, _ := get.Get("key")
	if v, ok := post.Get("key"); ok && r.Method == http.MethodPost {
		sk = v
	}
	if !formBody {
		post = NewArray()
	}
	// WP_REST_Request::has_param('_pretty'), the JSON body's added below.
	_, c.Pretty = post.Get("_pretty")
	if _, ok := get.Get("_pretty"); ok {
		c.Pretty = true
	}
	var top map[string][]byte
	jsonBody, values := false, 0
	if isJSONMediaType(r.Header.Get("Content-Type")) && len(bytes.TrimSpace(body)) > 0 {
		top = map[string][]byte{}
		n, err := scanJSONMembers(body, func(key string, raw []byte) {
			switch key {
			case "key", "api_key", "json", "_pretty":
				top[key] = raw
			}
		})
		if err != nil {
			// WP_REST_Request::parse_json_params: rest_invalid_json.
			data := WPStatusData(http.StatusBadRequest)
			reply := WPErrorReply(c, http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", data)
			putBodyBuffer(body)
			return nil, &reply
		}
		jsonBody, values = true, n
	}
	param := func(name string) (any, bool) {
		if raw, ok := top[name]; ok {
			return envelopeValue(raw), true
		}
		if v, ok := post.Get(name); ok {
			return v, true
		}
		return get.Get(name)
	}
	c.Credentials.SiteKey, _ = sk.(string) // the envelope's own copy
	c.Credentials.SiteKeyArg = wpArgSet(top, post, get, "key")
	if _, ok := top["_pretty"]; ok {
		c.Pretty = true
	}
	// Copies: a JSON body's strings share the body's buffer, which may be
	// used again once the call is released.
	ak, _ := param("api_key")
	apiKey, _ := ak.(string)
	c.Credentials.APIKey = strings.Clone(apiKey)
	j, ok := param("json")
	c.Format = boolFormat(ok && j != nil)
	c.decode = func(ctx context.Context, c *Call) {
		get, post := fullGet(), NewArray()
		if formBody {
			post = parseBody(r, FormWPRest, body, lim)
		}
		cost := int64(levels) * bytesPerFormArray
		if jsonBody {
			cost += decodeCost(values, len(body))
		}
		// The json WP_REST_Request will hand the controller, which decodes it.
		jv, _ := post.Get("json")
		if v, ok := top["json"]; ok {
			jv = envelopeValue(v)
		} else if jv == nil {
			jv, _ = get.Get("json")
		}
		if s, isStr := jv.(string); isStr && s != "" {
			if n, err := scanJSON(unsafe.Slice(unsafe.StringData(s), len(s))); err == nil {
				cost += decodeCost(n, len(s))
				c.jsonBytes += len(s)
			}
		}
		if reply := reserveDecode(ctx, c, cost); reply != nil {
			c.Refusal = reply
			return
		}
		var decoded any
		if jsonBody {
			decoded, _ = decodeJSONString(unsafe.String(unsafe.SliceData(body), len(body)))
		}
		wpDecode(r, c, get, post, jsonBody, decoded)
	}
	return c, nil
}

// wpArgSet is WP_REST_Request::get_param($name) !== null: the first of
// the JSON body's, the form body's and the query's that is set and not
// null.
func wpArgSet(top map[string][]byte, post, get *Array, name string) bool {
	if raw, ok := top[name]; ok && envelopeValue(raw) != nil {
		return true
	}
	for _, a := range [...]*Array{post, get} {
		if v, ok := a.Get(name); ok && v != nil {
			return true
		}
	}
	return false
}

// wpJSONP reads the query's _jsonp as WP_REST_Server::serve_request does
// before it runs any route: a truthy one must pass
// wp_check_jsonp_callback (a string of word characters and dots), or the
// answer is 400 rest_callback_invalid, {"code","message"} only, under the
// JavaScript type it already sent; a valid one makes every JSON answer
// JSONP (c.JSONP). WordPress (6.3+) refuses it before it sends the CORS
// headers (WPNoCORS).
func wpJSONP(c *Call, get *Array) *Reply {
	v, ok := get.Get("_jsonp")
	if !ok || phpEmpty(v, ok) {
		return nil
	}
	if cb, isStr := v.(string); isStr && validJSONPCallback(cb) {
		c.JSONP = strings.Clone(cb)
		return nil
	}
	e := NewArray()
	e.Set("code", "rest_callback_invalid")
	e.Set("message", "Invalid JSONP callback function.")
	return &Reply{Status: http.StatusBadRequest, ContentType: wpJSONPContentType, Body: EncodeJSON(e, JSONOptions{Legacy: true}), WPNoCORS: true}
}

// validJSONPCallback is wp_check_jsonp_callback: preg_replace('/[^\w\.]/')
// finds nothing to replace (\w without /u: ASCII letters, digits, _).
func validJSONPCallback(cb string) bool {
	for i := 0; i < len(cb); i++ {
		c := cb[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.') {
			return false
		}
	}
	return true
}

// wpDecode builds the parameters of a WordPress REST call: WP_REST_Request's
// params, the required entity and action, the controller's params.
func wpDecode(r *http.Request, c *Call, get, post *Array, jsonBody bool, decoded any) {
	params := NewArray()
	// WordPress assigns in reverse priority order, so a key keeps the
	// position of its lowest-priority occurrence and the value of its highest.
	srcs := []*Array{get}
	if wpFormBody(r.Method, c.wpMethod()) {
		srcs = append(srcs, post)
	}
	if jsonBody {
		srcs = append(srcs, phpArrayCast(decoded))
	}
	for _, s := range srcs {
		for i := 0; i < s.Len(); i++ {
			params.Set(s.Key(i), s.Value(i))
		}
	}
	if f, ok := params.Get("_fields"); ok && f != nil {
		c.WPFields = f // rest_filter_response_fields' $request['_fields']
	}
	dropCredentials(params)
	j, ok := params.Get("json")

	var missing []string
	for _, k := range [...]string{"entity", "action"} {
		if v, ok := params.Get(k); !ok || v == nil {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		c.Params = NewArray()
		c.Refusal = replyPtr(wpMissingParams(c, missing...))
		return
	}
	var invalid []string
	for _, k := range [...]string{"entity", "action"} {
		if v, _ := params.Get(k); !isWPString(v) {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		c.Params = NewArray()
		c.Refusal = replyPtr(wpInvalidParams(c, invalid...))
		return
	}
	e, _ := params.Get("entity")
	a, _ := params.Get("action")
	c.Entity, c.Action = wpArgString(e), wpArgString(a)
	if c.Entity != "" {
		c.Entity = Munge(c.Entity)
	}
	if c.Action != "" {
		c.Action = Munge(c.Action)
	}

	apiParams, reply := BuildWPParamList(c, params)
	if reply != nil {
		c.Params = NewArray()
		c.Refusal = reply
		return
	}
	c.Params = apiParams
	if !ok || j == nil || isNumericValue(j) {
		for _, k := range apiParams.Keys() {
			if k != "json" {
				c.KeyValue = true
				break
			}
		}
	}
}

// isWPString: WordPress validates entity/action as type "string", which
// also accepts numbers (rest_is_scalar → cast).
func isWPString(v any) bool {
	switch v.(type) {
	case string, Number:
		return true
	}
	return false
}

func wpArgString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case Number:
		return string(v)
	}
	return ""
}

// phpArrayCast is (array) $value as WP_REST_Request::get_params applies it
// to the decoded JSON body.
func phpArrayCast(v any) *Array {
	switch v := v.(type) {
	case *Array:
		return v
	case nil:
		return NewArray()
	}
	a := NewArray()
	a.Set("0", v)
	return a
}

func wpBodyMethod(m string) bool {
	switch m {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}
