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
// the controller reads key and api_key from them, and answers JSON iff json
// is present (and not null). A JSON body is only checked (an invalid one is
// WordPress's 400 rest_invalid_json, before anything else) and its key,
// api_key and json looked at; wpDecode decodes it.
func wpEnvelope(r *http.Request, c *Call, get, post *Array, body []byte, lim Limits, levels int, fullGet func() *Array) (*Call, *Reply) {
	if !wpBodyMethod(r.Method) {
		post = NewArray()
	}
	var top map[string][]byte
	jsonBody, values := false, 0
	if isJSONMediaType(r.Header.Get("Content-Type")) && len(bytes.TrimSpace(body)) > 0 {
		top = map[string][]byte{}
		n, err := scanJSONMembers(body, func(key string, raw []byte) {
			switch key {
			case "key", "api_key", "json":
				top[key] = raw
			}
		})
		if err != nil {
			// WP_REST_Request::parse_json_params: rest_invalid_json.
			data := WPStatusData(http.StatusBadRequest)
			reply := WPErrorReply(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", data)
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
	// Copies: a JSON body's strings share the body's buffer, which may be
	// used again once the call is released.
	k, _ := param("key")
	sk, _ := k.(string)
	c.Credentials.SiteKey = strings.Clone(sk)
	ak, _ := param("api_key")
	apiKey, _ := ak.(string)
	c.Credentials.APIKey = strings.Clone(apiKey)
	j, ok := param("json")
	c.Format = boolFormat(ok && j != nil)
	c.decode = func(ctx context.Context, c *Call) {
		get, post := fullGet(), NewArray()
		if wpBodyMethod(r.Method) {
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

// wpDecode builds the parameters of a WordPress REST call: WP_REST_Request's
// params, the required entity and action, the controller's params.
func wpDecode(r *http.Request, c *Call, get, post *Array, jsonBody bool, decoded any) {
	params := NewArray()
	// WordPress assigns in reverse priority order, so a key keeps the
	// position of its lowest-priority occurrence and the value of its highest.
	srcs := []*Array{get}
	if wpBodyMethod(r.Method) {
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
		c.Refusal = replyPtr(wpMissingParams(missing...))
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
		c.Refusal = replyPtr(wpInvalidParams(invalid...))
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

	apiParams, reply := BuildWPParamList(params)
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
