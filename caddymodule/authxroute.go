package caddymodule

import (
	"net/http"
	"net/netip"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// serveAuthxRoute handles a request to one of AuthX's own routes
// (civicrm/authx/id, login and logout, in every spelling the recogniser
// knows). They run no API, but each answers a valid credential
// differently from an invalid one (authx/id says who it is; a password on
// the xheader flow is refused in other words when it is right), so their
// credential is authenticated at the edge like an API call's: guessing
// protection (failures counted, 429 when blocked, proven credentials
// still pass), the site-key rules, verification, the policy's rules on
// the principal alone (a principal the policy allows no call gets no
// session: authx.Policy.AdmitsPrincipal; with anonymous, neither does one
// held to stricter rules than anonymous callers, whose session's calls
// the edge would judge as theirs: authx.Policy.SessionKeepsRules), AuthX's
// text/plain shape for
// refusals. A request that passes goes on exactly as sent, its
// credential included: CiviCRM answers it itself, and authx/login creates
// the session the client asked for, which a Civigate credential could not.
// One without a credential has nothing to guess and goes on too.
//
// Civigate's own questions to authx/id never come through here by
// default: they go to the next handler directly (routeTransport). With
// resolve_url pointing at a site Civigate fronts, they carry
// authx.SubrequestHeader, a token of the auth secret bound to the time and
// to the credential asked about (authx.SignSubrequest), and go on
// unchecked when it is valid for this request's credential.
func (h *Handler) serveAuthxRoute(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, route translate.Route, clientIP netip.Addr) error {
	const form = string(translate.FormAuthx)
	if h.suspicious(r) {
		h.count(form, outcomeRefused)
		return writeReply(w, routeRefusal)
	}
	// AuthX reads _authx from $_POST on every method but GET: the body is
	// read whole (up to max_body_size) as PHP would parse it, for its
	// routing parameters and AuthX's both, and put back.
	scan, reply := h.readScanned(r, authxTooBig, authxContentTypes)
	if reply == nil && scan.Routes() {
		reply = &routeRefusal
	}
	if reply != nil {
		h.count(form, outcomeRefused)
		return writeReply(w, *reply)
	}
	params := translate.AuthxCredentials(r, scan.Credentials())
	if params.Problem != "" {
		h.count(form, outcomeRefused)
		return writeReply(w, credentialProblem(params.Problem))
	}
	call := translate.AuthxRouteCall(r, route, params, h.parse.Limits)
	token := r.Header.Get(authx.SubrequestHeader)
	// The token is Civigate's own: it goes no further.
	for name := range r.Header {
		if authx.IsSubrequestHeader(name) {
			delete(r.Header, name)
		}
	}
	if token != "" && route.Action == "id" {
		if !h.auth.SubrequestValid(token, authx.Request{Call: call, Header: r.Header}) {
			// Another Civigate, with another secret, asking through this
			// one, or a token replayed late or for another credential:
			// answered as an outage, never as a verdict.
			h.count(form, outcomeRefused)
			return writeReply(w, subrequestRefusal)
		}
		return next.ServeHTTP(w, r)
	}
	_, p, rej := h.authenticateAt(r, next, h.authxID(route), call, clientIP, h.auth.AuthenticateRoute)
	if rej != nil {
		return h.refuseAuth(w, call, rej, clientIP)
	}
	setAuthPlaceholders(r, p)
	defer setLogUserID(r, p)
	h.count(form, outcomeOK)
	return next.ServeHTTP(w, r)
}

var subrequestRefusal = translate.Reply{
	Status:      http.StatusServiceUnavailable,
	ContentType: "text/plain;charset=UTF-8",
	Body:        []byte("HTTP 503 Civigate: a credential question whose subrequest token is not valid (another auth secret, too old, or for another credential)"),
}

var authxTooBig = translate.Reply{Status: http.StatusRequestEntityTooLarge, ContentType: "text/plain;charset=UTF-8",
	Body: []byte("HTTP 413 Civigate: form body larger than max_body_size")}

var authxContentTypes = translate.Reply{Status: http.StatusBadRequest, ContentType: "text/plain;charset=UTF-8",
	Body: []byte("HTTP 400 " + translate.ManyContentTypes)}

// credentialProblem is the answer to a request whose AuthX parameters (or
// Afform's page token) the edge cannot read as CiviCRM would (translate.BodyCredentials.Problem),
// in AuthX's refusal shape: refused rather than passed on unchecked.
func credentialProblem(problem string) translate.Reply {
	return translate.Reply{Status: http.StatusUnauthorized, ContentType: "text/plain;charset=UTF-8",
		Body: []byte("HTTP 401 Civigate: _authx, _authxSiteKey or _aff " + problem + "; send the credential once, in X-Civi-Auth (X-Civi-Auth-Afform) or a plain form field")}
}
