package caddymodule

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/civigate/civigate/authx"
)

func parseCaddyfile(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	var m Handler
	err := m.UnmarshalCaddyfile(h.Dispenser)
	return &m, err
}

// UnmarshalCaddyfile sets up the handler from Caddyfile tokens:
//
//	civicrm {
//	    forms             <extern|wp_rest|ajax_verbose|ajax|api4>...
//	    extern_prefix     <path>...
//	    extern_strict
//	    http_cron         refuse|allow   # bin/cron.php: refused (default), or served with the edge's checks
//	    wp_base_page      <path>...
//	    wp_rest_prefix    <prefix>...
//	    upstream_endpoint <path[?query]>
//	    site_key          <key or {env.CIVICRM_SITE_KEY}>   (required)
//	    sign_keys         <CIVICRM_SIGN_KEYS or {env.CIVICRM_SIGN_KEYS}>
//	    redis             <url or {env.REDIS_URL}>
//	    redis_prefix      <prefix>
//	    max_query_size    <size>
//	    max_body_size     <size>
//	    cache off
//	    cache {
//	        ttl                    [<Entity.action>] <duration>
//	        stale_while_revalidate <duration>
//	        stale_if_error         <duration>
//	        deny                   <Entity.action>...
//	        shared                 <Entity.action>...
//	        group                  <Entity>...
//	        max_memory             <size>
//	        memory_tier            <size>
//	        max_entry              <size>
//	        redis_timeout          <duration>
//	    }
//	    legacy {
//	        deprecated <date>   # RFC 3339 date or time: Deprecation header
//	        sunset     <date>   # Sunset header
//	        link       <url>    # Link rel="deprecation"
//	        cutoff     <date>   # from then on legacy calls get 410 (what the console counts as legacy)
//	    }
//	    auth {
//	        anonymous
//	        site_key_modern   if_present|require
//	        require_user      legacy|always|never
//	        key_file          <path>
//	        no_resolve
//	        resolve_url       <url of civicrm/authx/id>
//	        verdict_ttl       <duration> [<reject duration>]
//	        forward_jwt
//	        leeway            <duration>
//	        mint_ttl          <duration>
//	        max_failures      <n>|off [<window>]
//	        ipv6_prefix       <bits>   # IPv6 clients counted per /<bits>, 32-128, default 64
//	        secret            <secret or placeholder>
//	        realm             <realm>
//	        jwt_without_site_key
//	        external_jwt {
//	            jwks_url      <url>
//	            pem           <kid> <file>
//	            algorithms    <RS256|ES256|EdDSA|...>...
//	            issuer        <iss>
//	            audience      <aud>...
//	            contact_claim <claim>
//	        }
//	        default           allow|deny
//	        allow|deny {
//	            contact   <id>...
//	            key       <fingerprint>...
//	            cred_type <api_key|jwt|pass|ext_jwt|none>...
//	            network   <cidr or address>...
//	            entity    <entity>...
//	            action    <action>...
//	            version   <3|4>...
//	            param     <name> <any|int|float|string|bool|email|hex|array>
//	        }
//	    }
//	}
//
// Every subdirective but site_key is optional: with only site_key, civicrm
// recognises every legacy form and forwards to /civicrm/ajax/rest. A
// site_key that is missing or empty once resolved (an unset variable)
// stops Caddy at provisioning. Unknown subdirectives and extra arguments
// are errors naming the offending token.
func (h *Handler) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // directive name
	if d.NextArg() {
		return d.Errf("civicrm takes no arguments, got %q", d.Val())
	}
	opts := options{words: map[string]*string{"upstream_endpoint": &h.UpstreamEndpoint, "site_key": &h.SiteKey,
		"sign_keys": &h.SignKeys, "redis": &h.Redis, "redis_prefix": &h.RedisPrefix},
		choices: map[string]choice{"http_cron": {&h.HTTPCron, []string{cronRefuse, cronAllow}}},
		flags:   map[string]*bool{"extern_strict": &h.ExternStrict}}
	for d.NextBlock(0) {
		if handled, err := opts.parse(d); handled || err != nil {
			if err != nil {
				return err
			}
			continue
		}
		switch sub := d.Val(); sub {
		case "forms":
			h.Forms = d.RemainingArgs()
			if len(h.Forms) == 0 {
				return d.ArgErr()
			}
		case "extern_prefix":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.ExternPrefixes = append(h.ExternPrefixes, args...)
		case "wp_base_page":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.WPBasePages = append(h.WPBasePages, args...)
		case "wp_rest_prefix":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return d.ArgErr()
			}
			h.WPRESTPrefixes = append(h.WPRESTPrefixes, args...)
		case "max_query_size":
			var s string
			if err := oneArg(d, &s); err != nil {
				return err
			}
			n, err := parseSize(d, s)
			if err != nil {
				return err
			}
			h.MaxQueryBytes = int(n)
		case "max_body_size":
			var s string
			if err := oneArg(d, &s); err != nil {
				return err
			}
			n, err := parseSize(d, s)
			if err != nil {
				return err
			}
			h.MaxBodyBytes = n
		case "cache":
			cc, err := parseCache(d)
			if err != nil {
				return err
			}
			h.Cache = cc
		case "legacy":
			if d.NextArg() {
				return d.Errf("legacy: unexpected argument %q", d.Val())
			}
			lc := &LegacyConfig{}
			for nesting := d.Nesting(); d.NextBlock(nesting); {
				var dst *string
				sub := d.Val()
				switch sub {
				case "deprecated":
					dst = &lc.Deprecated
				case "sunset":
					dst = &lc.Sunset
				case "link":
					dst = &lc.Link
				case "cutoff":
					dst = &lc.Cutoff
				default:
					return d.Errf("legacy: unknown subdirective %q", sub)
				}
				if err := oneArg(d, dst); err != nil {
					return err
				}
				if dst != &lc.Link {
					if _, err := parseWhen(*dst); err != nil {
						return d.Errf("legacy %s: %q is not an RFC 3339 date (2027-06-30) or time", sub, *dst)
					}
				}
			}
			h.Legacy = lc
		case "auth":
			if d.NextArg() {
				return d.Errf("auth: unexpected argument %q", d.Val())
			}
			ac, err := parseAuth(d)
			if err != nil {
				return err
			}
			h.Auth = ac
		default:
			return d.Errf("civicrm: unknown subdirective %q", sub)
		}
	}
	return nil
}

func parseAuth(d *caddyfile.Dispenser) (*AuthConfig, error) {
	ac := &AuthConfig{}
	opts := options{
		flags: map[string]*bool{"anonymous": &ac.Anonymous, "no_resolve": &ac.NoResolve,
			"forward_jwt": &ac.ForwardJWT, "jwt_without_site_key": &ac.JWTWithoutSiteKey},
		words: map[string]*string{"key_file": &ac.KeyFile, "resolve_url": &ac.ResolveURL,
			"secret": &ac.Secret, "realm": &ac.Realm},
		choices: map[string]choice{
			"site_key_modern": {&ac.SiteKeyModern, []string{"require", "if_present"}},
			"require_user":    {&ac.RequireUser, []string{"legacy", "always", "never"}},
			"default":         {&ac.Default, []string{"allow", "deny"}},
		},
		durations: map[string]*caddy.Duration{"leeway": &ac.Leeway, "mint_ttl": &ac.MintTTL},
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if handled, err := opts.parse(d); handled || err != nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		switch sub := d.Val(); sub {
		case "verdict_ttl":
			args := d.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return nil, d.Errf("verdict_ttl: expected <duration> [<reject duration>]")
			}
			ds, err := durations(d, args)
			if err != nil {
				return nil, err
			}
			ac.VerdictTTL = ds[0]
			if len(ds) == 2 {
				ac.RejectTTL = ds[1]
			}
		case "max_failures":
			args := d.RemainingArgs()
			if len(args) < 1 || len(args) > 2 {
				return nil, d.Errf("max_failures: expected <n>|off [<window>]")
			}
			if args[0] == "off" {
				ac.MaxFailures = -1
			} else {
				n, err := strconv.Atoi(args[0])
				if err != nil || n <= 0 {
					return nil, d.Errf("max_failures: %q is not a positive number or off", args[0])
				}
				ac.MaxFailures = n
			}
			if len(args) == 2 {
				ds, err := durations(d, args[1:])
				if err != nil {
					return nil, err
				}
				ac.FailureWindow = ds[0]
			}
		case "ipv6_prefix":
			if !d.NextArg() {
				return nil, d.ArgErr()
			}
			n, err := strconv.Atoi(d.Val())
			if err != nil || n < authx.MinIPv6Prefix || n > 128 {
				return nil, d.Errf("ipv6_prefix: %q is not a prefix length from %d to 128", d.Val(), authx.MinIPv6Prefix)
			}
			ac.IPv6Prefix = n
			if d.NextArg() {
				return nil, d.Errf("ipv6_prefix: unexpected argument %q", d.Val())
			}
		case "external_jwt":
			ej, err := parseExternalJWT(d)
			if err != nil {
				return nil, err
			}
			ac.ExternalJWT = ej
		case "allow", "deny":
			rule, err := parseRule(d, sub)
			if err != nil {
				return nil, err
			}
			ac.Rules = append(ac.Rules, rule)
		default:
			return nil, d.Errf("auth: unknown subdirective %q", sub)
		}
	}
	return ac, nil
}

func parseExternalJWT(d *caddyfile.Dispenser) (*ExternalJWTConfig, error) {
	if d.NextArg() {
		return nil, d.Errf("external_jwt: unexpected argument %q", d.Val())
	}
	ej := &ExternalJWTConfig{}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch sub := d.Val(); sub {
		case "jwks_url":
			if err := oneArg(d, &ej.JWKSURL); err != nil {
				return nil, err
			}
		case "pem":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return nil, d.Errf("pem: expected <kid> <file>")
			}
			if ej.PEMFiles == nil {
				ej.PEMFiles = map[string]string{}
			}
			ej.PEMFiles[args[0]] = args[1]
		case "algorithms", "audience":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.Errf("%s: expected at least one value", sub)
			}
			if sub == "algorithms" {
				ej.Algorithms = append(ej.Algorithms, args...)
			} else {
				ej.Audience = append(ej.Audience, args...)
			}
		case "issuer":
			if err := oneArg(d, &ej.Issuer); err != nil {
				return nil, err
			}
		case "contact_claim":
			if err := oneArg(d, &ej.ContactClaim); err != nil {
				return nil, err
			}
		default:
			return nil, d.Errf("external_jwt: unknown subdirective %q", sub)
		}
	}
	return ej, nil
}

func parseRule(d *caddyfile.Dispenser, effect string) (RuleConfig, error) {
	rule := RuleConfig{Effect: effect}
	if d.NextArg() {
		return rule, d.Errf("%s: unexpected argument %q (conditions go in a block)", effect, d.Val())
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		field := d.Val()
		args := d.RemainingArgs()
		if len(args) == 0 {
			return rule, d.Errf("%s %s: expected at least one value", effect, field)
		}
		switch field {
		case "contact":
			for _, a := range args {
				n, err := strconv.ParseInt(a, 10, 64)
				if err != nil || n <= 0 {
					return rule, d.Errf("%s contact: %q is not a contact id", effect, a)
				}
				rule.Contacts = append(rule.Contacts, n)
			}
		case "key":
			rule.Fingerprints = append(rule.Fingerprints, args...)
		case "cred_type":
			rule.CredTypes = append(rule.CredTypes, args...)
		case "network":
			rule.Networks = append(rule.Networks, args...)
		case "entity":
			rule.Entities = append(rule.Entities, args...)
		case "action":
			rule.Actions = append(rule.Actions, args...)
		case "version":
			for _, a := range args {
				if a != "3" && a != "4" {
					return rule, d.Errf("%s version: %q is not an API version (3 or 4)", effect, a)
				}
				rule.Versions = append(rule.Versions, int(a[0]-'0'))
			}
		case "param":
			if len(args) != 2 {
				return rule, d.Errf("%s param: expected <name> <type>", effect)
			}
			if rule.Params == nil {
				rule.Params = map[string]string{}
			}
			rule.Params[args[0]] = args[1]
		default:
			return rule, d.Errf("%s: unknown condition %q", effect, field)
		}
	}
	return rule, nil
}

// options are the simple subdirectives of a block, by kind: flags take no
// argument, words one, choices one of a fixed set, durations one duration.
type options struct {
	flags     map[string]*bool
	words     map[string]*string
	choices   map[string]choice
	durations map[string]*caddy.Duration
}

type choice struct {
	dst     *string
	allowed []string
}

// parse handles the current subdirective when it is one of opts.
func (o options) parse(d *caddyfile.Dispenser) (bool, error) {
	name := d.Val()
	if dst, ok := o.flags[name]; ok {
		*dst = true
		return true, noArgs(d)
	}
	if dst, ok := o.words[name]; ok {
		return true, oneArg(d, dst)
	}
	if c, ok := o.choices[name]; ok {
		return true, oneOf(d, c.dst, c.allowed...)
	}
	if dst, ok := o.durations[name]; ok {
		return true, durationArg(d, dst)
	}
	return false, nil
}

func noArgs(d *caddyfile.Dispenser) error {
	name := d.Val()
	if d.NextArg() {
		return d.Errf("%s: unexpected argument %q", name, d.Val())
	}
	return nil
}

// oneOf reads one argument that must be one of allowed.
func oneOf(d *caddyfile.Dispenser, dst *string, allowed ...string) error {
	name := d.Val()
	if err := oneArg(d, dst); err != nil {
		return err
	}
	for _, a := range allowed {
		if *dst == a {
			return nil
		}
	}
	return d.Errf("%s: %q is not one of %v", name, *dst, allowed)
}

func durationArg(d *caddyfile.Dispenser, dst *caddy.Duration) error {
	var s string
	if err := oneArg(d, &s); err != nil {
		return err
	}
	ds, err := durations(d, []string{s})
	if err != nil {
		return err
	}
	*dst = ds[0]
	return nil
}

func durations(d *caddyfile.Dispenser, args []string) ([]caddy.Duration, error) {
	out := make([]caddy.Duration, len(args))
	for i, a := range args {
		v, err := caddy.ParseDuration(a)
		if err != nil || v < 0 {
			return nil, d.Errf("%q is not a valid duration", a)
		}
		out[i] = caddy.Duration(v)
	}
	return out, nil
}

// oneArg reads exactly one argument into dst.
func oneArg(d *caddyfile.Dispenser, dst *string) error {
	name := d.Val()
	if !d.NextArg() {
		return d.Errf("%s: expected one argument", name)
	}
	*dst = d.Val()
	if d.NextArg() {
		return d.Errf("%s: unexpected argument %q", name, d.Val())
	}
	return nil
}

func parseSize(d *caddyfile.Dispenser, s string) (int64, error) {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && n > 0 {
		return n, nil
	}
	n, err := humanize.ParseBytes(s)
	if err != nil || n == 0 {
		return 0, d.Errf("invalid size %q", s)
	}
	return int64(n), nil
}

var _ caddyfile.Unmarshaler = (*Handler)(nil)
