package authx

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/civigate/civigate/internal/flight"
	"github.com/civigate/civigate/translate"
)

// SiteKeyMode says when the site key is required on the modern forms:
// every form that is not Legacy() (civicrm/ajax/rest, its CMS URLs, APIv4),
// whatever the AuthX flow, legacyrest included. The legacy forms
// (extern/rest.php, WordPress REST) always require it when one is
// configured, as extern/rest.php did. In both modes a site key the client
// sends must be the right one.
type SiteKeyMode string

const (
	// SiteKeyIfPresent (the default): a request without the site key is
	// judged as CiviCRM's AuthX guards would judge it (site_key OR perm):
	// accepted for a JWT or a key whose contact holds "authenticate with
	// api key", refused for the others. CiviCRM's civicrm/authx/id, asked
	// without the site key, applies the same guards and tells which.
	SiteKeyIfPresent SiteKeyMode = "if_present"
	// SiteKeyRequire: every authenticated call carries the right site key
	// (X-Civi-Key, _authxSiteKey or key), a hardening beyond CiviCRM.
	SiteKeyRequire SiteKeyMode = "require"
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
	SiteKeyModern SiteKeyMode // default SiteKeyIfPresent
	// SiteKeyExemptJWT: with SiteKeyRequire, a request on the modern forms
	// authenticated by a JWT (CiviCRM or external) may omit the site key,
	// as AuthX's guards let JWTs through. A wrong site key is still refused.
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
	// IPv6Prefix is the prefix length (32 to 128) an IPv6 client address
	// is counted by: every address in one prefix shares a counter, since
	// one home or server owns a whole /64 (or /56, /48) and could
	// otherwise guess from 2^64 fresh addresses. Default 64. IPv4 and
	// IPv4-mapped IPv6 addresses count one by one.
	IPv6Prefix int
	// Proofs remembers credentials that authenticated in full, so that an
	// address blocked for guessing still serves them (see throttled).
	// Default with Failures: in process memory.
	Proofs VerdictStore
	// Guessing, when set, hears what guessing protection did (metrics).
	Guessing func(GuessingEvent)
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
	// firsts: credentials' first uses in flight (firstUse), by proof key.
	firsts flight.Group[firstOutcome]
}

// New validates cfg, fills defaults and returns an Authenticator.
func New(cfg Config) (*Authenticator, error) {
	if cfg.SiteKeyModern == "" {
		cfg.SiteKeyModern = SiteKeyIfPresent
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
	if cfg.IPv6Prefix == 0 {
		cfg.IPv6Prefix = DefaultIPv6Prefix
	}
	if cfg.IPv6Prefix < MinIPv6Prefix || cfg.IPv6Prefix > 128 {
		return nil, fmt.Errorf("authx: IPv6 prefix length %d is not from %d to 128", cfg.IPv6Prefix, MinIPv6Prefix)
	}
	if cfg.Failures != nil && cfg.Proofs == nil {
		cfg.Proofs = NewMemoryVerdicts()
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
	// proxies), for rate limiting and network rules. The zero Addr is an
	// unknown address: guessing protection counts all of those under one
	// key (ipKey).
	ClientIP netip.Addr
	// Site is where upstream the call runs, in one opaque string (the
	// Caddy module's: the Host CiviCRM gets, the scheme, a trusted
	// proxy's forwarded host headers, as the response cache binds its
	// entries, and the civicrm/authx/id URL under the call's path base
	// the question goes to). One Civigate site can front several CiviCRM domains or
	// CMS sites, each with its own credentials: CiviCRM's verdicts and
	// the proofs of credentials are remembered per site, so one site's
	// never vouches for a call on another. The failure counters are not:
	// failures count per address and per credential whatever the site.
	Site string
}

// Authenticate checks the site key, verifies the credential, applies the
// user requirement and the policy. Exactly one result is non-nil. It never
// panics on client input and never puts a credential in a Rejection.
func (a *Authenticator) Authenticate(ctx context.Context, req Request) (*Principal, *Rejection) {
	call := req.Call
	if call.Ping && call.AuthFree {
		// extern/rest.php answered civicrm/ping without any check.
		return &Principal{CredType: CredNone, Flow: FlowNone}, nil
	}
	p, flow, rej := a.identify(ctx, req)
	switch {
	case rej != nil:
		return nil, rej
	case p == nil:
		if !call.Form.KeyAlways() && a.cfg.AllowAnonymous {
			p := &Principal{CredType: CredNone, Flow: FlowNone}
			if rej := api4Gate(call, req.Header, FlowNone, nil); rej != nil {
				return nil, rej
			}
			if rej := a.police(ctx, p, call, req.ClientIP); rej != nil {
				return nil, rej
			}
			return p, nil
		}
		return nil, &Rejection{Reason: ReasonMissing, Message: MsgMissing}
	}
	if flow == FlowAfformPage {
		// PageTokenCredential::afformPageToken accepts the token for the
		// calls of its form only (checkAllowedRoute); the rest of the
		// checks are every caller's.
		call.DecodeParams(ctx)
		if rej := pageTokenReach(call, p.pageForm); rej != nil {
			return nil, rej
		}
	}
	if rej := api4Gate(call, req.Header, flow, p); rej != nil {
		return nil, rej
	}
	if rej := ajaxGate(call, req.Header, flow, p); rej != nil {
		return nil, rej
	}
	if rej := a.police(ctx, p, call, req.ClientIP); rej != nil {
		rej.Flow = flow
		return nil, rej
	}
	return p, nil
}

// AuthenticateRoute authenticates the credential of a request to one of
// AuthX's own routes (translate.FormAuthx: civicrm/authx/id, login,
// logout), each of which answers a valid credential differently from an
// invalid one, or to another CiviCRM page that takes it: the same checks
// as Authenticate's (guessing protection, the site key, verification, the
// user requirement), then the policy's rules on the principal alone
// (Policy.AdmitsPrincipal): no API call is run for the rules to judge, but
// a principal the policy allows no call gets no CiviCRM session and runs
// no page either. A request without a credential has nothing to guess and
// gets a nil Principal and no Rejection: AuthX's routes are public.
//
// With anonymous, a request that may create a CiviCRM session
// (mayCreateSession) is refused too to a principal the policy holds to
// stricter rules than anonymous callers (Policy.SessionKeepsRules): the
// session's API calls carry no credential, the edge judges them as
// anonymous's, and CiviCRM runs them as the principal.
func (a *Authenticator) AuthenticateRoute(ctx context.Context, req Request) (*Principal, *Rejection) {
	p, flow, rej := a.identify(ctx, req)
	if p != nil {
		if rej := a.refusePrincipal(p, req.ClientIP, flow, mayCreateSession(req.Call)); rej != nil {
			return nil, rej
		}
	}
	return p, rej
}

// refusePrincipal is AuthenticateRoute's word on a principal that runs no
// API call the rules could judge (an AuthX route, a page, a session
// logged in by Standalone's User.login: EndUserLogin): refused when the
// policy allows it no call, or, with anonymous, when it gets a CiviCRM
// session (session) and the policy holds it to stricter rules than
// anonymous callers.
func (a *Authenticator) refusePrincipal(p *Principal, ip netip.Addr, flow string, session bool) *Rejection {
	switch {
	case !a.cfg.Policy.AdmitsPrincipal(p, ip):
		return &Rejection{Reason: ReasonPolicy, Message: MsgPolicy, Status: 403, Flow: flow,
			Detail: "the policy allows this principal no call"}
	case a.cfg.AllowAnonymous && session && !a.cfg.Policy.SessionKeepsRules(p, anonymousPrincipal):
		return &Rejection{Reason: ReasonPolicy, Message: MsgSessionPolicy, Status: 403, Flow: flow,
			Detail: "a session would escape this principal's rules"}
	}
	return nil
}

// anonymousPrincipal is whom the edge judges a call without a credential
// as (auth anonymous), a CiviCRM session's included.
var anonymousPrincipal = &Principal{CredType: CredNone, Flow: FlowNone}

// mayCreateSession reports whether CiviCRM may log the request's user in
// for good: AuthX's listener (Authenticator::on_civi_invoke_auth) takes a
// non-empty X-Civi-Auth first, statelessly; otherwise a non-empty _authx
// logs in with a session on civicrm/authx/login (the login flow) and, with
// a non-empty _authxSes, on any page (the auto flow). Where the edge
// cannot tell, it may: an Authorization header, which AuthX takes first
// only when authx_header_cred is set, is left out; the login route counts
// whatever the credential, and so does any page with _authx, whose URL
// may be an alias of civicrm/authx/login.
func mayCreateSession(call *translate.Call) bool {
	c := &call.Credentials
	switch {
	case call.Form == translate.FormAuthx && call.Action == "login":
		return true
	case !translate.PHPEmpty(c.XCiviAuth) || translate.PHPEmpty(c.Authx):
		return false
	}
	return c.AuthxSession || call.Form == translate.FormPage
}

// identify is the credential half of authentication: guessing protection,
// the site key, verification, the user requirement, the failure counts
// and the proof. No credential (after the site key check) is a nil
// Principal without a Rejection.
func (a *Authenticator) identify(ctx context.Context, req Request) (*Principal, string, *Rejection) {
	call := req.Call
	// The request's context ends when its client goes away; the judgement
	// of its credential does not (judgeContext): the lookups, counts and
	// proofs below run in jctx, without that cancellation (each store
	// bounds its own operations), and only a follower's wait for a first
	// use (admit) ends with the request.
	jctx := context.WithoutCancel(ctx)
	// The counter keys cost an allocation (the address) and an HMAC (the
	// credential): only worked out when a counter may block them, an
	// attempt is reserved or a failure has to be counted.
	quiet := a.countersQuiet()
	var ipKey, credKey string
	failIP := func() string {
		if ipKey == "" {
			ipKey = a.ipKey(req.ClientIP)
		}
		return ipKey
	}
	c, rej := extract(call, req.Header)
	if rej != nil {
		a.fail(jctx, failIP())
		return nil, FlowNone, rej
	}
	if c.cred == nil && call.Form.AuthxOnly() {
		// Nothing to guess: AuthX ignores a site key without a credential.
		return nil, FlowNone, nil
	}
	// A proof holds for the site key it was made with (admit); with
	// none configured, what a client sends as one means nothing.
	proofSiteKey := ""
	if a.cfg.SiteKey != "" {
		proofSiteKey = c.siteKey
	}
	release, land, admitRej := a.admit(ctx, jctx, quiet, failIP, &credKey, c.cred, proofSiteKey, req.Site)
	// Leading a first use (firstUse), tell the requests waiting on it how
	// it ended, on every path out: unjudged unless judged (a panic too).
	first := firstUnjudged
	if land != nil {
		defer func() { land(first) }()
	}
	if admitRej != nil {
		if admitRej.Reason != ReasonUnavailable {
			first = firstJudged
		}
		if c.cred != nil {
			admitRej.Flow = c.cred.flow
			if admitRej.Reason == ReasonUnavailable {
				admitRej.Scheme, _, _ = strings.Cut(c.cred.raw, " ")
			}
		}
		return nil, FlowNone, admitRej
	}
	legacy := call.Form.KeyAlways()
	flow := FlowNone
	if c.cred != nil {
		flow = c.cred.flow
	}
	skRej, later, gapFlow := a.checkSiteKey(c, legacy)
	// WordPress REST logged the api_key's user in (do_user_login) before it
	// validated the site key, so its credential errors come first there.
	deferSK := skRej != nil && call.Form == translate.FormWPRest
	if skRej != nil && !deferSK {
		skRej.Flow = flow
		// A wrong site key beside a credential counts against the
		// credential too: whoever holds a credential must not guess the
		// site key with it without limit, from any address.
		a.failed(jctx, release, failIP(), a.failCredKey(c.cred, &credKey))
		first = firstJudged
		return nil, flow, skRej
	}
	if c.cred == nil {
		return nil, FlowNone, nil
	}
	vctx, cancel := judgeContext(jctx)
	defer cancel()
	p, rej := a.verify(vctx, c.cred, req.Site)
	if rej == nil {
		// The legacyrest listener requires a CMS user (authx_legacyrest_user)
		// whenever it runs, beside another flow too, and refuses in its
		// own shape.
		if rej = a.checkUser(p, legacy || c.legacyRest); rej != nil && c.legacyRest {
			flow = FlowLegacyRest
		}
	}
	if rej == nil && !later.passes(p) {
		// AuthX checks the user before its guards, so does Civigate; the
		// flow whose site key is missing refuses.
		rej, flow = &Rejection{Reason: ReasonSiteKey, Message: MsgGuard, Detail: detailSiteKeyMissing}, gapFlow
	}
	if rej == nil && deferSK {
		rej = skRej
	}
	if rej != nil {
		rej.Flow = flow
		if rej.Scheme == "" {
			rej.Scheme, _, _ = strings.Cut(c.cred.raw, " ")
		}
		if rej.Reason != ReasonUnavailable {
			a.failed(jctx, release, failIP(), a.failCredKey(c.cred, &credKey))
			first = firstJudged
		} else if release != nil {
			// Nothing was judged: not a failure.
			release(jctx)
		}
		return nil, flow, rej
	}
	if release != nil {
		release(jctx)
	}
	a.prove(jctx, c.cred, proofSiteKey, req.Site, p)
	first = firstProved
	p.raw = c.cred.raw
	return p, flow, nil
}

// judgeTimeout bounds the judgement of one credential (verify: the
// question to civicrm/authx/id, a JWKS fetch), which runs in a context
// detached from the request's cancellation (judgeContext). It is the
// timeout of the client that asks a resolve_url (caddymodule): by default
// the question goes through the rest of the Caddy route, which has no
// timeout of its own, and the client that would have bounded it before
// no longer does.
const judgeTimeout = 10 * time.Second

// judgeContext is the context a credential is judged in: jctx (without
// the request's cancellation) with judgeTimeout. A client that goes away
// while its credential is being judged does not get its attempt back (its
// reservation stays a failure unless the credential succeeds: the client
// could otherwise have CiviCRM judge guesses without limit, leaving before
// each answer), nor cuts short the one question the requests sharing it
// wait for (firstUse, APIKeyVerifier). What it costs is bounded: no
// goroutine is started (the request's own handler waits for the verdict,
// no longer than judgeTimeout), an unproven credential is judged once per
// reservation, at most MaxFailures per address and window, and a proven
// one's verdict is remembered and its question shared (APIKeyVerifier).
func judgeContext(jctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(jctx, judgeTimeout)
}

// police decodes the call's parameters, now that its caller may make it
// (nothing costly is spent on a caller before that), and applies the
// policy to what it would run. A ping runs nothing.
func (a *Authenticator) police(ctx context.Context, p *Principal, call *translate.Call, ip netip.Addr) *Rejection {
	call.DecodeParams(ctx)
	if call.Ping {
		return nil
	}
	return a.cfg.Policy.Check(p, call, ip)
}

// guardNeed is what a verified principal must show when the site key did
// not settle the request before verification.
type guardNeed int

const (
	guardNone guardNeed = iota
	// guardAuthX: pass AuthX's guards without the site key, as CiviCRM
	// would judge the request (site_key_modern if_present).
	guardAuthX
	// guardJWT: be a JWT (site_key_modern require with
	// jwt_without_site_key).
	guardJWT
)

func (g guardNeed) passes(p *Principal) bool {
	switch g {
	case guardAuthX:
		return p.guard
	case guardJWT:
		return p.CredType == CredJWT || p.CredType == CredExtJWT
	}
	return true
}

// checkSiteKey refuses a request whose site key settles it before any
// credential is verified, or says what the principal must show instead.
// A site key the client sends is always checked, in constant time
// (hash_equals, as authenticateKey and AuthX's site_key guard do), and a
// wrong one refused, wherever it was sent: even where CiviCRM would let a
// wrong key through its perm guard (real-civicrm-6.17.md). A missing one:
//   - legacy forms: refused, as extern/rest.php did;
//   - SiteKeyRequire: refused, unless a JWT may excuse it
//     (SiteKeyExemptJWT);
//   - SiteKeyIfPresent: every flow CiviCRM runs compares its own site key
//     input; where one lacks it (siteKeyGap, the flow returned), the
//     principal must pass AuthX's other guards, as CiviCRM would require.
func (a *Authenticator) checkSiteKey(c creds, legacy bool) (*Rejection, guardNeed, string) {
	if a.cfg.SiteKey == "" {
		return nil, guardNone, ""
	}
	if c.siteKeySent && subtle.ConstantTimeCompare([]byte(c.siteKey), []byte(a.cfg.SiteKey)) != 1 {
		return &Rejection{Reason: ReasonSiteKey, Message: MsgGuard, Detail: detailSiteKeyWrong}, guardNone, ""
	}
	// What was sent is right: a flow is covered when its input was sent.
	gap := c.siteKeyGap(legacy, func(k siteKeyInput) bool { return k.sent })
	missing := &Rejection{Reason: ReasonSiteKey, Message: MsgGuard, Detail: detailSiteKeyMissing}
	switch {
	case gap == "":
		return nil, guardNone, ""
	case legacy:
		return missing, guardNone, ""
	case a.cfg.SiteKeyModern == SiteKeyIfPresent:
		return nil, guardAuthX, gap
	case c.siteKeySent:
		// require: the right site key, in any of its places.
		return nil, guardNone, ""
	case a.cfg.SiteKeyExemptJWT && c.cred != nil && strings.Count(c.cred.raw, ".") == 2:
		return nil, guardJWT, gap
	}
	return missing, guardNone, ""
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

// verify checks one credential for a call that runs on site
// (Request.Site).
func (a *Authenticator) verify(ctx context.Context, cr *presented, site string) (*Principal, *Rejection) {
	if cr.flow == FlowAfformPage {
		return a.verifyAfformPage(cr.raw)
	}
	// CheckCredential.php: the format is case-sensitive, exactly Bearer or Basic.
	scheme, value, _ := strings.Cut(cr.raw, " ")
	if value == "" || (scheme != "Bearer" && scheme != "Basic") {
		return nil, invalidCredential("credential format is not 'Bearer …' or 'Basic …'")
	}
	if scheme == "Basic" {
		// CheckCredential::basicUser: base64_decode (not strict), then
		// user:password. What it decodes is what is asked and forwarded,
		// re-encoded, so stray bytes CiviCRM skips never break a header.
		b := phpBase64Decode(value)
		user, _, ok := strings.Cut(string(b), ":")
		if !ok {
			return nil, invalidCredential("Basic value is not base64(user:password)")
		}
		// Fingerprint the user name, not user:password: a short hash of a
		// password in logs would help an offline guesser.
		return a.verifyRemote(ctx, site, scheme, base64.StdEncoding.EncodeToString(b), cr.flow, Fingerprint("user:"+user))
	}
	if strings.Count(value, ".") == 2 {
		if cr.flow == FlowLegacy {
			// extern/rest.php looks api_key up in civicrm_contact.api_key
			// (varchar 32) and nothing else: a JWT there names no user, as
			// it would have told the client. The edge accepts no credential
			// CiviCRM refuses.
			return nil, invalidCredential("a JWT is not an api_key on the legacy forms")
		}
		if p, rej, handled := a.verifyJWT(ctx, value, cr.flow); handled {
			return p, rej
		}
	}
	// An API key: CiviCRM looks it up as sent (SQL equality). No stored key
	// holds a control character or ends in a tab, and a header could not
	// carry one unchanged, so such a value is refused here, not asked about.
	// Trailing spaces are alike to MySQL's collations and are stripped by
	// any header: the key is the one without them, for every purpose.
	if !headerSafe(value) {
		return nil, invalidCredential("API key with a control character or a trailing tab")
	}
	value = strings.TrimRight(value, " ")
	if !asciiKey(value) {
		return nil, invalidCredential("API key with a byte outside ASCII")
	}
	fp := APIKeyFingerprint(value)
	if e, ok := a.cfg.KeyFile.Lookup(value); ok {
		p := &Principal{ContactID: e.ContactID, UserID: e.UserID, CredType: CredAPIKey, Flow: cr.flow, KeyFingerprint: fp}
		// The operator vouches for a user without naming one; only
		// "nouser" marks a contact the legacy forms refuse. A key-file key
		// is no CiviCRM credential: its callers need the site key.
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
	return a.verifyRemote(ctx, site, scheme, value, cr.flow, fp)
}

// verifyJWT handles JWT-shaped Bearer values. handled is false when the
// token is for neither local verifier and should be asked of CiviCRM (no
// sign keys configured) or treated as an API key.
func (a *Authenticator) verifyJWT(ctx context.Context, tok, flow string) (*Principal, *Rejection, bool) {
	kid := jwtKID(tok)
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
		// The token as CiviCRM reads it names it in logs and rules and goes
		// upstream, so stray bytes in its signature (a trailing CRLF, which
		// CiviCRM skips) neither change its fingerprint nor break the
		// header. Stray bytes in the signed segments can only come from the
		// key holder; then a minted token goes instead.
		canon, _ := canonicalCiviJWT(tok)
		p := &Principal{ContactID: cid, CredType: CredJWT, Flow: flow, KeyFingerprint: Fingerprint(canon), forward: "Bearer " + canon, guard: true}
		if !headerSafe(canon) {
			if err := a.mint(p); err != nil {
				return nil, unavailable(err.Error()), true
			}
		}
		return p, nil, true
	case a.cfg.External != nil:
		// Everything else JWT-shaped is the IdP's to judge; its algorithm
		// list excludes HMAC, so a forged HS token with a foreign kid fails.
		cid, err := a.cfg.External.Verify(ctx, tok, a.cfg.Now())
		if err != nil {
			return nil, asRejection(err), true
		}
		// Go's base64 skips CR and LF: the token without them is the one
		// that verified.
		fp := Fingerprint(strings.NewReplacer("\r", "", "\n", "").Replace(tok))
		p := &Principal{ContactID: cid, CredType: CredExtJWT, Flow: flow, KeyFingerprint: fp, guard: true}
		if err := a.mint(p); err != nil {
			return nil, unavailable(err.Error()), true
		}
		return p, nil, true
	}
	// No local JWT verifier: CiviCRM's authx/id judges it like an API key.
	return nil, nil, false
}

func (a *Authenticator) verifyRemote(ctx context.Context, site, scheme, value, flow, fp string) (*Principal, *Rejection) {
	if a.cfg.APIKeys == nil {
		return nil, invalidCredential("no resolver configured for API keys/passwords")
	}
	// Asked in the client's own flow (AskFlow), so CiviCRM applies that
	// flow's policy; the verdict is that flow's only.
	v, gen, err := a.cfg.APIKeys.verify(ctx, flow, site, scheme, value)
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
	p.guard = v.Guard
	p.password = scheme == "Basic"
	p.verdictGen, p.genBound = gen, a.cfg.APIKeys.genBound(p.password)
	if len(a.cfg.SignKeys) > 0 && (a.cfg.ForwardJWT || scheme == "Basic") {
		if err := a.mint(p); err != nil {
			return nil, unavailable(err.Error())
		}
	}
	return p, nil
}

// verifyAfformPage checks an Afform page token (FlowAfformPage) as
// PageTokenCredential::onInvoke and afformPageToken do: only the bytes
// its pattern allows (CiviCRM throws "Malformed page token" otherwise),
// "Bearer " and a CiviCRM JWT of scope afform (VerifyAfformPageToken),
// checked locally with sign_keys: CiviCRM's civicrm/authx/id cannot be
// asked (the token is valid only for its form's route), so without
// sign_keys it cannot be checked at all and is not let through.
func (a *Authenticator) verifyAfformPage(raw string) (*Principal, *Rejection) {
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '-' || c == '_' || c == ' ') {
			return nil, invalidCredential("malformed Afform page token")
		}
	}
	scheme, value, _ := strings.Cut(raw, " ")
	if scheme != "Bearer" || strings.Count(value, ".") != 2 {
		return nil, invalidCredential("Afform page token is not 'Bearer <JWT>'")
	}
	if len(a.cfg.SignKeys) == 0 {
		return nil, unavailable("an Afform page token is checked with sign_keys, and none are configured")
	}
	cid, form, err := VerifyAfformPageToken(value, a.cfg.SignKeys, a.cfg.Now(), a.cfg.Leeway)
	if err != nil {
		return nil, asRejection(err)
	}
	// On an APIv4 call the token itself goes upstream (UpstreamIdentity):
	// raw holds only the bytes its pattern allows.
	return &Principal{ContactID: cid, CredType: CredJWT, Flow: FlowAfformPage, KeyFingerprint: Fingerprint(value),
		forward: raw, guard: true, pageForm: form}, nil
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

// jwtKID reads the kid without trusting it, as firebase/php-jwt reads it
// (exact key, last one wins): it only picks the verifier; each verifier pins
// its own keys and algorithms.
func jwtKID(tok string) string {
	h64, _, _ := strings.Cut(tok, ".")
	if len(h64) > 1024 {
		return ""
	}
	kid, _ := claimValue(jwtHeaderOf(h64), "kid").(string)
	return kid
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

// Bounds of Config.IPv6Prefix: a /64 is what one home connection gets; a
// prefix shorter than /32 (a whole provider's) would let one client block
// a city.
const (
	DefaultIPv6Prefix = 64
	MinIPv6Prefix     = 32
)

// unknownAddrKey is the one counter key of every request whose client
// address is unknown (Caddy bound to a unix socket, behind a front proxy
// whose client address headers it is not told to trust): they share one
// guessing budget, or a guesser with a fresh credential each time would
// meet no address limit at all. No address's key is spelt so (an
// address's text has no letter beyond a-f).
const unknownAddrKey = "ip:unknown"

// ipKey is the counter key of a client address: an IPv6 address counts by
// its Config.IPv6Prefix (Prefix drops a zone), an IPv4 address, mapped or
// not, by itself, no address (the zero netip.Addr) by unknownAddrKey. It
// is the only rule for the address's key: never "", so the address is
// always counted.
func (a *Authenticator) ipKey(ip netip.Addr) string {
	if !ip.IsValid() {
		return unknownAddrKey
	}
	ip = ip.Unmap()
	if ip.Is6() {
		pfx, _ := ip.Prefix(a.cfg.IPv6Prefix)
		return "ip:" + pfx.String()
	}
	return "ip:" + ip.String()
}

// credLimitKey is the per-credential counter key, of the credential as
// CiviCRM reads it, so stray bytes it skips do not make a fresh counter.
// For Basic it is the user name as the CMS tells names apart
// (userNameKey), so a password guesser cannot dodge the limit by varying
// passwords, nor the name's case or spaces.
func (a *Authenticator) credLimitKey(raw string) string {
	scheme, v, _ := strings.Cut(raw, " ")
	if scheme == "Basic" {
		user, _, _ := strings.Cut(string(phpBase64Decode(v)), ":")
		return a.userLimitKey(user)
	}
	if canon, ok := canonicalCiviJWT(v); ok {
		v = canon
	}
	return "cred:" + a.mac("cred", scheme, strings.TrimRight(v, " "))
}

// userLimitKey is the per-user counter key of a user name (credLimitKey),
// Basic's and Standalone's User.login identifier's alike (BeginUserLogin).
func (a *Authenticator) userLimitKey(user string) string {
	return "user:" + a.mac("user", string(userNameKey(user)))
}

// failCredKey is the counter key of cred (none: ""), worked out into
// *key when the counters were quiet.
func (a *Authenticator) failCredKey(cred *presented, key *string) string {
	if cred != nil && *key == "" {
		*key = a.credLimitKey(cred.raw)
	}
	return *key
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

// failed counts a failed attempt, unless admit reserved it (release not
// nil): a reservation is counted already and stays so.
func (a *Authenticator) failed(ctx context.Context, release func(context.Context), keys ...string) {
	if release == nil {
		a.fail(ctx, keys...)
	}
}

func (a *Authenticator) fail(ctx context.Context, keys ...string) {
	if a.cfg.Failures == nil {
		return
	}
	a.cfg.Failures.Fail(ctx, a.cfg.FailureWindow, nonEmpty(keys)...)
}

// nonEmpty drops the credential key of a request without a credential
// (""); an address's key is never empty (ipKey).
func nonEmpty(keys []string) []string {
	out := keys[:0:0]
	for _, k := range keys {
		if k != "" {
			out = append(out, k)
		}
	}
	return out
}
