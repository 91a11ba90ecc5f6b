package caddymodule

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// AuthConfig is edge authentication and policy. The zero value is the safe
// default: credentials required on every form, the site key enforced when
// configured, API keys resolved by asking CiviCRM, guessing protection on.
type AuthConfig struct {
	// Anonymous lets credential-less calls through on the modern forms
	// (CiviCRM then applies its anonymous permissions). Legacy forms always
	// required credentials. civicrm/ping is always public.
	Anonymous bool `json:"anonymous,omitempty"`
	// SiteKeyModern is "if_present" (default) or "require": whether the
	// modern forms (civicrm/ajax/rest, APIv4) must carry the site key too.
	// if_present judges a caller without it as CiviCRM's AuthX guards
	// would (site_key OR perm: a JWT, or a key whose contact may
	// "authenticate with api key", passes); require is the hardening. A
	// wrong site key is refused in both.
	SiteKeyModern string `json:"site_key_modern,omitempty"`
	// RequireUser is "legacy" (default: a CMS user is required where
	// extern/rest.php and AuthX's legacyrest flow required one), "always" or
	// "never".
	RequireUser string `json:"require_user,omitempty"`
	// KeyFile maps hashed API keys to contacts (see `civigate
	// civicrm-hash-key`); keys in it are accepted without asking CiviCRM.
	KeyFile string `json:"key_file,omitempty"`
	// NoResolve disables asking CiviCRM's civicrm/authx/id about API keys
	// and Basic credentials: only key-file keys and JWTs are accepted.
	NoResolve bool `json:"no_resolve,omitempty"`
	// ResolveURL is civicrm/authx/id's full URL. Empty: the request goes
	// through the rest of the route (reverse_proxy, php_fastcgi) like the
	// API calls do, to the site each call runs on and under its path base
	// (Handler.authxID), so no second upstream address is needed. Set,
	// every question goes there, whatever the call's site and base (its
	// verdicts are still remembered per call site and base).
	ResolveURL string `json:"resolve_url,omitempty"`
	// VerdictTTL and RejectTTL are how long CiviCRM's verdict on a
	// credential is remembered, per site and base (authSite). Defaults: 5m
	// and 30s.
	VerdictTTL caddy.Duration `json:"verdict_ttl,omitempty"`
	RejectTTL  caddy.Duration `json:"reject_ttl,omitempty"`
	// ForwardJWT forwards a short-lived CiviCRM JWT minted for the
	// principal instead of the client's API key (needs sign_keys).
	ForwardJWT bool `json:"forward_jwt,omitempty"`
	// Leeway for JWT time claims; MintTTL the lifetime of minted JWTs.
	Leeway  caddy.Duration `json:"leeway,omitempty"`
	MintTTL caddy.Duration `json:"mint_ttl,omitempty"`
	// MaxFailures failed attempts per client address or credential within
	// FailureWindow, then 429 until the window ends. Defaults: 10 in 5m.
	// Requests without a client address (a unix socket whose peer is not
	// a trusted proxy: trusted_proxies_unix) share one address's count.
	// Negative MaxFailures disables guessing protection.
	MaxFailures   int            `json:"max_failures,omitempty"`
	FailureWindow caddy.Duration `json:"failure_window,omitempty"`
	// IPv6Prefix is the prefix length (32 to 128) by which IPv6 client
	// addresses are counted: one counter per /64 by default, since one
	// connection owns the whole /64. IPv4 (and IPv4-mapped) addresses
	// count one by one.
	IPv6Prefix int `json:"ipv6_prefix,omitempty"`
	// Secret keys the HMACs that turn credentials into counter and verdict
	// keys; instances sharing Redis need the same one. Placeholders are
	// resolved at provision time. Empty: random per process.
	Secret string `json:"secret,omitempty"`
	// Realm for WWW-Authenticate challenges. Default "CiviCRM".
	Realm string `json:"realm,omitempty"`
	// JWTWithoutSiteKey, with site_key_modern require, lets a verified JWT
	// on the modern forms stand in for a missing site key (a wrong site key
	// is still refused). The default mode lets JWTs through like AuthX.
	JWTWithoutSiteKey bool `json:"jwt_without_site_key,omitempty"`
	// ExternalJWT accepts JWTs from an identity provider; Civigate forwards
	// a CiviCRM JWT minted for the mapped contact (needs sign_keys).
	ExternalJWT *ExternalJWTConfig `json:"external_jwt,omitempty"`
	// Rules are allow/deny rules, first match wins; Default ("allow" or
	// "deny", default allow) applies when none matches.
	Rules   []RuleConfig `json:"rules,omitempty"`
	Default string       `json:"default,omitempty"`
}

// ExternalJWTConfig verifies an identity provider's JWTs.
type ExternalJWTConfig struct {
	// JWKSURL is the provider's key set; PEMFiles maps key ids to PEM
	// public key files instead (or besides, when no JWKS URL is given).
	JWKSURL  string            `json:"jwks_url,omitempty"`
	PEMFiles map[string]string `json:"pem_files,omitempty"`
	// Algorithms accepted (pinned), e.g. RS256, ES256, EdDSA. Required.
	Algorithms []string `json:"algorithms,omitempty"`
	Issuer     string   `json:"issuer,omitempty"`
	Audience   []string `json:"audience,omitempty"`
	// ContactClaim holds the CiviCRM contact id (a number, a decimal string
	// or cid:N).
	ContactClaim string `json:"contact_claim,omitempty"`
}

// RuleConfig is one policy rule; every non-empty field must match.
type RuleConfig struct {
	Effect       string   `json:"effect"`
	Contacts     []int64  `json:"contacts,omitempty"`
	Fingerprints []string `json:"fingerprints,omitempty"`
	CredTypes    []string `json:"cred_types,omitempty"`
	Networks     []string `json:"networks,omitempty"`
	Entities     []string `json:"entities,omitempty"`
	Actions      []string `json:"actions,omitempty"`
	// Versions (3, 4): an allow rule without them is for APIv3 calls only;
	// a call of another version through an APIv3 form needs a rule naming it.
	Versions []int             `json:"versions,omitempty"`
	Params   map[string]string `json:"params,omitempty"`
}

// buildAuthenticator turns the configuration into an authx.Authenticator.
func (h *Handler) buildAuthenticator(repl *caddy.Replacer) (*authx.Authenticator, error) {
	ac := h.Auth
	if ac == nil {
		ac = &AuthConfig{}
	}
	cfg := authx.Config{
		SiteKey:        h.siteKey,
		SiteKeyModern:  authx.SiteKeyMode(ac.SiteKeyModern),
		RequireUser:    authx.UserMode(ac.RequireUser),
		AllowAnonymous: ac.Anonymous,
		ForwardJWT:     ac.ForwardJWT,
		Leeway:         time.Duration(ac.Leeway),
		MintTTL:        time.Duration(ac.MintTTL),
		MaxFailures:    ac.MaxFailures,
		FailureWindow:  time.Duration(ac.FailureWindow),
		IPv6Prefix:     ac.IPv6Prefix,
		Realm:          ac.Realm,
	}
	secret, err := resolveSecret(repl, "secret", ac.Secret)
	if err != nil {
		return nil, err
	}
	cfg.Secret = []byte(secret)
	if h.signKeys != "" {
		keys, err := authx.ParseSignKeys(h.signKeys)
		if err != nil {
			return nil, fmt.Errorf("sign_keys: %v", err)
		}
		cfg.SignKeys = keys
	}
	cfg.SiteKeyExemptJWT = ac.JWTWithoutSiteKey
	if ej := ac.ExternalJWT; ej != nil {
		ext, err := buildExternalJWT(ej)
		if err != nil {
			return nil, err
		}
		if len(cfg.SignKeys) == 0 {
			return nil, fmt.Errorf("auth: external_jwt needs sign_keys to mint the CiviCRM JWT it forwards")
		}
		ext.Leeway = cfg.Leeway
		cfg.External = ext
	}
	if ac.ForwardJWT && len(cfg.SignKeys) == 0 {
		return nil, fmt.Errorf("auth: forward_jwt needs sign_keys")
	}
	if ac.KeyFile != "" {
		kf, err := authx.LoadKeyFile(ac.KeyFile)
		if err != nil {
			return nil, fmt.Errorf("auth: key_file: %v", err)
		}
		cfg.KeyFile = kf
	}
	var overNetwork *authx.HTTPResolver
	if !ac.NoResolve {
		// By default civicrm/authx/id is asked through the rest of the
		// route, like API calls, so no second upstream address is needed.
		resolver := authx.NewHTTPResolver("http://civicrm.upstream", &http.Client{Transport: routeTransport{}})
		if ac.ResolveURL != "" {
			resolver = authx.NewHTTPResolver("", &http.Client{Timeout: 10 * time.Second})
			resolver.URL = ac.ResolveURL
			overNetwork = resolver
		}
		resolver.SiteKey = h.siteKey
		var store authx.VerdictStore = authx.NewMemoryVerdicts()
		if h.redisClient != nil {
			store = tieredVerdicts{front: authx.NewMemoryVerdicts(),
				back: &authx.RedisVerdicts{Client: h.redisClient, Prefix: h.redisPrefix + "authv:", Timeout: h.redisTimeout()}}
		}
		v := authx.NewAPIKeyVerifier(resolver, store, cfg.Secret)
		v.PositiveTTL, v.NegativeTTL = time.Duration(ac.VerdictTTL), time.Duration(ac.RejectTTL)
		cfg.APIKeys = v
		h.apiKeys = v
	}
	if ac.MaxFailures >= 0 {
		if h.redisClient != nil {
			cfg.Failures = newCleanCache(&authx.RedisCounter{Client: h.redisClient, Prefix: h.redisPrefix + "authfail:", Timeout: h.redisTimeout()})
			// Every instance must know the proven credentials a blocked
			// address still serves. Proofs are not forgotten when a write
			// may have changed credentials (verdictGen): a proof only lifts
			// throttling for a credential that authenticated; it vouches
			// for nothing, and the credential is still verified (under the
			// new generation, by CiviCRM) on its next request.
			cfg.Proofs = tieredVerdicts{front: authx.NewMemoryVerdicts(),
				back: &authx.RedisVerdicts{Client: h.redisClient, Prefix: h.redisPrefix + "authproof:", Timeout: h.redisTimeout()}}
		} else {
			cfg.Failures = authx.NewMemoryCounter()
		}
		cfg.Guessing = func(e authx.GuessingEvent) {
			if metrics.guessing != nil { // set up in Provision, after this
				metrics.guessing.WithLabelValues(string(e)).Inc()
			}
		}
	}
	if len(ac.Rules) > 0 || ac.Default != "" {
		p := &authx.Policy{Default: ac.Default}
		for i, rc := range ac.Rules {
			r := authx.Rule{Effect: rc.Effect, Contacts: rc.Contacts, Fingerprints: rc.Fingerprints,
				CredTypes: rc.CredTypes, Entities: rc.Entities, Actions: rc.Actions, Versions: rc.Versions, Params: rc.Params}
			for _, n := range rc.Networks {
				pfx, err := netip.ParsePrefix(n)
				if err != nil {
					addr, aerr := netip.ParseAddr(n)
					if aerr != nil {
						return nil, fmt.Errorf("auth: rule %d: network %q is not an address or CIDR prefix", i+1, n)
					}
					pfx = netip.PrefixFrom(addr, addr.BitLen())
				}
				r.Networks = append(r.Networks, pfx)
			}
			p.Rules = append(p.Rules, r)
		}
		if err := p.Validate(); err != nil {
			return nil, fmt.Errorf("auth: %v", err)
		}
		cfg.Policy = p
	}
	a, err := authx.New(cfg)
	if err == nil && overNetwork != nil {
		// If resolve_url is a site this Civigate (or one sharing its
		// secret) fronts, its AuthX route handling lets the question
		// through (serveAuthxRoute).
		overNetwork.Sign = a.SignSubrequestFlow
	}
	return a, err
}

// redisTimeout is the operator's redis_timeout (0: unset, each user's
// default). Documented as the deadline of each Redis operation, it bounds
// authentication's too (verdicts, failure counters, proofs), which
// otherwise keep authx's own default (50ms, wider than a lookup's 10ms: a
// counter that times out falls back to counting per instance), and the
// store the verdict generation lives in when caching is off.
func (h *Handler) redisTimeout() time.Duration {
	if h.Cache != nil {
		return time.Duration(h.Cache.RedisTimeout)
	}
	return 0
}

func buildExternalJWT(ej *ExternalJWTConfig) (*authx.ExternalJWT, error) {
	ext := &authx.ExternalJWT{Algorithms: ej.Algorithms, Issuer: ej.Issuer, Audience: ej.Audience, ContactClaim: ej.ContactClaim}
	switch {
	case ej.JWKSURL != "" && len(ej.PEMFiles) > 0:
		return nil, fmt.Errorf("auth: external_jwt: give jwks_url or pem files, not both")
	case ej.JWKSURL != "":
		ext.Keys = &authx.JWKS{URL: ej.JWKSURL, Client: &http.Client{Timeout: 5 * time.Second}}
	case len(ej.PEMFiles) > 0:
		pems := map[string][]byte{}
		for kid, file := range ej.PEMFiles {
			b, err := os.ReadFile(file)
			if err != nil {
				return nil, fmt.Errorf("auth: external_jwt: %v", err)
			}
			pems[kid] = b
		}
		keys, err := authx.NewStaticKeys(pems)
		if err != nil {
			return nil, fmt.Errorf("auth: external_jwt: %v", err)
		}
		ext.Keys = keys
	}
	if err := ext.Validate(); err != nil {
		return nil, fmt.Errorf("auth: %v", err)
	}
	return ext, nil
}

// tieredVerdicts keeps CiviCRM's verdicts on credentials for a few seconds
// in process memory in front of Redis, so a remembered API key costs no
// Redis round trip on every request. A verdict may so outlive its Redis
// entry by at most verdictFrontTTL.
type tieredVerdicts struct {
	front *authx.MemoryVerdicts
	back  authx.VerdictStore
}

const verdictFrontTTL = 10 * time.Second

func (t tieredVerdicts) Get(ctx context.Context, key string) (authx.Verdict, bool) {
	if v, ok := t.front.Get(ctx, key); ok {
		return v, true
	}
	v, ok := t.back.Get(ctx, key)
	if ok {
		t.front.Set(ctx, key, v, verdictFrontTTL)
	}
	return v, ok
}

func (t tieredVerdicts) Set(ctx context.Context, key string, v authx.Verdict, ttl time.Duration) {
	t.back.Set(ctx, key, v, ttl)
	t.front.Set(ctx, key, v, min(ttl, verdictFrontTTL))
}

// cleanCache spares Redis the guessing-protection lookup (Blocked: the
// requests that verify nothing or a proven credential, and prepared
// requests' Readmit) of clients and credentials it found clean less than
// cleanFor ago; reservations always go to Redis. A failure clears the
// mark at once on this instance; failures counted by other instances are
// seen within cleanFor, a negligible slack against limits over minutes.
type cleanCache struct {
	back authx.FailureCounter
	mu   sync.Mutex
	// until maps a counter key to when its clean mark expires.
	until map[string]time.Time
}

const (
	cleanFor       = time.Second
	maxCleanMarked = 100000
)

func newCleanCache(back authx.FailureCounter) *cleanCache {
	return &cleanCache{back: back, until: map[string]time.Time{}}
}

func (c *cleanCache) Blocked(ctx context.Context, max int, keys ...string) (bool, time.Duration) {
	now := time.Now()
	c.mu.Lock()
	clean := true
	for _, k := range keys {
		if !now.Before(c.until[k]) {
			clean = false
			break
		}
	}
	if !clean {
		// This request asks Redis; the ones arriving meanwhile keep the
		// mark (one question per key a second, not one per request in
		// flight) and learn the answer with the next.
		if len(c.until) >= maxCleanMarked {
			clear(c.until)
		}
		for _, k := range keys {
			c.until[k] = now.Add(cleanFor)
		}
	}
	c.mu.Unlock()
	if clean {
		return false, 0
	}
	blocked, wait := c.back.Blocked(ctx, max, keys...)
	if blocked {
		c.forget(keys)
	}
	return blocked, wait
}

func (c *cleanCache) Fail(ctx context.Context, window time.Duration, keys ...string) {
	c.forget(keys)
	c.back.Fail(ctx, window, keys...)
}

// Reserve always asks Redis: admitting an attempt is the atomic step a
// clean mark must not stand in for (authx/reserve.go).
func (c *cleanCache) Reserve(ctx context.Context, max int, window time.Duration, keys ...string) (func(context.Context), string, time.Duration) {
	release, full, wait := c.back.Reserve(ctx, max, window, keys...)
	if full != "" {
		c.forget(keys)
	}
	return release, full, wait
}

func (c *cleanCache) forget(keys []string) {
	c.mu.Lock()
	for _, k := range keys {
		delete(c.until, k)
	}
	c.mu.Unlock()
}

type routeCtxKey struct{}

// routeCtx carries what a subrequest through the route needs.
type routeCtx struct {
	next caddyhttp.Handler
	orig *http.Request
	// authxID is where civicrm/authx/id is for orig's call
	// (Handler.authxID); nil: nowhere known.
	authxID *url.URL
	// recognise reads authxID as a client's URL before it is asked
	// (translate.RecogniseConfig.IsAuthxID).
	recognise *translate.RecogniseConfig
}

// authenticateAt asks ask (the authenticator's Authenticate, or
// AuthenticateRoute for AuthX's own routes and pages) about call's
// credential, the call r came in as from clientIP, with questions to
// civicrm/authx/id going to authxID (Handler.authxID for a route,
// pageAuthxID for a page; authSite names the site from it). It returns
// the context they were asked in (withRoute's), which the call's own
// forward keeps.
func (h *Handler) authenticateAt(r *http.Request, next caddyhttp.Handler, authxID *url.URL, call *translate.Call, clientIP netip.Addr,
	ask func(context.Context, authx.Request) (*authx.Principal, *authx.Rejection)) (context.Context, *authx.Principal, *authx.Rejection) {
	ctx := h.withRoute(r, next, authxID)
	p, rej := ask(ctx, authx.Request{Call: call, Header: r.Header, ClientIP: clientIP, Site: authSite(r, authxID)})
	return ctx, p, rej
}

// withRoute is r's context with what routeTransport needs to ask
// civicrm/authx/id, at authxID, about r's credential.
func (h *Handler) withRoute(r *http.Request, next caddyhttp.Handler, authxID *url.URL) context.Context {
	return context.WithValue(r.Context(), routeCtxKey{}, routeCtx{next: next, orig: r, authxID: authxID, recognise: &h.recognise})
}

// routeTransport sends Civigate's question to civicrm/authx/id through
// the rest of the current Caddy route (found in the request's context)
// instead of the network: to the site the call runs on (its Host and
// forwarded headers), at the URL of civicrm/authx/id under the call's
// path base (routeCtx.authxID), whatever path the question's own URL
// names, with the question's method, header and body (the flow it is
// asked in: X-Civi-Auth, Authorization, or a POST form with _authx).
type routeTransport struct{}

func (routeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rc, ok := req.Context().Value(routeCtxKey{}).(routeCtx)
	if !ok {
		return nil, fmt.Errorf("no Caddy route in context")
	}
	if rc.authxID == nil || !rc.recognise.IsAuthxID(rc.authxID) {
		return nil, fmt.Errorf("no civicrm/authx/id known under this request's path")
	}
	sub := rc.orig.Clone(req.Context())
	sub.Method = req.Method
	u := *rc.orig.URL
	u.Path, u.RawPath, u.RawQuery = rc.authxID.Path, rc.authxID.RawPath, rc.authxID.RawQuery
	if strings.HasSuffix(req.URL.Path, "/"+authx.AuthxLogoutSuffix) {
		// A session's log-out (authx.HTTPResolver.EndSession): at
		// civicrm/authx/logout beside civicrm/authx/id.
		authxLogout(&u)
	}
	sub.URL = &u
	sub.RequestURI = u.RequestURI()
	sub.Header = req.Header.Clone()
	if ua := rc.orig.Header.Get("User-Agent"); ua != "" {
		sub.Header.Set("User-Agent", ua)
	}
	// To the site the call runs on, as the call goes (and not to the one
	// reverse_proxy's own X-Forwarded-Host, from the Host, would name).
	withForwarded(sub.Header, rc.orig)
	// The question's own body (the param flow's _authx form), never the
	// call's: nothing the client sent but the headers above goes with it.
	sub.Body, sub.ContentLength, sub.GetBody = http.NoBody, 0, nil
	sub.TransferEncoding, sub.Trailer, sub.Close = nil, nil, false
	sub.Form, sub.PostForm, sub.MultipartForm = nil, nil, nil
	if req.Body != nil && req.Body != http.NoBody {
		b, err := io.ReadAll(io.LimitReader(req.Body, 1<<20))
		_ = req.Body.Close()
		if err != nil {
			return nil, err
		}
		sub.Body, sub.ContentLength = io.NopCloser(bytes.NewReader(b)), int64(len(b))
		sub.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	sub = sub.WithContext(asOriginal(sub.Context(), sub, new(originalCtx)))
	rec := newRecorder()
	if err := rc.next.ServeHTTP(rec, sub); err != nil {
		return nil, err
	}
	// The response's Request names the URL asked, for the resolver's
	// error (authx.HTTPResolver): the question's own URL is a placeholder.
	asked := *req
	asked.URL = &u
	return &http.Response{
		StatusCode: rec.status, Header: rec.header, Request: &asked,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), ContentLength: int64(rec.body.Len()),
	}, nil
}

// authxLogout makes u, civicrm/authx/id's URL (clean, or in the query of a
// verbose form), civicrm/authx/logout's: the same base and URL form.
func authxLogout(u *url.URL) {
	if q, ok := strings.CutSuffix(u.RawQuery, authx.AuthxIDSuffix); ok {
		u.RawQuery = q + authx.AuthxLogoutSuffix
		return
	}
	if p, ok := strings.CutSuffix(u.Path, authx.AuthxIDSuffix); ok {
		u.Path = p + authx.AuthxLogoutSuffix
		if rp, ok := strings.CutSuffix(u.RawPath, authx.AuthxIDSuffix); ok {
			u.RawPath = rp + authx.AuthxLogoutSuffix
		} else {
			u.RawPath = ""
		}
	}
}

func (h *Handler) realm() string {
	if h.Auth != nil && h.Auth.Realm != "" {
		return h.Auth.Realm
	}
	return "CiviCRM"
}
