package main

import (
	"fmt"
	"strings"
)

// ports are the loopback ports of one load-test run.
type ports struct {
	Admin                   int
	Stub, SlowStub, BigStub int
	Redis                   int
	Uncached, Proxy         int // (a), (g)
	Memory, Respond         int // (b), (d), (e)
	RedisCached             int // (c), (i)
	SlowOpen                int // (d)
	BigOpen, BigProxy       int // (f)
	RespondV4               int // (h), (i)
}

// sites are the ports Civigate serves, for waiting on them.
func (p ports) sites() []int {
	return []int{p.Admin, p.Uncached, p.Proxy, p.Memory, p.Respond, p.RedisCached, p.SlowOpen, p.BigOpen, p.BigProxy, p.RespondV4}
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
	big := fmt.Sprintf("127.0.0.1:%d", p.BigStub)
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
	b.WriteString(site("(a)(g) legacy and APIv4 calls through Civigate, caching off", p.Uncached,
		civicrm(c.CacheOff), "\treverse_proxy "+stub))
	b.WriteString(site("(a)(g) baseline: the modern call through plain reverse_proxy", p.Proxy,
		"\treverse_proxy "+stub))
	b.WriteString(site("(b)(d)(e)(h) Civigate, in-memory cache (the default)", p.Memory,
		civicrm(), "\treverse_proxy "+stub))
	// The heredoc's closing marker is at column 0, so the body is sent
	// byte for byte as the stub sends it.
	respond := func(body []byte) []string {
		return []string{"\theader Content-Type application/json",
			"\trespond <<CONTACTGET\n" + string(body) + "\nCONTACTGET 200"}
	}
	b.WriteString(site("(b)(c) baseline: Caddy respond with the same body", p.Respond, respond(contactGet)...))
	b.WriteString(site("(c)(i) Civigate, Redis cache", p.RedisCached,
		civicrm(fmt.Sprintf("redis redis://127.0.0.1:%d", p.Redis)), "\treverse_proxy "+stub))
	b.WriteString(site("(d) baseline: Civigate, caching off, CiviCRM answering in 100 ms", p.SlowOpen,
		civicrm(c.CacheOff), "\treverse_proxy "+slow))
	b.WriteString(site("(f) Civigate, caching off, in front of CiviCRM answering 10,000 rows", p.BigOpen,
		civicrm(c.CacheOff), "\treverse_proxy "+big))
	b.WriteString(site("(f) baseline: plain reverse_proxy to the same", p.BigProxy,
		"\treverse_proxy "+big))
	b.WriteString(site("(h)(i) baseline: Caddy respond with the APIv4 body", p.RespondV4, respond(contactGetV4)...))
	return b.String()
}
