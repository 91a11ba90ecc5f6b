package main

import (
	"fmt"
	"strings"
)

// ports are the loopback ports of one load-test run.
type ports struct {
	Admin                int
	Stub, SlowStub       int
	Redis                int
	Uncached, Proxy      int // (a)
	Memory, Respond      int // (b)
	RedisCached          int // (c)
	SlowCached, SlowOpen int // (d)
}

// siteConfig is what the Caddyfile needs beyond ports.
type siteConfig struct {
	SiteKey string
	// CacheOff is the subdirective that turns caching off, "" when this
	// build's grammar has none (the uncached scenarios then measure
	// whatever the default is, and the report says so).
	CacheOff string
}

// caddyfile is one Civigate process serving every scenario on its own
// port: Civigate sites and the plain-Caddy baselines share the process, the
// binary and the defaults, so a ratio compares handlers and nothing else.
func caddyfile(p ports, c siteConfig) string {
	stub := fmt.Sprintf("127.0.0.1:%d", p.Stub)
	slow := fmt.Sprintf("127.0.0.1:%d", p.SlowStub)
	civicrm := func(extra ...string) string {
		lines := []string{"\tcivicrm {", "\t\tsite_key " + c.SiteKey}
		for _, e := range extra {
			if e != "" {
				lines = append(lines, "\t\t"+e)
			}
		}
		return strings.Join(append(lines, "\t}"), "\n")
	}
	site := func(comment string, port int, body ...string) string {
		return fmt.Sprintf("# %s\nhttp://:%d {\n%s\n}\n", comment, port, strings.Join(body, "\n"))
	}
	var b strings.Builder
	fmt.Fprintf(&b, `{
	admin 127.0.0.1:%d
	default_bind 127.0.0.1
	auto_https off
	persist_config off
	log {
		level WARN
	}
}

`, p.Admin)
	b.WriteString(site("(a) legacy call through Civigate, caching off", p.Uncached,
		civicrm(c.CacheOff), "\treverse_proxy "+stub))
	b.WriteString(site("(a) baseline: the modern call through plain reverse_proxy", p.Proxy,
		"\treverse_proxy "+stub))
	b.WriteString(site("(b) Civigate, in-memory cache (the default)", p.Memory,
		civicrm(), "\treverse_proxy "+stub))
	// The heredoc's closing marker is at column 0, so the body is sent
	// byte for byte as the stub sends it.
	b.WriteString(site("(b)(c) baseline: Caddy respond with the same body", p.Respond,
		"\theader Content-Type application/json",
		"\trespond <<CONTACTGET\n"+string(contactGet)+"\nCONTACTGET 200"))
	b.WriteString(site("(c) Civigate, Redis cache", p.RedisCached,
		civicrm(fmt.Sprintf("redis redis://127.0.0.1:%d", p.Redis)), "\treverse_proxy "+stub))
	b.WriteString(site("(d) Civigate, in-memory cache, CiviCRM answering in 100 ms", p.SlowCached,
		civicrm(), "\treverse_proxy "+slow))
	b.WriteString(site("(d) baseline: Civigate, caching off, CiviCRM answering in 100 ms", p.SlowOpen,
		civicrm(c.CacheOff), "\treverse_proxy "+slow))
	return b.String()
}
