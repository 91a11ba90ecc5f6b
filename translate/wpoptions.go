package translate

import "net/http"

// WordPress answers an OPTIONS request of the route (the method the route
// sees: wpMethod) itself: rest_handle_options_request, on
// rest_pre_dispatch, returns the route's description
// (WP_REST_Server::get_data_for_route in the 'help' context) with 200,
// and the callback never runs. The plugin's own rest_pre_dispatch hook
// (Plugin::bootstrap_civi), added before WordPress's, runs first and logs
// the api_key's user in, so an OPTIONS request without a valid api_key
// gets its 500 civicrm_rest_api_error like any other; the description
// then goes through the same filters as an answer (Allow when the
// permission callback passes, _fields, _envelope, _jsonp).

// IsWPOptions reports whether c is a WordPress REST request the route
// sees as OPTIONS.
func (c *Call) IsWPOptions() bool {
	return c.Form == FormWPRest && c.wpMethod() == http.MethodOptions
}

// WPOptionsReply is WordPress's answer to c, an OPTIONS request of the
// route sent as r whose caller authenticated: the route's description,
// as register_rest_route registered it (civicrm-wordpress
// Controller/Rest.php: one handler of WP_REST_Server::ALLMETHODS, its
// args with the schema keywords get_data_for_route keeps and required,
// the item schema, and the route's self link).
func WPOptionsReply(c *Call, r *http.Request) Reply {
	methods := func() *Array {
		m := NewArray()
		for _, v := range [...]string{"GET", "POST", "PUT", "PATCH", "DELETE"} {
			m.Append(v)
		}
		return m
	}
	arg := func(typ any, required bool) *Array {
		a := NewArray()
		a.Set("type", typ)
		a.Set("required", required)
		return a
	}
	jsonTypes := NewArray()
	jsonTypes.Append("integer")
	jsonTypes.Append("string")
	jsonTypes.Append("array")
	args := NewArray()
	args.Set("key", arg("string", false))
	args.Set("api_key", arg("string", false))
	args.Set("entity", arg("string", true))
	args.Set("action", arg("string", true))
	args.Set("json", arg(jsonTypes, false))
	endpoint := NewArray()
	endpoint.Set("methods", methods())
	endpoint.Set("args", args)
	endpoints := NewArray()
	endpoints.Append(endpoint)

	required := NewArray()
	for _, v := range [...]string{"entity", "action", "params"} {
		required.Append(v)
	}
	props := NewArray()
	for _, p := range [...][2]string{{"is_error", "integer"}, {"version", "integer"}, {"count", "integer"}, {"values", "array"}} {
		t := NewArray()
		t.Set("type", p[1])
		props.Set(p[0], t)
	}
	schema := NewArray()
	schema.Set("$schema", "http://json-schema.org/draft-04/schema#")
	schema.Set("title", "civicrm/v3/rest")
	schema.Set("description", "CiviCRM API3 WP rest endpoint wrapper")
	schema.Set("type", "object")
	schema.Set("required", required)
	schema.Set("properties", props)

	self := NewArray()
	self.Set("href", wpRestURL(r, "/civicrm/v3/rest"))
	selfs := NewArray()
	selfs.Append(self)
	links := NewArray()
	links.Set("self", selfs)

	data := NewArray()
	data.Set("namespace", "civicrm/v3")
	data.Set("methods", methods())
	data.Set("endpoints", endpoints)
	data.Set("schema", schema)
	data.Set("_links", links)
	return wpJSON(c, http.StatusOK, data)
}
