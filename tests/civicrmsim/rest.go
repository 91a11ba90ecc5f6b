package civicrmsim

import (
	"io"
	"mime"
	"net"
	"net/http"
	"strings"

	"github.com/civigate/civigate/translate"
)

// request is one HTTP request as PHP sees it: $_GET, $_POST and their
// array_merge (CRM_Utils_Request::exportValues, also $_REQUEST with
// request_order GP).
type request struct {
	r          *http.Request
	get, post  *translate.Array
	req        *translate.Array
	legacyForm bool // extern/rest.php
}

func parseRequest(r *http.Request, ajax bool) *request {
	q := &request{r: r, get: translate.NewArray(), post: translate.NewArray()}
	_ = translate.ParseQuery(q.get, r.URL.RawQuery, translate.DefaultLimits)
	if r.Method == http.MethodPost && r.Body != nil {
		body, _ := io.ReadAll(io.LimitReader(r.Body, 8<<20))
		mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch {
		case mt == "application/x-www-form-urlencoded":
			_ = translate.ParseQuery(q.post, string(body), translate.DefaultLimits)
		case mt == "application/json" && ajax:
			// Observed on 6.17.2 Standalone: a JSON body {"entity":…,
			// "action":…,"json":{…}} works on ajax/rest. Its members act
			// as form fields; a non-string json is its JSON text.
			if d, err := translate.DecodeJSON(body); err == nil {
				if a, ok := d.(*translate.Array); ok {
					for i := 0; i < a.Len(); i++ {
						v := a.Value(i)
						if sub, isArr := v.(*translate.Array); isArr && a.Key(i) == "json" {
							v = string(translate.EncodeJSON(sub, translate.JSONOptions{}))
						}
						q.post.Set(a.Key(i), v)
					}
				}
			}
		}
	}
	q.req = translate.MergeRequest(q.get, q.post)
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

// serveExtern is extern/rest.php: loadCMSBootstrap (q validation, ping,
// site key, api_key, CMS user), then handle() and process().
func (s *Simulator) serveExtern(w http.ResponseWriter, r *http.Request) {
	q := parseRequest(r, false)
	q.legacyForm = true
	qv := scalarString(q.req, "q")
	ping := false
	if qv != "" {
		parts := strings.Split(qv, "/")
		switch {
		case len(parts) == 2 && parts[0] == "civicrm" && parts[1] == "ping":
			ping = true
		case len(parts) == 3 && parts[0] == "civicrm":
		default:
			s.output(w, q, restError("ERROR: Malformed REST path"))
			return
		}
	}
	var u *User
	if !ping {
		// authenticateKey: trim(), then !$key, then hash_equals.
		key := strings.Trim(scalarString(q.req, "key"), " \t\n\r\x00\x0B")
		if phpEmpty(key) || len(s.siteKey) < 8 || !constEq(key, s.siteKey) {
			s.output(w, q, restError("Failed to authenticate key"))
			return
		}
		apiKey := scalarString(q.req, "api_key")
		if phpEmpty(apiKey) {
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
	if !empty(q.req, "fnName") {
		qv = scalarString(q.req, "fnName")
	}
	var args []string
	if !empty(q.req, "entity") {
		args = []string{"civicrm", scalarString(q.req, "entity"), scalarString(q.req, "action")}
	} else {
		args = strings.Split(qv, "/")
	}
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
	if u == nil { // q=civicrm/ping skipped the checks, but this is no ping
		s.output(w, q, restError("FATAL: mandatory param 'api_key' (user key) missing"))
		return
	}
	s.process(w, q, &principal{user: u, contactID: u.ContactID}, args[1], args[2])
}

// serveAjax is civicrm/ajax/rest: AuthX, the route permission, ajax()'s
// CSRF check, entity/action selection, batches.
func (s *Simulator) serveAjax(w http.ResponseWriter, r *http.Request) {
	q := parseRequest(r, true)
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
		e := translate.NewArray()
		e.Set("IP", clientIP(r))
		e.Set("level", "security")
		e.Set("referer", referer(r))
		e.Set("reason", "CSRF suspected")
		e.Set("is_error", translate.Number("1"))
		e.Set("error_message", "SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api3().")
		writeBody(w, 200, "application/json", s.encodeJSON(e, false))
		return
	}
	// AuthX removed its own parameters before the page ran.
	for _, k := range []string{"_authx", "_authxSes"} {
		q.req.Delete(k)
	}
	var entity, action string
	if !empty(q.req, "fnName") {
		parts := strings.Split(scalarString(q.req, "fnName"), "/")
		if len(parts) > 1 {
			entity = parts[1]
		}
		if len(parts) > 2 {
			action = parts[2]
		}
	} else {
		entity, action = scalarString(q.req, "entity"), scalarString(q.req, "action")
	}
	if entity == "" || action == "" {
		s.output(w, q, restError(`missing mandatory params "entity=" or "action="`))
		return
	}
	if entity == "api3" {
		s.processMultiple(w, q, p)
		return
	}
	s.process(w, q, p, entity, action)
}

func referer(r *http.Request) any {
	if v, ok := r.Header["Referer"]; ok && len(v) > 0 {
		return v[0]
	}
	return nil
}

// process is CRM_Utils_REST::process: munge, buildParamList, the GET rule,
// civicrm_api, output.
func (s *Simulator) process(w http.ResponseWriter, q *request, p *principal, entity, action string) {
	params, reply := translate.BuildParamList(q.req)
	if reply != nil {
		writeBody(w, reply.Status, reply.ContentType, reply.Body)
		return
	}
	s.output(w, q, s.processOne(q, p, entity, action, params))
}

func (s *Simulator) processOne(q *request, p *principal, entity, action string, params *translate.Array) any {
	entity, action = translate.Munge(entity), translate.Munge(action)
	params.Set("check_permissions", true)
	if !params.Has("version") {
		params.Set("version", translate.Number("3"))
	}
	if translate.IsDestructiveGET(q.r.Method, action) {
		e := translate.NewArray()
		e.Set("IP", clientIP(q.r))
		e.Set("level", "security")
		e.Set("referer", referer(q.r))
		e.Set("reason", "Destructive HTTP GET")
		e.Set("is_error", translate.Number("1"))
		e.Set("error_message", "SECURITY: All requests that modify the database must be http POST, not GET.")
		return e
	}
	return s.api(p, entity, action, params, true)
}

// processMultiple is the entity=api3 batch: json is a map or list of
// [entity, action, params]; each runs through process(); the answer maps
// the same keys to the raw results.
func (s *Simulator) processMultiple(w http.ResponseWriter, q *request, p *principal) {
	out := translate.NewArray()
	if js := scalarString(q.req, "json"); js != "" {
		if d, err := translate.DecodeJSON([]byte(js)); err == nil {
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

// output is CRM_Utils_REST::output plus the headers each endpoint ends up
// with: JSON iff json is non-empty; prettyprint drops CiviCRM's
// Content-Type (PHP's default remains, or extern/rest.php's text/xml when
// json was not in the query string); XML has text/xml only on extern.
func (s *Simulator) output(w http.ResponseWriter, q *request, result any) {
	ct := "text/html; charset=UTF-8"
	if q.legacyForm && empty(q.get, "json") {
		ct = "text/xml;charset=UTF-8"
	}
	if empty(q.req, "json") {
		writeBody(w, 200, ct, translate.RenderXML(result))
		return
	}
	pretty := !empty(q.req, "prettyprint")
	if !pretty {
		ct = "application/json"
	}
	res, _ := translate.Preprocess(result)
	writeBody(w, 200, ct, s.encodeJSON(arrayMerge(res), pretty))
}

// encodeJSON is the REST layer's json_encode: JSON_UNESCAPED_SLASHES |
// JSON_UNESCAPED_UNICODE from 6.8, plain before.
func (s *Simulator) encodeJSON(v any, pretty bool) []byte {
	return translate.EncodeJSON(v, translate.JSONOptions{Legacy: s.legacyJSON, Pretty: pretty})
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
