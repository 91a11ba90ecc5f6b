package translate

import (
	"bytes"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"net/http"
	"strconv"
	"strings"
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
// parsing the query and (for POST) the form body with PHP's semantics.
//
// A non-nil Reply with a nil Call is an answer CiviCRM gives before looking
// at any credential (a 413/414 size limit, extern/rest.php's "ERROR:
// Malformed REST path", a WordPress body that is not JSON): send it as is.
// Answers CiviCRM gives only after authentication are in Call.Refusal.
//
// For POST the body is read (up to MaxBodyBytes) and r.Body is replaced by a
// reader over the same bytes, so the request can still be passed on.
func ParseRequest(r *http.Request, route Route, opts ParseOptions) (*Call, *Reply) {
	lim := opts.Limits.withDefaults()
	c := &Call{Form: route.Form, Method: r.Method, ClientIP: clientIP(r, opts.ClientIP)}
	if ref, ok := r.Header["Referer"]; ok && len(ref) > 0 {
		s := ref[0]
		c.Referer = &s
	}
	c.Credentials.Authorization = r.Header.Get("Authorization")
	c.Credentials.XCiviAuth = r.Header.Get("X-Civi-Auth")
	c.Credentials.XCiviKey = r.Header.Get("X-Civi-Key")

	rawQuery := r.URL.RawQuery
	if opts.MaxQueryBytes > 0 && len(rawQuery) > opts.MaxQueryBytes {
		c.Format, c.JSONInQuery = guessFormat(route.Form, rawQuery[:opts.MaxQueryBytes])
		return nil, sizeReply(c, http.StatusRequestURITooLong,
			"Request query string is longer than "+strconv.Itoa(opts.MaxQueryBytes)+" bytes")
	}
	get := NewArray()
	ParseQuery(get, rawQuery, lim) //nolint:errcheck // get is never nil
	for _, name := range route.DropParams {
		get.Delete(name)
	}

	body, tooBig := readBody(r, route.Form, opts.MaxBodyBytes)
	if tooBig {
		c.Format, c.JSONInQuery = formatOf(route.Form, get, get)
		return nil, sizeReply(c, http.StatusRequestEntityTooLarge,
			"Request body is larger than "+strconv.FormatInt(opts.MaxBodyBytes, 10)+" bytes")
	}
	post := parseBody(r, route.Form, body, lim)

	if route.Form == FormWPRest {
		return parseWP(r, c, get, post, body)
	}

	// AuthX reads _authx and _authxSiteKey from $_GET on GET and from $_POST
	// otherwise; key and api_key come from $_REQUEST (GET, then POST over it).
	authSrc := post
	if r.Method == http.MethodGet {
		authSrc = get
	}
	c.Credentials.Authx = authSrc.String("_authx")
	c.Credentials.AuthxSiteKey = authSrc.String("_authxSiteKey")
	req := MergeRequest(get, post)
	c.Credentials.SiteKey = req.String("key")
	c.Credentials.APIKey = req.String("api_key")
	// Credentials never become API params. key/api_key are reserved anyway;
	// AuthX deletes _authx (and _authxSes) before CiviCRM builds params; the
	// _authxSiteKey secret would otherwise travel upstream inside json=.
	for _, k := range [...]string{"_authx", "_authxSes", "_authxSiteKey"} {
		req.Delete(k)
	}

	jsonV, jsonOK := req.Get("json")
	c.Format = FormatXML
	if !phpEmpty(jsonV, jsonOK) {
		c.Format = FormatJSON
	}
	gj, gjOK := get.Get("json")
	c.JSONInQuery = !phpEmpty(gj, gjOK)
	pp, ppOK := req.Get("prettyprint")
	c.Pretty = !phpEmpty(pp, ppOK)
	if fn, ok := req.Get("fnName"); ok {
		c.FnName = PHPStringOrEmpty(fn)
	}
	for i := 0; i < req.Len(); i++ {
		if k := req.Key(i); !isReservedParam(k) {
			c.KeyValue = true
			break
		}
	}

	if route.Form == FormExtern {
		if reply := selectExtern(c, req); reply != nil {
			return nil, reply
		}
	} else {
		selectAjax(c, req)
	}
	if c.Refusal != nil || c.Ping {
		if c.Params == nil {
			c.Params = NewArray()
		}
		return c, nil
	}
	if c.Batch {
		c.Params = NewArray()
		if s, ok := req.Get("json"); ok {
			if str, isStr := s.(string); isStr {
				if d, err := DecodeJSON([]byte(str)); err == nil {
					if arr, isArr := d.(*Array); isArr {
						c.Params = arr
					}
				}
			}
		}
		return c, nil
	}
	params, fail := buildParamList(req)
	switch fail {
	case paramsBadJSON:
		c.Params = NewArray()
		c.Refusal = jsonDecodeReply()
		return c, nil
	case paramsJSONArray:
		c.Params = NewArray()
		c.Refusal = replyPtr(ErrorReply(c, http.StatusBadRequest, APIError(jsonArrayMessage)))
		return c, nil
	}
	c.Params = params
	// process(): a className call runs before (and instead of) the GET rule.
	if cn, ok := params.Get("className"); ok && cn != nil {
		c.ClassName = PHPStringOrEmpty(cn)
		c.HasClassName = true
		return c, nil
	}
	if IsDestructiveGET(c.Method, c.Action) {
		c.Refusal = replyPtr(DestructiveGETReply(c))
	}
	return c, nil
}

// selectExtern is extern/rest.php's loadCMSBootstrap() q check and handle().
func selectExtern(c *Call, req *Array) *Reply {
	q, qOK := req.Get("q")
	if !phpEmpty(q, qOK) {
		qs, isStr := q.(string)
		args := strings.Split(qs, "/")
		switch {
		case isStr && len(args) == 2 && args[1] == "ping":
			c.PingBootstrap = true
		case !isStr || len(args) != 3 || args[0] != "civicrm":
			return replyPtr(RenderResult(c, RESTError("ERROR: Malformed REST path")))
		}
	}

	target := q
	if fn, ok := req.Get("fnName"); !phpEmpty(fn, ok) {
		target = fn
	}
	entity, eOK := req.Get("entity")
	action, _ := req.Get("action")
	if phpEmpty(entity, eOK) && !phpEmpty(target, true) {
		ts, isStr := target.(string)
		args := strings.Split(ts, "/")
		unknown := !isStr || args[0] != "civicrm" || (len(args) != 3 && (len(args) < 2 || args[1] != "ping"))
		if unknown {
			reply := replyPtr(RenderResult(c, RESTError("Unknown function invocation.")))
			if c.PingBootstrap {
				return reply // handle() answers before any credential check
			}
			c.Refusal = reply
			return nil
		}
		if args[1] == "ping" {
			c.Ping = true
			c.AuthFree = c.PingBootstrap
			return nil
		}
		entity, action = args[1], args[2]
	}
	c.Refusal = setEntityAction(c, entity, action)
	return nil
}

// selectAjax is CRM_Utils_REST::ajax(): fnName beats entity/action, both of
// which are otherwise mandatory; entity=api3 is a CRM.api3 batch.
func selectAjax(c *Call, req *Array) {
	fn, fnOK := req.Get("fnName")
	var entity, action any
	if phpEmpty(fn, fnOK) {
		var eOK, aOK bool
		entity, eOK = req.Get("entity")
		action, aOK = req.Get("action")
		if phpEmpty(entity, eOK) || phpEmpty(action, aOK) {
			c.Refusal = replyPtr(RenderResult(c, RESTError(`missing mandatory params "entity=" or "action="`)))
			return
		}
		if entity == "api3" {
			c.Batch = true
		}
	} else {
		fs, isStr := fn.(string)
		if !isStr {
			c.Refusal = replyPtr(ErrorReply(c, http.StatusBadRequest, APIError(`Invalid parameter "fnName": expected a string`)))
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
	c.Refusal = setEntityAction(c, entity, action)
}

// setEntityAction stores process()'s munged entity and action
// (`if (!empty($args[$i])) munge`). Arrays are a PHP TypeError there; they
// get a 400 naming the parameter.
func setEntityAction(c *Call, entity, action any) *Reply {
	for _, p := range []struct {
		name string
		v    any
		dst  *string
	}{{"entity", entity, &c.Entity}, {"action", action, &c.Action}} {
		if phpEmpty(p.v, true) {
			continue
		}
		s, ok := p.v.(string)
		if !ok {
			return replyPtr(ErrorReply(c, http.StatusBadRequest, APIError(`Invalid parameter "`+p.name+`": expected a string`)))
		}
		*p.dst = Munge(s)
	}
	return nil
}

// parseWP builds the Call for the WordPress REST route: WP_REST_Request's
// params (JSON body > body > query), required entity/action, the
// controller's params and JSON-iff-json-present format.
func parseWP(r *http.Request, c *Call, get, post *Array, body []byte) (*Call, *Reply) {
	params := NewArray()
	// WordPress assigns in reverse priority order, so a key keeps the
	// position of its lowest-priority occurrence and the value of its highest.
	srcs := []*Array{get}
	if wpBodyMethod(r.Method) {
		srcs = append(srcs, post)
	}
	if isJSONMediaType(r.Header.Get("Content-Type")) && len(bytes.TrimSpace(body)) > 0 {
		d, err := DecodeJSON(body)
		if err != nil {
			// WP_REST_Request::parse_json_params: rest_invalid_json.
			data := WPStatusData(http.StatusBadRequest)
			reply := WPErrorReply(http.StatusBadRequest, "rest_invalid_json", "Invalid JSON body passed.", data)
			return nil, &reply
		}
		srcs = append(srcs, phpArrayCast(d))
	}
	for _, s := range srcs {
		for i := 0; i < s.Len(); i++ {
			params.Set(s.Key(i), s.Value(i))
		}
	}

	c.Credentials.SiteKey = params.String("key")
	c.Credentials.APIKey = params.String("api_key")
	j, ok := params.Get("json")
	c.Format = FormatXML
	if ok && j != nil {
		c.Format = FormatJSON
	}

	var missing []string
	for _, k := range [...]string{"entity", "action"} {
		if v, ok := params.Get(k); !ok || v == nil {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		c.Params = NewArray()
		c.Refusal = replyPtr(wpMissingParams(missing...))
		return c, nil
	}
	var invalid []string
	for _, k := range [...]string{"entity", "action"} {
		if v, _ := params.Get(k); !isWPString(v) {
			invalid = append(invalid, k)
		}
	}
	if len(invalid) > 0 {
		c.Params = NewArray()
		c.Refusal = replyPtr(wpInvalidParams(invalid...))
		return c, nil
	}
	e, _ := params.Get("entity")
	a, _ := params.Get("action")
	c.Entity, c.Action = wpArgString(e), wpArgString(a)
	if c.Entity != "" {
		c.Entity = Munge(c.Entity)
	}
	if c.Action != "" {
		c.Action = Munge(c.Action)
	}

	apiParams, reply := BuildWPParamList(params)
	if reply != nil {
		c.Params = NewArray()
		c.Refusal = reply
		return c, nil
	}
	c.Params = apiParams
	if !ok || j == nil || isNumericValue(j) {
		for _, k := range apiParams.Keys() {
			if k != "json" {
				c.KeyValue = true
				break
			}
		}
	}
	return c, nil
}

// isWPString: WordPress validates entity/action as type "string", which
// also accepts numbers (rest_is_scalar → cast).
func isWPString(v any) bool {
	switch v.(type) {
	case string, Number:
		return true
	}
	return false
}

func wpArgString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case Number:
		return string(v)
	}
	return ""
}

// phpArrayCast is (array) $value as WP_REST_Request::get_params applies it
// to the decoded JSON body.
func phpArrayCast(v any) *Array {
	switch v := v.(type) {
	case *Array:
		return v
	case nil:
		return NewArray()
	}
	a := NewArray()
	a.Set("0", v)
	return a
}

func wpBodyMethod(m string) bool {
	switch m {
	case http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// isJSONMediaType is wp_is_json_media_type: application/json or any +json type.
func isJSONMediaType(ct string) bool {
	mt := mediaType(ct)
	return mt == "application/json" || strings.HasSuffix(mt, "+json")
}

// mediaType is the lower-cased type/subtype, cut where PHP's SAPI cuts it
// (at ';', ',' or a space).
func mediaType(ct string) string {
	ct = strings.TrimLeft(ct, " \t")
	if i := strings.IndexAny(ct, "; ,"); i >= 0 {
		ct = ct[:i]
	}
	return strings.ToLower(ct)
}

// readBody reads the body when PHP (or WordPress) would look at it.
func readBody(r *http.Request, form Form, max int64) (body []byte, tooBig bool) {
	if r.Body == nil || r.Body == http.NoBody {
		return nil, false
	}
	mt := mediaType(r.Header.Get("Content-Type"))
	switch {
	case form == FormWPRest && (isJSONMediaType(mt) || mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"):
	case r.Method == http.MethodPost && (mt == "application/x-www-form-urlencoded" || mt == "multipart/form-data"):
	default:
		return nil, false
	}
	src := io.Reader(r.Body)
	if max > 0 {
		src = io.LimitReader(r.Body, max+1)
	}
	body, err := io.ReadAll(src)
	r.Body = io.NopCloser(io.MultiReader(bytes.NewReader(body), r.Body))
	if err != nil {
		return body, false
	}
	return body, max > 0 && int64(len(body)) > max
}

// parseBody is PHP's $_POST (POST only; WordPress also parses a form body
// itself for PUT/PATCH/DELETE, with parse_str).
func parseBody(r *http.Request, form Form, body []byte, lim Limits) *Array {
	post := NewArray()
	if len(body) == 0 {
		return post
	}
	ct := r.Header.Get("Content-Type")
	switch mediaType(ct) {
	case "application/x-www-form-urlencoded":
		if r.Method == http.MethodPost {
			parsePostBody(post, string(body), lim)
		} else if form == FormWPRest {
			ParseQuery(post, string(body), lim) //nolint:errcheck
		}
	case "multipart/form-data":
		if r.Method == http.MethodPost {
			parseMultipart(post, ct, body, lim)
		}
	}
	return post
}

// parseMultipart registers the non-file fields of a multipart/form-data body
// as PHP's rfc1867 handler does: the first max_input_vars fields, names
// mangled like any other variable, values verbatim. Files go to $_FILES,
// which CiviCRM's REST layer never reads. A malformed body ends parsing with
// what was read so far.
func parseMultipart(dst *Array, ct string, body []byte, lim Limits) {
	_, params, err := mime.ParseMediaType(ct)
	if err != nil || params["boundary"] == "" {
		return
	}
	mr := multipart.NewReader(bytes.NewReader(body), params["boundary"])
	count := 0
	for {
		part, err := mr.NextRawPart()
		if err != nil {
			return
		}
		_, dp, err := mime.ParseMediaType(part.Header.Get("Content-Disposition"))
		if err != nil {
			continue
		}
		if _, isFile := dp["filename"]; isFile {
			continue
		}
		name, ok := dp["name"]
		if !ok {
			continue
		}
		val, err := io.ReadAll(part)
		if err != nil {
			return
		}
		count++
		if count > lim.MaxInputVars {
			continue
		}
		registerVar(dst, name, string(val), lim)
	}
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
	if c.Form == FormWPRest {
		return replyPtr(WPErrorReply(status, "rest_request_too_large", msg, WPStatusData(status)))
	}
	return replyPtr(ErrorReply(c, status, APIError(msg)))
}

func replyPtr(r Reply) *Reply { return &r }

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
	e.Set("reason", "Destructive HTTP GET")
	e.Set("is_error", Number("1"))
	e.Set("error_message", "SECURITY: All requests that modify the database must be http POST, not GET.")
	return ErrorReply(c, http.StatusOK, e)
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
