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
//   - civicrm/ajax/rest with key/api_key (legacyrest flow): 200
//     text/javascript {"error_message":"FATAL: <AuthX message>","is_error":1};
//   - civicrm/ajax/rest otherwise: AuthX's 401 text/plain "HTTP 401 <message>"
//     (400/403/429/503 as HTTPStatus says) plus an RFC 6750/7617 challenge.
//
// No shape ever contains the credential.
func (r *Rejection) Reply(call *translate.Call, realm string) (translate.Reply, http.Header) {
	h := http.Header{}
	if s := r.RetryAfterSeconds(); s > 0 {
		h.Set("Retry-After", strconv.Itoa(s))
	}
	switch {
	case call.Form == translate.FormExtern:
		return translate.ErrorReply(call, r.LegacyStatus(), translate.RESTError(r.LegacyMessage())), h
	case call.Form == translate.FormWPRest:
		w := r.WP()
		var data *translate.Array
		if w.DataStatus {
			data = translate.WPStatusData(w.Status)
			if w.Code == "rest_invalid_param" {
				p := translate.NewArray()
				p.Set("key", "Invalid parameter.")
				data.Set("params", p)
				data.Set("details", translate.NewArray())
			}
		}
		return translate.WPErrorReply(w.Status, w.Code, w.Message, data), h
	case r.Flow == FlowLegacyRest:
		st := r.LegacyStatus()
		body := translate.EncodeJSON(translate.RESTError("FATAL: "+r.Message), translate.JSONOptions{Legacy: true})
		return translate.Reply{Status: st, ContentType: "text/javascript;charset=UTF-8", Body: body}, h
	}
	if c := r.WWWAuthenticate(realm); c != "" {
		h.Set("WWW-Authenticate", c)
	}
	return translate.Reply{Status: r.HTTPStatus(), ContentType: "text/plain;charset=UTF-8", Body: []byte(r.ModernBody())}, h
}
