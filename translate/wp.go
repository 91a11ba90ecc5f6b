package translate

import (
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// WordPress REST (civicrm-wordpress wp-rest/Controller/Rest.php) does not go
// through CRM_Utils_REST::output(): it calls civicrm_api3() and lets the WP
// REST server encode the raw result. Upstream civicrm/ajax/rest hands us the
// output() form of the same result, so wpResult undoes output()'s wrapping
// before WordPress's own shaping is applied.

const (
	wpJSONContentType  = "application/json; charset=UTF-8"
	wpJSONPContentType = "application/javascript; charset=UTF-8"
	wpXMLContentType   = "text/xml"
)

// wpResult turns an output()-shaped upstream result into what get_items()
// would hand to rest_ensure_response. empty reports PHP's empty($items): the
// controller then answers [] whatever the format. isError marks an APIv3
// error (civicrm_api3 threw; WordPress returns its extra params, HTTP 200).
func wpResult(res any) (data any, empty, isError bool) {
	arr, ok := res.(*Array)
	if !ok {
		return res, phpIsEmpty(res), false
	}
	if ie, _ := arr.Get("is_error"); !phpIsEmpty(ie) {
		// CRM_Core_Exception's errorData is $result + ['error_code' => $code],
		// and civicrm_api3() passes error_code ?? 'undefined'.
		if !arr.Has("error_code") {
			arr = arr.Clone()
			arr.Set("error_code", "undefined")
		}
		return arr, false, true
	}
	// output() wrapped a scalar (getcount, getvalue, format.only_id) as
	// {"is_error":0,"result":v}: the raw result was v. Its falsy values were
	// already replaced by 0, which is empty() in PHP, as the original was.
	if arr.Len() == 2 && arr.Key(0) == "is_error" && arr.Key(1) == "result" {
		v := arr.Value(1)
		if _, isArr := v.(*Array); !isArr {
			return v, phpIsEmpty(v), false
		}
	}
	if v, ok := arr.Get("values"); ok && v != nil {
		// array_reduce(values, $items[] = …, []): id keys are lost.
		list := NewArray()
		if va, ok := v.(*Array); ok {
			for i := range va.Len() {
				list.Append(wpCollectionItem(va.Value(i)))
			}
		}
		out := arr.Clone()
		out.Set("values", list)
		return out, false, false
	}
	// getsingle: output() appended is_error:0 to a flat record. The raw
	// civicrm_api3 result had no is_error, so drop it again.
	n := arr.Len()
	if n > 0 && arr.Key(n-1) == "is_error" {
		hier := false
		for i := range n {
			if _, ok := arr.Value(i).(*Array); ok {
				hier = true
				break
			}
		}
		if !hier {
			out := arr.Clone()
			out.Delete("is_error")
			return out, out.Len() == 0, false
		}
	}
	return arr, arr.Len() == 0, false
}

// wpCollectionItem is what get_items() appends for one entry of values:
// prepare_response_for_collection(rest_ensure_response($item)), which
// returns (array) $response->get_data(). A row stays as it is; a scalar
// (getoptions' labels) becomes a one-element list, null an empty array.
func wpCollectionItem(v any) any {
	switch v.(type) {
	case *Array:
		return v
	case nil:
		return NewArray()
	}
	a := NewArray()
	a.Append(v)
	return a
}

// renderWP renders an upstream result for a WordPress REST client.
func renderWP(call *Call, res any) Reply {
	data, empty, _ := wpResult(res)
	if empty {
		// rest_ensure_response([]), returned before the XML filter is
		// added: JSON whatever the format.
		return wpJSON(call, 200, NewArray())
	}
	return wpData(call, 200, data)
}

// wpData encodes data the way the WP REST server or the controller's
// serve_xml_response would: JSON iff the request carried a json key at all
// (the parser sets FormatJSON for that on FormWPRest).
func wpData(call *Call, status int, data any) Reply {
	if call.Format == FormatJSON {
		return wpJSON(call, status, data)
	}
	if call.WPEnvelope {
		// The plugin's serve_xml_response renders the envelope's data:
		// one <Result> of body, status and headers (none: the response
		// that got Allow was replaced). _fields is not applied: WordPress
		// dies in it on XML (the replaced response's data is null).
		data, status = wpEnvelopeData(data, status, ""), http.StatusOK
	}
	body, ok := RenderWPXML(data)
	if !ok {
		// A PHP TypeError or DOMException in the controller: WordPress's
		// fatal-error handler answers 500. We cannot reproduce its HTML, so
		// answer in WordPress's REST error shape.
		return wpFatal(call)
	}
	return Reply{Status: status, ContentType: wpXMLContentType, Body: body}
}

// wpJSON is how WP_REST_Server::serve_request sends every JSON answer of
// the route, results and WordPress's errors alike: wp_json_encode (slashes
// and unicode escaped), with JSON_PRETTY_PRINT when _pretty was given
// (get_json_encode_options), and as /**/callback(…) under
// application/javascript when the query named a _jsonp callback. call may
// be nil (neither).
//
// Before that, WordPress's global parameters (wpglobals.go): _fields
// trims a response that is not an HTTP error, _envelope wraps it (its
// Allow header in the envelope, not the answer), and a request the route
// sees as HEAD (an override) gets no body.
func wpJSON(call *Call, status int, data any) Reply {
	opts := JSONOptions{Legacy: true}
	allow := wpAllow(call)
	if call != nil {
		opts.Pretty = call.Pretty
		if call.WPFields != nil && status < 400 {
			data, _ = wpFilterFields(data, call.WPFields)
		}
		if call.WPEnvelope {
			data, status, allow = wpEnvelopeData(data, status, allow), http.StatusOK, ""
		}
	}
	body := EncodeJSON(data, opts)
	if call != nil && call.WPMethod == http.MethodHead && call.Method != http.MethodHead {
		body = nil // serve_request returns before it echoes
	}
	if call == nil || call.JSONP == "" {
		return Reply{Status: status, ContentType: wpJSONContentType, Body: body, Allow: allow}
	}
	// "/**/" in front: WordPress's guard against Rosetta Flash.
	out := make([]byte, 0, len("/**/()")+len(call.JSONP)+len(body))
	out = append(out, "/**/"...)
	out = append(out, call.JSONP...)
	out = append(out, '(')
	out = append(out, body...)
	out = append(out, ')')
	if body == nil {
		out = nil
	}
	return Reply{Status: status, ContentType: wpJSONPContentType, Body: out, Allow: allow}
}

// wpAllow is the Allow header rest_send_allow_header puts on a JSON answer
// of the route to call ("": none). It does so for a response of the
// matched route (everything dispatch answers after the plugin's login,
// parameter errors included) whose permission callback returns true
// (api_key and site key valid: call.WPPermitted). An XML answer has none:
// the plugin's own rest_post_dispatch filter, which runs after it,
// replaces the response that got it.
//
// RefusalReply is call.Refusal as it is sent: a WordPress REST refusal
// made while the parameters were decoded, before the caller was known to
// be permitted, gets its Allow then.
func RefusalReply(call *Call) Reply {
	r := *call.Refusal
	if call.Form == FormWPRest && r.ContentType != wpXMLContentType {
		r.Allow = wpAllow(call)
	}
	return r
}

func wpAllow(call *Call) string {
	if call != nil && call.WPPermitted {
		return wpAllowMethods
	}
	return ""
}

// WPErrorReply is a WordPress REST error (WP_Error through
// rest_convert_error_to_response): {"code":…,"message":…,"data":…} with the
// given HTTP status, sent as call's JSON answers are (wpJSON; call nil:
// plain JSON). data nil gives "data":null, as for a WP_Error created
// without data; pass WPStatusData(status) for the usual {"status":N}.
func WPErrorReply(call *Call, status int, code, message string, data *Array) Reply {
	e := NewArray()
	e.Set("code", code)
	e.Set("message", message)
	if data == nil {
		e.Set("data", nil)
	} else {
		e.Set("data", data)
	}
	return wpJSON(call, status, e)
}

// WPStatusData is the {"status":N} data array WordPress errors carry.
func WPStatusData(status int) *Array {
	d := NewArray()
	d.Set("status", Number(strconv.Itoa(status)))
	return d
}

// RenderWPXML renders data as the controller's get_xml_formatted_data does
// with DOMDocument::saveXML: compact, one <Result> per entry of values (or
// one for the whole record), array fields as children named _<key>. ok is
// false where PHP would die (a scalar result, a non-array row, an element
// name DOMDocument refuses, nesting deeper than one level).
func RenderWPXML(data any) (out []byte, ok bool) {
	arr, isArr := data.(*Array)
	if !isArr {
		return nil, false // get_xml_formatted_data(array $data): TypeError
	}
	var b strings.Builder
	b.WriteString("<?xml version=\"1.0\"?>\n<ResultSet xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\"")
	if c, has := arr.Get("count"); has && c != nil {
		if _, cArr := c.(*Array); cArr {
			return nil, false // setAttribute(string): TypeError
		}
		b.WriteString(" count=\"")
		domEscape(&b, PHPString(c), true)
		b.WriteByte('"')
	}
	var results []*Array
	if v, has := arr.Get("values"); has && v != nil {
		va, vok := v.(*Array)
		if !vok {
			return nil, false // array_map over a non-array: TypeError
		}
		for i := range va.Len() {
			row, rok := va.Value(i).(*Array)
			if !rok {
				return nil, false // get_xml_formatted_item(array $item): TypeError
			}
			results = append(results, row)
		}
	} else {
		results = append(results, arr)
	}
	if len(results) == 0 {
		b.WriteString("/>\n")
		return []byte(b.String()), true
	}
	b.WriteByte('>')
	for _, row := range results {
		if !writeWPItem(&b, row) {
			return nil, false
		}
	}
	b.WriteString("</ResultSet>\n")
	return []byte(b.String()), true
}

func writeWPItem(b *strings.Builder, row *Array) bool {
	if row.Len() == 0 {
		b.WriteString("<Result/>")
		return true
	}
	b.WriteString("<Result>")
	for i := range row.Len() {
		name := row.Key(i)
		if !validXMLName(name) {
			return false // createElement: DOMException "Invalid Character Error"
		}
		if sub, ok := row.Value(i).(*Array); ok {
			if sub.Len() == 0 {
				b.WriteString("<" + name + "/>")
				continue
			}
			b.WriteString("<" + name + ">")
			for j := range sub.Len() {
				child := "_" + sub.Key(j)
				if !validXMLName(child) {
					return false
				}
				v := sub.Value(j)
				if _, deeper := v.(*Array); deeper {
					return false // createElement(string, string): TypeError
				}
				writeDOMElement(b, child, PHPString(v), false)
			}
			b.WriteString("</" + name + ">")
			continue
		}
		writeDOMElement(b, name, PHPString(row.Value(i)), true)
	}
	b.WriteString("</Result>")
	return true
}

// writeDOMElement writes <name>text</name> as libxml serialises an element
// whose content was set from an unescaped string: a value containing '&' is
// parsed as an entity reference, fails ("unterminated entity reference") and
// leaves the element empty (spec vector 37), <name/>. An empty value is
// <name/> when given to createElement (an array field's children), but
// <name></name> when assigned to nodeValue (a row's fields): PHP 8's
// setter leaves an empty text node, which saveXML closes with an end tag
// (PHP 8.2, libxml2 2.9.14).
func writeDOMElement(b *strings.Builder, name, text string, nodeValue bool) {
	if strings.IndexByte(text, '&') >= 0 || text == "" && !nodeValue {
		b.WriteString("<" + name + "/>")
		return
	}
	b.WriteString("<" + name + ">")
	domEscape(b, text, false)
	b.WriteString("</" + name + ">")
}

// domEscape is libxml's escaping for a document without an encoding
// declaration: markup characters as entities, \r as &#xD; in text
// (xmlEscapeEntities) and &#13; in attributes (xmlAttrSerializeTxtContent),
// every non-ASCII character as a hexadecimal character reference, other
// control characters dropped. In attributes " and whitespace are escaped
// as well.
func domEscape(b *strings.Builder, s string, attr bool) {
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			if r == utf8.RuneError && size == 1 {
				continue
			}
			b.WriteString("&#x")
			b.WriteString(strings.ToUpper(strconv.FormatInt(int64(r), 16)))
			b.WriteByte(';')
			continue
		}
		i++
		switch {
		case c == '<':
			b.WriteString("&lt;")
		case c == '>':
			b.WriteString("&gt;")
		case c == '&':
			b.WriteString("&amp;")
		case c == '\r' && attr:
			b.WriteString("&#13;")
		case c == '\r':
			b.WriteString("&#xD;")
		case attr && c == '"':
			b.WriteString("&quot;")
		case attr && c == '\n':
			b.WriteString("&#10;")
		case attr && c == '\t':
			b.WriteString("&#9;")
		case c < 0x20 && c != '\n' && c != '\t':
			// not an XML character: libxml drops it
		default:
			b.WriteByte(c)
		}
	}
}

// validXMLName approximates libxml's xmlValidateName (XML 1.0 Name): a
// letter, '_' or ':' first, then letters, digits, '.', '-', '_', ':' and
// combining marks.
func validXMLName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == ':' || unicode.IsLetter(r):
		case i > 0 && (r == '.' || r == '-' || unicode.IsDigit(r) || unicode.Is(unicode.Mn, r) || unicode.Is(unicode.Mc, r) || r == 0xB7):
		default:
			return false
		}
	}
	return true
}

// wpAuthReply maps an upstream authentication failure to what the WordPress
// controller answers for the same legacy credentials. WordPress checks in
// this order: Plugin::do_user_login on rest_pre_dispatch (api_key missing or
// unknown, then no WordPress user; WP_Error without status, so HTTP 500),
// then argument validation (a wrong `key` is 400 rest_invalid_param), then
// Rest::permissions_check (a missing `key` is 403, the user being logged in).
// WPInvalidKeyData is the data of WordPress's rest_invalid_param error when
// the key argument fails validation.
func WPInvalidKeyData() *Array {
	d := WPStatusData(400)
	p := NewArray()
	p.Set("key", "Invalid parameter.")
	d.Set("params", p)
	d.Set("details", NewArray())
	return d
}

func wpAuthReply(call *Call, cause authCause) Reply {
	apiKey := "Missing or invalid param \"api_key\"."
	switch {
	case call.Credentials.APIKey == "" || cause == causeCredential:
		return WPErrorReply(call, 500, "civicrm_rest_api_error", apiKey, nil)
	case cause == causeNoUser || cause == causeDenied:
		return WPErrorReply(call, 500, "civicrm_rest_api_error", "A WordPress user must be associated with the contact for the provided API key.", nil)
	case call.Credentials.SiteKey == "" && !call.Credentials.SiteKeyArg:
		// No key argument: permissions_check's is_valid_site_key().
		return WPErrorReply(call, 403, "civicrm_rest_api_error", "Param key is not valid.", WPStatusData(403))
	case cause == causeGuard || call.Credentials.SiteKey == "":
		// The key argument's validate_callback.
		return WPErrorReply(call, 400, "rest_invalid_param", "Invalid parameter(s): key", WPInvalidKeyData())
	}
	return WPErrorReply(call, 500, "civicrm_rest_api_error", apiKey, nil)
}
