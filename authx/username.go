package authx

import (
	"strings"

	"github.com/civigate/civigate/translate"
)

// userNameKey is a Basic user name as the CMS's user lookup tells names
// apart, so that the per-user guessing counter (credLimitKey) is one per
// account, not one per spelling of it. AuthX hands the name to the CMS
// unchanged (CheckCredential::basicUser, then checkPassword); every CMS
// then finds the user with an SQL equality on its user table, under the
// table's collation: utf8mb4_unicode_ci or _general_ci, case- and
// accent-insensitive, full-width letters alike, and PAD SPACE (trailing
// spaces ignored). WordPress first runs sanitize_user (wp_authenticate,
// get_user_by): trim() (spaces, tabs, newlines, NUL, vertical tab at
// either end) and runs of whitespace made one space. So:
//   - PHP's trim() set is dropped at both ends and whitespace runs are one
//     space (WordPress; for the other CMSs a leading space names another,
//     usually absent, user: counting it with the name costs nothing);
//   - the rest is compared by its Unicode collation key at primary
//     strength (translate.CollationKey, the UCA that unicode_ci implements:
//     case, accents and width ignored, ß as ss, ignorable characters such
//     as NUL skipped).
//
// WordPress's other rewrites (tags, accents, %xx and entities stripped)
// and its e-mail log-in (the address names the same user) are not
// folded: those spellings are counted on their own.
func userNameKey(name string) []byte {
	name = strings.Trim(name, " \t\n\r\x00\x0b")
	name = strings.Join(strings.FieldsFunc(name, pcreSpace), " ")
	return translate.CollationKey(name)
}

// pcreSpace is PCRE's \s without the u flag (sanitize_user's '|\s+|').
func pcreSpace(r rune) bool {
	switch r {
	case ' ', '\t', '\n', '\v', '\f', '\r':
		return true
	}
	return false
}
