package authx

import (
	"net/http"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// Civigate's token on its own authx/id questions lifts the edge's checks
// for the credential and site key it was made for, for a few seconds, and
// for nothing else (attack r4 F7: one static token, logged, replayed from
// a blocked address for any guess).
func TestSubrequestToken(t *testing.T) {
	now := testNow
	mk := func(secret string) *Authenticator {
		a, err := New(Config{Secret: []byte(secret), Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	a := mk("shared")
	question := func(h http.Header) Request {
		call := &translate.Call{Form: translate.FormAuthx, Method: "GET", Action: "id",
			Credentials: translate.Credentials{XCiviAuth: h.Get("X-Civi-Auth"), XCiviKey: h.Get("X-Civi-Key"), Authorization: h.Get("Authorization")}}
		return Request{Call: call, Header: h}
	}
	signed := http.Header{"X-Civi-Auth": {"Bearer key-one"}}
	a.SignSubrequest(signed)
	tok := signed.Get(SubrequestHeader)
	keyed := http.Header{"X-Civi-Auth": {"Bearer key-one"}, "X-Civi-Key": {"the-site-key"}}
	a.SignSubrequest(keyed)
	keyedTok := keyed.Get(SubrequestHeader)

	for _, row := range []struct {
		class string
		token string
		h     http.Header
		later time.Duration
		other bool // checked by an instance with another secret
		want  bool
	}{
		{"the question it was made for", tok, http.Header{"X-Civi-Auth": {"Bearer key-one"}}, 0, false, true},
		{"by an instance sharing the secret, seconds later", tok, http.Header{"X-Civi-Auth": {"Bearer key-one"}}, 4 * time.Second, false, true},
		{"the question with its site key", keyedTok, http.Header{"X-Civi-Auth": {"Bearer key-one"}, "X-Civi-Key": {"the-site-key"}}, 0, false, true},
		{"replayed for another credential", tok, http.Header{"X-Civi-Auth": {"Bearer key-two"}}, 0, false, false},
		{"replayed with a site key it was not made with", tok, http.Header{"X-Civi-Auth": {"Bearer key-one"}, "X-Civi-Key": {"guess"}}, 0, false, false},
		{"replayed with another credential AuthX reads first", tok, http.Header{"X-Civi-Auth": {"Bearer key-one"}, "Authorization": {"Bearer key-two"}}, 0, false, false},
		{"replayed too late", tok, http.Header{"X-Civi-Auth": {"Bearer key-one"}}, 6 * time.Second, false, false},
		{"from a clock too far ahead", tok, http.Header{"X-Civi-Auth": {"Bearer key-one"}}, -6 * time.Second, false, false},
		{"checked with another secret", tok, http.Header{"X-Civi-Auth": {"Bearer key-one"}}, 0, true, false},
		{"without a credential", tok, http.Header{}, 0, false, false},
		{"forged", "1800000000.0123456789abcdef0123456789abcdef", http.Header{"X-Civi-Auth": {"Bearer key-one"}}, 0, false, false},
		{"not a token", "79b0d408247dfdefceea96d2b9b01838", http.Header{"X-Civi-Auth": {"Bearer key-one"}}, 0, false, false},
	} {
		now = testNow.Add(row.later)
		checker := a
		if row.other {
			checker = mk("another")
		}
		if got := checker.SubrequestValid(row.token, question(row.h)); got != row.want {
			t.Errorf("%s: valid=%v", row.class, got)
		}
	}
}
