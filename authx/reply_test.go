package authx

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// End to end: what each endpoint form's client sees for a refusal.
func TestRejectionReplies(t *testing.T) {
	e := newEnv(t, nil)
	run := func(c *translate.Call) (translate.Reply, string, string) {
		t.Helper()
		_, rej := e.a.Authenticate(context.Background(), Request{Call: c, ClientIP: netip.MustParseAddr("192.0.2.44")})
		if rej == nil {
			t.Fatal("accepted")
		}
		rep, h := rej.Reply(c, e.a.Realm())
		return rep, h.Get("WWW-Authenticate"), h.Get("Retry-After")
	}
	c := contactGet()
	c.Form, c.Format = translate.FormExtern, translate.FormatJSON
	c.Credentials = translate.Credentials{SiteKey: "wrong-key-123", APIKey: akUser}
	rep, _, _ := run(c)
	if rep.Status != 200 || string(rep.Body) != `{"error_message":"Failed to authenticate key","is_error":1}` {
		t.Errorf("extern: %d %s", rep.Status, rep.Body)
	}
	c.Format = translate.FormatXML
	rep, _, _ = run(c)
	if !strings.Contains(string(rep.Body), "<error_message>Failed to authenticate key</error_message>") {
		t.Errorf("extern xml: %s", rep.Body)
	}

	c = contactGet()
	c.Credentials = translate.Credentials{SiteKey: testSiteKey, APIKey: "garbage"}
	rep, _, _ = run(c)
	if rep.Status != 200 || !strings.HasPrefix(rep.ContentType, "text/javascript") || string(rep.Body) != `{"error_message":"FATAL: Invalid credential","is_error":1}` {
		t.Errorf("legacyrest: %d %s %s", rep.Status, rep.ContentType, rep.Body)
	}

	c = contactGet()
	c.Credentials = credsWith("Bearer garbage")
	rep, chal, _ := run(c)
	if rep.Status != 401 || rep.ContentType != "application/json" ||
		string(rep.Body) != `{"is_error":1,"error_message":"Invalid credential"}` || chal != `Bearer realm="CiviCRM", error="invalid_token", error_description="Invalid credential"` {
		t.Errorf("modern: %d %q %q", rep.Status, rep.Body, chal)
	}

	c = contactGet()
	c.Form = translate.FormWPRest
	c.Credentials = translate.Credentials{APIKey: akUser}
	rep, _, _ = run(c)
	if rep.Status != 403 || !strings.Contains(string(rep.Body), "Param key is not valid.") {
		t.Errorf("wp missing key: %d %s", rep.Status, rep.Body)
	}

	// Rate limited: Retry-After on every shape.
	for range 5 {
		c = contactGet()
		c.Credentials = credsWith("Bearer nope")
		run(c)
	}
	c.Form = translate.FormExtern
	rep, _, ra := run(c)
	if rep.Status != 429 || ra != "60" {
		t.Errorf("rate limited extern: %d retry-after %q", rep.Status, ra)
	}
}
