package civicrmsim

import (
	"math"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/civigate/civigate/translate"
)

// SQL value semantics for APIv4 queries, as MariaDB with the site's
// utf8mb4_unicode_ci collation applies them: strings compare without
// regard to case or accents, punctuation sorts before digits and digits
// before letters (so "Adams-Łąchowski family" sorts before "Adams,
// Alexia": read-39), numbers compare as numbers, and NULL matches no
// comparison.

// foldRunes maps accented Latin letters to their base letter.
var foldRunes = map[rune]rune{
	'à': 'a', 'á': 'a', 'â': 'a', 'ã': 'a', 'ä': 'a', 'å': 'a', 'ą': 'a', 'ā': 'a',
	'ç': 'c', 'ć': 'c', 'č': 'c', 'è': 'e', 'é': 'e', 'ê': 'e', 'ë': 'e', 'ę': 'e', 'ē': 'e', 'ě': 'e',
	'ì': 'i', 'í': 'i', 'î': 'i', 'ï': 'i', 'ł': 'l', 'ñ': 'n', 'ń': 'n', 'ň': 'n',
	'ò': 'o', 'ó': 'o', 'ô': 'o', 'õ': 'o', 'ö': 'o', 'ø': 'o', 'ő': 'o',
	'ś': 's', 'š': 's', 'ù': 'u', 'ú': 'u', 'û': 'u', 'ü': 'u', 'ů': 'u', 'ű': 'u',
	'ý': 'y', 'ÿ': 'y', 'ź': 'z', 'ż': 'z', 'ž': 'z', 'ř': 'r', 'ť': 't', 'ď': 'd',
}

// punctuationOrder is the order of ASCII punctuation in the Unicode
// collation (space first, then these), all before digits and letters.
const punctuationOrder = "_-,;:!?.'\"()[]{}@*/\\&#%`^+<=>|~$"

// collationWeight gives each rune its primary weight.
func collationWeight(r rune) int {
	r = unicode.ToLower(r)
	if f, ok := foldRunes[r]; ok {
		r = f
	}
	switch {
	case r == ' ' || r == '\t' || r == '\n':
		return 1
	case r < 128 && strings.ContainsRune(punctuationOrder, r):
		return 10 + strings.IndexRune(punctuationOrder, r)
	case r >= '0' && r <= '9':
		return 100 + int(r-'0')
	case r >= 'a' && r <= 'z':
		return 200 + int(r-'a')
	}
	return 1000 + int(r)
}

// collate compares two strings under the collation: <0, 0, >0.
func collate(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	for i := 0; i < len(ra) && i < len(rb); i++ {
		if wa, wb := collationWeight(ra[i]), collationWeight(rb[i]); wa != wb {
			return wa - wb
		}
	}
	return len(ra) - len(rb)
}

// sqlNumber is the number MySQL reads in a value: the leading numeric
// part of a string (0 if none), 1/0 for booleans.
func sqlNumber(v any) (float64, bool) {
	switch x := v.(type) {
	case translate.Number:
		f, err := strconv.ParseFloat(string(x), 64)
		return f, err == nil
	case bool:
		if x {
			return 1, true
		}
		return 0, true
	case string:
		m := leadingNumber.FindString(strings.TrimSpace(x))
		f, _ := strconv.ParseFloat(m, 64)
		return f, true
	}
	return 0, false
}

var leadingNumber = regexp.MustCompile(`^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?`)

// isNumeric reports whether a value is a number for comparison purposes:
// a JSON number or a boolean (a numeric column compared with a string
// converts the string).
func isNumeric(v any) bool {
	switch v.(type) {
	case translate.Number, bool:
		return true
	}
	return false
}

// sqlCompare compares two non-NULL scalars as SQL would.
func sqlCompare(a, b any) int {
	if isNumeric(a) || isNumeric(b) {
		x, _ := sqlNumber(a)
		y, _ := sqlNumber(b)
		switch {
		case x < y:
			return -1
		case x > y:
			return 1
		}
		return 0
	}
	return collate(translate.PHPString(a), translate.PHPString(b))
}

// orderCompare sorts NULLs first, then as sqlCompare.
func orderCompare(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return sqlCompare(a, b)
}

// sqlLike is LIKE under the collation: % any run, _ one character, \
// escapes.
func sqlLike(have, pattern string) bool {
	var re strings.Builder
	re.WriteString("(?s)^")
	rs := []rune(pattern)
	for i := 0; i < len(rs); i++ {
		switch r := rs[i]; {
		case r == '\\' && i+1 < len(rs):
			i++
			re.WriteString(regexp.QuoteMeta(string(foldRune(rs[i]))))
		case r == '%':
			re.WriteString(".*")
		case r == '_':
			re.WriteString(".")
		default:
			re.WriteString(regexp.QuoteMeta(string(foldRune(r))))
		}
	}
	re.WriteString("$")
	ok, _ := regexp.MatchString(re.String(), foldString(have))
	return ok
}

func foldRune(r rune) rune {
	r = unicode.ToLower(r)
	if f, ok := foldRunes[r]; ok {
		return f
	}
	return r
}

func foldString(s string) string { return strings.Map(foldRune, s) }

// jsonNumber renders a float result (AVG, SUM) as PHP would.
func jsonNumber(f float64) translate.Number {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return translate.Number(strconv.FormatInt(int64(f), 10))
	}
	return translate.Number(strconv.FormatFloat(f, 'f', -1, 64))
}
