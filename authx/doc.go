// Package authx extracts and verifies CiviCRM AuthX credentials at the edge.
//
// It is pure Go (no Caddy, no cache): the Caddy glue builds a Config once at
// Provision, calls New, and for every APIv3 request calls
//
//	p, rej := auth.Authenticate(ctx, authx.Request{Call: call, Header: r.Header, ClientIP: ip})
//
// Exactly one result is non-nil. A *Principal says who the caller is
// (contact, CMS user when known, credential type, flow, key fingerprint) and
// what to send upstream: the caller drops every client header that
// IsIdentityHeader reports (all spellings, X_Civi_Auth included) and sends
// UpstreamIdentity(p, siteKey) (X-Civi-Auth, or an Afform page token's
// X-Civi-Auth-Afform, and X-Civi-Key). A *Rejection
// carries a bounded Reason for metrics, the AuthX message, the
// extern/rest.php message, the WordPress error, the modern status and
// challenge; Rejection.Reply renders it for the client's endpoint form.
//
// Verification, in AuthX's order of credential sources (X-Civi-Auth,
// Authorization, _authx, then key/api_key): a request carrying two different
// credentials or site keys is refused as ambiguous; the guessing limit is
// checked before anything else; the site key is compared in constant time;
// CiviCRM JWTs are verified locally with CIVICRM_SIGN_KEYS (VerifyCiviJWT);
// other JWTs go to the identity-provider verifier (ExternalJWT) and are
// replaced upstream by a CiviCRM JWT minted for the mapped contact; API keys
// come from the operator's key file or CiviCRM's civicrm/authx/id (Resolver),
// whose verdicts are remembered under an HMAC of the key (VerdictStore);
// then the CMS-user requirement and the Policy rules apply, to every chained
// and batched call too.
//
// Nothing in this package logs, and no error or message contains a
// credential; Principal.String is safe to log.
package authx
