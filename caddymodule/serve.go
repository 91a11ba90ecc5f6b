package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.uber.org/zap"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// ServeHTTP recognises API traffic (APIv3's forms and APIv4), authenticates
// it, polices it, answers it from the cache or CiviCRM, and answers the
// client in the shape its endpoint form expects. Both APIs take the same
// steps; where they differ, translate and authx decide per Call (APIv3 is
// translated into the modern call, APIv4 forwarded as sent). Anything
// else goes to next untouched.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	// Before anything reads the header: whatever route the request takes
	// upstream (an API call, AuthX's routes, a page), its Referer carries
	// no credential on.
	redactURLHeaders(r.Header)
	var keyRoom [preparedKeyRoom]byte
	key := preparedKey(keyRoom[:0], r)
	start := time.Now()
	if p := h.prepared.get(r.Context(), key, h.auth, start); p != nil {
		return h.servePrepared(w, r, next, p, start)
	}
	clientIP, exact, trusted := clientAddrOf(r)
	if !exact {
		key = nil // preparedKey's address text is not what this one is read from
	}
	if trusted {
		h.checkProxyTrust(r.Context())
	}
	route, ok := translate.Recognise(r.Method, r.URL, h.recognise)
	if !ok {
		// Not for Civigate: the request goes on as sent, unless it is a
		// disguised way to an API route.
		return h.serveUnrecognised(w, r, next)
	}
	switch route.Form {
	case translate.FormAuthx:
		return h.serveAuthxRoute(w, r, next, route, clientIP)
	case translate.FormCron:
		return h.serveCron(w, r, next, route, clientIP)
	}
	form := string(route.Form)
	setAnswerHeaders(w.Header())
	wp := route.Form == translate.FormWPRest
	if wp {
		translate.SetWPServerHeaders(w.Header(), r)
	}
	reply, pageToken := h.admit(w.Header(), r, route)
	if reply != nil {
		h.count(form, outcomeRefused)
		return writeReply(w, *reply)
	}

	opts := h.parse
	opts.ClientIP = clientIP.String()
	// Only the envelope (credentials, format) is parsed before the caller
	// is authenticated; Authenticate decodes the parameters once it has
	// verified the credential.
	call, reply := translate.ParseEnvelope(r, route, opts)
	if wp && (reply == nil || !reply.WPNoCORS) {
		// On every answer, from this request's Origin: never stored.
		translate.SetWPCORSHeaders(w.Header(), r.Header)
	}
	if reply != nil {
		h.count(form, outcomeEdgeError)
		return writeReply(w, *reply)
	}
	defer call.Release()
	call.Credentials.AfformToken = pageToken
	if reply := h.refuseMethod(w.Header(), call); reply != nil {
		return writeReply(w, *reply)
	}
	legacy := h.Legacy != nil && usesLegacy(legacyFeatures(call))
	if reply := h.retireLegacy(w, call, nil, legacy); reply != nil {
		return writeReply(w, *reply)
	}
	if call.Ping && call.AuthFree {
		// extern/rest.php answers civicrm/ping before any credential check.
		h.count(form, outcomeOK)
		return writeReply(w, translate.PingReply(call))
	}

	authxID := h.authxID(route)
	ctx, principal, rej := h.authenticateAt(r, next, authxID, call, clientIP, h.auth.Authenticate)
	if rej != nil {
		return h.refuseAuth(w, call, rej, clientIP)
	}
	login, rej := h.checkUserLogins(ctx, call, r, principal, clientIP, authSite(r, authxID))
	if rej != nil {
		return h.refuseAuth(w, call, rej, clientIP)
	}
	if login != nil {
		defer login.Close(ctx)
	}
	call.WPPermitted = wp
	if wp && call.IsWPOptions() {
		// WordPress describes the route (rest_handle_options_request),
		// running nothing; nothing is counted as a call or stored.
		h.count(form, outcomeOK)
		return writeReply(w, translate.WPOptionsReply(call, r))
	}
	setAuthPlaceholders(r, principal)
	defer setLogUserID(r, principal)
	now := time.Now()
	usage := usageOf(r, call, principal)
	if usage.legacy && !legacy {
		// Key-value parameters show once the parameters are decoded.
		if reply := h.retireLegacy(w, call, principal, true); reply != nil {
			return writeReply(w, *reply)
		}
	}
	h.recordUsage(usage, now)

	if call.Refusal != nil {
		h.count(form, outcomeAPIError)
		return writeReply(w, translate.RefusalReply(call))
	}
	if call.Ping {
		h.count(form, outcomeOK)
		return writeReply(w, translate.PingReply(call))
	}
	req := h.prepare(r, call, principal)
	if login != nil {
		// Never remembered as prepared: each log-in is admitted and its
		// answer read.
		return h.serveUserLogin(ctx, w, r, call, principal, next, req, clientIP, login)
	}
	h.prepared.remember(key, h.auth, call, principal, req, usage, now)
	ans, err := h.serveCall(ctx, w, r, call, principal, next, req, nil)
	return h.answer(w, r, call, ans, err, nil)
}

// servePrepared is ServeHTTP for a request whose decisions before the
// cache are remembered (prepared.go), which arrived at now: what runs on
// every request still does.
func (h *Handler) servePrepared(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, p *prepared, now time.Time) error {
	if p.call.Form == translate.FormWPRest {
		setAnswerHeaders(w.Header())
		translate.SetWPServerHeaders(w.Header(), r)
		translate.SetWPCORSHeaders(w.Header(), r.Header)
	}
	if reply := h.retireLegacy(w, p.call, p.principal, p.usage.legacy); reply != nil {
		return writeReply(w, *reply)
	}
	setPlaceholders(r, p.placeholders)
	defer setLogUserID(r, p.principal)
	h.countUsage(p, now)
	// The request's own context: the route in it (withRoute) is for
	// Authenticate's subrequests, and a prepared request is not
	// authenticated again.
	ans, err := h.serveCall(r.Context(), w, r, p.call, p.principal, next, p.req, &p.fwd)
	return h.answer(w, r, p.call, ans, err, p)
}

// retireLegacy is the legacy block's word on a legacy call (legacy: the
// console counts it as legacy, usesLegacy): the retirement announced on
// its answer and, after the cut-off, the answer itself, whatever form
// carried the legacy feature. A call is judged before authentication on
// what its envelope shows (the form, XML, key/api_key), and a call that
// passed is judged again once its parameters show key-value pairs; p is
// the caller, nil before authentication.
func (h *Handler) retireLegacy(w http.ResponseWriter, call *translate.Call, p *authx.Principal, legacy bool) *translate.Reply {
	if !legacy || h.Legacy == nil {
		return nil
	}
	h.Legacy.announce(w.Header())
	if !h.Legacy.refused(time.Now()) {
		return nil
	}
	form := string(call.Form)
	metrics.legacyRefused.WithLabelValues(form).Inc()
	h.count(form, outcomeRefused)
	reply := h.Legacy.cutoffReply(call, p, h.siteKey != "")
	return &reply
}

// answer sends the client (its request r) what serveCall got for its
// call; p is the prepared request it was, if it was one.
func (h *Handler) answer(w http.ResponseWriter, r *http.Request, call *translate.Call, ans answer, err error, p *prepared) error {
	form := string(call.Form)
	if err != nil {
		// Declared here: errors.As moves bad to the heap, and a call that
		// went well needs none.
		var bad *badUpstreamError
		if errors.As(err, &bad) {
			h.count(form, outcomeEdgeError)
			return writeAnswer(w, r, translate.ErrorReply(call, bad.status, translate.APIError("Civigate: "+bad.err.Error())), "", ans.cacheStatus)
		}
		h.logger.Warn("upstream request failed", zap.String("form", form), zap.Error(err))
	}
	if ans.streamed != nil {
		h.count(form, ans.streamed.streamedOutcome())
		return nil
	}
	if ans.fromCache && p != nil {
		p.hits.Inc()
		out, length := p.render.render(call, ans.res)
		return writeAnswer(w, r, out, length, ans.cacheStatus)
	}
	if ans.fromCache {
		h.count(form, outcomeCacheHit)
		return writeAnswer(w, r, translate.RenderResponse(call, ans.res), "", ans.cacheStatus)
	}
	out := translate.RenderResponse(call, ans.res)
	h.count(form, outcomeOf(call, ans.res, out))
	return writeAnswer(w, r, out, "", ans.cacheStatus)
}

// admit refuses, before anything is parsed, what a form's route must not
// run. APIv4 runs HEAD, PUT, PATCH, DELETE and OPTIONS like POST (spec
// §3.1), so only GET and POST go on, and OPTIONS is answered here as a
// preflight, with nothing run (translate.API4MethodReply). And its path
// goes upstream as sent, so a form body that would route the request
// elsewhere in a CMS (WordPress reads q from it) is refused as for an
// unrecognised request. An APIv4 call may carry Afform's page token in
// $_REQUEST['_aff'] (PageTokenCredential::onInvoke), returned as
// pageToken: the query's, the form body's (read by the same scan) or the
// cookies'; one the edge cannot read as CiviCRM would (two values, an
// array) is refused as on a page.
func (h *Handler) admit(header http.Header, r *http.Request, route translate.Route) (reply *translate.Reply, pageToken string) {
	if route.Form != translate.FormAPI4 {
		return nil, ""
	}
	if reply := translate.API4MethodReply(r.Method); reply != nil {
		header.Set("Allow", translate.API4Methods)
		return reply, ""
	}
	body, reply := h.refuseUnrecognised(r)
	if reply != nil {
		return reply, ""
	}
	token, problem := translate.AfformPageToken(r, body)
	if problem != "" {
		refusal := credentialProblem(problem)
		return &refusal, ""
	}
	return nil, token
}

// refuseMethod is the answer to an APIv3 call whose method must not reach
// CiviCRM (translate.API3MethodReply: CiviCRM's destructive-GET rule
// compares the method with "GET", so any other but POST would let a write
// through), in the shape of its form; nil: it may go on. APIv4's methods
// were judged by admit.
func (h *Handler) refuseMethod(header http.Header, call *translate.Call) *translate.Reply {
	if call.API4 != nil {
		return nil
	}
	reply := translate.API3MethodReply(call)
	if reply == nil {
		return nil
	}
	h.count(string(call.Form), outcomeRefused)
	if call.Form != translate.FormWPRest {
		header.Set("Allow", translate.API3Methods)
	}
	return reply
}

// refuseAuth answers a request authentication refused, in the shape its
// form expects, and counts and logs it (never its credential).
func (h *Handler) refuseAuth(w http.ResponseWriter, call *translate.Call, rej *authx.Rejection, clientIP netip.Addr) error {
	form := string(call.Form)
	metrics.authFailures.WithLabelValues(string(rej.Reason)).Inc()
	h.count(form, outcomeAuthRejected)
	// CiviCRM not answering the credential question is the operator's to
	// fix (an outage, a URL form the site does not route): a warning; a
	// client's refusal is information.
	level := zap.InfoLevel
	if rej.Reason == authx.ReasonUnavailable {
		level = zap.WarnLevel
	}
	h.logger.Log(level, "request refused at the edge",
		zap.String("form", form), zap.String("reason", string(rej.Reason)), zap.String("detail", rej.Detail),
		zap.String("client_ip", clientIP.String()))
	reply, header := rej.Reply(call, h.realm())
	for name, values := range header {
		w.Header()[name] = values
	}
	return writeReply(w, reply)
}

// badUpstreamError: the call cannot be expressed as a modern request
// (translate.BuildUpstream refused it); the client gets status (400, or
// 413 for parameters too costly to send).
type badUpstreamError struct {
	err    error
	status int
}

func (e *badUpstreamError) Error() string { return e.err.Error() }

// forward sends the planned request through the rest of the route
// (reverse_proxy or php_fastcgi) with header, and captures CiviCRM's answer
// in f.rec (or streams it, if the recorder passes through). The client's
// identity headers never go upstream: only what Civigate vouches for does
// (the plan's header).
func (h *Handler) forward(ctx context.Context, r *http.Request, form string, plan *outboundPlan, header http.Header, next caddyhttp.Handler, f *forwarding) (err error) {
	rec := &f.rec
	up := plan.up
	// A shallow copy of the client's request (Clone would copy the header
	// and URL only for them to be replaced): method, URL, header, body and
	// framing are the plan's; host, TLS state and remote address stay the
	// client's.
	u := &f.url
	*u = *r.URL
	u.Path, u.RawPath, u.RawQuery = up.Path, up.RawPath, up.RawQuery
	uri := plan.requestURI(u)
	// Copied into f: WithContext's own copy stays on the stack.
	f.req = *r.WithContext(asOriginal(ctx, &http.Request{Method: up.Method, RemoteAddr: r.RemoteAddr, RequestURI: uri, URL: u}, &f.ctx))
	out := &f.req
	out.Method = up.Method
	out.URL = u
	out.RequestURI = uri
	out.Header = header
	out.Body = http.NoBody
	if len(up.Body) > 0 {
		f.body.Reset(up.Body)
		out.Body = &f.body
	}
	out.ContentLength = int64(len(up.Body))
	out.TransferEncoding, out.Trailer = nil, nil
	out.GetBody = nil

	start := time.Now()
	defer func() {
		formMetricsOf(form).upstreamTime().Observe(time.Since(start).Seconds())
		// reverse_proxy aborts (panics with http.ErrAbortHandler) when
		// CiviCRM's answer breaks off. If none of it reached the client, the
		// client gets an APIv3 error instead; if part of it did, the
		// connection is cut so the client sees the answer is incomplete.
		v := recover()
		if v == nil {
			return
		}
		if v == http.ErrAbortHandler {
			if rec.abandon() == nil {
				err = errAnswerBrokeOff
				return
			}
			h.count(form, outcomeUpstreamErr)
		}
		panic(v)
	}()
	// reverse_proxy reports dial errors and timeouts as errors: no answer.
	if err = next.ServeHTTP(rec, out); err != nil {
		if rec.abandon() != nil {
			panic(http.ErrAbortHandler)
		}
		return err
	}
	if rec.finish() != nil {
		panic(http.ErrAbortHandler)
	}
	return nil
}

var errAnswerBrokeOff = errors.New("CiviCRM's answer broke off")

// serveUnrecognised passes a request Civigate does not translate on to
// next, unless it would reach an API route anyway: a disguised path,
// routing query or routing cookie (suspicious) is refused at once, and so
// is a body under more than one Content-Type (bodyScanner); a form body is
// scanned for CMS routing parameters as it streams to next (bodyguard.go)
// and refused when it has them.
func (h *Handler) serveUnrecognised(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) (err error) {
	if h.suspicious(r) || h.rewrittenFromAPI(r) {
		return h.refuseRoute(w)
	}
	scan, ok := h.bodyScanner(r)
	if !ok {
		h.count("unrecognised", outcomeRefused)
		return writeReply(w, contentTypesRefusal)
	}
	if h.recognise.WPBatch(r.URL) {
		if reply := h.refuseWPBatch(r); reply != nil {
			h.count("unrecognised", outcomeRefused)
			return writeReply(w, *reply)
		}
	}
	// next from here on is where r goes on: a write through a CiviCRM
	// page invalidates the cache (pagewrite.go).
	pass := h.pageWrites(r, next)
	if scan == nil {
		caller, refused := h.refusePageCredentials(w, r, next, translate.BodyCredentials{})
		if refused {
			return nil
		}
		defer setLogUserID(r, caller)
		return pass.ServeHTTP(w, r)
	}
	if translate.EncodedBody(r.Header) {
		// A compressed form body cannot be scanned, and a web server that
		// inflates request bodies (Apache's DEFLATE input filter) would hand
		// PHP what the scanner never saw.
		return h.refuseRoute(w)
	}
	g := newBodyGuard(r.Body, scan, r.ContentLength)
	g.prime()
	switch {
	case g.routes():
		return h.refuseRoute(w)
	case g.state.Load() == guardClean:
		caller, refused := h.refusePageCredentials(w, r, next, scan.Credentials())
		if refused {
			return nil
		}
		defer setLogUserID(r, caller)
		r.Body = g.rest()
		return h.bodyPageWrites(r, next, pass, scan).ServeHTTP(w, r)
	case g.err != nil:
		// The client went away within the first bytes: not passed on
		// unchecked.
		return h.refuseRoute(w)
	}

	// A larger body: it streams. The request is authenticated now, so an
	// AuthX parameter in it cannot be checked: one in the first bytes is
	// refused at once, one further on refuses the body (as a routing
	// parameter does).
	if scan.CredentialsSeen() {
		h.count(pageForm, outcomeRefused)
		return writeReply(w, credentialProblem(lateCredential))
	}
	scan.LockCredentials()
	caller, refused := h.refusePageCredentials(w, r, next, translate.BodyCredentials{})
	if refused {
		return nil
	}
	defer setLogUserID(r, caller)
	// A larger body: it streams. Its first bytes' routing parameters
	// decide whether it writes through a page (bodyPageWrites).
	pass = h.bodyPageWrites(r, next, pass, scan)
	gate := &bodyGate{w: w, g: g, header: make(http.Header)}
	r.Body = g
	defer func() {
		// reverse_proxy aborts (panics with http.ErrAbortHandler) when the
		// upstream's answer breaks off, as it does once the body is
		// refused under an answer already under way.
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler && g.routes() && !gate.committed {
				err = h.refuseBody(w, scan)
				return
			}
			panic(v)
		}
	}()
	err = pass.ServeHTTP(gate, r)
	if g.routes() {
		if !gate.committed {
			return h.refuseBody(w, scan)
		}
		// Part of an early answer already went out: the client must see
		// it is cut short.
		panic(http.ErrAbortHandler)
	}
	gate.commit()
	return err
}

// suspicious reports whether a request's URL (a disguised path or routing
// query) or its cookies (a routing parameter PHP would put in $_REQUEST)
// could route it to an API where it goes on as sent.
func (h *Handler) suspicious(r *http.Request) bool {
	return h.recognise.Suspicious(r.URL) || h.recognise.SuspiciousCookies(r.Header.Values("Cookie"))
}

// refuseRoute answers a request that would reach an API route Civigate
// does not serve.
func (h *Handler) refuseRoute(w http.ResponseWriter) error {
	h.count("unrecognised", outcomeRefused)
	return writeReply(w, routeRefusal)
}

var routeRefusal = translate.Reply{
	Status:      http.StatusBadRequest,
	ContentType: "application/json",
	Body:        []byte(`{"is_error":1,"error_message":"Civigate: malformed path to the CiviCRM API; use the endpoint's canonical path"}`),
}

// contentTypesRefusal answers, as routeRefusal does, a request to a page
// whose body PHP could read under more than one Content-Type
// (bodyScanner).
var contentTypesRefusal = translate.Reply{
	Status:      http.StatusBadRequest,
	ContentType: "application/json",
	Body:        []byte(`{"is_error":1,"error_message":"` + translate.ManyContentTypes + `"}`),
}

// api4ContentTypesRefusal is contentTypesRefusal on the APIv4 route, in
// its error shape.
var api4ContentTypesRefusal = translate.API4Error(http.StatusBadRequest, translate.ManyContentTypes)

// refuseUnrecognised is the answer to an APIv4 request (forwarded as sent)
// whose form body would route it elsewhere in a CMS; nil: it may go on,
// with the credentials its form body carries (Afform's page token among
// them). Civigate parses an APIv4 body whole anyway, up to max_body_size,
// so it is read whole here too (a larger one gets a 413) and put back.
func (h *Handler) refuseUnrecognised(r *http.Request) (translate.BodyCredentials, *translate.Reply) {
	if h.suspicious(r) {
		return translate.BodyCredentials{}, &routeRefusal
	}
	scan, reply := h.readScanned(r, *h.bodyTooLarge(), api4ContentTypesRefusal)
	if reply == nil && scan.Routes() {
		reply = &routeRefusal
	}
	if reply != nil {
		return translate.BodyCredentials{}, reply
	}
	return scan.Credentials(), nil
}

// readScanned reads a body PHP may parse as a form (bodyScanner) whole, up
// to max_body_size (else the tooBig answer), scans it and puts it back
// (ParseEnvelope then takes the same bytes). The scanner is nil when PHP
// would not parse the body; a body that cannot be read or checked gets an
// answer instead, one under more than one Content-Type manyTypes, unread.
func (h *Handler) readScanned(r *http.Request, tooBig, manyTypes translate.Reply) (*translate.BodyScanner, *translate.Reply) {
	scan, ok := h.bodyScanner(r)
	if !ok {
		return nil, &manyTypes
	}
	if scan == nil {
		return nil, nil
	}
	if translate.EncodedBody(r.Header) {
		return nil, &routeRefusal // cannot be scanned (see serveUnrecognised)
	}
	body, big, err := translate.ReadWholeBody(r, h.MaxBodyBytes)
	switch {
	case err != nil:
		return nil, &routeRefusal // unreadable: not passed on unchecked
	case big:
		return nil, &tooBig
	}
	scan.Write(body)
	scan.Close()
	return scan, nil
}

// refuseWPBatch is the answer to a request to WordPress's REST batch
// route whose sub-requests may log a WordPress user in by API key
// (translate.WPBatchLogsIn), nil: it may go on. Its query and whole body
// (up to max_body_size, else a 413; WordPress batches are small) are
// read, the body put back for next.
func (h *Handler) refuseWPBatch(r *http.Request) *translate.Reply {
	var body []byte
	if r.Body != nil && r.Body != http.NoBody {
		if translate.EncodedBody(r.Header) {
			return &routeRefusal // cannot be read (see serveUnrecognised)
		}
		var tooBig bool
		var err error
		body, tooBig, err = translate.ReadWholeBody(r, h.MaxBodyBytes)
		switch {
		case err != nil:
			return &routeRefusal
		case tooBig:
			return h.bodyTooLarge()
		}
	}
	if translate.WPBatchLogsIn(r.URL.RawQuery, body) {
		return &routeRefusal
	}
	return nil
}

// bodyTooLarge is the answer to a body Civigate must read whole that is
// larger than max_body_size.
func (h *Handler) bodyTooLarge() *translate.Reply {
	return &translate.Reply{
		Status:      http.StatusRequestEntityTooLarge,
		ContentType: "application/json",
		Body: []byte(`{"is_error":1,"error_message":"Civigate: form body larger than ` +
			strconv.FormatInt(h.MaxBodyBytes, 10) + ` bytes (max_body_size)"}`),
	}
}

// bodyScanner is the scanner for a request body that may carry CMS routing
// parameters (WordPress and Joomla also read q, rest_route and task from a
// POST form body) or AuthX's parameters, or nil: PHP would not parse it
// as a form (translate.BodyScanner decides, from the method and
// Content-Type, as the web servers in front of PHP hand them over). ok is
// false for a body under more than one Content-Type, which PHP could see
// differently behind different servers (translate.OneContentType): it is
// refused before any of it is read, and before any credential is checked.
func (h *Handler) bodyScanner(r *http.Request) (scan *translate.BodyScanner, ok bool) {
	ct, ok := translate.BodyContentType(r)
	if !ok || r.Body == nil || r.Body == http.NoBody {
		return nil, ok
	}
	return h.recognise.BodyScanner(r.URL, r.Method, ct), true
}

// clientAddr is the client address after Caddy's trusted-proxy handling.
func clientAddr(r *http.Request) netip.Addr {
	a, _, _ := clientAddrOf(r)
	return a
}

// clientAddrOf is clientAddr, whether it is read from the address text
// preparedKey takes (clientVars' or, without one, RemoteAddr): not when
// the client_ip variable holds something other than an address, and
// whether the request came through a trusted proxy.
func clientAddrOf(r *http.Request) (addr netip.Addr, exact, trusted bool) {
	s, trusted := clientVars(r)
	if s != "" {
		if a, err := netip.ParseAddr(s); err == nil {
			return a.Unmap(), true, trusted
		}
	}
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap(), s == "", trusted
	}
	return netip.Addr{}, s == "", trusted
}

// clientVars is what Caddy's trusted-proxy handling wrote in the
// request's variables, read in one look: the client address as text ("":
// none) and whether the request came through a trusted proxy.
func clientVars(r *http.Request) (clientIP string, trusted bool) {
	vars, _ := r.Context().Value(caddyhttp.VarsCtxKey).(map[string]any)
	clientIP, _ = vars[caddyhttp.ClientIPVarKey].(string)
	trusted, _ = vars[caddyhttp.TrustedProxyVarKey].(bool)
	return clientIP, trusted
}

// setAuthPlaceholders exposes the principal to logs and other handlers
// (e.g. rate_limit keyed on {http.auth.user.contact_id}). Never a
// credential. They are looked up when asked for, which costs a request
// less than storing four values in the replacer's map. The contact id is
// {http.auth.user.contact_id}, not {http.auth.user.id}: Caddy's FastCGI
// transport hands {http.auth.user.id} to PHP as REMOTE_USER, the user the
// web server authenticated, which CMS modules that trust the web server
// log in by name (contact 42 would become the CMS user "42"). The access
// log's user_id gets it once the request's way upstream is over
// (setLogUserID).
func setAuthPlaceholders(r *http.Request, p *authx.Principal) {
	if p != nil {
		setPlaceholders(r, authPlaceholders(p))
	}
}

// setPlaceholders adds f (authPlaceholders') to the request's replacer.
func setPlaceholders(r *http.Request, f caddy.ReplacerFunc) {
	if repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer); ok && f != nil {
		repl.Map(f)
	}
}

// authPlaceholders looks up the placeholders setAuthPlaceholders
// exposes for p; a prepared request makes it once.
func authPlaceholders(p *authx.Principal) caddy.ReplacerFunc {
	return func(key string) (any, bool) {
		name, ok := strings.CutPrefix(key, "http.auth.user.")
		if !ok {
			return nil, false
		}
		switch name {
		case "contact_id":
			if p.ContactID > 0 {
				return strconv.FormatInt(p.ContactID, 10), true
			}
		case "cred_type":
			return p.CredType, true
		case "flow":
			return p.Flow, true
		case "key_fingerprint":
			if p.KeyFingerprint != "" {
				return p.KeyFingerprint, true
			}
		}
		return nil, false
	}
}

// userIDPlaceholder is the placeholder Caddy's access log reads its
// user_id from, and Caddy's FastCGI transport PHP's REMOTE_USER.
const userIDPlaceholder = "http.auth.user.id"

// setLogUserID gives the access log's user_id p's contact id, once
// nothing of r goes upstream any more: deferred by whoever passes r (or
// the call made of it) on. While it travels, {http.auth.user.id} must not
// be Civigate's (setAuthPlaceholders): behind php_fastcgi it would reach
// PHP as REMOTE_USER. A user an authentication handler in front of
// Civigate set (basic_auth, vars) is kept: it is the web server's own,
// which PHP gets as it would without Civigate, and the log names it. A
// server without access logs is spared the replacer's map entry.
func setLogUserID(r *http.Request, p *authx.Principal) {
	if p == nil || p.ContactID <= 0 {
		return
	}
	if srv, ok := r.Context().Value(caddyhttp.ServerCtxKey).(*caddyhttp.Server); ok && srv.Logs == nil {
		return
	}
	repl, ok := r.Context().Value(caddy.ReplacerCtxKey).(*caddy.Replacer)
	if !ok {
		return
	}
	if _, set := repl.Get(userIDPlaceholder); !set {
		repl.Set(userIDPlaceholder, strconv.FormatInt(p.ContactID, 10))
	}
}

// Outcomes for the requests metric.
const (
	outcomeOK           = "ok"
	outcomeAPIError     = "api_error"
	outcomeAuthRejected = "auth_rejected"
	outcomeEdgeError    = "edge_error"
	outcomeUpstreamErr  = "upstream_error"
	outcomeRefused      = "refused"
	outcomeCacheHit     = "cache_hit"
)

func outcomeOf(call *translate.Call, res translate.UpstreamResponse, reply translate.Reply) string {
	switch {
	case res.Status == 0 || reply.Status == http.StatusBadGateway:
		return outcomeUpstreamErr
	case call.API4 != nil && reply.Status != http.StatusOK && reply.ContentType == "application/json":
		// APIv4 answers API errors with their HTTP status (403, 500) in
		// JSON; an HTML 500 is a crash.
		return outcomeAPIError
	case res.Status >= 500:
		return outcomeUpstreamErr
	case translate.ResultIsError(reply.Body):
		return outcomeAPIError
	}
	return outcomeOK
}

func (h *Handler) count(form, outcome string) {
	if c := formMetricsOf(form).requests(outcome); c != nil {
		c.Inc()
		return
	}
	metrics.requests.WithLabelValues(form, outcome).Inc()
}

// writeReply sends a complete answer, with answerHeader (set here if the
// caller has not: every answer Civigate makes itself, refusals of pages'
// credentials and malformed routes included). It returns no error even
// when the client went away: Caddy would log a handler error together
// with the request URI, and legacy URIs carry credentials.
func writeReply(w http.ResponseWriter, reply translate.Reply) error {
	return writeAnswer(w, nil, reply, "", "")
}

// writeAnswer is writeReply for the client's request r (nil: not known),
// with the answer's Content-Length already written out (length; "":
// counted here) and its Cache-Status ("": none, or already set). The
// header values (answerHeader's too, unless they are set) go in one
// slice, one allocation: each value needs a slice of its own per request
// (another handler may rewrite it in place), but not an allocation of
// its own.
func writeAnswer(w http.ResponseWriter, r *http.Request, reply translate.Reply, length, cacheStatus string) error {
	h := w.Header()
	_, answerSet := h["X-Content-Type-Options"]
	n := 4
	if !answerSet {
		n += len(answerHeader)
	}
	values := make([]string, 0, n)
	set := func(name, value string) {
		values = append(values, value)
		n := len(values)
		h[name] = values[n-1 : n : n]
	}
	if !answerSet {
		for _, nh := range answerHeader {
			set(nh.name, nh.value)
		}
	}
	if reply.ContentType != "" {
		set("Content-Type", reply.ContentType)
	}
	if !serverCountsLength(r, len(reply.Body)) {
		if length == "" {
			length = strconv.Itoa(len(reply.Body))
		}
		set("Content-Length", length)
	}
	if cacheStatus != "" {
		set("Cache-Status", cacheStatus)
	}
	if reply.Allow != "" {
		set("Allow", reply.Allow)
	}
	status := reply.Status
	if status == 0 {
		status = http.StatusOK
	}
	w.WriteHeader(status)
	_, _ = w.Write(reply.Body)
	return nil
}

// serverCountsLength reports whether the HTTP server sends the
// Content-Length of an answer to r whose body, n bytes, the handler
// writes in one Write before it returns, so that the handler need not
// put one in the header: HTTP/1 (chunkWriter.writeHeader), HTTP/2
// (writeChunk) and HTTP/3 (quic-go's server as of v0.63: its 4 KiB
// small-response buffer, and a HEAD's counted bytes) count a body that is
// still in their buffer when the handler returns (HTTP/1's is the
// smallest, bufferBeforeChunkingSize), a HEAD request's too, since its
// body is written like any other. A larger body carries its own.
// TestHeadContentLengthOverHTTP3 holds quic-go to it.
//
// It matters to a cache hit: its header has eight entries without
// Content-Length (Server, Content-Type, the five of answerHeader and
// Cache-Status), and a ninth turns Go's map into a table, which the
// header's growth and net/http's Clone of it in WriteHeader each
// allocate, and net/http writes one more sorted entry.
func serverCountsLength(r *http.Request, n int) bool {
	return r != nil && r.ProtoMajor >= 1 && r.ProtoMajor <= 3 && n > 0 && n <= serverLengthBuffer
}

// serverLengthBuffer is net/http's bufferBeforeChunkingSize: what an
// HTTP/1 answer may hold before the server sends its header.
const serverLengthBuffer = 2048
