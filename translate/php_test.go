package translate

import (
	"os"
	"testing"
)

// requirePHP skips a PHP-differential test where php is missing, except in
// CI, where a missing PHP would silently drop the ground truth.
func requirePHP(t *testing.T) {
	t.Helper()
	if os.Getenv("CI") == "true" {
		t.Fatal("php is not installed; CI must install php-cli (see .ci/run)")
	}
	t.Skip("php is not installed")
}
