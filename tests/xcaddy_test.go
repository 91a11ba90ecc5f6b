package tests

import (
	"os"
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
