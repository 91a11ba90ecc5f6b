package translate

import (
	"crypto/rand"
	"strings"
)

const mungeLen = 63

const alphanumeric = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// Munge is CRM_Utils_String::munge($name) as CiviCRM 6.x has it:
//
//	$name = preg_replace('/[^a-zA-Z0-9]+/', '_', trim($name));
//	if (!strlen(trim($name, '_'))) $name = createRandom(63, ALPHANUMERIC);
//	return substr($name, 0, 63);
//
// so a name with nothing alphanumeric left (also an all-whitespace one)
// becomes a random 63-character string, as in CiviCRM: the call then fails
// upstream with "API (…) does not exist", just as it did before.
func Munge(name string) string {
	out, ok := mungeName(name)
	if !ok {
		out = randomAlnum(mungeLen)
	}
	return out
}

// mungeName is Munge without the random substitute: ok is false where
// CiviCRM would replace the name with a random one (which then names
// nothing).
func mungeName(name string) (string, bool) {
	if mungeKeeps(name) {
		return name, true
	}
	name = strings.Trim(name, " \t\n\r\x00\x0b") // PHP trim()'s default set
	var b strings.Builder
	b.Grow(len(name))
	run := false
	for i := 0; i < len(name); i++ {
		c := name[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' {
			b.WriteByte(c)
			run = false
		} else if !run {
			b.WriteByte('_')
			run = true
		}
	}
	out := b.String()
	if strings.Trim(out, "_") == "" {
		return "", false
	}
	if len(out) > mungeLen {
		out = out[:mungeLen]
	}
	return out, true
}

// mungeKeeps reports whether munge returns name unchanged (the common case,
// answered without building a copy): at most 63 bytes of [a-zA-Z0-9_], with
// an alphanumeric byte and no two '_' in a row.
func mungeKeeps(name string) bool {
	if len(name) > mungeLen {
		return false
	}
	alnum := false
	for i := 0; i < len(name); i++ {
		switch c := name[i]; {
		case 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9':
			alnum = true
		case c == '_':
			if i > 0 && name[i-1] == '_' {
				return false
			}
		default:
			return false
		}
	}
	return alnum
}

// randomAlnum is CRM_Utils_String::createRandom($n, ALPHANUMERIC).
func randomAlnum(n int) string {
	buf := make([]byte, n)
	// Rejection sampling keeps the 62 symbols uniform.
	out := make([]byte, 0, n)
	for len(out) < n {
		if _, err := rand.Read(buf); err != nil {
			panic("translate: crypto/rand failed: " + err.Error())
		}
		for _, c := range buf {
			if c < 248 && len(out) < n { // 248 = 4*62
				out = append(out, alphanumeric[c%62])
			}
		}
	}
	return string(out)
}

// NormalEntity is the entity name CiviCRM's API kernel resolves a munged
// entity to: CRM_Core_DAO_AllCoreTables::convertEntityNameToCamel($e, TRUE).
// "contact" and "Contact" are both Contact, "option_value" is OptionValue,
// but "optionvalue" is Optionvalue and "CONTACT" stays CONTACT.
func NormalEntity(entity string) string {
	switch strings.ToLower(entity) { // the APIv3-only map
	case "acl":
		return "Acl"
	case "im":
		return "Im"
	case "pcp":
		return "Pcp"
	}
	frags := strings.Split(entity, "_")
	for i, f := range frags {
		f = ucfirst(f)
		// UFGroup, UFJoin, UFMatch, UFField passed without underscores.
		if strings.HasPrefix(f, "Uf") && len(entity) > 2 {
			f = "UF" + ucfirst(f[2:])
		}
		frags[i] = f
	}
	switch frags[0] {
	case "Uf", "Acl", "Im", "Pcp":
		frags[0] = strings.ToUpper(frags[0])
	}
	return strings.Join(frags, "")
}

// NormalAction is the action CiviCRM's API kernel runs: strtolower($action)
// (ASCII only, as PHP 8's strtolower).
func NormalAction(action string) string {
	b := []byte(action)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

func ucfirst(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-32) + s[1:]
}
