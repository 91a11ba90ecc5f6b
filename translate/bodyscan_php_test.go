package translate

import (
	"encoding/hex"
	"strings"
	"testing"
)

// The urlencoded reader finds AuthX's and the routing parameters in
// names spelled every way PHP decodes and mangles into them, or nearly
// (genHostileURLEncoded's names), as real PHP registers them (parse_str
// registers a query string's names as a urlencoded body's): a string
// PHP assigns to one is read as its value, one PHP assigns as an array is
// AuthX's array (a Problem) or no routing value. Where PHP registers none
// the reader finds none, but for AuthX's arrays it takes a name longer
// than it keeps to be (postName.top: it refuses more, never less).
func TestURLEncodedNamesMatchPHP(t *testing.T) {
	r := diffSeed(t)
	var names []string
	for len(names) < 20_000 {
		for _, pair := range strings.Split(genHostileURLEncoded(r), "&") {
			if name, _, _ := strings.Cut(pair, "="); name != "" {
				names = append(names, name)
			}
		}
	}
	inputs := make([]string, len(names))
	for i, n := range names {
		inputs[i] = n + "=v"
	}
	for i, dump := range runPHP(t, 'Q', inputs) {
		phpName, phpArray := "", false
		if k, ok := strings.CutPrefix(dump, "{s"); ok {
			h, v, _ := strings.Cut(k, ":")
			b, _ := hex.DecodeString(h)
			phpName, phpArray = watchedName(string(b)), strings.HasPrefix(v, "{")
		}
		got := scanOneName(inputs[i])
		want := nameVerdict{name: phpName, array: phpArray}
		if phpName == "" || phpArray && !isAuthxName(phpName) {
			want = nameVerdict{} // a routing parameter's array routes nowhere
		}
		if got != want && !(phpName == "" && got.array && got.name != "" && isAuthxName(got.name)) {
			t.Errorf("%q: read as %+v, PHP registers %q (array %v)", inputs[i], got, phpName, phpArray)
		}
	}
}

type nameVerdict struct {
	name  string
	array bool
}

func isAuthxName(n string) bool { return n == paramAuthx || n == paramAuthxSiteKey }

// scanOneName is what the urlencoded reader makes of a body of one pair
// whose value is "v": the watched parameter it assigns and whether as an
// array.
func scanOneName(body string) nameVerdict {
	var got nameVerdict
	j := &routeJudge{assigned: func(name string, v *routeValue) {
		if string(v.buf) == "v" {
			got = nameVerdict{name: name}
		}
	}}
	rd := &urlencodedReader{j: j}
	rd.write([]byte(body))
	rd.close()
	for _, n := range []string{paramAuthx, paramAuthxSiteKey} {
		switch c := rd.creds.slot(n); {
		case c.problem == "sent as an array":
			got = nameVerdict{name: n, array: true}
		case c.set && string(c.val) == "v":
			got = nameVerdict{name: n}
		}
	}
	return got
}
