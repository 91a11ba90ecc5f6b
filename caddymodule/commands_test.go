package caddymodule

import (
	"github.com/spf13/pflag"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	"github.com/civigate/civigate/authx"
)

// captureStdout runs f and returns what it printed.
func captureStdout(t *testing.T, f func()) string {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdout
	os.Stdout = w
	f()
	os.Stdout = old
	w.Close()
	b, _ := io.ReadAll(r)
	return string(b)
}

func TestMintJWTCommand(t *testing.T) {
	t.Setenv("CIVICRM_SIGN_KEYS", "jwt-hs256:hkdf-sha256:test-only-"+strings.Repeat("x", 8))
	fs := pflag.NewFlagSet("civicrm-jwt", pflag.ContinueOnError)
	fs.Int("contact", 0, "")
	fs.Duration("ttl", 5*time.Minute, "")
	if err := fs.Parse([]string{"--contact", "42", "--ttl", "2m"}); err != nil {
		t.Fatal(err)
	}
	var code int
	var err error
	out := captureStdout(t, func() { code, err = cmdMintJWT(caddycmd.Flags{FlagSet: fs}) })
	if err != nil || code != 0 {
		t.Fatalf("exit %d: %v", code, err)
	}
	keys, _ := authx.ParseSignKeys(os.Getenv("CIVICRM_SIGN_KEYS"))
	cid, verr := authx.VerifyCiviJWT(strings.TrimSpace(out), keys, time.Now(), 0)
	if verr != nil || cid != 42 {
		t.Fatalf("minted token: contact %d, %v", cid, verr)
	}
	if _, verr := authx.VerifyCiviJWT(strings.TrimSpace(out), keys, time.Now().Add(3*time.Minute), 0); verr == nil {
		t.Fatal("the token outlived its --ttl")
	}

	fs = pflag.NewFlagSet("civicrm-jwt", pflag.ContinueOnError)
	fs.Int("contact", 0, "")
	fs.Duration("ttl", 5*time.Minute, "")
	if code, err := cmdMintJWT(caddycmd.Flags{FlagSet: fs}); err == nil || code == 0 {
		t.Fatal("no --contact accepted")
	}
}

func TestHashKeyCommand(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	old := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = old }()
	io.WriteString(w, "my-api-key\n")
	w.Close()
	out := captureStdout(t, func() {
		if code, err := cmdHashKey(caddycmd.Flags{}); err != nil || code != 0 {
			t.Errorf("exit %d: %v", code, err)
		}
	})
	if got := strings.TrimSpace(out); got != authx.HashAPIKey("my-api-key") || strings.Contains(got, "my-api-key") {
		t.Fatalf("printed %q", got)
	}
}
