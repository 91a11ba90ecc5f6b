package authx

import (
	"net/http"

	"github.com/civigate/civigate/translate"
)

// civicrm/ajax/rest's CSRF rule (CRM_Utils_REST::ajax and
// isWebServiceRequest, spec §4): a request runs only if it is OPTIONS,
// carries X-Requested-With: XMLHttpRequest exactly, or authenticated by
// AuthX's legacyrest, param (_authx) or xheader (X-Civi-Auth) flow. The
// Authorization header flow and cookie sessions need the header.
//
// Civigate forwards every caller it verified as X-Civi-Auth, which lifts
// the rule upstream. For a bearer credential that is deliberate (README):
// a browser never attaches one by itself, so no cross-site request can
// carry it. A password in `Authorization: Basic` is different: a browser
// that holds the site's Basic credentials (typed into its prompt, or the
// web server's own basic_auth) attaches them to every request to the site,
// a cross-site form POST or image included. For those callers the edge
// applies CiviCRM's rule itself (ajaxGate), after authentication as
// CiviCRM does, before the policy, the parameters, the cache and CiviCRM:
// without the proof they get CiviCRM's CSRF refusal, and nothing runs.
// Callers without a verified credential (a cookie session, anonymous) get
// only the X-Requested-With they sent, so CiviCRM judges them itself.

// ambientCredential reports whether the credential p was verified from is
// one a browser attaches to a request by itself: a password (Basic) in the
// Authorization header (AuthX's header flow). Only the Authorization
// header is filled by a browser's own credential store; X-Civi-Auth and
// _authx are set by the caller, who must know the credential.
func ambientCredential(p *Principal, flow string) bool {
	return p != nil && flow == FlowHeader && p.CredType == CredPass
}

// requestedWith is the X-Requested-With value PHP would see: the one value
// of the header under every spelling PHP folds into HTTP_X_REQUESTED_WITH
// (X_Requested_With too). Two values, even the same one twice, are no
// proof: FastCGI and Apache join them with ", " (and of two spellings one
// overwrites the other, in no fixed order). With h nil, the Call's.
func requestedWith(call *translate.Call, h http.Header) string {
	if h == nil {
		return call.RequestedWith
	}
	vals := headerValues(h, "x-requested-with")
	if len(vals) != 1 {
		return ""
	}
	return vals[0]
}

// csrfPasses is isWebServiceRequest for flow, with the request's proof.
func csrfPasses(call *translate.Call, h http.Header, flow string) bool {
	return translate.API4CSRFPasses(call.Method, requestedWith(call, h), flow)
}

// ajaxGate applies civicrm/ajax/rest's CSRF rule (see the top of this
// file) to a caller authenticated by a credential a browser attaches by
// itself. nil for other forms and other callers.
func ajaxGate(call *translate.Call, h http.Header, flow string, p *Principal) *Rejection {
	if call.Form != translate.FormAjax && call.Form != translate.FormAjaxVerbose {
		return nil
	}
	if !ambientCredential(p, flow) || csrfPasses(call, h, flow) {
		return nil
	}
	csrf := translate.AjaxCSRFReply(call)
	return &Rejection{Reason: ReasonCSRF, Message: translate.MsgAjaxCSRF, Status: csrf.Status, Flow: flow,
		Detail: "Authorization: Basic without X-Requested-With: XMLHttpRequest", Answer: &csrf}
}
