package authx

import (
	"fmt"
	"net/http"
	"strconv"

	"github.com/civigate/civigate/translate"
)

// APIv4 (civicrm/ajax/api4) runs AuthX like civicrm/ajax/rest, with the
// differences a live CiviCRM 6.17 shows on that route (spec §6, §7), which
// Civigate reproduces so that an APIv4 client gets through the edge what
// CiviCRM would have answered it:
//
//   - `Authorization: Basic …` (or Digest) is no credential: AuthX's
//     default settings allow no passwords there, so it ignores the header
//     (IgnoreImprovisedFirewall) and the request goes on with the next flow
//     or anonymously;
//   - a password is refused on every other flow (no flow allows "pass");
//   - after authentication, CiviCRM's CSRF rule: the Authorization header
//     flow and credential-less callers need X-Requested-With exactly
//     "XMLHttpRequest". Upstream the rule no longer applies (Civigate
//     sends X-Civi-Auth), so the edge applies it;
//   - refusals in AuthX's own shape (401 text/plain "HTTP 401 …"), the
//     legacyrest flow's 200 text/javascript FATAL, CiviCRM's CSRF 400; the
//     edge's own refusals (policy, guessing protection, outages) as APIv4
//     errors.

// ReasonCSRF: the request failed CiviCRM's CSRF rule (spec §7).
const ReasonCSRF Reason = "csrf"

// MsgMismatchedSession is what AuthX says when its legacyrest listener
// finds a login by another flow already in place.
const MsgMismatchedSession = "Cannot login. A mismatched session is already active."

// api4Gate is what CiviCRM checks on APIv4 between a verified (or absent)
// credential and running the call: AuthX's credential types, then the
// page's CSRF rule. nil for other forms.
func api4Gate(call *translate.Call, h http.Header, flow string, p *Principal) *Rejection {
	if call.API4 == nil {
		return nil
	}
	if p != nil && p.CredType == CredPass {
		return &Rejection{Reason: ReasonInvalid, Flow: flow, Detail: "password on APIv4",
			Message: fmt.Sprintf("Authentication type %q with flow %q is not allowed for this principal.", CredPass, flow)}
	}
	if csrfPasses(call, h, flow) {
		return nil
	}
	csrf := translate.API4CSRFReply()
	return &Rejection{Reason: ReasonCSRF, Status: csrf.Status, Flow: flow, Detail: "no X-Requested-With: XMLHttpRequest", Answer: &csrf}
}

// api4Reply renders a rejection for an APIv4 client (see the top of this
// file). The legacyrest flow's shape is Reply's.
func (r *Rejection) api4Reply() translate.Reply {
	if r.legacyRestConflict {
		return legacyRestFatal(200, MsgMismatchedSession)
	}
	switch r.Reason {
	case ReasonInvalid, ReasonExpired, ReasonSiteKey, ReasonNoUser:
		// AuthX's reject(): what CiviCRM itself answers.
		return authxReject(401, r.Message)
	}
	return translate.API4Error(r.HTTPStatus(), r.Message)
}

// authxReply renders a rejection for a request to one of AuthX's own
// routes: AuthX's reject() shape, 401 text/plain "HTTP 401 <message>",
// where CiviCRM would refuse, and the same shape with Civigate's status
// where only Civigate does (429, 503).
func (r *Rejection) authxReply() translate.Reply {
	status := r.HTTPStatus()
	switch r.Reason {
	case ReasonInvalid, ReasonExpired, ReasonSiteKey, ReasonNoUser:
		status = 401
	}
	return authxReject(status, r.Message)
}

// authxReject is AuthX's reject(): text/plain "HTTP <status> <message>".
func authxReject(status int, msg string) translate.Reply {
	return translate.Reply{Status: status, ContentType: "text/plain;charset=UTF-8", Body: []byte("HTTP " + strconv.Itoa(status) + " " + msg)}
}
