package authx

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// Credential types, as CiviCRM's authx/id reports them plus Civigate's own.
const (
	CredAPIKey  = "api_key"  // Bearer api key (CiviCRM-verified or key file)
	CredJWT     = "jwt"      // CiviCRM JWT verified with CIVICRM_SIGN_KEYS
	CredPass    = "pass"     // Basic user:password, verified by CiviCRM
	CredExtJWT  = "ext_jwt"  // identity-provider JWT, re-minted as a CiviCRM JWT
	CredSiteKey = "site_key" // only a site key (e.g. civicrm/ping); no contact
	CredNone    = "none"     // anonymous, allowed by policy
)

// Flows name where a credential came from, using AuthX's flow names where
// one exists: xheader (X-Civi-Auth), header (Authorization), param (_authx),
// legacyrest (key/api_key on ajax/rest), afformpage (Afform's page token,
// X-Civi-Auth-Afform or _aff, on a page or an APIv4 call), plus "legacy" for extern/rest.php
// and WordPress REST key/api_key, "cron" for bin/cron.php's name and
// pass (a password, asked about as the legacy forms' keys are: AskFlow)
// and "user_login" for the identifier and password of an APIv4 User.login
// (Standalone's log-in, translate.FormUserLogin), asked about so too.
const (
	FlowXHeader    = "xheader"
	FlowHeader     = "header"
	FlowParam      = "param"
	FlowLegacyRest = "legacyrest"
	FlowAfformPage = "afformpage"
	FlowLegacy     = "legacy"
	FlowCron       = "cron"
	FlowUserLogin  = "user_login"
	FlowNone       = "none"
)

// Principal is who a request authenticated as.
type Principal struct {
	ContactID int64
	UserID    *int64 // CMS user; nil when unknown or none
	CredType  string
	Flow      string
	// KeyFingerprint is Fingerprint(credential): safe to log and to bind
	// cache entries to; never the credential itself.
	KeyFingerprint string

	// forward is the X-Civi-Auth value to send upstream. Unexported so that
	// printing a Principal never shows it (String omits it too).
	forward string
	// raw is the credential as presented ("<Scheme> <value>"), for
	// PassFor. Secret, like forward.
	raw string
	// userless: known to have no CMS user (authx/id said user_id null, or
	// the key file says nouser).
	userless bool
	// guard: CiviCRM's AuthX guards let this credential in without the site
	// key: a JWT, or a key whose contact holds "authenticate with api key"
	// (authx/id accepted it without X-Civi-Key).
	guard bool
	// verdictGen is the verdicts' generations CiviCRM's verdict on the
	// credential was remembered or asked under (APIKeyVerifier.Generation,
	// and PasswordGeneration's for a password), when genBound; a Pass for
	// it ends when either moves on.
	verdictGen verdictGens
	genBound   bool
	// password: the credential is a Basic one, whose verdicts have
	// PasswordGeneration's lifetimes too.
	password bool
	// pageForm is the form an Afform page token (FlowAfformPage) names in
	// its afform claim: on the API it admits only that form's calls
	// (pageTokenReach).
	pageForm string
}

// Forward returns the X-Civi-Auth header value Civigate sends upstream for
// this principal ("Bearer <jwt-or-key>"), or "" for an anonymous principal.
// Secret: never log it.
func (p *Principal) Forward() string { return p.forward }

// String is safe for logs.
func (p *Principal) String() string {
	if p == nil {
		return "<nil>"
	}
	u := "null"
	if p.UserID != nil {
		u = strconv.FormatInt(*p.UserID, 10)
	}
	return fmt.Sprintf("contact=%d user=%s cred=%s flow=%s fp=%s", p.ContactID, u, p.CredType, p.Flow, p.KeyFingerprint)
}

// Fingerprint is the first 8 hex digits of sha256(cred): enough to tell
// keys apart in logs, metrics and rules, useless for recovering a key.
func Fingerprint(cred string) string {
	s := sha256.Sum256([]byte(cred))
	return hex.EncodeToString(s[:4])
}

// APIKeyFingerprint is the Fingerprint of an API key as CiviCRM tells keys
// apart: civicrm_contact.api_key compares under a case-insensitive
// collation, so "AbC1" and "abc1" are one key and have one fingerprint, or
// a `key` deny rule would be dodged by changing the case.
func APIKeyFingerprint(key string) string { return Fingerprint(strings.ToLower(key)) }

// asciiKey: CiviCRM generates ASCII keys; one outside ASCII is refused
// rather than folded as the database collation would fold it.
func asciiKey(key string) bool {
	for i := 0; i < len(key); i++ {
		if key[i] >= 0x80 {
			return false
		}
	}
	return true
}

// Reason is a machine-readable rejection cause, a bounded set for metrics.
type Reason string

const (
	ReasonMissing     Reason = "missing"      // no credential where one is required
	ReasonInvalid     Reason = "invalid"      // unknown key, bad signature, bad format
	ReasonExpired     Reason = "expired"      // JWT past exp
	ReasonSiteKey     Reason = "site_key"     // site key missing or wrong
	ReasonNoUser      Reason = "no_user"      // contact has no CMS user where one is required
	ReasonAmbiguous   Reason = "ambiguous"    // two different credentials in one request
	ReasonRateLimited Reason = "rate_limited" // too many failures
	ReasonPolicy      Reason = "policy"       // authenticated, but a rule refuses the call
	ReasonUnavailable Reason = "unavailable"  // CiviCRM could not be asked
	// ReasonCSRF (api4.go, csrf.go): CiviCRM's CSRF rule, on APIv4 and,
	// for a Basic credential, on civicrm/ajax/rest.
)

// Rejection is why a request is refused, with the messages every endpoint
// form needs. It is the error type returned by this package's verifiers.
type Rejection struct {
	Reason Reason
	// Message is the AuthX (modern) message, e.g. "Invalid credential",
	// rendered as 401 text/plain "HTTP 401 <Message>" or, in the
	// legacyrest flow, as "FATAL: <Message>".
	Message string
	// Legacy is the extern/rest.php message (HTTP 200 APIv3 error), e.g.
	// "Failed to authenticate key". Empty means use Message.
	Legacy string
	// Status is the modern HTTP status: 401, 403, 429 or 503. 0 means 401.
	Status int
	// Scheme is the auth scheme the client used ("Bearer" or "Basic"),
	// for WWW-Authenticate (Basic gets a bare Bearer challenge); empty
	// means Bearer.
	Scheme string
	// BearerError is the RFC 6750 error code: invalid_request,
	// invalid_token or insufficient_scope. Empty: no error attribute (RFC
	// 6750 §3.1: a request without credentials gets a bare challenge).
	BearerError string
	// RetryAfter is set for ReasonRateLimited.
	RetryAfter time.Duration
	// Flow is the flow of the refused credential (FlowLegacyRest means the
	// client expects AuthX's legacyrest shape: 200 text/javascript FATAL).
	Flow string
	// Detail is for logs: never a credential, never sent to the client.
	Detail string
	// Answer, when set, is what CiviCRM itself answers this request: the
	// edge refused something CiviCRM refuses too, and the client gets
	// CiviCRM's own words (Reply returns it as it is).
	Answer *translate.Reply
	// legacyRestConflict: the credentials that differ include the
	// legacyrest flow's api_key, which AuthX refuses as a mismatched
	// session (APIv4 clients get that answer).
	legacyRestConflict bool
}

// Error returns Message alone, so callers (and the CiviCRM simulator) can
// show it verbatim as AuthX would; Detail stays out of it.
func (r *Rejection) Error() string { return r.Message }
