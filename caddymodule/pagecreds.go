package caddymodule

import (
	"net/http"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// AuthX takes a credential on every CiviCRM page, not only on the API and
// its own routes: its civi.invoke.auth listener runs for whatever
// CRM_Core_Invoke runs, reads X-Civi-Auth, Authorization and _authx
// ($_GET on GET, $_POST otherwise), verifies the credential and answers
// an invalid one with its 401, a valid one with the page as that user.
// Any page would be a credential oracle without guessing protection, and
// a way to act as a user the edge never checked. So a request that is not
// API traffic and carries such a credential is authenticated at the edge
// as one to AuthX's own routes is (AuthenticateRoute: guessing protection,
// the site-key rules, verification, the policy on the principal alone,
// AuthX's refusal shape) before it goes
// on as sent. X-Civi-Auth and _authx are AuthX's own names and are checked
// on every request (a shortcode or an alias makes any URL a CiviCRM page);
// Authorization, which other applications on the site use too, only where
// the URL may reach a CiviCRM page (translate.MayReachCiviCRM). Afform's
// page token is one too (PageTokenCredential::onInvoke, a civi.invoke.auth
// listener before AuthX's: X-Civi-Auth-Afform or $_REQUEST['_aff'], which
// serves the page as the token's contact), checked on every request like
// AuthX's own names. A request without a credential goes on untouched, at
// the cost of one pass over its header names and over its query.

// refusePageCredentials authenticates the AuthX credential r carries, if
// any (body: AuthX's parameters in its form body, as a BodyScanner read
// them), and reports whether it answered the request (refused it). When
// it did not, r goes on as sent, and caller is whom it verified (nil:
// nobody), for setLogUserID once r has gone.
func (h *Handler) refusePageCredentials(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, body translate.BodyCredentials) (caller *authx.Principal, refused bool) {
	xAuth, authorization, afform := authx.CredentialHeaders(r.Header)
	params := translate.AuthxCredentials(r, body)
	if !xAuth && !afform && !params.Sent && !params.AfformSent && !(authorization && h.recognise.MayReachCiviCRM(r.URL)) {
		return nil, false
	}
	if params.Problem != "" {
		h.count(pageForm, outcomeRefused)
		_ = writeReply(w, credentialProblem(params.Problem))
		return nil, true
	}
	if translate.PathResolvesElsewhere(r.URL) {
		// The web server may resolve it to another site's base than the
		// one the credential would be judged by (pageAuthxID).
		h.count(pageForm, outcomeRefused)
		_ = writeReply(w, resolvingPathRefusal)
		return nil, true
	}
	clientIP := clientAddr(r)
	call := translate.AuthxRouteCall(r, translate.PageRoute, params, h.parse.Limits)
	_, p, rej := h.authenticateAt(r, next, h.pageAuthxID(r), call, clientIP, h.auth.AuthenticateRoute)
	if rej != nil {
		_ = h.refuseAuth(w, call, rej, clientIP)
		return nil, true
	}
	setAuthPlaceholders(r, p)
	return p, false
}

// resolvingPathRefusal answers a credential on a page path that a web
// server may route elsewhere than it names (translate.PathResolvesElsewhere).
var resolvingPathRefusal = translate.Reply{Status: http.StatusBadRequest, ContentType: "text/plain;charset=UTF-8",
	Body: []byte("Civigate: a credential is not taken on a path with dot segments, encoded slashes or backslashes, which the web server may route to another site than the path names; send it on the page's plain path")}

// pageForm labels the metrics of credentials checked on pages.
const pageForm = string(translate.FormPage)

// refuseBody answers a streamed form body the scanner refused: it routes
// to an API, or it carries an AuthX parameter past what was read before
// the request was authenticated.
func (h *Handler) refuseBody(w http.ResponseWriter, scan *translate.BodyScanner) error {
	if scan.CredentialsLate() {
		h.count(pageForm, outcomeRefused)
		return writeReply(w, credentialProblem(lateCredential))
	}
	return h.refuseRoute(w)
}

// lateCredential: the body is authenticated from its first primeBytes.
const lateCredential = "found past the first 64 KiB of a form body"
