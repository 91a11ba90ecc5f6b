package civicrmsim

import (
	"io"
	"mime"
	"net"
	"net/http"
	"regexp"
	"strings"

	"github.com/civigate/civigate/translate"
)

// request is one HTTP request as PHP sees it: $_GET, $_POST, $_REQUEST
// (request_order GP) and what CRM_Utils_Request::exportValues() makes of
// them, which since civicrm-core PR #30678 (observed on 6.17.2) includes
// the members of a POST body sent as application/json.
type request struct {
	r          *http.Request
	get, post  *translate.Array
	req        *translate.Array // $_REQUEST: where AuthX and authenticateKey look
	export     *translate.Array // exportValues(): what the REST page reads
	legacyForm bool             // extern/rest.php
}

func (s *Simulator) parseRequest(r *http.Request) *request {
	q := &request{r: r, get: translate.NewArray(), post: translate.NewArray()}
	_ = translate.ParseQuery(q.get, r.URL.RawQuery, translate.DefaultLimits)
	var body *translate.Array
	if fcgiMethod(r.Method) == http.MethodPost && r.Body != nil && s.postRead(r) {
		raw, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		ct := fcgiContentType(r)
		translate.ParsePost(q.post, phpFormType(ct), raw, translate.DefaultLimits)
		if mt, _, _ := mime.ParseMediaType(ct); mt == "application/json" {
			if d, err := translate.DecodeJSON(raw); err == nil {
				body, _ = d.(*translate.Array)
			}
		}
	}
	q.req = translate.MergeRequest(q.get, q.post)
	q.export = q.req
	s.withCookies(q)
	if body != nil {
		q.export = translate.MergeRequest(q.req, body)
	}
	return q
}

// authxParam is $_GET[name] for GET, $_POST[name] otherwise (AuthX).
func (q *request) authxParam(name string) string {
	src := q.post
	if q.r.Method == http.MethodGet {
		src = q.get
	}
	return scalarString(src, name)
}

func scalarString(a *translate.Array, k string) string {
	v, _ := a.Get(k)
	if _, isArr := v.(*translate.Array); isArr || v == nil {
		return ""
	}
	return translate.PHPString(v)
}

// empty is PHP's empty($a[$k]).
func empty(a *translate.Array, k string) bool {
	v, ok := a.Get(k)
	if !ok {
		return true
	}
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == "" || x == "0"
	case bool:
		return !x
	case translate.Number:
		return x == "0" || x == "0.0" || x == "-0"
	case *translate.Array:
		return x.Len() == 0
	}
	return false
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

// serveExtern is extern/rest.php: loadCMSBootstrap() (the q check, the
// site key, the api_key and its CMS user), then handle() and process().
// Where PHP 8 itself dies (a TypeError: an array where a string is
// needed, a NULL entity or action reaching civicrm_api()), the answer is
// PHP's: HTTP 500 with an empty body.
func (s *Simulator) serveExtern(w http.ResponseWriter, r *http.Request) {
	q := s.parseRequest(r)
	q.legacyForm = true
	// loadCMSBootstrap(): $q = $requestParams['q'] ?? ''; explode('/', $q).
	qv, _ := q.export.Get("q")
	qs, ok := stringArg(qv)
	if !ok {
		s.crash(w, q)
		return
	}
	pingPath := false
	if !emptyValue(qv) {
		args := strings.Split(qs, "/")
		switch {
		case len(args) == 2 && args[1] == "ping":
			pingPath = true
		case len(args) != 3 || args[0] != "civicrm":
			s.output(w, q, restError("ERROR: Malformed REST path"))
			return
		}
	}
	var u *User
	if !pingPath {
		// authenticateKey(): trim($_REQUEST['key'] ?? ''), then !$key,
		// then hash_equals; trim() dies on an array.
		kv, _ := q.req.Get("key")
		if _, isArr := kv.(*translate.Array); isArr {
			s.crash(w, q)
			return
		}
		key := strings.Trim(scalarString(q.req, "key"), " \t\n\r\x00\x0B")
		if phpEmpty(key) || len(s.siteKey) < 8 || !constEq(key, s.siteKey) {
			s.output(w, q, restError("Failed to authenticate key"))
			return
		}
		// retrieve('api_key', 'String', …, 'REQUEST'): an "amp;" alias too.
		apiKeyV, _ := retrieve(q.req, "api_key")
		apiKey := ""
		if _, isArr := apiKeyV.(*translate.Array); !isArr && apiKeyV != nil {
			apiKey = translate.PHPString(apiKeyV)
		}
		if emptyValue(apiKey) {
			s.output(w, q, restError("FATAL: mandatory param 'api_key' (user key) missing"))
			return
		}
		u = s.userByAPIKey(apiKey)
		if u == nil || u.UserID == 0 {
			s.output(w, q, restError("ERROR: No CMS user associated with given api-key"))
			return
		}
	}
	// handle(): a non-empty fnName overrides q; a non-empty entity wins.
	target := qv
	if fn, _ := q.export.Get("fnName"); !emptyValue(fn) {
		target = fn
	}
	var entity, action any
	if e, _ := q.export.Get("entity"); emptyValue(e) && !emptyValue(target) {
		ts, ok := stringArg(target)
		if !ok {
			s.crash(w, q)
			return
		}
		args := strings.Split(ts, "/")
		if args[0] != "civicrm" || len(args) != 3 && (len(args) < 2 || args[1] != "ping") {
			s.output(w, q, restError("Unknown function invocation."))
			return
		}
		if args[1] == "ping" {
			res := translate.NewArray()
			res.Set("is_error", translate.Number("0"))
			res.Set("message", "PONG: ")
			s.output(w, q, res)
			return
		}
		entity, action = args[1], args[2]
	} else {
		entity, _ = q.export.Get("entity")
		action, _ = q.export.Get("action")
	}
	if u == nil { // q=civicrm/ping skipped the checks, but this is no ping
		s.output(w, q, restError("FATAL: mandatory param 'api_key' (user key) missing"))
		return
	}
	s.process(w, q, &principal{user: u, contactID: u.ContactID}, entity, action)
}

// serveAjax is civicrm/ajax/rest: AuthX, the route permission, then
// ajax(): the CSRF check, fnName or entity and action, batches.
func (s *Simulator) serveAjax(w http.ResponseWriter, r *http.Request) {
	q := s.parseRequest(r)
	p, rej := s.authenticate(q, true)
	if rej != nil {
		rej.write(w)
		return
	}
	if p == nil || !(p.can(permAccessCiviCRM) || p.can(permAccessAJAX)) {
		s.accessDenied(w, r)
		return
	}
	xrw := r.Header.Get("X-Requested-With") == "XMLHttpRequest"
	if !(r.Method == http.MethodOptions || xrw || p.flow == "legacyrest" || p.flow == "param" || p.flow == "xheader") {
		e := securityError(r, "CSRF suspected", "SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3().")
		writeBody(w, 200, "application/json", s.encodeJSON(e, false))
		return
	}
	// AuthX removed its own parameters before the page ran.
	for _, k := range []string{"_authx", "_authxSes"} {
		q.req.Delete(k)
		q.export.Delete(k)
	}
	var entity, action any
	if fn, _ := q.export.Get("fnName"); emptyValue(fn) {
		entity, _ = q.export.Get("entity")
		action, _ = q.export.Get("action")
		if emptyValue(entity) || emptyValue(action) {
			s.output(w, q, restError(`missing mandatory params "entity=" or "action="`))
			return
		}
		if entity == "api3" {
			s.processMultiple(w, q, p)
			return
		}
	} else {
		fs, ok := stringArg(fn)
		if !ok {
			s.crash(w, q)
			return
		}
		args := strings.Split(fs, "/")
		if cn, _ := q.export.Get("className"); args[0] != "civicrm" && len(args) != 3 && emptyValue(cn) {
			s.output(w, q, restError("Unknown function invocation."))
			return
		}
		if len(args) > 1 {
			entity = args[1]
		}
		if len(args) > 2 {
			action = args[2]
		}
	}
	s.process(w, q, p, entity, action)
}

func referer(r *http.Request) any {
	if v, ok := r.Header["Referer"]; ok && len(v) > 0 {
		return v[0]
	}
	return nil
}

// process is CRM_Utils_REST::process(buildParamList()): the parameters
// (a json= that does not decode is answered at once), the entity and
// action munged when non-empty (trim() dies on an array), a className call
// (pageMethod), the GET rule, then civicrm_api(string
// $entity, string $action, array $params), which dies on NULL or an array.
func (s *Simulator) process(w http.ResponseWriter, q *request, p *principal, entity, action any) {
	params, reply := translate.BuildParamList(q.export)
	if reply != nil {
		writeBody(w, reply.Status, reply.ContentType, reply.Body)
		return
	}
	args := [2]any{entity, action}
	var names [2]string
	for i, v := range args {
		str, ok := stringArg(v)
		if !emptyValue(v) {
			if !ok {
				s.crash(w, q)
				return
			}
			str = translate.Munge(str)
		}
		names[i] = str
	}
	params.Set("check_permissions", true)
	if cn, ok := params.Get("className"); ok && cn != nil {
		s.output(w, q, s.pageMethod(translate.Munge(translate.PHPStringOrEmpty(cn)), scalarString(params, "fnName")))
		return
	}
	if !params.Has("version") {
		params.Set("version", translate.Number("3"))
	}
	if q.r.Method == http.MethodGet {
		if _, isArr := action.(*translate.Array); isArr {
			s.crash(w, q) // substr() of an array
			return
		}
		if translate.IsDestructiveGET(q.r.Method, names[1]) {
			s.output(w, q, destructiveGET(q.r))
			return
		}
	}
	for _, v := range args {
		if _, isArr := v.(*translate.Array); v == nil || isArr {
			s.crash(w, q)
			return
		}
	}
	if s.opts.OnCall != nil {
		s.opts.OnCall(names[0], names[1], params)
	}
	s.output(w, q, s.api(p, names[0], names[1], params, true))
}

// processOne is process() for one member of a batch: its entity and
// action are strings already.
func (s *Simulator) processOne(q *request, p *principal, entity, action string, params *translate.Array) any {
	entity, action = translate.Munge(entity), translate.Munge(action)
	params.Set("check_permissions", true)
	if cn, ok := params.Get("className"); ok && cn != nil {
		return s.pageMethod(translate.Munge(translate.PHPStringOrEmpty(cn)), scalarString(params, "fnName"))
	}
	if !params.Has("version") {
		params.Set("version", translate.Number("3"))
	}
	if translate.IsDestructiveGET(q.r.Method, action) {
		return destructiveGET(q.r)
	}
	return s.api(p, entity, action, params, true)
}

func destructiveGET(r *http.Request) *translate.Array {
	return securityError(r, "Destructive HTTP GET", "SECURITY: All requests that modify the database must be http POST, not GET.")
}

// securityError is civicrm_api3_create_error($message, ['IP', 'level' =>
// 'security', 'referer', 'reason' => $reason]).
func securityError(r *http.Request, reason, message string) *translate.Array {
	e := translate.NewArray()
	e.Set("IP", clientIP(r))
	e.Set("level", "security")
	e.Set("referer", referer(r))
	e.Set("reason", reason)
	e.Set("is_error", translate.Number("1"))
	e.Set("error_message", message)
	return e
}

// pageMethods are the CRM_*_Page_AJAX methods the simulated site has
// (method_exists in CRM_Core_Page_AJAX::checkAuthz).
var pageMethods = map[string]bool{"CRM_Contact_Page_AJAX::getContactEmail": true}

var pageClass, pageFn = regexp.MustCompile(`^CRM_[a-zA-Z0-9]+_Page_AJAX$`), regexp.MustCompile(`^[a-zA-Z0-9]+$`)

// pageMethod is process()'s className branch: checkAuthz('method', …),
// then className::fnName($params) instead of the API. The simulated
// method only counts the call (Calls("CRM_X_Page_AJAX::fn")) and returns
// an empty result (real ones print their own JSON and exit).
func (s *Simulator) pageMethod(class, fn string) any {
	name := class + "::" + fn
	if !pageClass.MatchString(class) || !pageFn.MatchString(fn) || !pageMethods[name] {
		return restError("Unknown function invocation.")
	}
	s.mu.Lock()
	s.calls[name]++
	s.mu.Unlock()
	return translate.NewArray()
}

// processMultiple is the entity=api3 batch: json_decode($_REQUEST['json'])
// is a map or list of [entity, action, params]; each runs through
// process(); the answer maps the same keys to the raw results.
func (s *Simulator) processMultiple(w http.ResponseWriter, q *request, p *principal) {
	out := translate.NewArray()
	js, _ := q.req.Get("json")
	if _, isArr := js.(*translate.Array); isArr {
		s.crash(w, q) // json_decode() of an array
		return
	}
	if str, _ := js.(string); str != "" {
		if d, err := translate.DecodeJSON([]byte(str)); err == nil {
			if calls, ok := d.(*translate.Array); ok {
				for i := 0; i < calls.Len(); i++ {
					c, _ := calls.Value(i).(*translate.Array)
					e, _ := c.Get("0")
					a, _ := c.Get("1")
					prm, _ := c.Get("2")
					params, _ := prm.(*translate.Array)
					if params == nil {
						params = translate.NewArray()
					} else {
						params = params.Clone()
					}
					out.Set(calls.Key(i), s.processOne(q, p, translate.PHPString(e), translate.PHPString(a), params))
				}
			}
		}
	}
	s.output(w, q, out)
}

// crash is PHP dying of an uncaught TypeError with display_errors off:
// HTTP 500, no body, and whatever Content-Type was sent before
// (extern/rest.php's text/xml when $_GET['json'] is empty).
func (s *Simulator) crash(w http.ResponseWriter, q *request) {
	ct := "text/html; charset=UTF-8"
	if q.legacyForm && empty(q.get, "json") {
		ct = "text/xml;charset=UTF-8"
	}
	writeBody(w, http.StatusInternalServerError, ct, nil)
}

// stringArg is a value passed to a PHP string parameter: scalars cast,
// arrays refused (a TypeError).
func stringArg(v any) (string, bool) {
	if _, isArr := v.(*translate.Array); isArr {
		return "", false
	}
	return translate.PHPString(v), true
}

// emptyValue is PHP's empty() of a value.
func emptyValue(v any) bool { return translate.PHPEmpty(v) }

// output is CRM_Utils_REST::output plus the headers each endpoint ends up
// with: JSON iff json is non-empty; prettyprint drops CiviCRM's
// Content-Type (PHP's default remains, or extern/rest.php's text/xml when
// json was not in the query string); XML has text/xml only on extern.
func (s *Simulator) output(w http.ResponseWriter, q *request, result any) {
	ct := "text/html; charset=UTF-8"
	if q.legacyForm && empty(q.get, "json") {
		ct = "text/xml;charset=UTF-8"
	}
	if empty(q.export, "json") {
		writeBody(w, 200, ct, translate.RenderXML(result))
		return
	}
	pretty := !empty(q.export, "prettyprint")
	if !pretty {
		ct = "application/json"
	}
	res, _ := translate.Preprocess(result)
	writeBody(w, 200, ct, s.encodeJSON(arrayMerge(res), pretty))
}

// encodeJSON is the REST layer's json_encode: JSON_UNESCAPED_SLASHES |
// JSON_UNESCAPED_UNICODE from 6.8, plain before; prettyprint always had
// both flags (before 6.8 through jsonFormated(): "JSON_PRETTY_PRINT +
// JSON_UNESCAPED_SLASHES + JSON_UNESCAPED_UNICODE", civicrm-core
// CRM/Utils/REST.php since 4.7), only the plain branch changed in 6.8.
func (s *Simulator) encodeJSON(v any, pretty bool) []byte {
	return translate.EncodeJSON(v, translate.JSONOptions{Legacy: s.legacyJSON && !pretty, Pretty: pretty})
}

// arrayMerge is array_merge($a): integer keys renumbered from 0.
func arrayMerge(a *translate.Array) *translate.Array {
	renumber := false
	for _, k := range a.Keys() {
		if _, ok := translate.IntKey(k); ok {
			renumber = true
			break
		}
	}
	if !renumber {
		return a
	}
	return translate.MergeRequest(a, nil)
}

func restError(msg string) *translate.Array {
	e := translate.NewArray()
	e.Set("error_message", msg)
	e.Set("is_error", translate.Number("1"))
	return e
}

func writeBody(w http.ResponseWriter, status int, ct string, body []byte) {
	if ct != "" {
		w.Header().Set("Content-Type", ct)
	}
	w.WriteHeader(status)
	_, _ = w.Write(body)
}
