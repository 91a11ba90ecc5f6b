package translate

import (
	"encoding/hex"
	"net/url"
	"strings"
	"testing"
)

func TestPHPVarName(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"api_key", "api_key"},
		{"api.key", "api_key"},
		{"api+key", "api_key"},
		{"api%20key", "api_key"},
		{"api%5Bkey", "api_key"},
		{"api[key", "api_key"},
		{"%20key", "key"},
		{"++key", "key"},
		{".authx", "_authx"},
		{"key%00anything", "key"},
		{"api_key[]", "api_key"},
		{"api_key[x][y]", "api_key"},
		{"api[key]", "api"}, // a matched '[' nests: $_GET['api']['key']
		{"[key", ""},
		{"", ""},
	} {
		if got := PHPVarName(tc.name); got != tc.want {
			t.Errorf("PHPVarName(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// PHPVarName agrees with real PHP's parse_str on names built from every byte
// in every position that mangling looks at.
func TestPHPVarNameMatchesPHP(t *testing.T) {
	var names []string
	for b := 0; b < 256; b++ {
		c := url.QueryEscape(string([]byte{byte(b)}))
		names = append(names, c+"key", "api"+c+"key", "key"+c, "api_key["+c, "_authx"+c+"x]")
	}
	names = append(names, strings.Repeat("[", 3)+"key", "api_key"+strings.Repeat("[a]", 70))
	inputs := make([]string, len(names))
	for i, n := range names {
		inputs[i] = n + "=v"
	}
	for i, dump := range runPHP(t, 'Q', inputs) {
		want := ""
		if k, ok := strings.CutPrefix(dump, "{s"); ok {
			h, _, _ := strings.Cut(k, ":")
			b, _ := hex.DecodeString(h)
			want = string(b)
		} else if k, ok := strings.CutPrefix(dump, "{i"); ok {
			want, _, _ = strings.Cut(k, ":")
		}
		if dump == "{}" && strings.Contains(names[i], "[a]") {
			// PHP dropped it for its depth; PHPVarName still names it.
			want = "api_key"
		}
		if got := PHPVarName(names[i]); got != want {
			t.Errorf("PHPVarName(%q) = %q, PHP registers %q (%s)", names[i], got, want, dump)
		}
	}
}
