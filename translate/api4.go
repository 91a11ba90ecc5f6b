package translate

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
)

// APIv4 (civicrm/ajax/api4) is not translated: CiviCRM's APIv4 page gets
// the request as the client sent it, less the credentials Civigate replaces
// with its own. What this file models is what that page will run, so that
// the edge authenticates, polices and caches exactly that:
//
//   - single call: civicrm/ajax/api4/{Entity}/{action}, `params` (one JSON
//     string from $_REQUEST, POST over GET), `index`, and every $_GET key the
//     action declares merged into the params where the JSON has no such key
//     (spec §2.1; a `chain` may arrive that way);
//   - batch: civicrm/ajax/api4 with `calls` (a JSON list or object) from
//     the POST form only.
//
// Names are CiviCRM's as given: APIv4 neither munges nor camel-cases
// (spec §1.3). An application/json body is invisible to PHP, so the call
// runs with empty params, as CiviCRM runs it.

// API4Call is the APIv4 side of a Call (Call.API4, for FormAPI4).
type API4Call struct {
	// Entity and Action are the route's segments as CiviCRM reads them
	// (Route.Entity, Route.Action), exact spelling. Both are empty on the
	// batch route.
	Entity, Action string
	// Batch: the batch route (no entity segment); Calls holds its calls.
	Batch bool
	// Variant is the URL shape the call came in (Route.Variant): CMSs
	// encode the same answer differently (WordPress sends its own JSON).
	Variant string
	// Base is the path the route came in under (Route.Base), which goes
	// upstream with it: it may select another CiviCRM domain or language.
	Base string
	// Params are what the single call runs with: `params` decoded, plus the
	// query keys CiviCRM may merge (every $_GET key but params, index, q,
	// the CMS's routing keys, credentials and "_"-prefixed names, which no
	// action declares). A key CiviCRM would drop because the action does
	// not declare it is kept: the edge judges the larger call. nil when
	// CiviCRM cannot decode `params` and so runs nothing (spec §2.1: a
	// TypeError page).
	Params *Array
	// Merged names the query keys merged into Params, in query order.
	Merged []string
	// Calls is the batch's `calls` decoded; nil when missing or not a JSON
	// array or object (CiviCRM then runs nothing).
	Calls *Array
	// Index is `index` from the request (a string, or an array: CRM.api4
	// sends an object index as index[field]=column), when HasIndex: it
	// changes the shape of the answer (spec §2.1), and names fields the
	// call reads (Subcall.Index).
	Index    any
	HasIndex bool
	// Locale is lcMessages as CiviCRM chooses the answer's language by it
	// (CRM_Core_BAO_ConfigSetting::applyLocale reads it with
	// CRM_Utils_Request::retrieve from $_REQUEST: the form body's over the
	// query's, request_order "GP"), when HasLocale; single calls only. It
	// goes upstream where PHP reads it (buildUpstreamAPI4), and the cache
	// keys it.
	Locale    any
	HasLocale bool
	// query is PHP's $_GET, credentials left out, and routing the CMS's
	// routing keys in it: what of the query goes upstream (see
	// buildUpstreamAPI4).
	query   *Array
	routing []string
	// sentValue is the variable the page reads its call from (params or
	// calls) as the request gave it, when hasSent; jsonKeys is how
	// many of Params' keys came from its JSON (the merged ones follow).
	sentValue any
	hasSent   bool
	jsonKeys  int
	// path and rawPath are the client's URL path: APIv4 goes upstream on
	// the route it came in.
	path, rawPath string
}

// isCredentialParam: AuthX and the legacyrest listener read credentials
// and site keys from k (spec §6), so it is never merged into APIv4 params
// nor forwarded (Civigate sends its own identity).
func isCredentialParam(k string) bool {
	for _, c := range CredentialParams {
		if k == c {
			return true
		}
	}
	return false
}

// api4Envelope is what the edge needs of an APIv4 request before its
// caller is authenticated: the route's names, the path.
func api4Envelope(r *http.Request, c *Call, route Route) {
	a := &API4Call{
		Entity: route.Entity, Action: route.Action, Batch: route.Entity == "", Variant: route.Variant, Base: route.Base,
		path: r.URL.Path, rawPath: r.URL.RawPath,
	}
	c.API4 = a
	c.Format = FormatJSON
	c.Entity, c.Action, c.Batch = a.Entity, a.Action, a.Batch
}

// decodeAPI4 is DecodeParams for APIv4, from PHP's $_GET (get, the CMS's
// routing keys included: they go upstream, but are never API params) and
// $_POST: `params` (with the query keys CiviCRM merges) or the batch's
// `calls`, read as CRM_Utils_Request::retrieve reads them (Retrieve: an
// "amp;" alias stands in for a missing name), decoded as json_decode does
// (512 levels at most) within the decode budget.
func decodeAPI4(ctx context.Context, c *Call, route Route, get, post *Array) {
	a := c.API4
	a.query, a.routing = withoutCredentials(get), route.DropParams
	var raw any
	if a.Batch {
		raw, a.hasSent = Retrieve(post, "calls") // retrieve('calls', …, 'POST')
	} else {
		request := MergeRequest(get, post)
		raw, a.hasSent = Retrieve(request, "params")
		a.Index, a.HasIndex = Retrieve(request, "index")
		a.Locale, a.HasLocale = Retrieve(request, localeParam)
	}
	a.sentValue = raw
	s, isStr := raw.(string)
	if isStr {
		if n, err := scanJSON([]byte(s)); err == nil {
			if reply := reserveDecode(ctx, c, decodeCost(n, len(s))); reply != nil {
				c.Refusal = reply
				return
			}
		}
	}
	if a.Batch {
		a.Calls = decodeAPI4Object(raw)
		c.Params = a.Calls
		return
	}
	a.Params = NewArray()
	// `$params ? json_decode($params, TRUE) : []`: "" and "0" are [].
	if a.hasSent && (!isStr || s != "" && s != "0") {
		a.Params = decodeAPI4Object(raw)
	}
	if a.Params != nil {
		a.jsonKeys = a.Params.Len()
		for i := 0; i < get.Len(); i++ {
			if k := get.Key(i); mergesIntoAPI4(k, route.DropParams) && !a.Params.Has(k) {
				a.Params.Set(k, get.Value(i))
				a.Merged = append(a.Merged, k)
			}
		}
	}
	c.Params = a.Params
}

// localeParam is the request variable CiviCRM takes the locale from.
const localeParam = "lcMessages"

// decodeAPI4Object is json_decode($s, TRUE) where CiviCRM needs an array:
// anything else (not a string, not JSON, a scalar, null) is nil, for which
// CiviCRM fails before running anything.
func decodeAPI4Object(v any) *Array {
	s, ok := v.(string)
	if !ok {
		return nil
	}
	d, err := DecodeJSON([]byte(s))
	if err != nil {
		return nil
	}
	arr, _ := d.(*Array)
	return arr
}

// mergesIntoAPI4 reports whether a $_GET key may be merged into a single
// call's params (spec §2.1).
func mergesIntoAPI4(k string, routing []string) bool {
	switch {
	case k == "params" || k == "index" || k == "q" || k == "" || k[0] == '_' || IsCredentialSpelling(k) || isRetrieveAliasOfAny(k):
		// An alias of params or index stands in for them (Retrieve); no
		// action declares a name holding ";", and none goes upstream,
		// least of all a credential's (amp;key, amp;_authx).
		return false
	}
	for _, r := range routing {
		if k == r {
			return false
		}
	}
	return true
}

// withoutCredentials is a less every spelling of a credential
// (IsCredentialSpelling): what of it may go upstream.
func withoutCredentials(a *Array) *Array {
	out := NewArray()
	for i := 0; i < a.Len(); i++ {
		if k := a.Key(i); !IsCredentialSpelling(k) {
			out.Set(k, a.Value(i))
		}
	}
	return out
}

// API4GetAllowed is the APIv4 page's method rule: over GET, only actions
// whose raw segment starts with "get" in any case, or is exactly
// "autocomplete", run (spec §3.1). The batch route's empty action never does.
func API4GetAllowed(action string) bool {
	return action == "autocomplete" || len(action) >= 3 && strings.EqualFold(action[:3], "get")
}

// API4CSRFPasses is CRM_Utils_REST::isWebServiceRequest as the APIv4 page
// applies it (spec §7): OPTIONS, an exact X-Requested-With, or a
// stateless AuthX flow other than the Authorization header.
func API4CSRFPasses(method, requestedWith, flow string) bool {
	switch {
	case method == http.MethodOptions, requestedWith == "XMLHttpRequest":
		return true
	}
	switch flow {
	case "xheader", "param", "legacyrest":
		return true
	}
	return false
}

// API4CSRFReply is the APIv4 page's CSRF refusal (spec §5.2).
func API4CSRFReply() Reply {
	return Reply{Status: http.StatusBadRequest, ContentType: ctJSON,
		Body: []byte(`{"error_code":400,"error_message":"SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api4()."}`)}
}

// API4Methods are the methods Civigate lets through to the APIv4 page.
// CiviCRM's method rule covers GET only: HEAD, PUT, PATCH and DELETE with
// params in the query run anything, writes included (spec §3.1), and
// OPTIONS even skips the CSRF check. Civigate refuses them; OPTIONS is
// answered at the edge as a CORS preflight would expect, without running
// anything.
const API4Methods = "GET, POST, OPTIONS"

// API4MethodReply is the edge's answer to an APIv4 request whose method is
// not GET or POST: 204 for OPTIONS, 405 otherwise (send Allow:
// API4Methods with either). nil for GET and POST.
func API4MethodReply(method string) *Reply {
	switch method {
	case http.MethodGet, http.MethodPost:
		return nil
	case http.MethodOptions:
		return &Reply{Status: http.StatusNoContent}
	}
	r := API4Error(http.StatusMethodNotAllowed, "Civigate: the APIv4 route takes GET and POST only, not "+method)
	return &r
}

// API4Error is the shape of an APIv4 error Civigate gives for its own
// reasons: the fields of CiviCRM's APIv4 errors (spec §5.2), with the HTTP
// status as error_code and status.
func API4Error(status int, msg string) Reply {
	e := NewArray()
	e.Set("error_code", Number(strconv.Itoa(status)))
	e.Set("error_message", msg)
	e.Set("status", Number(strconv.Itoa(status)))
	return Reply{Status: status, ContentType: ctJSON, Body: EncodeJSON(e, JSONOptions{})}
}

// Walk calls visit for every subcall of a request, whichever API it came
// in: WalkV3 for the APIv3 forms, WalkV4 or WalkV4Batch for APIv4. A
// batch whose calls CiviCRM cannot decode runs nothing.
func Walk(call *Call, visit func(Subcall) bool) bool {
	a := call.API4
	if a == nil {
		return WalkV3(call, visit)
	}
	if a.Batch {
		return WalkV4Batch(a.Calls, visit)
	}
	var index any
	if a.HasIndex {
		index = a.Index
	}
	return WalkV4(a.Entity, a.Action, a.Params, index, visit)
}

// buildUpstreamAPI4 is the APIv4 request CiviCRM gets: the client's route
// and method, and what the edge judged, in one place only. The variable
// the page reads its call from goes in canonical spelling (params, or
// calls, and index) where PHP will read it, never anywhere else: in the
// query for a GET (unless it names an API key as data: api4KeyAsData
// sends it as POST), in a multipart/form-data body for a POST, whose JSON
// travels unescaped (a urlencoded one is up to three times its JSON, and
// past PHP's post_max_size PHP empties $_POST, so that retrieve() would
// fall back on the query). The JSON is the decoded params re-encoded, so
// CiviCRM decodes exactly what the edge judged, whatever the client's
// spelling; a value CiviCRM cannot run goes as it came. Of the query only
// the CMS's routing keys and the keys merged into the params (which
// CiviCRM merges again, from $_GET) go: no alias, no shadowed key
// CiviCRM could take instead of what the edge judged, no credential.
// A body over maxBody bytes (0: no limit) is ErrUpstreamTooLarge. The
// caller sets the identity.
func buildUpstreamAPI4(call *Call, maxBody int64) (*UpstreamRequest, error) {
	a := call.API4
	req := &UpstreamRequest{
		Method:       call.Method,
		Path:         a.path,
		RawPath:      a.rawPath,
		Header:       make(http.Header, 2),
		StripHeaders: credentialHeaders,
	}
	query := NewArray()
	for i := 0; i < a.query.Len(); i++ {
		if k := a.query.Key(i); k == "q" || slices.Contains(a.routing, k) || slices.Contains(a.Merged, k) {
			query.Set(k, a.query.Value(i))
		}
	}
	req.RawQuery = EncodeForm(query)
	name, json, fields := a.sent(call.Method == http.MethodPost)
	if call.Method != http.MethodPost {
		// PHP fills $_POST for POST only: the query is the one place.
		sent := sentForm(name, json, fields)
		full := joinQuery(req.RawQuery, sent)
		if !NamesAPIKeyAsData(full) {
			req.RawQuery = full
			return req, nil
		}
		return api4KeyAsData(req, a, query, name, json, fields, maxBody)
	}
	var ct string
	var err error
	req.Body, ct, err = formBody(name, json, fields, len(a.raw()))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", ct)
	if maxBody > 0 && int64(len(req.Body)) > maxBody {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrUpstreamTooLarge, len(req.Body), maxBody)
	}
	return req, nil
}

// sentForm is the sent variables (API4Call.sent) as a query string.
func sentForm(name string, json, fields *Array) string {
	q := EncodeForm(fields)
	if json != nil {
		q = joinQuery(q, name+"="+url.QueryEscape(unsafeString(EncodeJSONObject(json))))
	}
	return q
}

// api4KeyAsData is the request for an APIv4 GET whose query names an API
// key as data (NamesAPIKeyAsData: where api_key = …, a lookup of the
// contact a key belongs to), which must not carry it in the URL CiviCRM's
// web server logs; req holds the route (path, and query for now). The
// page reads params and index from $_REQUEST (a POST body's over the
// query's), and runs a read sent as POST as it runs it sent as GET (the
// method only matters to its GET rule; the CSRF rule looks at headers and
// the AuthX flow): such a call goes as POST with the sent variables as an
// application/x-www-form-urlencoded body, of the query only the CMS's
// routing keys alone in the URL. Every merged key goes into the params
// JSON, where CiviCRM reads it the same (the JSON's keys come first, and a
// merged value is copied as PHP parsed it: strings and arrays, as the JSON
// decodes them), not only those naming api_key: the key itself may sit in
// a merged key that names only an alias (select "api_key AS k" in the
// JSON, having[0][]=k&having[0][]==&having[0][]=KEY in the query), and
// CiviCRM reads merged keys from $_GET alone, so any left there would go
// to its web server's log. The one difference is that an action which
// does not declare such a key answers "Unknown api parameter" where the
// merge would have dropped it. But lcMessages, which no action declares,
// goes as a body field, where the page reads the locale ($_REQUEST). A call the GET rule
// refuses (an action not starting with get, autocomplete, or the batch
// route) is refused before the page reads any parameter: it goes on as
// GET with nothing but the route, and gets the same 405.
func api4KeyAsData(req *UpstreamRequest, a *API4Call, query *Array, name string, json, fields *Array, maxBody int64) (*UpstreamRequest, error) {
	refused := a.Batch || !API4GetAllowed(a.Action)
	// The JSON goes on as decoded, or is empty: "" and "0" are CiviCRM's
	// [] before the merge. json shares its entries with a.Params: a JSON
	// that gains keys is a copy.
	foldable := json != nil || !a.hasSent || a.sentValue == "" || a.sentValue == "0"
	copied := false
	kept := NewArray()
	for i := 0; i < query.Len(); i++ {
		k, v := query.Key(i), query.Value(i)
		if k == "q" || slices.Contains(a.routing, k) {
			kept.Set(k, v)
			continue
		}
		if refused || !slices.Contains(a.Merged, k) {
			continue
		}
		if !foldable {
			// params CiviCRM cannot run (decodeAPI4Object: nil), which
			// merges nothing: kept for the answer CiviCRM gives.
			kept.Set(k, v)
			continue
		}
		if k == localeParam {
			// No action declares it (CiviCRM's merge drops it); the
			// page reads the locale from $_REQUEST, a body field too.
			fields.Set(localeParam, v)
			continue
		}
		if !copied {
			own := NewArray()
			for j := 0; j < json.Len(); j++ {
				own.Set(json.Key(j), json.Value(j))
			}
			json, copied = own, true
			fields.Delete(name)
		}
		json.Set(k, v)
	}
	req.RawQuery = EncodeForm(kept)
	if refused {
		return req, nil
	}
	body := sentForm(name, json, fields)
	if maxBody > 0 && int64(len(body)) > maxBody {
		return nil, fmt.Errorf("%w: %d bytes, more than %d", ErrUpstreamTooLarge, len(body), maxBody)
	}
	req.Method = http.MethodPost
	req.Body = []byte(body)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return req, nil
}

// sent is what the page reads its call from, canonically spelled: the
// params (without the merged query keys) or the batch's calls as json to
// be re-encoded under name; fields the rest as they came (index, the
// locale when the query does not carry it or the method is POST, and
// params or calls CiviCRM cannot run: not JSON, or not a string).
func (a *API4Call) sent(post bool) (name string, json *Array, fields *Array) {
	fields = NewArray()
	name, decoded := "params", a.Params
	if a.Batch {
		name, decoded = "calls", a.Calls
	}
	if a.hasSent {
		s, isStr := a.sentValue.(string)
		switch {
		case isStr && decoded != nil && a.Batch:
			json = decoded
		case isStr && decoded != nil && s != "" && s != "0":
			// The merged keys follow the JSON's in Params.
			json = &Array{keys: decoded.keys[:a.jsonKeys], vals: decoded.vals[:a.jsonKeys]}
		default:
			fields.Set(name, a.sentValue)
		}
	}
	if a.HasIndex {
		fields.Set("index", a.Index)
	}
	if a.HasLocale && (post || !slices.Contains(a.Merged, localeParam)) {
		// The query carries it when it was merged; over POST the body's
		// may differ, and wins in $_REQUEST.
		fields.Set(localeParam, a.Locale)
	}
	return name, json, fields
}

// raw is the sent variable's text, "" when it is not a string.
func (a *API4Call) raw() string {
	s, _ := a.sentValue.(string)
	return s
}

// formBody is the sent variables as a POST body: multipart/form-data
// (values byte for byte, the JSON encoded into the body itself, sizeHint
// its expected size), or urlencoded when a field is an array
// (index[field]=column), whose bracketed names a multipart name could not
// carry as plainly.
func formBody(name string, json, fields *Array, sizeHint int) ([]byte, string, error) {
	parts := make([]upstreamField, 0, fields.Len())
	for i := 0; i < fields.Len(); i++ {
		if _, isArr := fields.Value(i).(*Array); isArr {
			body := EncodeForm(fields)
			if json != nil {
				body = joinQuery(body, name+"="+url.QueryEscape(unsafeString(EncodeJSONObject(json))))
			}
			return []byte(body), "application/x-www-form-urlencoded", nil
		}
		parts = append(parts, upstreamField{fields.Key(i), PHPString(fields.Value(i))})
	}
	if json == nil {
		name = ""
	}
	return multipartParams(parts, name, json, fieldsPlan{}, sizeHint)
}

// EncodeForm encodes a PHP array as a query string that PHP parses back
// into the same array: nested keys in brackets, every list index
// explicit. A top-level name holding '[' (PHP makes one from a name whose
// bracket does not close) would parse back differently; no API or routing
// parameter has one, so it is left out.
func EncodeForm(a *Array) string {
	var b strings.Builder
	for i := 0; i < a.Len(); i++ {
		k := a.Key(i)
		if strings.IndexByte(k, '[') >= 0 {
			continue
		}
		eachField(k, a.Value(i), func(name []byte, v string) {
			if b.Len() > 0 {
				b.WriteByte('&')
			}
			b.WriteString(url.QueryEscape(unsafeString(name)))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(v))
		})
	}
	return b.String()
}
