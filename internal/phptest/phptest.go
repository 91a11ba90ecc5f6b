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
	php, err := exec.LookPath("php")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("php is not installed; CI must install php-cli (see .ci/run)")
		}
		t.Skip("php is not installed")
	}
	return php
}
