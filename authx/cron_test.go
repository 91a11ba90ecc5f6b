package authx

import (
	"context"
	"net/netip"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// bin/cron.php's credentials are read as authenticateScript reads them
// (name and pass trimmed, !$name no credential, key trimmed and always
// required), the password checked as a Basic credential, the run judged as
// APIv3 Job.<job>; refusals take the script's "ERROR: …" words.
func TestCronCredentials(t *testing.T) {
	cronCall := func(user, pass, key, job string) *translate.Call {
		p := translate.NewArray()
		if job != "execute" {
			p.Set("version", translate.Number("3"))
		}
		return &translate.Call{Form: translate.FormCron, Method: "GET", Entity: "Job", Action: job, Params: p,
			Credentials: translate.Credentials{User: user, Password: pass, SiteKey: key}}
	}
	deny := &Policy{Rules: []Rule{{Effect: "deny", Entities: []string{"Job"}, Actions: []string{"geocode"}}}}
	for _, anonymous := range []bool{false, true} {
		e := newEnv(t, func(c *Config) { c.Policy, c.AllowAnonymous = deny, anonymous })
		for _, tc := range []struct {
			name    string
			call    *translate.Call
			contact int64
			status  int
			body    string
		}{
			{"trimmed name and password", cronCall(" admin\t", "pw ", " "+testSiteKey+"\n", "version_check"), 3, 0, ""},
			// Job.execute runs jobs the edge cannot name: every deny rule
			// naming an entity or an action refuses it.
			{"every due job", cronCall("admin", "pw", testSiteKey, "execute"), 0, 403, "ERROR: Civigate: Forbidden by gateway policy"},
			{"no name", cronCall("", "pw", testSiteKey, "version_check"), 0, 200, "ERROR: You need to send a valid user name and password"},
			{"name 0", cronCall("0", "pw", testSiteKey, "version_check"), 0, 200, "ERROR: You need to send a valid user name and password"},
			{"no site key", cronCall("admin", "pw", "", "version_check"), 0, 200, "ERROR: You need to send a valid key"},
			{"wrong site key", cronCall("admin", "pw", "wrong-site-key", "version_check"), 0, 200, "ERROR: Invalid key value sent."},
			{"wrong password", cronCall("admin", "guess", testSiteKey, "version_check"), 0, 200, "ERROR: Invalid username and/or password"},
			{"a job the policy refuses", cronCall("admin", "pw", testSiteKey, "geocode"), 0, 403, "ERROR: Civigate: Forbidden by gateway policy"},
		} {
			p, rej := e.a.Authenticate(context.Background(), Request{Call: tc.call, ClientIP: netip.MustParseAddr("192.0.2.1")})
			switch {
			case tc.contact != 0:
				if rej != nil || p.ContactID != tc.contact || p.CredType != CredPass || p.Flow != FlowCron {
					t.Errorf("%s (anonymous %v): %+v %+v", tc.name, anonymous, p, rej)
				}
			case rej == nil:
				t.Errorf("%s (anonymous %v): authenticated as %+v", tc.name, anonymous, p)
			default:
				reply, _ := rej.Reply(tc.call, "CiviCRM")
				if reply.Status != tc.status || !strings.HasPrefix(string(reply.Body), tc.body) || reply.ContentType != "text/plain;charset=UTF-8" {
					t.Errorf("%s (anonymous %v): %d %q %q, want %d %q", tc.name, anonymous, reply.Status, reply.ContentType, reply.Body, tc.status, tc.body)
				}
				if strings.Contains(string(reply.Body), "pw") || strings.Contains(string(reply.Body), testSiteKey) {
					t.Errorf("%s: the answer echoes a credential", tc.name)
				}
			}
		}
	}
}
