package caddymodule

import (
	"context"
	"sync"
	"sync/atomic"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"
)

// Guessing protection (and every address rule) counts a request by
// Caddy's client_ip. A server that trusts a front proxy (trusted_proxies,
// trusted_proxies_unix) but not strictly takes it from the left-most
// X-Forwarded-For address, which the client writes itself behind the
// usual proxies: nginx's $proxy_add_x_forwarded_for and Apache's
// mod_proxy append the peer's address to what the client sent. A guesser
// then claims a fresh address, and a fresh budget, with every request.
// trusted_proxies_strict reads the header from the right, up to the first
// address that is not a trusted proxy: the one the front proxy appended.
//
// Civigate takes the address as Caddy computes it (its logs, metrics,
// matchers and Civigate's console agree on who a client is) and warns,
// once per server, when the server trusts a proxy without
// trusted_proxies_strict: at Provision for trusted_proxies_unix, which
// the server's configuration shows then; for trusted_proxies, whose
// loaded ranges a handler cannot see, at the first request Caddy says
// came through a trusted proxy.

// proxyTrustWarned holds the servers warned about, so that the sites of a
// server warn once between them. A server is dropped when its handlers
// are cleaned up (it is not reused across configurations).
var proxyTrustWarned sync.Map // *caddyhttp.Server → struct{}

// proxyTrust is a handler's part of the check.
type proxyTrust struct {
	server  *caddyhttp.Server // the server at Provision (nil: none, as in unit tests)
	checked atomic.Bool       // a request through a trusted proxy was seen
}

// provisionProxyTrust notes h's server (from Caddy's provisioning context)
// and warns if it trusts a unix socket's peer without strictness.
func (h *Handler) provisionProxyTrust(ctx context.Context) {
	srv, _ := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	h.proxyTrust = &proxyTrust{server: srv}
	if srv != nil && srv.TrustedProxiesUnix {
		h.warnLaxProxyTrust(srv)
		h.proxyTrust.checked.Store(true)
	}
}

// checkProxyTrust is called for a request Caddy says came through a
// trusted proxy (the trusted_proxy variable): the first one warns if the
// server is not strict. Later ones cost one atomic load.
func (h *Handler) checkProxyTrust(ctx context.Context) {
	if h.proxyTrust == nil || h.proxyTrust.checked.Load() || !h.proxyTrust.checked.CompareAndSwap(false, true) {
		return
	}
	srv, _ := ctx.Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server)
	if srv == nil {
		srv = h.proxyTrust.server
	}
	if srv != nil {
		h.warnLaxProxyTrust(srv)
	}
}

// warnLaxProxyTrust logs the warning for srv, a server that trusts a
// proxy, unless it is strict or was warned about already.
func (h *Handler) warnLaxProxyTrust(srv *caddyhttp.Server) {
	if srv.TrustedProxiesStrict > 0 {
		return
	}
	if _, warned := proxyTrustWarned.LoadOrStore(srv, struct{}{}); warned {
		return
	}
	h.logger.Warn("this server trusts a front proxy (trusted_proxies or trusted_proxies_unix) without trusted_proxies_strict: "+
		"Caddy then takes the client address from the left-most X-Forwarded-For address, which the client writes itself "+
		"when the front proxy appends to the header (nginx's $proxy_add_x_forwarded_for, Apache's mod_proxy), "+
		"so a guesser claims a fresh address, and a fresh max_failures budget, with every request, "+
		"and policy rules naming a network judge an address the client chose; "+
		"add trusted_proxies_strict to the global servers options",
		zap.String("server", srv.Name()), zap.Strings("listen", srv.Listen))
}

// cleanupProxyTrust forgets h's server: it goes with its configuration.
func (h *Handler) cleanupProxyTrust() {
	if h.proxyTrust != nil && h.proxyTrust.server != nil {
		proxyTrustWarned.Delete(h.proxyTrust.server)
	}
}
