package translate

import (
	"bytes"
	"strconv"
	"testing"
)

// Streaming an answer (StartsPassThrough) must give the client exactly what
// RenderResponse would have given after reading it whole. Checked on every
// answer the modern endpoint really sent, for every endpoint form and
// format: either streaming declines, or the rendered reply is the body
// itself under PassThroughContentType.
func TestPassThroughAgreesWithRenderResponse(t *testing.T) {
	ajx := loadRecordings(t, "ajax-rest-unchanged-6.17.2.jsonl")
	// Answers a misbehaving server or proxy could give, labelled JSON.
	for i, up := range []UpstreamResponse{
		{Status: 500, ContentType: "application/json", Body: []byte(`{"is_error":1,"error_message":"DB Error"}`)},
		{Status: 404, ContentType: "application/json", Body: []byte(`{}`)},
		{Status: 401, ContentType: "application/json", Body: []byte(`{"error":"Invalid credential"}`)},
		{Status: 200, ContentType: "application/json", Body: []byte(`<html>maintenance</html>`)},
	} {
		e := ajx["GET key-value params, JSON"]
		e.Name = "synthetic " + strconv.Itoa(i)
		e.Response.Status, e.Response.ContentType, e.Response.Body = up.Status, up.ContentType, string(up.Body)
		ajx[e.Name] = e
	}
	streamed := 0
	for name, e := range ajx {
		up := UpstreamResponse{Status: e.Response.Status, ContentType: e.Response.ContentType, Body: []byte(e.Response.Body)}
		if len(up.Body) == 0 {
			continue
		}
		for _, form := range []Form{FormExtern, FormAjax, FormAjaxVerbose, FormWPRest} {
			for _, variant := range []func(*Call){
				func(*Call) {},
				func(c *Call) { c.Pretty = true },
				func(c *Call) { c.Format = FormatXML },
				func(c *Call) { c.Method = "HEAD" },
			} {
				call := callFor(t, e, form)
				call.Format = FormatJSON
				variant(call)
				if !PassesThrough(call) || !StartsPassThrough(up.Status, up.ContentType, up.Body[0]) {
					continue
				}
				streamed++
				got := RenderResponse(call, up)
				if got.Status != 200 || got.ContentType != PassThroughContentType || !bytes.Equal(got.Body, up.Body) {
					t.Errorf("%q as %v %+v: streamed, but rendering gives %d %q %q", name, form, call, got.Status, got.ContentType, got.Body)
				}
			}
		}
	}
	if streamed < 20 {
		t.Fatalf("only %d answers would stream: the check is not exercised", streamed)
	}
}

func TestPassesThrough(t *testing.T) {
	for _, tc := range []struct {
		call Call
		want bool
	}{
		{Call{Form: FormExtern, Method: "GET", Format: FormatJSON}, true},
		{Call{Form: FormAjax, Method: "POST", Format: FormatJSON}, true},
		{Call{Form: FormExtern, Method: "GET", Format: FormatXML}, false},
		{Call{Form: FormExtern, Method: "GET", Format: FormatJSON, Pretty: true}, false},
		{Call{Form: FormWPRest, Method: "GET", Format: FormatJSON}, false},
		{Call{Form: FormExtern, Method: "HEAD", Format: FormatJSON}, true},
	} {
		if got := PassesThrough(&tc.call); got != tc.want {
			t.Errorf("%+v: %v, want %v", tc.call, got, tc.want)
		}
	}
}

func TestStartsPassThrough(t *testing.T) {
	for _, tc := range []struct {
		status int
		ct     string
		first  byte
		want   bool
	}{
		{200, "application/json", '{', true},
		{200, "application/json", '[', true},
		{200, "Application/JSON; charset=utf-8", '{', true},
		{200, "application/json", '<', false},              // an error page labelled JSON
		{200, "application/json", 'W', false},              // a PHP warning in front
		{200, "text/javascript;charset=UTF-8", '{', false}, // AuthX's legacyrest refusal
		{200, "text/html; charset=UTF-8", '{', false},
		{200, "", '{', false},
		{401, "application/json", '{', false},
		{500, "application/json", '{', false},
		{200, "application/jsonp", '{', false},
	} {
		if got := StartsPassThrough(tc.status, tc.ct, tc.first); got != tc.want {
			t.Errorf("%d %q %q: %v, want %v", tc.status, tc.ct, tc.first, got, tc.want)
		}
	}
}

func TestResultIsError(t *testing.T) {
	errCall := &Call{Form: FormExtern, Format: FormatXML}
	long := bytes.Repeat([]byte("x"), 4096)
	for _, tc := range []struct {
		body []byte
		want bool
	}{
		{[]byte(`{"is_error":1,"error_message":"Entity not found"}`), true},
		{[]byte(`{"error_message":"Failed to authenticate key","is_error":1}`), true},
		{[]byte("{\n    \"is_error\": 1,\n    \"error_message\": \"busy\"\n}"), true},
		{ErrorReply(errCall, 200, APIError("Entity not found")).Body, true},
		{[]byte(`{"is_error":0,"version":3,"count":0,"values":[]}`), false},
		{RenderResult(errCall, mustDecode(t, `{"is_error":0,"count":0,"values":[]}`).(*Array)).Body, false},
		// A value that quotes an error, deep in a large success.
		{append(append([]byte(`{"is_error":0,"values":[{"note":"`), long...), []byte(`\"is_error\":1"}]}`)...), false},
		{append(append([]byte(`{"is_error":0,"values":[{"note":"`), long...), []byte(`","x":{"is_error":1}}]}`)...), false},
		{nil, false},
	} {
		if got := ResultIsError(tc.body); got != tc.want {
			t.Errorf("%.80q: %v, want %v", tc.body, got, tc.want)
		}
	}
}
