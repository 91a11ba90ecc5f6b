package authx

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// SiteKeyMode says when the site key is required on the modern forms
// (civicrm/ajax/rest). The legacy forms (extern/rest.php, WordPress REST)
// and the legacyrest flow always require it when one is configured, as
// extern/rest.php did.
type SiteKeyMode string

const (
	// SiteKeyRequire: every authenticated call carries the right site key
	// (X-Civi-Key, _authxSiteKey or key). CiviCRM's default guards let a
	// wrong key through for admins (real-civicrm-6.17.md), so we enforce it.
	SiteKeyRequire SiteKeyMode = "require"
	// SiteKeyIfPresent: checked only when the client sends one.
	SiteKeyIfPresent SiteKeyMode = "if_present"
)

// UserMode says when a contact must have a CMS user.
type UserMode string

const (
	// UserLegacy: on the legacy forms and the legacyrest flow, as
	// extern/rest.php ("No CMS user associated with given api-key") and
	// authx_legacyrest_user=require did. Default.
	UserLegacy UserMode = "legacy"
	UserAlways UserMode = "always"
	UserNever  UserMode = "never"
)

// Config configures an Authenticator. Secrets in it are resolved by the
// caller (Caddy placeholders) and never logged by this package.
type Config struct {
	// SignKeys from CIVICRM_SIGN_KEYS (ParseSignKeys): verify CiviCRM JWTs
	// locally and mint forwarded JWTs. Empty: JWTs go to Resolver like keys.
	SignKeys []SignKey
	// SiteKey is CIVICRM_SITE_KEY; empty disables site-key checks.
	SiteKey       string
	SiteKeyModern SiteKeyMode // default SiteKeyRequire
	// SiteKeyExemptJWT: on the modern forms, a request authenticated by a
	// JWT (CiviCRM or external) may omit the site key, as AuthX's guards let
	// JWTs through. A wrong site key is still refused.
	SiteKeyExemptJWT bool
	// Leeway for exp/nbf/iat of CiviCRM JWTs (CiviCRM itself: 0). External
	// JWTs have their own (ExternalJWT.Leeway).
	Leeway time.Duration
	// MintTTL is the lifetime of JWTs Civigate mints for upstream. Default 5m.
	MintTTL time.Duration
	// ForwardJWT: with SignKeys, forward a minted JWT instead of a client's
	// API key or Basic password (CiviCRM's default xheader flow does not
	// accept passwords, so Basic is always minted when keys exist).
	ForwardJWT bool
	// External verifies identity-provider JWTs; nil disables them.
	External *ExternalJWT
	// KeyFile maps hashed client keys to contacts; nil: none.
	KeyFile *KeyFile
	// APIKeys resolves API keys and Basic credentials by asking CiviCRM;
	// nil: only key-file keys and JWTs are accepted.
	APIKeys *APIKeyVerifier
	// RequireUser, default UserLegacy.
	RequireUser UserMode
	// AllowAnonymous lets credential-less calls through on the modern forms
	// (CiviCRM then applies its anonymous permissions). civicrm/ping is
	// always public.
	AllowAnonymous bool
	// Policy: allow/deny rules; nil allows every authenticated call.
	Policy *Policy
	// Failures counts failed attempts; nil disables guessing protection.
	Failures      FailureCounter
	MaxFailures   int           // default 10
	FailureWindow time.Duration // default 5m
	// Secret keys the HMACs used as rate-limit keys. Empty: random per
	// process (set one when Failures is shared through Redis).
	Secret []byte
	// Realm for WWW-Authenticate. Default "CiviCRM".
	Realm string
	// Now is the clock; default time.Now.
	Now func() time.Time
}

// Authenticator turns a request's credentials into a Principal.
type Authenticator struct {
	cfg  Config
	hmac *keyedHash // keys rate-limit counters
}

// New validates cfg, fills defaults and returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.SiteKeyModern == "" {
		cfg.SiteKeyModern = SiteKeyRequire
	}
	if cfg.SiteKeyModern != SiteKeyRequire && cfg.SiteKeyModern != SiteKeyIfPresent {
		return nil, fmt.Errorf("authx: unknown site key mode %q", cfg.SiteKeyModern)
	}
	if cfg.RequireUser == "" {
		cfg.RequireUser = UserLegacy
	}
	switch cfg.RequireUser {
	case UserLegacy, UserAlways, UserNever:
	default:
		return nil, fmt.Errorf("authx: unknown user mode %q", cfg.RequireUser)
	}
	if cfg.SiteKey != "" && len(cfg.SiteKey) < 8 {
		// authenticateKey refuses site keys under 8 characters.
		return nil, errors.New("authx: site key shorter than 8 characters")
	}
	if cfg.MintTTL <= 0 {
		cfg.MintTTL = 5 * time.Minute
	}
	if cfg.MaxFailures <= 0 {
		cfg.MaxFailures = 10
	}
	if cfg.FailureWindow <= 0 {
		cfg.FailureWindow = 5 * time.Minute
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.External != nil {
		if len(cfg.SignKeys) == 0 {
			return nil, errors.New("authx: external JWTs need CIVICRM_SIGN_KEYS to mint upstream tokens")
		}
		if err := cfg.External.Validate(); err != nil {
			return nil, err
		}
	}
	if err := cfg.Policy.Validate(); err != nil {
		return nil, err
	}
	for _, e := range cfg.KeyFile.all() {
		if e.Forward == "jwt" && len(cfg.SignKeys) == 0 {
			return nil, errors.New("authx: key file uses forward=jwt but no sign keys are configured")
		}
	}
	secret := cfg.Secret
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			return nil, err
		}
	}
	return &Authenticator{cfg: cfg, hmac: newKeyedHash(secret)}, nil
}

// Realm is the configured realm, for WWW-Authenticate.
func (a *Authenticator) Realm() string {
	if a.cfg.Realm == "" {
		return "CiviCRM"
	}
	return a.cfg.Realm
}

// Request is what Authenticate looks at.
type Request struct {
	Call *translate.Call
	// Header is the client's request header, used to read identity headers
	// under every spelling (X_Civi_Auth …). nil: Call.Credentials only.
	Header http.Header
	// ClientIP is the client address (Caddy's client_ip, after trusted
	// proxies), for rate limiting and network rules.
	ClientIP netip.Addr
}

// Authenticate checks the site key, verifies the credential, applies the
// user requirement and the policy. Exactly one result is non-nil. It never
// panics on client input and never puts a credential in a Rejection.
func (a *Authenticator) Authenticate(ctx context.Context, req Request) (*Principal, *Rejection) {
	call := req.Call
	if call.Ping {
		// extern/rest.php answered civicrm/ping without any check.
		return &Principal{CredType: CredNone, Flow: FlowNone}, nil
	}
	// The counter keys cost an allocation (the address) and an HMAC (the
	// credential): only worked out when a counter may block them or a
	// failure has to be counted.
	quiet := a.countersQuiet()
	var ipKey, credKey string
	if !quiet {
		ipKey = a.ipKey(req.ClientIP)
	}
	failIP := func() string {
		if ipKey == "" {
			ipKey = a.ipKey(req.ClientIP)
		}
		return ipKey
	}
	c, rej := extract(call, req.Header)
	if rej != nil {
		a.fail(ctx, failIP())
		return nil, rej
	}
	if c.cred != nil && !quiet {
		credKey = a.credLimitKey(c.cred.raw)
	}
	if blocked, wait := a.blocked(ctx, quiet, ipKey, credKey); blocked {
		r := &Rejection{Reason: ReasonRateLimited, Message: MsgRateLimited, Status: 429, RetryAfter: wait}
		if c.cred != nil {
			r.Flow = c.cred.flow
		}
		return nil, r
	}
	legacy := call.Form.Legacy()
	flow := FlowNone
	if c.cred != nil {
		flow = c.cred.flow
	}
	skRej := a.checkSiteKey(c, legacy || flow == FlowLegacyRest)
	// WordPress REST logged the api_key's user in (do_user_login) before it
	// validated the site key, so its credential errors come first there.
	wp := call.Form == translate.FormWPRest
	// A missing site key can wait for the verdict when a JWT may excuse it.
	jwtMayExcuse := !c.siteKeySent && a.cfg.SiteKeyExemptJWT && !legacy && flow != FlowLegacyRest &&
		c.cred != nil && strings.Count(c.cred.raw, ".") == 2
	deferSK := skRej != nil && (wp || jwtMayExcuse)
	if skRej != nil && !deferSK {
		skRej.Flow = flow
		a.fail(ctx, failIP())
		return nil, skRej
	}
	if c.cred == nil {
		if !legacy && a.cfg.AllowAnonymous {
			p := &Principal{CredType: CredNone, Flow: FlowNone}
			if rej := a.cfg.Policy.Check(p, call, req.ClientIP); rej != nil {
				return nil, rej
			}
			return p, nil
		}
		r := &Rejection{Reason: ReasonMissing, Message: MsgMissing}
		if !legacy && c.siteKeyParam {
			// legacyrest with only `key`: AuthX tried "Bearer " and said so.
			r.Message, r.Flow = MsgInvalidCredential, FlowLegacyRest
		}
		return nil, r
	}
	p, rej := a.verify(ctx, c.cred)
	if rej == nil {
		rej = a.checkUser(p, legacy || flow == FlowLegacyRest)
	}
	if rej == nil && deferSK && (wp || (p.CredType != CredJWT && p.CredType != CredExtJWT)) {
		rej = skRej
	}
	if rej != nil {
		rej.Flow = flow
		if rej.Scheme == "" {
			rej.Scheme, _, _ = strings.Cut(c.cred.raw, " ")
		}
		if rej.Reason != ReasonUnavailable {
			if credKey == "" {
				credKey = a.credLimitKey(c.cred.raw)
			}
			a.fail(ctx, failIP(), credKey)
		}
		return nil, rej
	}
	if rej := a.cfg.Policy.Check(p, call, req.ClientIP); rej != nil {
		rej.Flow = flow
		return nil, rej
	}
	return p, nil
}

func (a *Authenticator) checkSiteKey(c creds, required bool) *Rejection {
	if a.cfg.SiteKey == "" {
		return nil
	}
	if !c.siteKeySent {
		if required || a.cfg.SiteKeyModern == SiteKeyRequire {
			return &Rejection{Reason: ReasonSiteKey, Message: MsgGuard, Detail: detailSiteKeyMissing}
		}
		return nil
	}
	// hash_equals, as authenticateKey and the site_key guard do.
	if subtle.ConstantTimeCompare([]byte(c.siteKey), []byte(a.cfg.SiteKey)) != 1 {
		return &Rejection{Reason: ReasonSiteKey, Message: MsgGuard, Detail: detailSiteKeyWrong}
	}
	return nil
}

func (a *Authenticator) checkUser(p *Principal, legacy bool) *Rejection {
	need := a.cfg.RequireUser == UserAlways || (a.cfg.RequireUser == UserLegacy && legacy)
	if !need || p.CredType == CredJWT || p.CredType == CredExtJWT {
		// A JWT says nothing about a CMS user; CiviCRM decides upstream.
		return nil
	}
	if p.userless {
		return noUser("contact has no CMS user")
	}
	return nil
}

// verify checks one credential.
func (a *Authenticator) verify(ctx context.Context, cr *presented) (*Principal, *Rejection) {
	// CheckCredential.php: the format is case-sensitive, exactly Bearer or Basic.
	scheme, value, _ := strings.Cut(cr.raw, " ")
	if value == "" || (scheme != "Bearer" && scheme != "Basic") {
		return nil, invalidCredential("credential format is not 'Bearer …' or 'Basic …'")
	}
	fp := Fingerprint(value)
	if scheme == "Basic" {
		// Fingerprint the user name, not user:password: a short hash of a
		// password in logs would help an offline guesser.
		b, err := base64.StdEncoding.DecodeString(value)
		user, _, ok := strings.Cut(string(b), ":")
		if err != nil || !ok {
			return nil, invalidCredential("Basic value is not base64(user:password)")
		}
		return a.verifyRemote(ctx, scheme, value, cr.flow, Fingerprint("user:"+user))
	}
	if strings.Count(value, ".") == 2 {
		if p, rej, handled := a.verifyJWT(ctx, value, cr.flow, fp); handled {
			return p, rej
		}
	}
	if e, ok := a.cfg.KeyFile.Lookup(value); ok {
		p := &Principal{ContactID: e.ContactID, UserID: e.UserID, CredType: CredAPIKey, Flow: cr.flow, KeyFingerprint: fp}
		// The operator vouches for a user without naming one; only
		// "nouser" marks a contact the legacy forms refuse.
		p.userless = e.NoUser
		switch e.Forward {
		case "":
			p.forward = "Bearer " + value
		case "jwt":
			if err := a.mint(p); err != nil {
				return nil, unavailable(err.Error())
			}
		default:
			p.forward = "Bearer " + e.Forward
		}
		return p, nil
	}
	if a.cfg.KeyFile != nil && a.cfg.KeyFile.Exclusive {
		return nil, invalidCredential("key not in key file")
	}
	return a.verifyRemote(ctx, scheme, value, cr.flow, fp)
}

// verifyJWT handles JWT-shaped Bearer values. handled is false when the
// token is for neither local verifier and should be asked of CiviCRM (no
// sign keys configured) or treated as an API key.
func (a *Authenticator) verifyJWT(ctx context.Context, tok, flow, fp string) (*Principal, *Rejection, bool) {
	kid := peekJWTKid(tok)
	civi := false
	for _, k := range a.cfg.SignKeys {
		if k.KID == kid {
			civi = true
		}
	}
	switch {
	case civi || (a.cfg.External == nil && len(a.cfg.SignKeys) > 0):
		// Our kid, or no other verifier: VerifyCiviJWT refuses unknown kids
		// the way firebase/php-jwt does.
		cid, err := VerifyCiviJWT(tok, a.cfg.SignKeys, a.cfg.Now(), a.cfg.Leeway)
		if err != nil {
			return nil, asRejection(err), true
		}
		return &Principal{ContactID: cid, CredType: CredJWT, Flow: flow, KeyFingerprint: fp, forward: "Bearer " + tok}, nil, true
	case a.cfg.External != nil:
		// Everything else JWT-shaped is the IdP's to judge; its algorithm
		// list excludes HMAC, so a forged HS token with a foreign kid fails.
		cid, err := a.cfg.External.Verify(ctx, tok, a.cfg.Now())
		if err != nil {
			return nil, asRejection(err), true
		}
		p := &Principal{ContactID: cid, CredType: CredExtJWT, Flow: flow, KeyFingerprint: fp}
		if err := a.mint(p); err != nil {
			return nil, unavailable(err.Error()), true
		}
		return p, nil, true
	}
	// No local JWT verifier: CiviCRM's authx/id judges it like an API key.
	return nil, nil, false
}

func (a *Authenticator) verifyRemote(ctx context.Context, scheme, value, flow, fp string) (*Principal, *Rejection) {
	if a.cfg.APIKeys == nil {
		return nil, invalidCredential("no resolver configured for API keys/passwords")
	}
	v, err := a.cfg.APIKeys.Verify(ctx, scheme, value)
	if err != nil {
		return nil, unavailable("resolver: " + err.Error())
	}
	if !v.OK {
		r := &Rejection{Reason: v.Reason, Message: v.Message, Detail: "remembered or fresh CiviCRM verdict"}
		if r.Reason == ReasonInvalid || r.Reason == ReasonExpired {
			r.BearerError = "invalid_token"
		}
		return nil, r
	}
	cred := v.Cred
	if cred == "" {
		cred = CredAPIKey
		if scheme == "Basic" {
			cred = CredPass
		}
	}
	p := &Principal{ContactID: v.ContactID, UserID: v.UserID, CredType: cred, Flow: flow, KeyFingerprint: fp, forward: scheme + " " + value}
	// authx/id reports user_id null for a contact without a CMS user.
	p.userless = v.UserID == nil
	if len(a.cfg.SignKeys) > 0 && (a.cfg.ForwardJWT || scheme == "Basic") {
		if err := a.mint(p); err != nil {
			return nil, unavailable(err.Error())
		}
	}
	return p, nil
}

func (a *Authenticator) mint(p *Principal) error {
	tok, err := MintCiviJWT(a.cfg.SignKeys, p.ContactID, a.cfg.Now(), a.cfg.MintTTL)
	if err != nil {
		return err
	}
	p.forward = "Bearer " + tok
	return nil
}

func unavailable(detail string) *Rejection {
	return &Rejection{Reason: ReasonUnavailable, Message: MsgUnavailable, Status: 503, Detail: detail}
}

func asRejection(err error) *Rejection {
	var r *Rejection
	if errors.As(err, &r) {
		c := *r
		return &c
	}
	return invalidCredential(err.Error())
}

// peekJWTKid reads the kid without trusting it: it only picks the
// verifier; each verifier pins its own keys and algorithms.
func peekJWTKid(tok string) string {
	h, _, _ := strings.Cut(tok, ".")
	if len(h) > 1024 {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(h)
	if err != nil {
		return ""
	}
	var hdr jwtHeader
	if json.Unmarshal(b, &hdr) != nil {
		return ""
	}
	return hdr.KID
}

func (a *Authenticator) mac(parts ...string) string {
	n := 0
	for _, p := range parts {
		n += len(p) + 1
	}
	msg := make([]byte, 0, n)
	for _, p := range parts {
		msg = append(append(msg, p...), 0)
	}
	return a.hmac.hexMAC(16, msg)
}

// ipKey groups IPv6 clients by /64: one host usually owns a whole /64.
func (a *Authenticator) ipKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return ""
	}
	ip = ip.Unmap()
	if ip.Is6() {
		pfx, _ := ip.Prefix(64)
		return "ip:" + pfx.String()
	}
	return "ip:" + ip.String()
}

// credLimitKey is the per-credential counter key. For Basic it is the user
// name, so a password guesser cannot dodge the limit by varying passwords.
func (a *Authenticator) credLimitKey(raw string) string {
	if v, ok := strings.CutPrefix(raw, "Basic "); ok {
		if b, err := base64.StdEncoding.DecodeString(strings.TrimSpace(v)); err == nil {
			user, _, _ := strings.Cut(string(b), ":")
			return "user:" + a.mac("user", user)
		}
	}
	return "cred:" + a.mac("cred", raw)
}

// countersQuiet reports that the failure counter would block nobody.
func (a *Authenticator) countersQuiet() bool {
	q, ok := a.cfg.Failures.(quietCounter)
	return a.cfg.Failures == nil || (ok && q.Quiet())
}

// blocked asks the failure counter about keys, unless it is quiet
// (countersQuiet, which also covers having no counter).
func (a *Authenticator) blocked(ctx context.Context, quiet bool, keys ...string) (bool, time.Duration) {
	if quiet {
		return false, 0
	}
	return a.cfg.Failures.Blocked(ctx, a.cfg.MaxFailures, nonEmpty(keys)...)
}

func (a *Authenticator) fail(ctx context.Context, keys ...string) {
	if a.cfg.Failures == nil {
		return
	}
	a.cfg.Failures.Fail(ctx, a.cfg.FailureWindow, nonEmpty(keys)...)
}

func nonEmpty(keys []string) []string {
	out := keys[:0:0]
	for _, k := range keys {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}
