package translate

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/collate"
	"golang.org/x/text/language"
)

// CiviCRM's tables use MySQL's utf8mb4_unicode_ci (or _general_ci): an
// SQL equality on a name column ignores letter case, accents and width,
// makes ß ss, skips the characters the collation ignores (control and
// format characters such as NUL or a soft hyphen) and, PAD SPACE, trailing
// spaces. Where CiviCRM finds a row by a name the client sent, every
// spelling so equal finds the same row: the CMS user of a password
// (authx's user-name key), the scheduled job bin/cron.php runs
// (CRM_Core_JobManager::getJob: $dao->api_action = $job; $dao->find()).
// Both readings go through the collator here, the Unicode collation
// algorithm at primary strength that unicode_ci implements, with the
// characters unicode_ci's UCA 4.0.0 ignores and the collator's later UCA
// weighs skipped first (uca400Ignorable).

// collators: a Collator keeps state while it works, so each goroutine
// takes its own.
var collators = sync.Pool{New: func() any { return collate.New(language.Und, collate.Loose) }}

// CollationKey is s's sort key under the database collation at primary
// strength (case, accents and width ignored, ignorable characters
// skipped): two names a unicode_ci equality finds alike have the same key,
// trailing spaces aside (PAD SPACE), which the caller drops.
func CollationKey(s string) []byte {
	s = dropUCA400Ignorable(s)
	c := collators.Get().(*collate.Collator)
	defer collators.Put(c)
	var buf collate.Buffer
	return append([]byte(nil), c.KeyFromString(&buf, s)...)
}

// asciiKeys maps the collation key of each printable ASCII character to
// that character (a letter in lower case), so a key made of ASCII
// characters' weights can be spelled back.
var asciiKeys = sync.OnceValues(func() (m map[string]byte, longest int) {
	m = make(map[string]byte)
	for c := byte(0x20); c < 0x7f; c++ {
		k := string(CollationKey(string(c)))
		if _, taken := m[k]; !taken || 'a' <= c && c <= 'z' {
			m[k] = c
		}
		longest = max(longest, len(k))
	}
	return m, longest
})

// CollationFold spells name as the database collation reads it, in ASCII
// where the collation makes it ASCII: a character whose primary weights
// are those of ASCII characters becomes them ("é" e, "Ｐ" p, "ß" ss, "ﬁ"
// fi), a character the collation ignores is dropped, any other is kept,
// and so are printable ASCII characters; trailing spaces are dropped
// (PAD SPACE). So every spelling of an ASCII name that a unicode_ci
// equality finds equal to it folds to that name, up to ASCII letter case
// (which the edge's name comparisons ignore): "procéss_batch_merge " is
// process_batch_merge. The fold goes character by character; the root
// collation's contractions join no Latin letters, so none is missed.
func CollationFold(name string) string {
	if printableASCII(name) {
		return strings.TrimRight(name, " ")
	}
	keys, longest := asciiKeys()
	var b strings.Builder
	b.Grow(len(name))
	for i, r := range name {
		n := utf8.RuneLen(r)
		if r == utf8.RuneError {
			n = 1
		}
		if 0x20 <= r && r < 0x7f {
			b.WriteRune(r)
			continue
		}
		if unicode.Is(uca400Ignorable, r) {
			continue
		}
		if spelled, ok := asciiSpelling(CollationKey(name[i:i+n]), keys, longest); ok {
			b.WriteString(spelled)
		} else {
			b.WriteString(name[i : i+n])
		}
	}
	return strings.TrimRight(b.String(), " ")
}

// asciiSpelling spells key as ASCII characters whose keys make it up, ""
// for an ignored character's empty key; ok is false when some weight is
// no ASCII character's.
func asciiSpelling(key []byte, keys map[string]byte, longest int) (string, bool) {
	var out []byte
	for len(key) > 0 {
		found := false
		for n := min(len(key), longest); n > 0; n-- {
			if c, ok := keys[string(key[:n])]; ok {
				out, key, found = append(out, c), key[n:], true
				break
			}
		}
		if !found {
			return "", false
		}
	}
	return string(out), true
}

// dropUCA400Ignorable is s without the characters unicode_ci ignores
// (uca400Ignorable), s itself when it holds none.
func dropUCA400Ignorable(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return unicode.Is(uca400Ignorable, r) })
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	b.WriteString(s[:i])
	for j, r := range s[i:] {
		if !unicode.Is(uca400Ignorable, r) {
			// the bytes as sent: invalid UTF-8 stays as it was
			n := utf8.RuneLen(r)
			if r == utf8.RuneError {
				n = 1
			}
			b.WriteString(s[i+j : i+j+n])
		}
	}
	return b.String()
}

func printableASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}
