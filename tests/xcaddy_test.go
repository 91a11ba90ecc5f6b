package tests

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"testing"
)

// The production build (xcaddy.toml) must pin the Caddy version go.mod
// builds and tests against; otherwise what ships is not what was tested.
func TestXcaddyPinMatchesGoMod(t *testing.T) {
	toml, err := os.ReadFile("../xcaddy.toml")
	if err != nil {
		t.Fatal(err)
	}
	gomod, err := os.ReadFile("../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	pinned := regexp.MustCompile(`(?ms)^\[caddy\]\s*\nversion\s*=\s*"([^"]+)"`).FindSubmatch(toml)
	if pinned == nil {
		t.Fatal("xcaddy.toml has no [caddy] version")
	}
	required := regexp.MustCompile(`(?m)^\s*(?:require\s+)?github\.com/caddyserver/caddy/v2 (v\S+)`).FindSubmatch(gomod)
	if required == nil {
		t.Fatal("go.mod does not require github.com/caddyserver/caddy/v2")
	}
	if string(pinned[1]) != string(required[1]) {
		t.Fatalf("xcaddy.toml pins Caddy %s but go.mod requires %s", pinned[1], required[1])
	}
}

// `make caddy` builds the production Caddy from this checkout with nothing
// but Go and the module proxy, which does not know Civigate: xcaddy must
// reach the module only through its replacement. The build then carries
// Civigate's modules and reads Caddyfile.example.
func TestMakeCaddyBuildsFromCheckout(t *testing.T) {
	if testing.Short() {
		t.Skip("builds Caddy with xcaddy (seconds warm, minutes on a fresh machine)")
	}
	out := filepath.Join(t.TempDir(), "caddy")
	make := exec.Command("make", "-C", "..", "caddy")
	make.Env = append(os.Environ(), "CADDY_OUTPUT="+out, "TMPDIR="+t.TempDir())
	if b, err := make.CombinedOutput(); err != nil {
		t.Fatalf("make caddy: %v\n%s", err, tail(b, 4000))
	}
	modules, err := exec.Command(out, "list-modules").Output()
	if err != nil {
		t.Fatalf("%s list-modules: %v", out, err)
	}
	for _, m := range []string{"http.handlers.civicrm", "caddy.logging.encoders.filter.civicrm_credentials"} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(m) + `$`).Match(modules) {
			t.Errorf("the built Caddy lacks %s", m)
		}
	}
	adapt := exec.Command(out, "adapt", "--config", "../Caddyfile.example", "--adapter", "caddyfile")
	if b, err := adapt.CombinedOutput(); err != nil {
		t.Errorf("the built Caddy cannot read Caddyfile.example: %v\n%s", err, tail(b, 2000))
	}
}

// tail is the last n bytes of b, where a command's error usually is.
func tail(b []byte, n int) []byte {
	if len(b) > n {
		return b[len(b)-n:]
	}
	return b
}
