package authx

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestNewRejectsBadConfig(t *testing.T) {
	keys, _ := ParseSignKeys("jwt-hs256::s")
	kfJWT, _ := ParseKeyFile(strings.NewReader(HashAPIKey("k")+" 3 forward=jwt"), nil)
	for name, cfg := range map[string]Config{
		"site key mode":            {SiteKeyModern: "sometimes"},
		"user mode":                {RequireUser: "maybe"},
		"short site key":           {SiteKey: "1234567"},
		"external without keys":    {External: &ExternalJWT{}},
		"external invalid":         {SignKeys: keys, External: &ExternalJWT{Keys: &StaticKeys{}, Algorithms: []string{"HS256"}, Issuer: "i", Audience: []string{"a"}, ContactClaim: "c"}},
		"key file jwt without key": {KeyFile: kfJWT},
		"bad policy":               {Policy: &Policy{Default: "perhaps"}},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	a, err := New(Config{})
	if err != nil || a.Realm() != "CiviCRM" {
		t.Fatal(err)
	}
}

func TestLoadKeyFileWithFileRef(t *testing.T) {
	dir := t.TempDir()
	real := filepath.Join(dir, "real.key")
	os.WriteFile(real, []byte("the-real-key\n"), 0o600)
	kf := filepath.Join(dir, "keys")
	os.WriteFile(kf, []byte(HashAPIKey("ext")+" 4 forward=file:"+real+"\n"), 0o600)
	k, err := LoadKeyFile(kf)
	if err != nil || k.Len() != 1 {
		t.Fatal(err)
	}
	if e, _ := k.Lookup("ext"); e.Forward != "the-real-key" {
		t.Fatalf("%+v", e)
	}
	os.WriteFile(kf, []byte(HashAPIKey("ext")+" 4 forward=file:"+filepath.Join(dir, "missing")+"\n"), 0o600)
	if _, err := LoadKeyFile(kf); err == nil {
		t.Fatal("missing forward file accepted")
	}
	if _, err := LoadKeyFile(filepath.Join(dir, "nope")); err == nil {
		t.Fatal("missing key file accepted")
	}
}

func TestMemoryCounterBounded(t *testing.T) {
	c := NewMemoryCounter()
	c.Max = 50
	for i := range 1000 {
		c.Fail(context.Background(), time.Minute, "ip:"+string(rune(0x100+i)))
	}
	if len(c.m) > 50 {
		t.Fatalf("%d keys", len(c.m))
	}
}

func TestJWKSRefreshAndNoKid(t *testing.T) {
	p := newIDP(t)
	j := &JWKS{URL: p.srv.URL, Client: p.srv.Client()}
	if err := j.Refresh(context.Background()); err == nil {
		t.Fatal("empty set accepted")
	}
	k := mustEC(t)
	p.add("only", k)
	if err := j.Refresh(context.Background()); err != nil {
		t.Fatal(err)
	}
	// One key: a token without kid may use it. Two keys: it may not.
	if _, err := j.Key(context.Background(), "", "ES256"); err != nil {
		t.Fatal(err)
	}
	p.add("second", mustEC(t))
	j.Refresh(context.Background())
	if _, err := j.Key(context.Background(), "", "ES256"); err == nil {
		t.Fatal("kid-less token matched one of several keys")
	}
}
