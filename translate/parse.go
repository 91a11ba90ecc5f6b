package translate

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"unsafe"
)

// ParseOptions bound what ParseRequest accepts.
type ParseOptions struct {
	Limits Limits // php.ini limits; zero fields mean PHP's defaults
	// MaxQueryBytes and MaxBodyBytes cap the raw query string and request
	// body; 0 means no cap. Past them the client gets 414 / 413.
	MaxQueryBytes int
	MaxBodyBytes  int64
	// ClientIP is the client address CiviCRM would see as REMOTE_ADDR (the
	// caller resolves trusted proxies); empty means r.RemoteAddr's host.
	ClientIP string
}

// ParseRequest builds the Call CiviCRM would execute for a legacy request,
// parsing the query and (for POST) the body with PHP's semantics: it is
// ParseEnvelope followed by DecodeParams. The Caddy handler calls the two
// apart and authenticates in between, so that nothing costly is spent on a
// caller without a valid credential; tools and tests that do not
// authenticate call this.
func ParseRequest(r *http.Request, route Route, opts ParseOptions) (*Call, *Reply) {
	c, reply := ParseEnvelope(r, route, opts)
	if c != nil {
		c.DecodeParams(r.Context())
	}
	return c, reply
}

// ParseEnvelope is the first, cheap half of parsing: what a request must
// be read for before its caller is authenticated. It reads the body (up to
// MaxBodyBytes) and parses the query and form fields, but decodes no JSON
// and builds no API parameters: the Call it returns has the endpoint
// form, the answer format, the credentials and the decisions CiviCRM takes
// before looking at any credential (extern/rest.php's q check and its
// public civicrm/ping), and Params nil until DecodeParams. Its memory is
// the body once, whatever the body holds, and a few copies of the fields
// it reads (see envelope.go).
//
// A non-nil Reply with a nil Call is an answer CiviCRM gives before looking
// at any credential (a 413/414 size limit, extern/rest.php's "ERROR:
// Malformed REST path", a WordPress body that is not JSON): send it as is.
//
// The body is consumed: DecodeParams decodes a form body in place, and the
// values of the Call share its memory.
//
// Any other API dialect (APIv4) follows the same two steps: an envelope
// with the credentials first, the parameters after authentication.
func ParseEnvelope(r *http.Request, route Route, opts ParseOptions) (*Call, *Reply) {
	lim := opts.Limits.withDefaults()
	c := &Call{Form: route.Form, Method: r.Method, ClientIP: clientIP(r, opts.ClientIP), limits: lim}
	if ref, ok := r.Header["Referer"]; ok && len(ref) > 0 {
		s := ref[0]
		c.Referer = &s
	}
	if xrw := r.Header["X-Requested-With"]; len(xrw) == 1 {
		c.RequestedWith = xrw[0]
	}
	c.Credentials = headerCredentials(r.Header)

	rawQuery := r.URL.RawQuery
	if opts.MaxQueryBytes > 0 && len(rawQuery) > opts.MaxQueryBytes {
		c.Format, c.JSONInQuery = guessFormat(route.Form, rawQuery[:opts.MaxQueryBytes])
		return nil, sizeReply(c, http.StatusRequestURITooLong,
			"Request query string is longer than "+strconv.Itoa(opts.MaxQueryBytes)+" bytes")
	}
	get, levels := formFields(rawQuery, false, lim)
	for _, name := range route.DropParams {
		get.Delete(name)
	}
	// The full query and body, for DecodeParams.
	fullGet := func() *Array {
		g := NewArray()
		ParseQuery(g, rawQuery, lim) //nolint:errcheck // g is never nil
		for _, name := range route.DropParams {
			g.Delete(name)
		}
		return g
	}

	if _, ok := BodyContentType(r); !ok {
		// Which Content-Type PHP would see depends on the server in front
		// of it: refused, the body unread (phpform.go).
		c.Format, c.JSONInQuery = formatOf(route.Form, get, get)
		return nil, edgeReply(c, http.StatusBadRequest, "rest_invalid_header", ManyContentTypes)
	}
	body, tooBig := readBody(r, route.Form, opts.MaxBodyBytes)
	if tooBig {
		putBodyBuffer(body)
		c.Format, c.JSONInQuery = formatOf(route.Form, get, get)
		return nil, sizeReply(c, http.StatusRequestEntityTooLarge,
			"Request body is larger than "+strconv.FormatInt(opts.MaxBodyBytes, 10)+" bytes")
	}
	if len(body) > 0 && EncodedBody(r.Header) {
		// PHP never inflates a request body, but a web server in front of
		// it may (Apache's DEFLATE input filter): what CiviCRM would read
		// cannot be seen, so it is not passed on.
		putBodyBuffer(body)
		c.Format, c.JSONInQuery = formatOf(route.Form, get, get)
		return nil, sizeReply(c, http.StatusUnsupportedMediaType,
			"Request body has a Content-Encoding; send it uncompressed")
	}
	c.body = body
	post, bodyLevels := envelopeBody(r, route.Form, body, lim)
	levels += bodyLevels
	if route.Form == FormWPRest {
		return wpEnvelope(r, c, get, post, body, lim, levels, fullGet)
	}
	jb := scanJSONBody(r, body)

	// AuthX reads _authx and _authxSiteKey from $_GET on GET and from $_POST
	// otherwise; key and api_key come from $_REQUEST (GET, then POST over
	// it). A JSON body is in neither.
	authSrc := post
	if r.Method == http.MethodGet {
		authSrc = get
	}
	c.Credentials.Authx = authSrc.String("_authx")
	c.Credentials.AuthxSiteKey = authSrc.String("_authxSiteKey")
	request := MergeRequest(get, post)
	c.Credentials.SiteKey = request.String("key")
	c.Credentials.APIKey = request.String("api_key")
	if route.Form == FormExtern {
		// extern/rest.php reads api_key through retrieve(), which takes
		// an "amp;" alias for a missing one.
		v, _ := Retrieve(request, "api_key")
		c.Credentials.APIKey, _ = v.(string)
	}
	if route.Form == FormAPI4 {
		api4Envelope(r, c, route)
		c.decode = func(ctx context.Context, c *Call) {
			all := NewArray()              // the CMS's routing keys too: they go upstream
			ParseQuery(all, rawQuery, lim) //nolint:errcheck // all is never nil
			decodeAPI4(ctx, c, route, all, parseBody(r, route.Form, body, lim))
		}
		return c, nil
	}

	// output() reads json and prettyprint from exportValues(), a JSON body
	// included; extern/rest.php chose its Content-Type from $_GET alone.
	view := envelopeView{request: request, body: jb}
	jsonV, jsonOK := view.get("json")
	c.Format = boolFormat(!phpEmpty(jsonV, jsonOK))
	gj, gjOK := get.Get("json")
	c.JSONInQuery = !phpEmpty(gj, gjOK)
	pp, ppOK := view.get("prettyprint")
	c.Pretty = !phpEmpty(pp, ppOK)

	if route.Form == FormExtern {
		if reply := externEnvelope(c, view, request); reply != nil {
			putBodyBuffer(body)
			return nil, reply
		}
		if c.Ping {
			return c, nil
		}
	}
	c.decode = func(ctx context.Context, c *Call) {
		decodeAPIv3(ctx, c, MergeRequest(fullGet(), parseBody(r, route.Form, body, lim)), jb, levels)
	}
	return c, nil
}

// envelopeView is CRM_Utils_Request::exportValues() as far as the envelope
// needs it: the query and form fields, and over them the top-level
// members of a JSON body (whose arrays are not decoded yet).
type envelopeView struct {
	request *Array
	body    *jsonBody
}

func (v envelopeView) get(name string) (any, bool) {
	if v.body != nil {
		if raw, ok := v.body.top[name]; ok {
			return envelopeValue(raw), true
		}
	}
	return v.request.Get(name)
}

// DecodeParams is the second, costly half of parsing, for a caller whose
// credential is known to be good: the JSON body and json= are decoded, the
// API parameters built, and the answers CiviCRM gives after authentication
// instead of running the API (Call.Refusal) decided. Decoding takes its
// share of a process-wide memory budget (see DecodeBudget); Release gives
// it back. It runs once; later calls do nothing.
func (c *Call) DecodeParams(ctx context.Context) {
	if c == nil {
		return
	}
	if d := c.decode; d != nil {
		c.decode = nil
		d(ctx, c)
	}
	if c.Params == nil {
		c.Params = NewArray()
	}
}

// externEnvelope is what extern/rest.php decides before any credential
// check: loadCMSBootstrap()'s q test (a "<x>/ping" q skips the key checks,
// any other q must be civicrm/<entity>/<action>), and then, on that ping
// path, handle()'s answers that need no credential. CiviCRM dies with
// HTTP 500 on a q or key that is an array (explode and trim get one).
func externEnvelope(c *Call, v envelopeView, request *Array) *Reply {
	q, qOK := v.get("q")
	if _, isArr := q.(*Array); isArr {
		return crashReply(c, `Invalid parameter "q": expected a string`)
	}
	if !phpEmpty(q, qOK) {
		args := strings.Split(PHPString(q), "/")
		switch {
		case len(args) == 2 && args[1] == "ping":
			c.PingBootstrap = true
		case len(args) != 3 || args[0] != "civicrm":
			return replyPtr(RenderResult(c, RESTError("ERROR: Malformed REST path")))
		}
	}
	if !c.PingBootstrap {
		if k, _ := request.Get("key"); k != nil {
			if _, isArr := k.(*Array); isArr {
				return crashReply(c, `Invalid parameter "key": expected a string`)
			}
		}
		return nil
	}
	// handle() on the ping path: a target that is no API call is refused
	// before handle() checks any key; civicrm/ping itself is answered.
	target := q
	if fn, ok := v.get("fnName"); !phpEmpty(fn, ok) {
		target = fn
	}
	if entity, ok := v.get("entity"); !phpEmpty(entity, ok) {
		return nil
	}
	ts, isStr := stringArg(target)
	if !isStr {
		return nil // handle() dies on it too, after its own key checks
	}
	args := strings.Split(ts, "/")
	if args[0] != "civicrm" || len(args) != 3 && (len(args) < 2 || args[1] != "ping") {
		return replyPtr(RenderResult(c, RESTError("Unknown function invocation.")))
	}
	if args[1] == "ping" {
		c.Ping, c.AuthFree = true, true
	}
	return nil
}

// dropCredentials deletes from a every spelling of a credential
// (IsCredentialSpelling) but key and api_key themselves, which the API
// pages' parameter builders skip on their own: AuthX's parameters (AuthX
// deletes _authx and _authxSes before the page runs, and the
// _authxSiteKey secret would otherwise travel upstream inside json=), and
// the spellings CiviCRM does not read as credentials but that hold one
// all the same (amp;key, amp;api_key, API_KEY: extern/rest.php reads an
// "amp;" alias of api_key through retrieve(), the envelope did too).
// WordPress REST has no AuthX, but its copies are no API parameters
// CiviCRM uses either: no credential goes upstream, on any form.
func dropCredentials(a *Array) {
	for i := a.Len() - 1; i >= 0; i-- {
		if k := a.Key(i); k != "key" && k != "api_key" && IsCredentialSpelling(k) {
			a.Delete(k)
		}
	}
}

// decodeAPIv3 builds the parameters of an extern/rest.php or
// civicrm/ajax/rest call from the merged query and form fields (request,
// PHP's $_REQUEST) and a JSON body.
func decodeAPIv3(ctx context.Context, c *Call, request *Array, jb *jsonBody, formLevels int) {
	// A JSON body's copies are deleted too: no credential goes upstream.
	dropCredentials(request)
	for i := 0; i < request.Len(); i++ {
		if !isReservedParam(request.Key(i)) {
			c.KeyValue = true
			break
		}
	}

	// Weigh what is to be decoded before decoding any of it: the form
	// fields' arrays (parsed already, but held from here on), the JSON
	// body, json= (buildParamList decodes it when it starts with '{') and
	// a batch's json (processMultiple reads $_REQUEST's).
	cost := int64(formLevels) * bytesPerFormArray
	if jb != nil {
		cost += decodeCost(jb.values, len(jb.data))
	}
	view := envelopeView{request: request, body: jb}
	exported, _ := view.get("json")
	batchJSON, _ := request.Get("json")
	for i, t := range [2]any{exported, batchJSON} {
		s, isStr := t.(string)
		if !isStr || s == "" || (i == 0 && s[0] != '{') || (i == 1 && t == exported) {
			continue
		}
		if n, err := scanJSON(unsafe.Slice(unsafe.StringData(s), len(s))); err == nil {
			cost += decodeCost(n, len(s))
			c.jsonBytes += len(s)
		}
	}
	if jb != nil {
		c.jsonBytes += len(jb.data)
	}
	if reply := reserveDecode(ctx, c, cost); reply != nil {
		c.Refusal = reply
		return
	}

	req := request
	if jb != nil {
		if body := jb.decode(); body != nil {
			req = MergeRequest(request, body)
			dropCredentials(req)
		}
	}
	if fn, ok := req.Get("fnName"); ok {
		c.FnName = PHPStringOrEmpty(fn)
	}
	if c.Form == FormExtern {
		handleExtern(c, req)
	} else {
		handleAjax(c, req, request)
	}
}

// handleExtern is CRM_Utils_REST::handle() and process() as extern/rest.php
// runs them once loadCMSBootstrap() has let the caller in.
func handleExtern(c *Call, req *Array) {
	// handle(): a non-empty fnName replaces q; a non-empty entity beats both.
	q, _ := req.Get("q")
	target := q
	if fn, ok := req.Get("fnName"); !phpEmpty(fn, ok) {
		target = fn
	}
	var entity, action any
	if e, ok := req.Get("entity"); phpEmpty(e, ok) && !phpEmpty(target, true) {
		ts, isStr := stringArg(target)
		if !isStr {
			c.Refusal = crashReply(c, `Invalid parameter "fnName": expected a string`)
			return
		}
		args := strings.Split(ts, "/")
		if args[0] != "civicrm" || len(args) != 3 && (len(args) < 2 || args[1] != "ping") {
			c.Refusal = replyPtr(RenderResult(c, RESTError("Unknown function invocation.")))
			return
		}
		if args[1] == "ping" {
			c.Ping = true
			return
		}
		entity, action = args[1], args[2]
	} else {
		entity, _ = req.Get("entity")
		action, _ = req.Get("action")
	}
	params, ok := buildParamList(req)
	if !ok {
		c.Refusal = jsonDecodeReply()
		return
	}
	processCall(c, entity, action, params)
}

// handleAjax is CRM_Utils_REST::ajax() after AuthX and the CSRF check: a
// non-empty fnName ("civicrm/<entity>/<action>") beats entity and action,
// which are otherwise both required; entity=api3 is a CRM.api3 batch,
// whose calls processMultiple() reads from $_REQUEST (request).
func handleAjax(c *Call, req, request *Array) {
	var entity, action any
	if fn, ok := req.Get("fnName"); phpEmpty(fn, ok) {
		var eOK, aOK bool
		entity, eOK = req.Get("entity")
		action, aOK = req.Get("action")
		if phpEmpty(entity, eOK) || phpEmpty(action, aOK) {
			c.Refusal = replyPtr(RenderResult(c, RESTError(`missing mandatory params "entity=" or "action="`)))
			return
		}
		if entity == batchEntity {
			handleBatch(c, action, request)
			return
		}
	} else {
		fs, isStr := stringArg(fn)
		if !isStr {
			c.Refusal = crashReply(c, `Invalid parameter "fnName": expected a string`)
			return
		}
		args := strings.Split(fs, "/")
		cn, cnOK := req.Get("className")
		if args[0] != "civicrm" && len(args) != 3 && phpEmpty(cn, cnOK) {
			c.Refusal = replyPtr(RenderResult(c, RESTError("Unknown function invocation.")))
			return
		}
		if len(args) > 1 {
			entity = args[1]
		}
		if len(args) > 2 {
			action = args[2]
		}
	}
	params, ok := buildParamList(req)
	if !ok {
		c.Refusal = jsonDecodeReply()
		return
	}
	processCall(c, entity, action, params)
}

// handleBatch is processMultiple(): json_decode($_REQUEST['json']), a map or
// list of [entity, action, params]. Anything that does not decode to an
// array is no call at all; an array json is a TypeError.
func handleBatch(c *Call, action any, request *Array) {
	c.Batch = true
	c.Entity = "api3"
	if s, isStr := stringArg(action); isStr {
		c.Action = Munge(s)
	}
	c.Params = NewArray()
	switch j, _ := request.Get("json"); j := j.(type) {
	case *Array:
		c.Refusal = crashReply(c, `Invalid parameter "json": expected a string`)
	case string:
		if d, err := decodeJSONString(j); err == nil {
			if arr, isArr := d.(*Array); isArr {
				c.Params = arr
			}
		}
	}
}

// processCall is CRM_Utils_REST::process(): the entity and action munged (a
// non-empty array is a TypeError in trim), a className call instead of the
// API, the destructive-GET rule, then civicrm_api(string $entity, string
// $action, …), which dies on a NULL or array entity or action (a TypeError
// PHP answers with HTTP 500) and otherwise casts them to strings; the
// kernel munges them again, so an empty one becomes a random name.
func processCall(c *Call, entity, action any, params *Array) {
	c.Params = params
	args := [2]any{entity, action}
	argNames := [2]string{"entity", "action"}
	var names [2]string
	for i, v := range args {
		s, isStr := stringArg(v)
		switch {
		case v == nil:
		case !PHPEmpty(v) && !isStr:
			c.Refusal = crashReply(c, `Invalid parameter "`+argNames[i]+`": expected a string`)
			return
		case !PHPEmpty(v):
			names[i] = Munge(s)
		default:
			names[i] = s // "", "0", false, 0: left as they are
		}
	}
	c.Entity, c.Action = names[0], names[1]
	if cn, ok := params.Get("className"); ok && cn != nil {
		c.ClassName = PHPStringOrEmpty(cn)
		c.HasClassName = true
		return
	}
	if _, isArr := action.(*Array); isArr && c.Method == http.MethodGet {
		c.Refusal = crashReply(c, `Invalid parameter "action": expected a string`)
		return
	}
	if IsDestructiveGET(UpstreamMethod(c.Method), c.Action) {
		// The rule as CiviCRM applies it to the method Civigate sends.
		c.Refusal = replyPtr(DestructiveGETReply(c))
		return
	}
	for i, v := range args {
		if _, isArr := v.(*Array); v == nil || isArr {
			c.Refusal = crashReply(c, `Missing parameter "`+argNames[i]+`": expected a string`)
			return
		}
		if names[i] == "" {
			names[i] = Munge("")
		}
	}
	c.Entity, c.Action = names[0], names[1]
}

// stringArg is a request value passed to a PHP function's string
// parameter: scalars cast as PHP casts them (NULL as ""), arrays refused.
func stringArg(v any) (string, bool) {
	if _, isArr := v.(*Array); isArr {
		return "", false
	}
	return PHPString(v), true
}

// crashReply answers a request CiviCRM itself would die on with a PHP
// fatal error (a TypeError): HTTP 500, as CiviCRM would send, but with an
// APIv3 error in the client's format naming the parameter instead of
// CiviCRM's empty body or PHP error page.
func crashReply(c *Call, msg string) *Reply {
	return replyPtr(ErrorReply(c, http.StatusInternalServerError, APIError(msg+" (CiviCRM fails on this request with HTTP 500)")))
}

// clientIP is CRM_Utils_System::ipAddress(): REMOTE_ADDR, "::1" reported as
// 127.0.0.1 and an IPv4-mapped IPv6 address as its IPv4 part.
func clientIP(r *http.Request, override string) string {
	addr := override
	if addr == "" {
		addr = r.RemoteAddr
		if host, _, err := net.SplitHostPort(addr); err == nil {
			addr = host
		}
	}
	if addr == "::1" {
		addr = "127.0.0.1"
	}
	if len(addr) > 7 && strings.HasPrefix(addr, "::ffff:") {
		addr = addr[7:]
	}
	return addr
}

// guessFormat reads only the json parameter out of a query string too long
// to parse, so even a 414 comes back in the client's format.
func guessFormat(form Form, rawQuery string) (Format, bool) {
	var val string
	found := false
	for _, piece := range strings.Split(rawQuery, "&") {
		name, v, _ := strings.Cut(piece, "=")
		if strings.TrimLeft(urlDecode(name), " ") == "json" {
			val, found = urlDecode(v), true
		}
	}
	if form == FormWPRest {
		return boolFormat(found), found
	}
	nonEmpty := found && val != "" && val != "0"
	return boolFormat(nonEmpty), nonEmpty
}

func formatOf(form Form, req, get *Array) (Format, bool) {
	v, ok := req.Get("json")
	if form == FormWPRest {
		return boolFormat(ok), ok
	}
	gv, gok := get.Get("json")
	return boolFormat(!phpEmpty(v, ok)), !phpEmpty(gv, gok)
}

func boolFormat(json bool) Format {
	if json {
		return FormatJSON
	}
	return FormatXML
}

func sizeReply(c *Call, status int, msg string) *Reply {
	return edgeReply(c, status, "rest_request_too_large", msg)
}

// edgeReply is the answer to a request Civigate refuses before it is
// authenticated, for msg, in the shape of its form (wpCode is the
// WordPress REST error code).
func edgeReply(c *Call, status int, wpCode, msg string) *Reply {
	if c.Form == FormWPRest {
		return replyPtr(WPErrorReply(c, status, wpCode, msg, WPStatusData(status)))
	}
	return replyPtr(ErrorReply(c, status, APIError(msg)))
}

func replyPtr(r Reply) *Reply { return &r }

// EncodedBody reports whether the request body is declared encoded
// (Content-Encoding other than identity, in any of its values).
func EncodedBody(h http.Header) bool {
	for _, v := range h.Values("Content-Encoding") {
		for _, tok := range strings.Split(v, ",") {
			if tok = strings.TrimSpace(tok); tok != "" && !strings.EqualFold(tok, "identity") {
				return true
			}
		}
	}
	return false
}

// PHPStringOrEmpty is (string) $v for scalars and "" for arrays, where PHP
// would warn "Array to string conversion" and the value is useless anyway.
func PHPStringOrEmpty(v any) string {
	if _, isArr := v.(*Array); isArr {
		return ""
	}
	return PHPString(v)
}

// IsDestructiveGET is process()'s method rule: a GET whose munged action
// does not start with "get" (any case) and is not exactly "check".
func IsDestructiveGET(method, action string) bool {
	if method != http.MethodGet {
		return false
	}
	head := action
	if len(head) > 3 {
		head = head[:3]
	}
	return NormalAction(head) != "get" && action != "check"
}

// DestructiveGETReply is CiviCRM's refusal of a destructive GET
// (civicrm_api3_create_error with the security data, HTTP 200), in the
// client's format.
func DestructiveGETReply(c *Call) Reply {
	e := securityError(c, "Destructive HTTP GET", "SECURITY: All requests that modify the database must be http POST, not GET.")
	return ErrorReply(c, http.StatusOK, e)
}

// MsgAjaxCSRF is civicrm/ajax/rest's CSRF refusal (CRM_Utils_REST::ajax).
const MsgAjaxCSRF = "SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3()."

// AjaxCSRFReply is civicrm/ajax/rest's CSRF refusal (spec §4): the
// security data merged with civicrm_api3_create_error, written by
// CRM_Utils_JSON::output (plain json_encode, application/json, HTTP 200)
// whatever format the client asked for.
func AjaxCSRFReply(c *Call) Reply {
	e := securityError(c, "CSRF suspected", MsgAjaxCSRF)
	return Reply{Status: http.StatusOK, ContentType: ctJSON, Body: EncodeJSON(e, JSONOptions{Legacy: true})}
}

// securityError is CiviCRM's security refusal data, ['IP' =>
// CRM_Utils_System::ipAddress(), 'level' => 'security', 'referer' =>
// $_SERVER['HTTP_REFERER'] ?? NULL, 'reason' => …], merged with
// civicrm_api3_create_error($msg).
func securityError(c *Call, reason, msg string) *Array {
	e := NewArray()
	if c.ClientIP == "" {
		e.Set("IP", nil)
	} else {
		e.Set("IP", c.ClientIP)
	}
	e.Set("level", "security")
	if c.Referer == nil {
		e.Set("referer", nil)
	} else {
		e.Set("referer", *c.Referer)
	}
	e.Set("reason", reason)
	e.Set("is_error", Number("1"))
	e.Set("error_message", msg)
	return e
}

// PingReply is extern/rest.php's answer to civicrm/ping: CRM_Utils_REST::ping()
// through output(), JSON or XML as the client asked. The session key is
// empty for a stateless client.
func PingReply(c *Call) Reply {
	res := NewArray()
	res.Set("is_error", Number("0"))
	res.Set("message", "PONG: ")
	return RenderResult(c, res)
}
