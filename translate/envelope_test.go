package translate

import (
	"context"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// The envelope registers its fields by shape only; what it sees must be
// what PHP's full registration (registerVar) gives those fields: the same
// string, an array for an array, nothing for nothing.
func FuzzEnvelopeFieldsMatchPHP(f *testing.F) {
	for _, s := range []string{
		"key=a&key[]=b&api_key=c", "json[a][b]=1&json=2", "q[=x&q=civicrm/ping", " key=a&api.key=b&api[key=c",
		"json" + strings.Repeat("[a]", 64) + "=1&json=1", "json=1&json" + strings.Repeat("[a]", 65) + "=1",
		"entity[x=1&entity=Contact&fnName[]=", "prettyprint=" + strings.Repeat("%30", 10) + "&json=%30", "a=1&&&key=k%00x&_authx=Bearer+x",
		"key[ ]=1&api_key[  ]=2&q[a]b=3", "json[]]=1&entity[a][b=2",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, form string) {
		lim := Limits{MaxInputVars: 20, MaxNestingLevel: 4}
		for _, body := range []bool{false, true} {
			full := NewArray()
			if body {
				parsePostBody(full, form, lim)
			} else {
				ParseQuery(full, form, lim) //nolint:errcheck
			}
			env, _ := formFields(form, body, lim)
			checkEnvelope(t, form, full, env)
		}
		// The same fields as multipart/form-data.
		r := httptest.NewRequest(http.MethodPost, "/x", nil)
		mp, ct := multipartOf(form)
		r.Header.Set("Content-Type", ct)
		full := NewArray()
		ParsePost(full, ct, []byte(mp), lim)
		env, _ := multipartFields(ct, []byte(mp), lim)
		checkEnvelope(t, "multipart "+form, full, env)
	})
}

func checkEnvelope(t *testing.T, form string, full, env *Array) {
	t.Helper()
	for _, name := range [...]string{"key", "api_key", "_authx", "_authxSiteKey", "q", "fnName", "entity", "json", "prettyprint"} {
		fv, fok := full.Get(name)
		ev, eok := env.Get(name)
		switch {
		case fok != eok:
			t.Fatalf("%q: %s present %v in PHP's registration, %v in the envelope", form, name, fok, eok)
		case !fok:
		case isArray(fv) != isArray(ev):
			t.Fatalf("%q: %s is %#v in PHP's registration, %#v in the envelope", form, name, fv, ev)
		case isArray(fv):
			if PHPEmpty(fv) != PHPEmpty(ev) {
				t.Fatalf("%q: %s array emptiness differs", form, name)
			}
		case formatOnly(name):
			if PHPEmpty(fv) != PHPEmpty(ev) {
				t.Fatalf("%q: %s = %q in PHP's registration, %q in the envelope", form, name, fv, ev)
			}
		case fv != ev:
			t.Fatalf("%q: %s = %q in PHP's registration, %q in the envelope", form, name, fv, ev)
		}
	}
}

// multipartOf is form's name=value pairs as multipart/form-data fields.
func multipartOf(form string) (string, string) {
	var b strings.Builder
	mw := multipart.NewWriter(&b)
	for _, kv := range strings.Split(form, "&") {
		k, v, _ := strings.Cut(kv, "=")
		k, _ = url.QueryUnescape(k)
		v, _ = url.QueryUnescape(v)
		_ = mw.WriteField(k, v)
	}
	_ = mw.Close()
	return b.String(), mw.FormDataContentType()
}

// Nothing of a request is decoded before authentication: ParseEnvelope
// leaves Params nil and costs the body once; DecodeParams builds them.
func TestParseEnvelopeDecodesNothing(t *testing.T) {
	body := "entity=Contact&action=get&json=" + url.QueryEscape(`{"a":[`+strings.Repeat("[],", 100000)+`[]]}`)
	r := httptest.NewRequest(http.MethodPost, "/extern/rest.php?key=K&api_key=A", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c, reply := ParseEnvelope(r, externRoute(), ParseOptions{})
	if reply != nil || c.Params != nil || c.Credentials.SiteKey != "K" || c.Credentials.APIKey != "A" || c.Format != FormatJSON {
		t.Fatalf("envelope: %+v %+v", c, reply)
	}
	c.DecodeParams(context.Background())
	defer c.Release()
	if a, _ := c.Params.Lookup("a"); a.(*Array).Len() != 100001 || c.Entity != "Contact" || c.Action != "get" {
		t.Fatalf("params after DecodeParams: %d", c.Params.Len())
	}
}

// A request whose JSON would weigh more than the whole decode budget is
// refused with 413 undecoded; one of middling weight holds its share until
// Release; a small one takes none.
func TestDecodeBudget(t *testing.T) {
	post := func(json string) *Call {
		r := httptest.NewRequest(http.MethodPost, "/extern/rest.php?json=1&entity=Contact&action=get", strings.NewReader("json="+url.QueryEscape(json)))
		r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		c, _ := ParseEnvelope(r, externRoute(), ParseOptions{})
		c.DecodeParams(context.Background())
		return c
	}
	huge := post(`{"a":[` + strings.Repeat("0,", DecodeBudget/bytesPerJSONValue) + `0]}`)
	if huge.Refusal == nil || huge.Refusal.Status != 413 || !strings.Contains(string(huge.Refusal.Body), "too large to decode") || huge.Params.Len() != 0 {
		t.Fatalf("over the budget: %+v", huge.Refusal)
	}
	middling := post(`{"a":[` + strings.Repeat("0,", 2*decodeFreeCost/bytesPerJSONValue) + `0]}`)
	if middling.Refusal != nil || middling.release == nil {
		t.Fatalf("middling: refusal %+v, holds budget %v", middling.Refusal, middling.release != nil)
	}
	if decodeBudget.TryAcquire(DecodeBudget) {
		t.Fatal("the middling call's share was not taken")
	}
	middling.Release()
	middling.Release()
	if !decodeBudget.TryAcquire(DecodeBudget) {
		t.Fatal("Release did not give the share back")
	}
	decodeBudget.Release(DecodeBudget)
	if small := post(`{"id":1}`); small.Refusal != nil || small.release != nil {
		t.Fatalf("small: %+v", small)
	}
	// Waiting for a share ends with the caller's context.
	decodeBudget.Acquire(context.Background(), DecodeBudget) //nolint:errcheck
	defer decodeBudget.Release(DecodeBudget)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	r := httptest.NewRequest(http.MethodPost, "/extern/rest.php?json=1&entity=Contact&action=get",
		strings.NewReader("json="+url.QueryEscape(`{"a":[`+strings.Repeat("0,", 2*decodeFreeCost/bytesPerJSONValue)+`0]}`))).WithContext(ctx)
	r.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	c, _ := ParseEnvelope(r, externRoute(), ParseOptions{})
	c.DecodeParams(ctx)
	if c.Refusal == nil || c.Refusal.Status != 503 {
		t.Fatalf("cancelled wait: %+v", c.Refusal)
	}
}
