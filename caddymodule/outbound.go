package caddymodule

import (
	"bytes"
	"net/http"
	"net/url"
	"slices"
	"sync/atomic"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// outboundPlan is what forward sends CiviCRM for a call, apart from what
// belongs to the client's connection (remote address, TLS state, context):
// the translated request, its request target and the whole header
// CiviCRM gets (upstreamHeader, less untrusted forwarded host headers).
type outboundPlan struct {
	up *translate.UpstreamRequest // only its method, URL parts and body are read
	// uri is the request target for a client URL without Opaque or
	// ForceQuery (plain; any other is worked out per request).
	uri string
	// header is the whole header CiviCRM gets, as a list (headerList): a
	// kept plan's is copied into a map of its own for every request
	// (headerMap), and walking a list costs less than walking a map, even
	// a small one.
	header keptHeader
}

// forwardMemo keeps a prepared request's outboundPlan, so a repeated call
// forwarded to CiviCRM (caching off, a miss, a write) does not build its
// request and header again. Everything in the plan is a function of what
// the prepared request's key holds byte for byte (method, host, path,
// query, every header, the client's address and whether it is a trusted
// proxy), of the principal and the call the entry holds, and of the
// handler's configuration: a plan can never serve a request with another
// credential, another caller or other headers than the one it was built
// for. The kept plan's header is never handed on (next may change the
// request's header in place): each request gets a copy.
type forwardMemo struct {
	last atomic.Pointer[outboundPlan]
	// creds is the call's credChange (credsUnknown until first asked): a
	// function of the call, so of the request's bytes, like the plan; a
	// read forwarded again does not walk its parameters again to learn it
	// writes nothing.
	creds atomic.Uint32
}

// plan is the outboundPlan for call from r and p, with the header to send
// (the request's own; a kept plan's copy has its values in room when they
// fit). memo, when not nil, is the prepared request's.
func (h *Handler) plan(r *http.Request, call *translate.Call, p *authx.Principal, memo *forwardMemo, room []string) (*outboundPlan, http.Header, error) {
	if memo != nil {
		if kept := memo.last.Load(); kept != nil {
			return kept, kept.header.headerMap(room), nil
		}
	}
	up, err := translate.BuildUpstream(call, h.upstream)
	if err != nil {
		return nil, nil, err
	}
	name, auth, key := authx.UpstreamIdentity(p, h.siteKey)
	header := upstreamHeader(r.Header, up, name, auth, key)
	dropUntrustedForwarded(header, r)
	target := url.URL{Path: up.Path, RawPath: up.RawPath, RawQuery: up.RawQuery}
	plan := &outboundPlan{up: up, uri: target.RequestURI()}
	if memo != nil {
		// up.Header is the header handed on: the kept plan has copies.
		kept := *plan
		upCopy := *up
		upCopy.Header = nil
		kept.up, kept.header = &upCopy, headerList(header)
		memo.last.Store(&kept)
	}
	return plan, header, nil
}

// requestURI is the request target of the outbound URL u (the client's
// URL with the plan's path and query).
func (plan *outboundPlan) requestURI(u *url.URL) string {
	if u.Opaque == "" && !u.ForceQuery {
		return plan.uri
	}
	return u.RequestURI()
}

// keptHeader is a header as a kept plan holds it: its entries, their
// values copies of the header's, and how many values they hold.
type keptHeader struct {
	entries []headerEntry
	values  int
}

type headerEntry struct {
	name   string
	values []string
}

// headerList is h as a keptHeader, sharing nothing with it.
func headerList(h http.Header) keptHeader {
	k := keptHeader{entries: make([]headerEntry, 0, len(h))}
	for name, vs := range h {
		k.entries = append(k.entries, headerEntry{name, slices.Clone(vs)}) // nil stays nil
		k.values += len(vs)
	}
	return k
}

// headerMap is the kept header as a new http.Header, as Clone makes
// one (nil values stay nil: reverse_proxy tells a nil value from an
// empty one), sharing nothing with it, with the values in room when
// they fit.
func (k keptHeader) headerMap(room []string) http.Header {
	out := make(http.Header, len(k.entries))
	values := room[:0]
	if k.values > cap(room) {
		values = make([]string, 0, k.values)
	}
	for _, e := range k.entries {
		if e.values == nil {
			out[e.name] = nil
			continue
		}
		start := len(values)
		values = append(values, e.values...)
		out[e.name] = values[start:len(values):len(values)]
	}
	return out
}

// forwarding is what one forwarded call needs, in one allocation: the
// outbound request, its URL, context (asOriginal's), header values and
// body reader, and the recorder of CiviCRM's answer.
type forwarding struct {
	req    http.Request
	url    url.URL
	ctx    originalCtx
	values [8]string // room for the outbound header's values (headerMap)
	body   upstreamBody
	rec    recorder
}

func newForwarding() *forwarding {
	f := &forwarding{}
	f.rec.header = recorderHeaders.Get().(http.Header)
	return f
}

// upstreamBody is the translated body (io.NopCloser's, in place).
type upstreamBody struct{ bytes.Reader }

func (*upstreamBody) Close() error { return nil }
