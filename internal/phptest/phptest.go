// Package phptest finds real PHP for the tests that take it as the ground
// truth (parse_str, json_decode, float formatting, CiviCRM's own code).
package phptest

import (
	"os"
	"os/exec"
	"testing"
)

// Path is the php binary's path. Where php is missing the test is skipped,
// except in CI (CI=true), where a missing PHP would silently drop the
// ground truth: there the test fails.
func Path(t testing.TB) string {
	t.Helper()
	return find(t, "php", "php-cli")
}

// CGIPath is the php-cgi binary's path (PHP's own request reader: SAPI,
// POST bodies, FastCGI with -b), found like Path.
func CGIPath(t testing.TB) string {
	t.Helper()
	return find(t, "php-cgi", "php-cgi")
}

func find(t testing.TB, binary, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(binary)
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s is not installed; CI must install %s (see .ci/run)", binary, pkg)
		}
		t.Skipf("%s is not installed", binary)
	}
	return path
}
