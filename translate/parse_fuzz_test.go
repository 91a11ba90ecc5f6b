package translate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func FuzzParseQuery(f *testing.F) {
	for _, s := range parseQueryFixed {
		f.Add(s)
	}
	f.Add("a[b][c][]=1&a[b][c][]=2&a.b=%zz&+x=%00")
	f.Fuzz(func(t *testing.T, q string) {
		a := NewArray()
		if err := ParseQuery(a, q, DefaultLimits); err != nil {
			t.Fatal(err)
		}
		if a.Len() > DefaultLimits.MaxInputVars {
			t.Fatalf("%d top-level vars, more than max_input_vars", a.Len())
		}
		for _, k := range a.Keys() {
			if k == "" || strings.ContainsAny(k, " .\x00") {
				t.Fatalf("top-level key %q was not mangled", k)
			}
		}
		checkLeaves(t, a, 0)
	})
}

// checkLeaves: every value is a string or an array, nested at most
// max_input_nesting_level levels below the top.
func checkLeaves(t *testing.T, a *Array, depth int) {
	t.Helper()
	if depth > DefaultLimits.MaxNestingLevel {
		t.Fatalf("nesting %d exceeds max_input_nesting_level", depth)
	}
	for i := 0; i < a.Len(); i++ {
		switch v := a.Value(i).(type) {
		case string:
		case *Array:
			checkLeaves(t, v, depth+1)
		default:
			t.Fatalf("value of type %T", v)
		}
	}
}

func FuzzDecodeJSON(f *testing.F) {
	for _, s := range []string{`{"a":1,"a":2}`, `[1,2.5,-0,1e400,"\ud83d\ude00"]`, `{"5":{"05":null}}`, `{"":true}`, "\xff", `[`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := DecodeJSON([]byte(s))
		if err != nil {
			return
		}
		// What we decode re-encodes to JSON that decodes and encodes to the
		// same bytes again (json_encode writes integral floats as ints, as
		// PHP does, so the first trip may turn 1e2 into 100, never more).
		enc := EncodeJSON(v, JSONOptions{})
		v2, err := DecodeJSON(enc)
		if err != nil {
			t.Fatalf("re-encoded %q does not decode: %v", enc, err)
		}
		if enc2 := EncodeJSON(v2, JSONOptions{}); string(enc2) != string(enc) {
			t.Fatalf("encoding not stable:\n%s\n%s", enc, enc2)
		}
	})
}

func FuzzParseRequest(f *testing.F) {
	f.Add(uint8(0), uint8(0), uint8(0), prefixKV+"first_name=A", "")
	f.Add(uint8(1), uint8(1), uint8(1), "entity=Contact&action=get", "json=%7B%22id%22%3A3%7D&first_name=Z")
	f.Add(uint8(1), uint8(3), uint8(2), "entity=Contact&action=get&json=1", `{"id":1}`)
	f.Add(uint8(0), uint8(0), uint8(0), "q=civicrm/ping", "")
	f.Fuzz(func(t *testing.T, method, form, ctype uint8, query, body string) {
		methods := []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodHead}
		forms := []Form{FormExtern, FormAjax, FormAjaxVerbose, FormWPRest}
		ctypes := []string{"application/x-www-form-urlencoded", "multipart/form-data; boundary=B", "application/json", "text/plain"}
		r := httptest.NewRequest(methods[int(method)%len(methods)], "/x", strings.NewReader(body))
		r.URL.RawQuery = query
		r.Header.Set("Content-Type", ctypes[int(ctype)%len(ctypes)])
		route := Route{Form: forms[int(form)%len(forms)], DropParams: []string{"q"}}
		c, reply := ParseRequest(r, route, ParseOptions{MaxQueryBytes: 4096, MaxBodyBytes: 4096})
		if (c == nil) == (reply == nil) {
			t.Fatalf("want exactly one of Call and Reply, got %v %v", c, reply)
		}
		if reply != nil {
			if reply.Status == 0 || len(reply.Body) == 0 {
				t.Fatalf("empty reply %+v", reply)
			}
			return
		}
		if c.Params == nil {
			t.Fatal("nil Params")
		}
		if c.Refusal != nil && len(c.Refusal.Body) == 0 {
			t.Fatal("empty refusal")
		}
		// Without a json object to carry them, credentials never become params.
		if !strings.Contains(strings.ToLower(query+body), "json") {
			for _, k := range []string{"key", "api_key", "_authx", "_authxSiteKey"} {
				if c.Params.Has(k) {
					t.Fatalf("credential %q leaked into params", k)
				}
			}
		}
		if len(c.Entity) > 63 || len(c.Action) > 63 {
			t.Fatalf("munged names too long: %q %q", c.Entity, c.Action)
		}
		EncodeJSONObject(c.Params)
	})
}
