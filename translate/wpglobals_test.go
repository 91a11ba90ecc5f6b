package translate

import "testing"

// rest_filter_response_fields' field list and nesting (wp_parse_list,
// $fields_as_keyed, _rest_array_intersect_key_recursive), against what
// WordPress 6.x keeps.
func TestWPFilterFields(t *testing.T) {
	data := func() *Array {
		d, err := decodeJSONString(`{"is_error":0,"count":2,"values":{"0":{"id":"1","a":{"x":1,"y":2}},"1":{"id":"2"}},"extra":{"x":1}}`)
		if err != nil {
			t.Fatal(err)
		}
		return d.(*Array)
	}
	for _, tc := range []struct {
		fields any
		want   string
	}{
		{"count", `{"count":2}`},
		{" count ,\tis_error\n", `{"is_error":0,"count":2}`},
		{"extra.x", `{"extra":{"x":1}}`},
		{"extra,extra.y", `{"extra":{"x":1}}`},     // the parent is wanted whole
		{"extra.y,extra", `{"extra":{"x":1}}`},     // true replaces the nested list
		{"values.0.id", `{"values":[{"id":"1"}]}`}, // keys of the list
		{"count.x", `{"count":2}`},                 // a scalar under a nested list stays
		{",", `{"is_error":0,"count":2,"values":[{"id":"1","a":{"x":1,"y":2}},{"id":"2"}],"extra":{"x":1}}`}, // no fields
	} {
		got, ok := wpFilterFields(data(), tc.fields)
		if s := string(EncodeJSON(got, JSONOptions{Legacy: true})); !ok || s != tc.want {
			t.Errorf("_fields %q: got %v %s, want %s", tc.fields, ok, s, tc.want)
		}
	}
	list := NewArray()
	list.Append(data())
	list.Append(data())
	if got, ok := wpFilterFields(list, "count"); !ok || string(EncodeJSON(got, JSONOptions{})) != `[{"count":2},{"count":2}]` {
		t.Errorf("a list: %v %s", ok, EncodeJSON(got, JSONOptions{}))
	}
	if _, ok := wpFilterFields(Number("3"), "count"); ok {
		t.Error("a scalar: PHP dies (TypeError), want ok false")
	}
}
