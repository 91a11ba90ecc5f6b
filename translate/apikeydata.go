package translate

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// An API key is data too: a lookup of the contact a key belongs to (APIv3
// json={"api_key":…}, APIv4 params with where api_key = …, setvalue's
// field=api_key and value=…, where[0][]=api_key…) carries a live
// credential where CiviCRM reads parameters. One detector decides that a
// query or form names api_key so: the log filter (caddymodule's
// civicrm_credentials) redacts such a query's values, and BuildUpstream
// sends such a call's parameters in a body, never in the URL CiviCRM's web
// server logs.

// NamesAPIKeyAsData reports whether query (a query string or urlencoded
// form, as sent) names api_key, in any letter case, in a parameter that is
// not a credential one (IsCredentialQueryName): in a value or inside a
// name's brackets, as PHP and CiviCRM read it (namesAPIKey: once
// url-decoded, and once JSON's string escapes are undone, since
// json_decode reads "api\u005fkey" as api_key).
//
// It runs on every request's Referer and every query Civigate sends
// upstream, so a piece that cannot name api_key is known without decoding
// (mayNameAPIKey): the common query costs a scan and allocates nothing.
func NamesAPIKeyAsData(query string) bool {
	for piece := range strings.SplitSeq(query, "&") {
		if !mayNameAPIKey(piece) {
			continue
		}
		name, _, _ := strings.Cut(piece, "=")
		if IsCredentialQueryName(name) {
			continue
		}
		if namesAPIKey(piece) {
			return true
		}
	}
	return false
}

// namesAPIKey reports whether piece (one name=value of a query, as sent)
// holds api_key, in any letter case, as it is or as a layer of PHP or
// CiviCRM may read it: url-decoded as PHP's urldecode does (a '%' without
// two hex digits kept, '+' a space), then with JSON's string escapes
// undone (jsonUnescape: \u0061, \u005F, in either case of hex), three
// times over (an encoding of JSON encoded again), judged after every step
// (a decoding may join "%a" to the "api_key" after it, which the step
// before held). PHP decodes a query once and json_decode reads a string
// once; the rounds past that cost nothing and keep a double encoding from
// mattering. What json_decode refuses names nothing: a \u escape of a
// surrogate half, UTF-8 that spells a letter overlong (%C1%A1) or a
// fullwidth letter are not those letters for it, nor here.
func namesAPIKey(piece string) bool {
	d := piece
	for range 3 {
		if containsFold(d, "api_key") {
			return true
		}
		u := urlDecode(d)
		if u != d && containsFold(u, "api_key") {
			return true
		}
		j := jsonUnescape(u)
		if j == d {
			return false
		}
		d = j
	}
	return containsFold(d, "api_key")
}

// jsonUnescape undoes JSON's string escapes in s as json_decode does
// inside a string: \uXXXX (hex in either case) becomes its character in
// UTF-8 (a surrogate pair joined, a lone half U+FFFD), \b \f \n \r \t
// \" \\ \/ theirs. s need not be JSON: any other backslash (which
// json_decode refuses) is dropped, so the bytes after it are judged as
// they are.
func jsonUnescape(s string) string {
	i := strings.IndexByte(s, '\\')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			if c != '\\' {
				b = append(b, c)
			}
			continue
		}
		i++
		switch e := s[i]; e {
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := hex4At(s, i+1)
			if !ok {
				b = append(b, e) // not an escape json_decode reads
				continue
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4At(s, i+3); ok && r < 0xDC00 && s[i+1] == '\\' && s[i+2] == 'u' {
					if p := utf16.DecodeRune(r, r2); p != utf8.RuneError {
						r = p
						i += 6
					}
				}
			}
			b = utf8.AppendRune(b, r)
		default:
			b = append(b, e) // '"', '\\', '/', or one json_decode refuses
		}
	}
	return string(b)
}

// hex4At reads the four hex digits of a \u escape at s[i:], either case.
func hex4At(s string, i int) (rune, bool) {
	if i < 0 || i+4 > len(s) {
		return 0, false
	}
	var r rune
	for _, c := range []byte(s[i : i+4]) {
		if !isHex(c) {
			return 0, false
		}
		r = r<<4 | rune(unhex(c))
	}
	return r, true
}

// mayNameAPIKey reports whether piece could hold api_key once decoded
// (namesAPIKey): it does as it is (in any letter case), it has a
// backslash (a JSON escape), or a percent-escape of one of api_key's
// letters (either case), of '%' (the start of an escape one more decoding
// reads) or of a backslash. Without any, decoding only turns escapes into
// other bytes (and '+' into a space): no new api_key can appear, nor any
// escape for the next round. One pass over the bytes.
func mayNameAPIKey(piece string) bool {
	for i := 0; i < len(piece); i++ {
		switch piece[i] {
		case 'a', 'A':
			if hasPrefixFold(piece[i:], "api_key") {
				return true
			}
		case '\\':
			return true
		case '%':
			if i+2 < len(piece) && isHex(piece[i+1]) && isHex(piece[i+2]) {
				switch unhex(piece[i+1])<<4 | unhex(piece[i+2]) {
				case 'a', 'p', 'i', '_', 'k', 'e', 'y', 'A', 'P', 'I', 'K', 'E', 'Y', '%', '\\':
					return true
				}
			}
		}
	}
	return false
}

// IsCredentialQueryName reports whether PHP registers a query name (as
// sent) as a spelling of one of CredentialParams (IsCredentialSpelling: any
// letter case, amp;api_key, amp;key). Every such name holds "key", "authx"
// or "aff" in some letter case, or a percent-escape: any other is known at
// once, without working out what PHP makes of it (the Referer of every
// request is looked at).
func IsCredentialQueryName(name string) bool {
	if strings.IndexByte(name, '%') < 0 && !containsFold(name, "key") && !containsFold(name, "authx") && !containsFold(name, "aff") {
		return false
	}
	return IsCredentialSpelling(PHPVarName(name))
}
