package authx

import "testing"

func TestIdentityHeadersInEverySpelling(t *testing.T) {
	for _, name := range []string{
		"Authorization", "authorization", "X-Civi-Auth", "X_civi_auth", "x.civi.auth",
		"X-Civi-Key", "x_Civi_Key", "X-Civi-Auth-Afform", "X_Civi_Auth_Afform",
	} {
		if !IsIdentityHeader(name) {
			t.Errorf("%s is not an identity header", name)
		}
	}
	for _, name := range []string{"X-Requested-With", "Accept", "X-Civi-Auth2", "X-Civi", "Cookie"} {
		if IsIdentityHeader(name) {
			t.Errorf("%s taken for an identity header", name)
		}
	}
}

func TestUpstreamIdentity(t *testing.T) {
	name, auth, key := UpstreamIdentity(&Principal{ContactID: 3, forward: "Bearer minted"}, "site-key-xyz")
	if name != "X-Civi-Auth" || auth != "Bearer minted" || key != "site-key-xyz" {
		t.Errorf("got %q: %q, %q", name, auth, key)
	}
	// An Afform page token goes on as the token, in Afform's header,
	// without the site key (its flow's policy has no guards).
	name, auth, key = UpstreamIdentity(&Principal{ContactID: 3, Flow: FlowAfformPage, forward: "Bearer a.b.c"}, "site-key-xyz")
	if name != "X-Civi-Auth-Afform" || auth != "Bearer a.b.c" || key != "" {
		t.Errorf("page token: got %q: %q, %q", name, auth, key)
	}
	// Anonymous: nothing at all, not even the site key.
	for _, p := range []*Principal{nil, {CredType: CredNone}} {
		if name, auth, key := UpstreamIdentity(p, "site-key-xyz"); name != "" || auth != "" || key != "" {
			t.Errorf("anonymous %v got %q: %q, %q", p, name, auth, key)
		}
	}
}
