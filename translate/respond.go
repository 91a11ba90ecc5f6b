package translate

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
)

// UpstreamResponse is what the modern endpoint answered. Status 0 means there
// was no answer at all (connection refused, timeout, reset).
type UpstreamResponse struct {
	Status      int
	ContentType string
	Body        []byte
}

// Content types the legacy endpoints really send (recordings, spec §3.1).
const (
	ctJSON      = "application/json"
	ctExternXML = "text/xml;charset=UTF-8"
	// ctPHPDefault is PHP's default_mimetype/default_charset header, sent
	// whenever CiviCRM sets no Content-Type: ajax/rest XML, prettyprint JSON.
	ctPHPDefault = "text/html; charset=UTF-8"
	// ctLegacyRest is what AuthX's legacyrest rejections carry.
	ctLegacyRest = "text/javascript;charset=UTF-8"
)

// RenderResponse turns the modern endpoint's answer into the one the client's
// legacy endpoint would have given.
//
// Upstream is always asked for JSON (BuildUpstream sends a non-empty json=),
// so a 200 answer is the JSON form of CRM_Utils_REST::output():
//   - JSON clients get the body unchanged (application/json), or re-encoded
//     with JSON_PRETTY_PRINT under the Content-Type the old endpoint sent
//     for prettyprint (none set by CiviCRM, so PHP's default, except that
//     extern/rest.php had already sent text/xml when json was only in POST);
//   - XML clients get RenderXML of the decoded body, text/xml;charset=UTF-8
//     for extern/rest.php (it set that header itself) and PHP's default
//     text/html for the AJAX forms;
//   - WordPress REST clients get the WordPress controller's shapes (wp.go).
//
// Authentication failures (401 text/plain, 403 HTML, the legacyrest 200
// text/javascript FATAL body) are mapped for extern/rest.php and WordPress
// REST clients to the exact answers those endpoints give (see authCause).
// The AJAX forms are the modern endpoint, so its own answers pass through,
// except that a client that authenticated with key/api_key (legacyrest)
// gets legacyrest's 200 text/javascript FATAL answers (legacyRestReply).
//
// Everything else — no answer, 5xx, an unexpected status, HTML or garbage
// where JSON was due — becomes an APIv3-shaped error with HTTP 502 in the
// client's format. Neither Go errors nor upstream HTML reach a legacy client.
//
// A HEAD is rendered as its GET: CiviCRM is asked with GET
// (UpstreamMethod), so its answer has the GET's body, and the server sends
// the GET's headers, its Content-Length among them (RFC 9110 §9.3.2,
// §8.6), without the body.
func RenderResponse(call *Call, up UpstreamResponse) Reply {
	if up.Status == 0 {
		return ErrorReply(call, 502, APIError("CiviCRM did not answer (upstream unreachable)"))
	}
	if call.Form == FormAPI4 {
		// APIv4 clients get CiviCRM's answer as it is: status, content
		// type and body, whatever they are (spec §10: never re-encoded).
		return Reply{Status: up.Status, ContentType: up.ContentType, Body: up.Body}
	}
	if cause, ok := classifyAuthFailure(up); ok {
		if !call.Form.Legacy() {
			if usedLegacyRest(call) && up.Status != 200 {
				return legacyRestReply(call, up, cause)
			}
			return Reply{Status: up.Status, ContentType: up.ContentType, Body: up.Body}
		}
		if call.Form == FormWPRest {
			return wpAuthReply(call, cause)
		}
		return RenderResult(call, RESTError(externAuthMessage(call, cause)))
	}
	if up.Status != 200 {
		// CiviCRM itself failed (a PHP fatal error is HTTP 500): the legacy
		// endpoint would have failed the same way, so the client keeps the
		// 500 it could rely on, with an APIv3 error instead of PHP's page.
		// Anything else is a failure of the way to CiviCRM: 502.
		status := http.StatusBadGateway
		if up.Status == http.StatusInternalServerError {
			status = up.Status
		}
		return ErrorReply(call, status, APIError("CiviCRM answered with HTTP status "+strconv.Itoa(up.Status)))
	}
	// output() always answers a JSON object or array; a bare scalar, like
	// anything undecodable, means something else answered (an error page, a
	// PHP warning in front of the body).
	if PassesThrough(call) {
		// The hot path: the body goes out byte for byte, so it only has to
		// be an APIv3 answer, not be decoded. An error page, a PHP warning
		// in front of the JSON or a truncated body fails this shape check.
		if !LooksLikeJSONObject(up.Body) {
			return ErrorReply(call, 502, APIError("CiviCRM answered with something that is not an APIv3 JSON result"))
		}
		// Byte-for-byte what output() sent; only the label is ours, since
		// CiviCRM sets application/json for exactly this case.
		return Reply{Status: 200, ContentType: ctJSON, Body: up.Body}
	}
	res, err := decodeResult(up.Body)
	if _, isArr := res.(*Array); err != nil || !isArr {
		return ErrorReply(call, 502, APIError("CiviCRM answered with something that is not an APIv3 JSON result"))
	}
	if call.Form == FormWPRest {
		return renderWP(call, res)
	}
	return renderDecoded(call, 200, res)
}

// PassesThrough reports whether CiviCRM's successful JSON answer to this
// call is, byte for byte, what the client's endpoint would have sent: JSON
// that is neither pretty-printed nor reshaped for WordPress REST. A
// HEAD's too: it is answered as its GET, and the server drops the body.
func PassesThrough(call *Call) bool {
	if call.Form == FormAPI4 {
		return true
	}
	return call.Format == FormatJSON && !call.Pretty && call.Form != FormWPRest
}

// StartsPassThrough reports whether an answer to a call that PassesThrough
// can go to the client as it arrives, judged by its status, its
// Content-Type and its first byte: HTTP 200, application/json (AuthX's
// refusals come as text/javascript or text/html) and the start of a JSON
// object or array (an error page or a PHP warning starts otherwise). The
// client gets it under PassThroughContentType. Any other answer has to be
// read whole and given to RenderResponse.
//
// The streamer still owes RenderResponse's other check, that the body ends
// with the matching bracket (ClosesJSON), before the end goes out: text
// after the JSON (a PHP warning) must not reach the client.
func StartsPassThrough(status int, contentType string, first byte) bool {
	if status != 200 || (first != '{' && first != '[') {
		return false
	}
	mediaType, _, _ := strings.Cut(contentType, ";")
	return strings.EqualFold(strings.TrimSpace(mediaType), ctJSON)
}

// PassThroughContentType is the Content-Type of an answer that passes
// through: the one CiviCRM sets for JSON output.
const PassThroughContentType = ctJSON

// ResultIsError reports whether a rendered APIv3 result is an error, from
// where is_error sits in every encoding CiviCRM uses: first in API results
// (JSON, pretty JSON, XML), last in CRM_Utils_REST::error(). It reads only
// the ends of the body, so a large result costs nothing, and a field value
// that happens to contain "is_error":1 cannot fool it.
func ResultIsError(body []byte) bool {
	head, tail := body, body
	if len(head) > resultHeadBytes {
		head = head[:resultHeadBytes]
	}
	if len(tail) > resultTailBytes {
		tail = tail[len(tail)-resultTailBytes:]
	}
	return bytes.HasPrefix(head, []byte(`{"is_error":1`)) ||
		bytes.HasSuffix(tail, []byte(`"is_error":1}`)) ||
		bytes.Contains(head, []byte(`"is_error": 1`)) ||
		bytes.Contains(head, []byte(`<is_error>1</is_error>`))
}

// How much of a body ResultIsError reads at each end. The head holds the
// XML declaration and ResultSet element in front of <is_error>.
const (
	resultHeadBytes = 256
	resultTailBytes = 16
)

// LooksLikeJSONObject is a cheap shape check of a CiviCRM JSON answer: it
// starts with '{' or '[' and ends with the matching bracket, both without
// surrounding whitespace, as json_encode writes it. It does not validate
// the inside (CiviCRM's encoder does not produce invalid JSON), it tells an
// APIv3 answer from an HTML page, a PHP warning or a cut-off body.
func LooksLikeJSONObject(b []byte) bool {
	if len(b) < 2 {
		return false
	}
	return ClosesJSON(b[0], b[len(b)-1])
}

// ClosesJSON reports whether a body that starts with first and ends with
// last is shaped like a JSON object or array.
func ClosesJSON(first, last byte) bool {
	return (first == '{' && last == '}') || (first == '[' && last == ']')
}

// RenderResult renders an APIv3 result Civigate produced itself (a ping, an
// edge refusal, a cached result) in the client's format with HTTP 200, as
// CRM_Utils_REST::output() would have. For WordPress REST clients the result
// is reshaped as the WordPress controller does (values as a list, bare
// getsingle/getcount/getvalue, error_code added to errors), exactly as for
// an upstream answer.
func RenderResult(call *Call, result *Array) Reply {
	if call.Form == FormWPRest {
		return renderWP(call, result)
	}
	return renderDecoded(call, 200, result)
}

// ErrorReply renders an APIv3-shaped error in the client's format (JSON or
// XML, with the Content-Type the client's endpoint form uses) under the
// given HTTP status. It is the one way every layer (auth, cache, Caddy glue)
// answers a legacy client with an error; build fields with APIError (the
// civicrm_api3_create_error order is_error, error_message) or RESTError
// (CRM_Utils_REST::error order error_message, is_error), adding keys as
// needed. Legacy endpoints used HTTP 200 for every API-level error: pass 200
// to mimic them, 502/503 for Civigate's own upstream failures.
//
// WordPress REST clients get the fields as the controller returns an APIv3
// error (WordPress encoder; WordPress XML). For WordPress's own error shape
// ({"code","message","data"}) use WPErrorReply.
func ErrorReply(call *Call, status int, fields *Array) Reply {
	if call.Form == FormAPI4 {
		return API4Error(status, fields.String("error_message"))
	}
	if call.Form == FormWPRest {
		return wpData(call, status, fields)
	}
	return renderDecoded(call, status, fields)
}

// APIError returns {"is_error":1,"error_message":msg}, the
// civicrm_api3_create_error key order.
func APIError(msg string) *Array {
	a := NewArray()
	a.Set("is_error", Number("1"))
	a.Set("error_message", msg)
	return a
}

// RESTError returns {"error_message":msg,"is_error":1}, the
// CRM_Utils_REST::error key order used by extern/rest.php's key checks.
func RESTError(msg string) *Array {
	a := NewArray()
	a.Set("error_message", msg)
	a.Set("is_error", Number("1"))
	return a
}

// renderDecoded is output() over an already-decoded result.
func renderDecoded(call *Call, status int, res any) Reply {
	if call.Form == FormWPRest {
		return wpData(call, status, res)
	}
	if call.Format == FormatXML {
		// extern/rest.php sent text/xml itself when $_GET['json'] was
		// empty; with a json in the query that a POST json=0 overrides,
		// the XML goes out under PHP's default type.
		ct := ctPHPDefault
		if call.Form == FormExtern && !call.JSONInQuery {
			ct = ctExternXML
		}
		return Reply{Status: status, ContentType: ct, Body: RenderXML(res)}
	}
	p, _ := Preprocess(res)
	p = arrayMerge(p)
	if !call.Pretty {
		return Reply{Status: status, ContentType: ctJSON, Body: EncodeJSON(p, JSONOptions{})}
	}
	ct := ctPHPDefault
	if call.Form == FormExtern && !call.JSONInQuery {
		// rest.php sent text/xml because $_GET['json'] was empty, and the
		// prettyprint branch of output() sets no header to replace it.
		ct = ctExternXML
	}
	return Reply{Status: status, ContentType: ct, Body: EncodeJSON(p, JSONOptions{Pretty: true})}
}

// authCause is why the modern endpoint refused the credentials.
type authCause int

const (
	// causeCredential: "Invalid credential" — unknown api_key, bad JWT
	// signature, no credential in a legacyrest call.
	causeCredential authCause = iota
	// causeNoUser: "Cannot login. No matching user is available." — the
	// contact has no CMS user (legacyrest requires one).
	causeNoUser
	// causeGuard: "Login not permitted. Must satisfy guard (site_key, perm)."
	// Civigate forwards the client's site key as X-Civi-Key, so for a
	// legacy client this means the site key was wrong or missing.
	causeGuard
	// causeDenied: 403 from the route permission check (no credential
	// reached CiviCRM, or a contact without a CMS user / access CiviCRM).
	causeDenied
	// causeOther: any other AuthX rejection (expired or malformed JWT,
	// blocked user, credential type not allowed, invalid contact id).
	causeOther
)

// classifyAuthFailure recognises the three ways CiviCRM refuses
// authentication on civicrm/ajax/rest (real-civicrm-6.17.md, spec §2.2/§5.4):
// 401 text/plain "HTTP 401 <reason>", 403 (CMS access-denied page), and the
// legacyrest flow's 200 text/javascript {"error_message":"FATAL: <reason>",…}.
func classifyAuthFailure(up UpstreamResponse) (authCause, bool) {
	switch up.Status {
	case 401:
		return authReason(strings.TrimPrefix(strings.TrimSpace(string(up.Body)), "HTTP 401 ")), true
	case 403:
		return causeDenied, true
	case 200:
		if !strings.HasPrefix(strings.ToLower(up.ContentType), "text/javascript") || !bytes.Contains(up.Body, []byte(`"FATAL: `)) {
			return 0, false
		}
		v, err := DecodeJSON(up.Body)
		if err != nil {
			return 0, false
		}
		a, _ := v.(*Array)
		msg, ok := strings.CutPrefix(a.String("error_message"), "FATAL: ")
		if !ok {
			return 0, false
		}
		return authReason(msg), true
	}
	return 0, false
}

func authReason(msg string) authCause {
	switch {
	case strings.HasPrefix(msg, "Invalid credential"):
		return causeCredential
	case strings.HasPrefix(msg, "Cannot login. No matching user"):
		return causeNoUser
	case strings.HasPrefix(msg, "Login not permitted. Must satisfy guard"):
		return causeGuard
	}
	return causeOther
}

// The legacy extern/rest.php messages (CRM_Utils_REST::loadCMSBootstrap).
const (
	MsgBadSiteKey    = "Failed to authenticate key"
	MsgMissingAPIKey = "FATAL: mandatory param 'api_key' (user key) missing"
	MsgNoCMSUser     = "ERROR: No CMS user associated with given api-key"
)

// externAuthMessage maps an upstream refusal to extern/rest.php's message.
// extern/rest.php checked, in order: the site key (missing or wrong →
// MsgBadSiteKey), the api_key's presence (MsgMissingAPIKey), then the
// contact behind it having a CMS user (MsgNoCMSUser, also for an unknown
// key). The table, upstream reason → legacy message:
//
//	no `key` sent (any reason)                           → Failed to authenticate key
//	Login not permitted. Must satisfy guard (site_key…)  → Failed to authenticate key
//	no `api_key` sent (any other reason)                 → FATAL: mandatory param 'api_key' (user key) missing
//	Invalid credential                                   → ERROR: No CMS user associated with given api-key
//	Cannot login. No matching user is available.         → ERROR: No CMS user associated with given api-key
//	403 access denied                                    → ERROR: No CMS user associated with given api-key
//	anything else (expired/malformed JWT, blocked user…) → ERROR: No CMS user associated with given api-key
//
// All are rendered as CRM_Utils_REST::error ({"error_message":…,"is_error":1})
// with HTTP 200 in the client's format.
func externAuthMessage(call *Call, cause authCause) string {
	switch {
	case call.Credentials.SiteKey == "" || cause == causeGuard:
		return MsgBadSiteKey
	case call.Credentials.APIKey == "":
		return MsgMissingAPIKey
	}
	return MsgNoCMSUser
}

// arrayMerge is PHP's array_merge($a) with one argument, which output()
// applies before json_encode: integer keys are renumbered from 0 in order,
// string keys stay.
func arrayMerge(a *Array) *Array {
	n := 0
	renumber := false
	for _, k := range a.Keys() {
		if _, ok := IntKey(k); ok {
			if k != strconv.Itoa(n) {
				renumber = true
				break
			}
			n++
		}
	}
	if !renumber {
		return a
	}
	out := NewArray()
	for i := range a.Len() {
		if _, ok := IntKey(a.Key(i)); ok {
			out.Append(a.Value(i))
		} else {
			out.Set(a.Key(i), a.Value(i))
		}
	}
	return out
}

// usedLegacyRest reports whether CiviCRM would have authenticated this AJAX
// call through AuthX's legacyrest flow: key or api_key given, and no AuthX
// credential of the modern kinds.
func usedLegacyRest(call *Call) bool {
	cr := &call.Credentials
	return (cr.APIKey != "" || cr.SiteKey != "") && cr.XCiviAuth == "" && cr.Authx == "" && cr.Authorization == ""
}

// legacyRestReply: BuildUpstream turns an AJAX client's key/api_key into
// X-Civi-Auth/X-Civi-Key (credentials never travel in URLs), so CiviCRM
// answers with the xheader flow's failures: 401 text/plain, or 403 when the
// key's contact has no CMS user (the xheader flow does not require one, the
// route permission then fails). The client used the legacyrest flow, which
// answers HTTP 200 text/javascript {"error_message":"FATAL: <reason>",…}
// (plain json_encode); that is what it gets (recordings rt-0, rt-2,
// rt-notcms of ajax-rest-unchanged).
func legacyRestReply(call *Call, up UpstreamResponse, cause authCause) Reply {
	var reason string
	switch {
	case call.Credentials.APIKey == "":
		// legacyrest builds the credential "Bearer " from an empty api_key.
		reason = "Invalid credential"
	case up.Status == 401:
		reason = strings.TrimPrefix(strings.TrimSpace(string(up.Body)), "HTTP 401 ")
	case cause == causeDenied:
		reason = "Cannot login. No matching user is available."
	default:
		reason = "Invalid credential"
	}
	return Reply{Status: 200, ContentType: ctLegacyRest, Body: EncodeJSON(RESTError("FATAL: "+reason), JSONOptions{Legacy: true})}
}
