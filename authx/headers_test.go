package authx

import (
	"net/http"
	"slices"
	"testing"
)

func TestHeaderHygiene(t *testing.T) {
	h := http.Header{}
	h.Set("Authorization", "Bearer a")
	h.Set("X-Civi-Auth", "Bearer b")
	h["X_civi_auth"] = []string{"Bearer c"}
	h["x_Civi_Key"] = []string{"k"}
	h.Set("X-Civi-Auth-Afform", "t")
	h["X_Civi_Auth_Afform"] = []string{"t2"}
	h.Set("X-Requested-With", "XMLHttpRequest")
	h.Set("Accept", "application/json")
	names := IdentityHeaderNames(h)
	if len(names) != 6 {
		t.Fatalf("found %v", names)
	}
	p := &Principal{ContactID: 3, forward: "Bearer minted"}
	SetUpstreamAuth(h, p, "site-key-xyz")
	want := http.Header{
		"X-Civi-Auth":      {"Bearer minted"},
		"X-Civi-Key":       {"site-key-xyz"},
		"X-Requested-With": {"XMLHttpRequest"},
		"Accept":           {"application/json"},
	}
	if len(h) != len(want) {
		t.Fatalf("got %v", h)
	}
	for k, v := range want {
		if !slices.Equal(h[k], v) {
			t.Errorf("%s = %v, want %v", k, h[k], v)
		}
	}
	// Anonymous: everything identity-ish is gone and nothing is added.
	SetUpstreamAuth(h, &Principal{CredType: CredNone}, "site-key-xyz")
	if len(IdentityHeaderNames(h)) != 0 {
		t.Fatalf("left %v", h)
	}
}
