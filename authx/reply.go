package authx

import (
	"net/http"
	"strconv"

	"github.com/civigate/civigate/translate"
)

// Reply renders the rejection in the shape the client's endpoint form
// expects, with the headers to add (WWW-Authenticate, Retry-After):
//
//   - extern/rest.php: HTTP 200 (429/503 for rate limits and outages)
//     {"error_message":<legacy message>,"is_error":1} in JSON or XML;
//   - WordPress REST: the WP_Error shape and status civicrm/v3/rest gave;
//   - civicrm/ajax/rest and APIv4 with key/api_key (legacyrest flow): 200
//     text/javascript {"error_message":"FATAL: <AuthX message>","is_error":1};
//   - APIv4 otherwise: AuthX's 401 text/plain "HTTP 401 <message>" where
//     CiviCRM would refuse, an APIv4 error where only Civigate does
//     (api4Reply);
//   - AuthX's own routes (civicrm/authx/id, login, logout): AuthX's
//     text/plain "HTTP <status> <message>", 429 and 503 included;
//   - bin/cron.php: authenticateScript's "ERROR: …" text with HTTP 200
//     where CiviCRM refuses too, "ERROR: Civigate: …" with the modern
//     status where only Civigate does (cronReply);
//   - civicrm/ajax/rest otherwise: 401 (400/403/429/503 as HTTPStatus says)
//     with an RFC 6750/7617 challenge and an APIv3-shaped JSON body
//     {"is_error":1,"error_message":<AuthX message>}: AuthX itself sends
//     text/plain "HTTP 401 <message>", which API clients cannot parse as
//     the APIv3 error every other answer of the endpoint is.
//
// A rejection carrying CiviCRM's own Answer gets that instead. No shape
// ever contains the credential.
func (r *Rejection) Reply(call *translate.Call, realm string) (translate.Reply, http.Header) {
	h := http.Header{}
	if r.Answer != nil {
		return *r.Answer, h
	}
	if s := r.RetryAfterSeconds(); s > 0 {
		h.Set("Retry-After", strconv.Itoa(s))
	}
	switch {
	case call.Form == translate.FormExtern:
		return translate.ErrorReply(call, r.LegacyStatus(), translate.RESTError(r.LegacyMessage())), h
	case call.Form == translate.FormWPRest:
		w := r.WP()
		var data *translate.Array
		switch {
		case w.Code == "rest_invalid_param":
			data = translate.WPInvalidKeyData()
		case w.DataStatus:
			data = translate.WPStatusData(w.Status)
		}
		return translate.WPErrorReply(call, w.Status, w.Code, w.Message, data), h
	case r.Flow == FlowLegacyRest:
		return legacyRestFatal(r.LegacyStatus(), r.Message), h
	case call.Form == translate.FormAPI4:
		return r.api4Reply(), h
	case call.Form.AuthxOnly():
		return r.authxReply(), h
	case call.Form == translate.FormCron:
		return r.cronReply(), h
	}
	if c := r.WWWAuthenticate(realm); c != "" {
		h.Set("WWW-Authenticate", c)
	}
	body := translate.EncodeJSON(translate.APIError(r.Message), translate.JSONOptions{})
	return translate.Reply{Status: r.HTTPStatus(), ContentType: "application/json", Body: body}, h
}

// legacyRestFatal is AuthX's legacyrest refusal: {"error_message":"FATAL:
// <msg>","is_error":1} as text/javascript.
func legacyRestFatal(status int, msg string) translate.Reply {
	body := translate.EncodeJSON(translate.RESTError("FATAL: "+msg), translate.JSONOptions{Legacy: true})
	return translate.Reply{Status: status, ContentType: "text/javascript;charset=UTF-8", Body: body}
}

// cronReply is bin/cron.php's shape: CRM_Utils_System::authenticateScript
// echoes "ERROR: …" and exits, HTTP 200, for a missing name, a missing or
// wrong site key and a wrong password; the edge's own refusals (policy,
// 429, 503, conflicting input) say they are Civigate's, with their status.
func (r *Rejection) cronReply() translate.Reply {
	switch r.Reason {
	case ReasonMissing:
		return translate.CronReply(http.StatusOK, "You need to send a valid user name and password to execute this file")
	case ReasonSiteKey:
		if r.Detail == detailSiteKeyMissing {
			return translate.CronReply(http.StatusOK, "You need to send a valid key to execute this file.")
		}
		return translate.CronReply(http.StatusOK, "Invalid key value sent.")
	case ReasonInvalid, ReasonExpired, ReasonNoUser:
		return translate.CronReply(http.StatusOK, "Invalid username and/or password")
	}
	return translate.CronReply(r.HTTPStatus(), "Civigate: "+r.Message)
}
