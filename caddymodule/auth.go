package caddymodule

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/netip"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/authx"
)

// AuthConfig is edge authentication and policy. The zero value is the safe
// default: credentials required on every form, the site key enforced when
// configured, API keys resolved by asking CiviCRM, guessing protection on.
type AuthConfig struct {
	// Anonymous lets credential-less calls through on the modern forms
	// (CiviCRM then applies its anonymous permissions). Legacy forms always
	// required credentials. civicrm/ping is always public.
	Anonymous bool `json:"anonymous,omitempty"`
	// SiteKeyModern is "require" (default) or "if_present": whether the
	// modern forms must carry the site key too.
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
	// API calls do, so no second upstream address is needed.
	ResolveURL string `json:"resolve_url,omitempty"`
	// VerdictTTL and RejectTTL are how long CiviCRM's verdict on a
	// credential is remembered. Defaults: 5m and 30s.
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
	// Negative MaxFailures disables guessing protection.
	MaxFailures   int            `json:"max_failures,omitempty"`
	FailureWindow caddy.Duration `json:"failure_window,omitempty"`
	// Secret keys the HMACs that turn credentials into counter and verdict
	// keys; instances sharing Redis need the same one. Placeholders are
	// resolved at provision time. Empty: random per process.
	Secret string `json:"secret,omitempty"`
	// Realm for WWW-Authenticate challenges. Default "CiviCRM".
	Realm string `json:"realm,omitempty"`
	// Rules are allow/deny rules, first match wins; Default ("allow" or
	// "deny", default allow) applies when none matches.
	Rules   []RuleConfig `json:"rules,omitempty"`
	Default string       `json:"default,omitempty"`
}

// RuleConfig is one policy rule; every non-empty field must match.
type RuleConfig struct {
	Effect       string            `json:"effect"`
	Contacts     []int64           `json:"contacts,omitempty"`
	Fingerprints []string          `json:"fingerprints,omitempty"`
	CredTypes    []string          `json:"cred_types,omitempty"`
	Networks     []string          `json:"networks,omitempty"`
	Entities     []string          `json:"entities,omitempty"`
	Actions      []string          `json:"actions,omitempty"`
	Params       map[string]string `json:"params,omitempty"`
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
		Realm:          ac.Realm,
		Secret:         []byte(repl.ReplaceKnown(ac.Secret, "")),
	}
	if h.signKeys != "" {
		keys, err := authx.ParseSignKeys(h.signKeys)
		if err != nil {
			return nil, fmt.Errorf("sign_keys: %v", err)
		}
		cfg.SignKeys = keys
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
	if !ac.NoResolve {
		// By default civicrm/authx/id is asked through the rest of the
		// route, like API calls, so no second upstream address is needed.
		resolver := authx.NewHTTPResolver("http://civicrm.upstream", &http.Client{Transport: routeTransport{}})
		if ac.ResolveURL != "" {
			resolver = authx.NewHTTPResolver("", &http.Client{Timeout: 10 * time.Second})
			resolver.URL = ac.ResolveURL
		}
		resolver.SiteKey = h.siteKey
		var store authx.VerdictStore = authx.NewMemoryVerdicts()
		if h.redisClient != nil {
			store = &authx.RedisVerdicts{Client: h.redisClient, Prefix: h.redisPrefix + "authv:"}
		}
		v := authx.NewAPIKeyVerifier(resolver, store, cfg.Secret)
		v.PositiveTTL, v.NegativeTTL = time.Duration(ac.VerdictTTL), time.Duration(ac.RejectTTL)
		cfg.APIKeys = v
	}
	if ac.MaxFailures >= 0 {
		if h.redisClient != nil {
			cfg.Failures = &authx.RedisCounter{Client: h.redisClient, Prefix: h.redisPrefix + "authfail:"}
		} else {
			cfg.Failures = authx.NewMemoryCounter()
		}
	}
	if len(ac.Rules) > 0 || ac.Default != "" {
		p := &authx.Policy{Default: ac.Default}
		for i, rc := range ac.Rules {
			r := authx.Rule{Effect: rc.Effect, Contacts: rc.Contacts, Fingerprints: rc.Fingerprints,
				CredTypes: rc.CredTypes, Entities: rc.Entities, Actions: rc.Actions, Params: rc.Params}
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
	return authx.New(cfg)
}

type routeCtxKey struct{}

// routeCtx carries what a subrequest through the route needs.
type routeCtx struct {
	next caddyhttp.Handler
	orig *http.Request
}

func withRoute(r *http.Request, next caddyhttp.Handler) context.Context {
	return context.WithValue(r.Context(), routeCtxKey{}, routeCtx{next: next, orig: r})
}

// routeTransport sends an HTTP request through the rest of the current
// Caddy route (found in the request's context) instead of the network.
type routeTransport struct{}

func (routeTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	rc, ok := req.Context().Value(routeCtxKey{}).(routeCtx)
	if !ok {
		return nil, fmt.Errorf("no Caddy route in context")
	}
	sub := rc.orig.Clone(req.Context())
	sub.Method = req.Method
	u := *rc.orig.URL
	u.Path, u.RawPath, u.RawQuery = req.URL.Path, "", req.URL.RawQuery
	sub.URL = &u
	sub.RequestURI = u.RequestURI()
	sub.Header = req.Header.Clone()
	if ua := rc.orig.Header.Get("User-Agent"); ua != "" {
		sub.Header.Set("User-Agent", ua)
	}
	sub.Body, sub.ContentLength, sub.GetBody = http.NoBody, 0, nil
	rec := newRecorder()
	if err := rc.next.ServeHTTP(rec, sub); err != nil {
		return nil, err
	}
	return &http.Response{
		StatusCode: rec.status, Header: rec.header, Request: req,
		Body: io.NopCloser(bytes.NewReader(rec.body.Bytes())), ContentLength: int64(rec.body.Len()),
	}, nil
}

func (h *Handler) realm() string {
	if h.Auth != nil && h.Auth.Realm != "" {
		return h.Auth.Realm
	}
	return "CiviCRM"
}
