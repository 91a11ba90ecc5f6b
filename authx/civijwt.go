// Package authx extracts and verifies AuthX credentials at the edge.
package authx

import "time"

// SignKey is one CIVICRM_SIGN_KEYS entry usable for JWTs.
// OWNER: authx helper (stub).
type SignKey struct {
	Suite string // jwt-hs256, jwt-hs384, jwt-hs512
	Alg   string // HS256, HS384, HS512
	Key   []byte // derived key bytes
	KID   string // base64url(sha1(suite \0 key))
}

// ParseSignKeys parses CIVICRM_SIGN_KEYS (space-separated suite:kdf:value).
func ParseSignKeys(s string) ([]SignKey, error) { panic("not implemented yet") }

// SignCiviJWT mints a CiviCRM AuthX JWT with the first key, as CiviCRM does.
func SignCiviJWT(keys []SignKey, claims map[string]any) (string, error) {
	panic("not implemented yet")
}

// VerifyCiviJWT verifies a CiviCRM AuthX JWT and returns the contact id.
// The error's message is AuthX's rejection message where CiviCRM has one
// ("Expired token", "Malformed JWT. Must specify the contact ID.").
func VerifyCiviJWT(token string, keys []SignKey, now time.Time, leeway time.Duration) (contactID int64, err error) {
	panic("not implemented yet")
}
