package translate

import (
	"bytes"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/civigate/civigate/internal/phptest"
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

// runPHPLines runs script (PHP reading one input a line from STDIN, each
// hex-encoded, and answering one line each) over inputs with real PHP and
// no php.ini, and returns its answers.
func runPHPLines(t *testing.T, script string, inputs []string) []string {
	t.Helper()
	php := phptest.Path(t)
	path := filepath.Join(t.TempDir(), "model.php")
	if err := os.WriteFile(path, []byte(script), 0o600); err != nil {
		t.Fatal(err)
	}
	var in bytes.Buffer
	for _, s := range inputs {
		in.WriteString(hex.EncodeToString([]byte(s)) + "\n")
	}
	cmd := exec.Command(php, "-n", "-d", "error_reporting=0", "-d", "display_errors=0", path)
	cmd.Stdin = &in
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("php: %v", err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(inputs) {
		t.Fatalf("php answered %d lines for %d inputs", len(lines), len(inputs))
	}
	return lines
}
