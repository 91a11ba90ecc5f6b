package caddymodule

import (
	"fmt"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/civigate/civigate/translate"
)

// CacheConfig configures the APIv3 cache. Without it, reads are cached in
// process memory with the defaults; with Redis set, in Redis.
type CacheConfig struct {
	// Off disables caching: every call goes to CiviCRM.
	Off bool `json:"off,omitempty"`
	// Namespace separates sites sharing one Redis (default: none needed
	// when each site has its own Redis or key prefix).
	Namespace string `json:"namespace,omitempty"`
	// TTL is how long a read stays fresh (default 60s); TTLs overrides it
	// per "Entity.action", "Entity" or "*.action" (0 disables caching there).
	TTL  caddy.Duration            `json:"ttl,omitempty"`
	TTLs map[string]caddy.Duration `json:"ttls,omitempty"`
	// StaleWhileRevalidate serves an expired entry this long after expiry
	// while one request refreshes it; StaleIfError serves it this long when
	// CiviCRM fails or cannot be reached.
	StaleWhileRevalidate caddy.Duration `json:"stale_while_revalidate,omitempty"`
	StaleIfError         caddy.Duration `json:"stale_if_error,omitempty"`
	// Deny adds reads never to cache ("Entity.action", "Entity",
	// "*.action") to the default list (System.check, Dedupe.getduplicates,
	// Extension.getremote, ReportTemplate.getrows/getstatistics).
	Deny []string `json:"deny,omitempty"`
	// Shared reads are the same for every caller: one entry serves all
	// principals, anonymous callers included. Only for calls whose answers
	// are identical for every caller; a pattern that matches getfields,
	// getoptions, getActions or getLinks (named, or through an action
	// wildcard: "Contact", "Contact.*") is refused at provisioning, since
	// CiviCRM answers those per caller's permissions (sharedRefusal).
	Shared []string `json:"shared,omitempty"`
	// Groups are entities invalidated together: a write to one invalidates
	// cached reads of all. Default: the Contact family.
	Groups [][]string `json:"groups,omitempty"`
	// MaxMemory bounds the in-memory store (default 64 MiB); MemoryTier,
	// with Redis, keeps a small in-memory first tier of that size.
	MaxMemory  int64 `json:"max_memory,omitempty"`
	MemoryTier int64 `json:"memory_tier,omitempty"`
	// MaxEntry is the largest answer stored (default 1 MiB).
	MaxEntry int64 `json:"max_entry,omitempty"`
	// RedisTimeout bounds each Redis operation (default 10ms).
	RedisTimeout caddy.Duration `json:"redis_timeout,omitempty"`
}

func parseCache(d *caddyfile.Dispenser) (*CacheConfig, error) {
	cc := &CacheConfig{}
	if d.NextArg() {
		if d.Val() != "off" {
			return nil, d.Errf("cache: unexpected argument %q (want off or a block)", d.Val())
		}
		if d.NextArg() {
			return nil, d.Errf("cache off: unexpected argument %q", d.Val())
		}
		cc.Off = true
		return cc, nil
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch sub := d.Val(); sub {
		case "ttl":
			args := d.RemainingArgs()
			switch len(args) {
			case 1:
				ds, err := durations(d, args)
				if err != nil {
					return nil, err
				}
				cc.TTL = ds[0]
			case 2:
				ds, err := durations(d, args[1:])
				if err != nil {
					return nil, err
				}
				if cc.TTLs == nil {
					cc.TTLs = map[string]caddy.Duration{}
				}
				cc.TTLs[args[0]] = ds[0]
			default:
				return nil, d.Errf("ttl: expected [<Entity.action>] <duration>")
			}
		case "stale_while_revalidate":
			if err := durationArg(d, &cc.StaleWhileRevalidate); err != nil {
				return nil, err
			}
		case "stale_if_error":
			if err := durationArg(d, &cc.StaleIfError); err != nil {
				return nil, err
			}
		case "deny", "shared", "group":
			args := d.RemainingArgs()
			if len(args) == 0 {
				return nil, d.Errf("%s: expected at least one Entity.action", sub)
			}
			switch sub {
			case "deny":
				cc.Deny = append(cc.Deny, args...)
			case "shared":
				cc.Shared = append(cc.Shared, args...)
			default:
				cc.Groups = append(cc.Groups, args)
			}
		case "max_memory", "memory_tier", "max_entry":
			var s string
			if err := oneArg(d, &s); err != nil {
				return nil, err
			}
			n, err := parseSize(d, s)
			if err != nil {
				return nil, err
			}
			switch sub {
			case "max_memory":
				cc.MaxMemory = n
			case "memory_tier":
				cc.MemoryTier = n
			default:
				cc.MaxEntry = n
			}
		case "namespace":
			if err := oneArg(d, &cc.Namespace); err != nil {
				return nil, err
			}
		case "redis_timeout":
			if err := durationArg(d, &cc.RedisTimeout); err != nil {
				return nil, err
			}
		default:
			return nil, d.Errf("cache: unknown subdirective %q", sub)
		}
	}
	return cc, nil
}

// callerDependentReads are the reads whose answers CiviCRM gives per
// caller even where the data they describe is the same: APIv4's getFields
// and APIv3's getfields leave out the custom fields (and groups) the
// caller may not access and fill option lists with what it may see;
// getoptions answers by the same field metadata; getActions lists the
// actions the caller is permitted; getLinks the links it may follow.
// Lower case, as translate.NormalAction spells actions.
var callerDependentReads = []string{"getfields", "getoptions", "getactions", "getlinks"}

// sharedRefusal refuses a shared pattern (as cache's rules read it:
// "Entity.action", "Entity.*"/"Entity", "*.action") that matches a
// caller-dependent read: its entry, filled by the first caller (an
// administrator's custom fields…), would be served to every other one.
func sharedRefusal(patterns []string) error {
	for _, p := range patterns {
		if strings.TrimSpace(p) == "" {
			continue
		}
		_, a, ok := strings.Cut(strings.TrimSpace(p), ".")
		a = translate.NormalAction(a)
		if !ok || a == "" || a == "*" {
			return fmt.Errorf("cache: shared %q matches every action of its entity, getfields, getoptions, getActions and getLinks included, "+
				"whose answers depend on the caller's permissions (custom fields, field-level access): a shared entry would give the first caller's answer to everyone; "+
				"name only actions whose answers are identical for every caller", p)
		}
		for _, r := range callerDependentReads {
			if a == r {
				return fmt.Errorf("cache: shared %q: %s answers depend on the caller's permissions (custom fields, field-level access, permitted actions), "+
					"so a shared entry would give the first caller's answer (an administrator's fields) to everyone; shared is only for calls whose answers are identical for every caller", p, r)
			}
		}
	}
	return nil
}
