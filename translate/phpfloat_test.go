package translate

import (
	"os/exec"
	"strings"
	"testing"

	"github.com/civigate/civigate/internal/phptest"
)

// PHP's float formatting (json_encode and the string cast) checked against
// real PHP for values on either side of every format switch.
func TestPHPFloatFormattingMatchesPHP(t *testing.T) {
	php := phptest.Path(t)
	values := []string{"1e15", "1e16", "1e17", "1e20", "1e25", "0.0001", "0.00001", "1.5e-7",
		"123456789012345678.0", "1.5", "-0.0", "0.30000000000000004", "100.0", "0.3333333333333333",
		"-2.5e-5", "3.0e100", "123456789012345.0", "12345678901234.0", "99999999999999.9", "0.1", "-1234.5678",
		"1.0", "1e0", "10e-1", "1.00000000000000000001", "0.0", "-1.0", "4.9e-324", "1.7976931348623157e308"}
	script := `foreach (array_slice($argv, 1) as $s) { $f = (float)$s; echo json_encode($f), "\t", (string)$f, "\t", json_encode($f, JSON_PRESERVE_ZERO_FRACTION), "\n"; }`
	out, err := exec.Command(php, append([]string{"-r", script, "--"}, values...)...).Output()
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, v := range values {
		want := strings.Split(lines[i], "\t")
		if got := phpJSONNumber(Number(v), false); got != want[0] {
			t.Errorf("json_encode(%s): got %s, PHP %s", v, got, want[0])
		}
		if got := phpJSONNumber(Number(v), true); got != want[2] {
			t.Errorf("json_encode(%s, JSON_PRESERVE_ZERO_FRACTION): got %s, PHP %s", v, got, want[2])
		}
		if got := PHPString(Number(v)); got != want[1] {
			t.Errorf("(string)%s: got %s, PHP %s", v, got, want[1])
		}
	}
}
