package authx

import (
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// AuthX messages (Authenticator.php) and Civigate's own for cases AuthX has
// no words for.
const (
	MsgInvalidCredential = msgInvalidCredential
	MsgExpiredToken      = msgExpiredToken
	MsgMalformedJWT      = msgMalformedJWT
	MsgGuard             = "Login not permitted. Must satisfy guard (site_key, perm)."
	MsgNoUser            = "Cannot login. No matching user is available."
	MsgMissing           = "Authentication required"
	MsgAmbiguous         = "Conflicting credentials"
	MsgRateLimited       = "Too many failed authentication attempts"
	MsgPolicy            = "Forbidden by gateway policy"
	// MsgSessionPolicy refuses a CiviCRM session to a principal whose rules
	// are stricter than anonymous callers' (Policy.SessionKeepsRules).
	MsgSessionPolicy = "Forbidden by gateway policy: this credential's rules are stricter than anonymous callers', and a CiviCRM session's API calls reach the gateway without it, so it cannot log in; send the credential with each call instead"
	MsgUnavailable   = "Authentication service unavailable"
)

func invalidCredential(detail string) *Rejection {
	return &Rejection{Reason: ReasonInvalid, Message: MsgInvalidCredential, BearerError: "invalid_token", Detail: detail}
}

func noUser(detail string) *Rejection {
	return &Rejection{Reason: ReasonNoUser, Message: MsgNoUser, Status: 403, Detail: detail}
}

// LegacyMessage is the message extern/rest.php would have given (HTTP 200
// APIv3 error {"error_message":…,"is_error":1}). extern/rest.php checked the
// site key, then the presence of api_key, then the key's contact and CMS user,
// with one message for an unknown key and a user-less contact.
func (r *Rejection) LegacyMessage() string {
	if r.Legacy != "" {
		return r.Legacy
	}
	switch r.Reason {
	case ReasonSiteKey:
		return translate.MsgBadSiteKey
	case ReasonMissing:
		return translate.MsgMissingAPIKey
	case ReasonInvalid, ReasonExpired, ReasonNoUser, ReasonAmbiguous:
		return translate.MsgNoCMSUser
	}
	return r.Message
}

// LegacyStatus is the HTTP status for the legacy (extern/rest.php) shape:
// 200 as extern/rest.php answered, except for refusals that legacy never had
// where a client or load balancer must see the truth (429, 503).
func (r *Rejection) LegacyStatus() int {
	switch r.Reason {
	case ReasonRateLimited:
		return 429
	case ReasonUnavailable:
		return 503
	}
	return 200
}

// WPError is the WordPress REST error the civicrm/v3/rest route gave for
// the same failure: {"code":Code,"message":Message,"data":…} with Status.
// DataStatus tells whether data is {"status":N} (true) or null (false).
type WPError struct {
	Status     int
	Code       string
	Message    string
	DataStatus bool
}

// WP returns the WordPress REST shape (civicrm-wordpress wp-rest, spec §6):
// do_user_login failures are a 500 without status data; a missing key is 403
// "Param key is not valid."; a wrong key fails argument validation (400).
func (r *Rejection) WP() WPError {
	switch r.Reason {
	case ReasonSiteKey:
		if r.Detail == detailSiteKeyMissing {
			return WPError{403, "civicrm_rest_api_error", "Param key is not valid.", true}
		}
		return WPError{400, "rest_invalid_param", "Invalid parameter(s): key", true}
	case ReasonNoUser:
		return WPError{500, "civicrm_rest_api_error", "A WordPress user must be associated with the contact for the provided API key.", false}
	case ReasonRateLimited:
		return WPError{429, "civigate_rate_limited", MsgRateLimited, true}
	case ReasonPolicy:
		return WPError{403, "rest_forbidden", "Sorry, you are not allowed to do that.", true}
	case ReasonUnavailable:
		return WPError{503, "civigate_unavailable", MsgUnavailable, true}
	}
	return WPError{500, "civicrm_rest_api_error", `Missing or invalid param "api_key".`, false}
}

// HTTPStatus is the modern status: 401 for credential failures, 403 for an
// authenticated but refused principal, 400 for conflicting credentials,
// 429, 503. The modern body is text/plain "HTTP <status> <Message>" as
// AuthX renders it, except in the legacyrest flow (key/api_key params on
// civicrm/ajax/rest), where AuthX answered 200 text/javascript
// {"error_message":"FATAL: <Message>","is_error":1}; Flow tells which.
func (r *Rejection) HTTPStatus() int {
	if r.Status != 0 {
		return r.Status
	}
	switch r.Reason {
	case ReasonAmbiguous:
		return 400
	case ReasonPolicy, ReasonNoUser:
		return 403
	case ReasonRateLimited:
		return 429
	case ReasonUnavailable:
		return 503
	}
	return 401
}

// RetryAfterSeconds is the Retry-After header value (0: send none).
func (r *Rejection) RetryAfterSeconds() int {
	if r.RetryAfter <= 0 {
		return 0
	}
	return int((r.RetryAfter + time.Second - 1) / time.Second)
}

// WWWAuthenticate is the challenge for a 401 (RFC 6750 §3; a refused
// Basic credential gets the bare Bearer challenge, never a Basic one), and
// for 400/403 Bearer errors. "" means send none. The
// description is our fixed message, never client input.
func (r *Rejection) WWWAuthenticate(realm string) string {
	if realm == "" {
		realm = "CiviCRM"
	}
	st := r.HTTPStatus()
	if r.Scheme == "Basic" {
		// Never a Basic challenge: AuthX sends no challenge at all, and a
		// Basic one makes a browser prompt for the password and then
		// attach it by itself to every request to the site, cross-site
		// forms included (csrf.go). The bare Bearer challenge names the
		// scheme Civigate prefers, which no browser prompts for.
		if st != 401 {
			return ""
		}
		return `Bearer realm=` + quote(realm)
	}
	code := r.BearerError
	switch {
	case st == 401 && r.Reason == ReasonMissing:
		code = "" // RFC 6750 §3.1: no error code when no credential was sent
	case st == 401 && code == "":
		code = "invalid_token"
	case st == 400:
		code = "invalid_request"
	case st == 403 && r.Reason == ReasonPolicy:
		code = "insufficient_scope"
	case st != 401:
		return ""
	}
	var b strings.Builder
	b.WriteString("Bearer realm=")
	b.WriteString(quote(realm))
	if code != "" {
		b.WriteString(`, error="` + code + `", error_description=`)
		b.WriteString(quote(r.Message))
	}
	return b.String()
}

// quote makes an RFC 7230 quoted-string, dropping characters it cannot carry.
func quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, c := range []byte(s) {
		switch {
		case c == '"' || c == '\\':
			b.WriteByte('\\')
			b.WriteByte(c)
		case c >= 0x20 && c < 0x7f:
			b.WriteByte(c)
		}
	}
	b.WriteByte('"')
	return b.String()
}

const (
	detailSiteKeyMissing = "site key missing"
	detailSiteKeyWrong   = "site key wrong"
)
