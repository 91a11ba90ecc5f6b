package civicrmsim

import (
	"html"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// Standalone's router and the APIv4 page (CRM/Api4/Page/AJAX.php):
// civicrm/ajax/api4/{Entity}/{action} for one call, civicrm/ajax/api4 with
// calls= for a batch.

// serveStandalone routes a path the other handlers did not take as
// CiviCRM Standalone does (Civi/Standalone/WebEntrypoint.php): on the
// percent-decoded path, split on "/" with empty segments dropped, the
// longest known menu path winning; a first segment other than civicrm is
// "Path not found" before CiviCRM boots, and "/" goes to the home page.
func (s *Simulator) serveStandalone(w http.ResponseWriter, r *http.Request) {
	var seg []string
	for _, p := range strings.Split(r.URL.Path, "/") {
		if p != "" {
			seg = append(seg, p)
		}
	}
	switch {
	case len(seg) == 0:
		w.Header().Set("Location", "/civicrm/home")
		writeBody(w, http.StatusFound, "text/html; charset=UTF-8", nil)
	case seg[0] != "civicrm":
		noSession(w)
		writeBody(w, http.StatusNotFound, "text/html; charset=UTF-8", []byte("Path not found"))
	case menuPath(seg, "civicrm", "ajax", "api4"):
		s.serveAPI4(w, r, seg)
	case menuPath(seg, "civicrm", "ajax", "rest"):
		s.serveAjax(w, r)
	case menuPath(seg, "civicrm", "authx", "id"):
		s.serveAuthxID(w, r)
	case menuPath(seg, "civicrm", "authx", "login"):
		s.serveAuthxLogin(w, r)
	case menuPath(seg, "civicrm", "authx", "logout"):
		s.serveAuthxLogout(w, r)
	default:
		s.servePage(w, r)
	}
}

// servePage is any other page of CiviCRM's UI. AuthX's civi.invoke.auth
// listener runs first on it as on every route CRM_Core_Invoke runs
// (Authenticator::on_civi_invoke_auth: X-Civi-Auth, Authorization, _authx
// from $_GET on GET and $_POST otherwise): an invalid credential gets
// AuthX's 401, a valid one the page as that user. The pages themselves
// are not simulated: a user gets a stand-in naming the contact, an
// anonymous visitor the home page's refusal (route-9).
func (s *Simulator) servePage(w http.ResponseWriter, r *http.Request) {
	p, rej := s.authxFlows(s.parseRequest(r))
	switch {
	case rej != nil:
		rej.write(w)
	case p != nil:
		writeBody(w, http.StatusOK, "text/html; charset=UTF-8",
			[]byte("<title>CiviCRM</title>page for contact "+strconv.FormatInt(p.contactID, 10)+" (flow "+p.flow+")"))
	default:
		writeBody(w, http.StatusForbidden, "text/html; charset=UTF-8",
			[]byte(strings.ReplaceAll(homeDeniedPage, "{BASE}", "http://"+r.Host)))
	}
}

// menuPath reports whether the path's segments start with the menu path.
func menuPath(seg []string, menu ...string) bool {
	if len(seg) < len(menu) {
		return false
	}
	for i, m := range menu {
		if seg[i] != m {
			return false
		}
	}
	return true
}

// parseAPI4Request is $_GET and, for POST only (and within post_max_size),
// $_POST from a urlencoded or multipart body; any other body (JSON) is
// invisible to PHP (read-42, write-26). AuthX's own parameters are gone
// before the page runs.
func (s *Simulator) parseAPI4Request(r *http.Request) *request {
	q := &request{r: r, get: translate.NewArray(), post: translate.NewArray()}
	_ = translate.ParseQuery(q.get, r.URL.RawQuery, translate.DefaultLimits)
	if r.Method == http.MethodPost && r.Body != nil && s.postRead(r) {
		mt, mp, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
		switch mt {
		case "application/x-www-form-urlencoded":
			body, _ := io.ReadAll(r.Body)
			_ = translate.ParseQuery(q.post, string(body), translate.DefaultLimits)
		case "multipart/form-data":
			if mr, err := r.MultipartReader(); err == nil && mp["boundary"] != "" {
				var b strings.Builder
				for {
					part, err := mr.NextPart()
					if err != nil {
						break
					}
					if part.FileName() != "" {
						continue // $_FILES
					}
					v, _ := io.ReadAll(part)
					if b.Len() > 0 {
						b.WriteByte('&')
					}
					b.WriteString(url.QueryEscape(part.FormName()) + "=" + url.QueryEscape(string(v)))
				}
				_ = translate.ParseQuery(q.post, b.String(), translate.DefaultLimits)
			}
		}
	}
	q.req = translate.MergeRequest(q.get, q.post)
	s.withCookies(q)
	return q
}

// api4Authenticate is civi.invoke.auth for this route (seg: its
// segments): Afform's page token listener first (afformPageToken), then
// AuthX's flows and the legacy key/api_key flow (authenticate), which
// must agree with it and with the session's login, if any. A rejection is
// written and ok is false; no credential is (nil, true): anonymous.
func (s *Simulator) api4Authenticate(w http.ResponseWriter, q *request, seg []string) (p *principal, ok bool) {
	session := s.sessionPrincipal(q.r)
	page, rej := s.afformPageToken(q, seg)
	if rej != nil {
		rej.write(w)
		return nil, false
	}
	p, rej = s.authenticate(q, true)
	if rej == nil && page != nil && p != nil && p.contactID != page.contactID {
		rej = &rejection{msg: msgMismatch, legacy: p.flow == "legacyrest"}
	}
	if rej == nil && page != nil && p == nil {
		p = page
	}
	if rej == nil && p != nil && session != nil && p.contactID != session.contactID {
		rej = &rejection{msg: msgMismatch, legacy: p.flow == "legacyrest"}
	}
	if rej != nil {
		rej.write(w)
		return nil, false
	}
	if p == nil {
		p = session
	}
	return p, true
}

const msgMismatch = "Cannot login. A mismatched session is already active."

// statelessFlows are the AuthX flows that pass the CSRF check
// (CRM_Utils_REST::isWebServiceRequest).
var statelessFlows = map[string]bool{"xheader": true, "param": true, "legacyrest": true}

// serveAPI4 is CRM_Api4_Page_AJAX::run after AuthX: the CSRF check (400),
// the GET check (405), then one call or a batch.
func (s *Simulator) serveAPI4(w http.ResponseWriter, r *http.Request, seg []string) {
	q := s.parseAPI4Request(r)
	p, ok := s.api4Authenticate(w, q, seg)
	if !ok {
		return
	}
	for _, k := range []string{"_authx", "_authxSes"} {
		q.get.Delete(k)
		q.post.Delete(k)
		q.req.Delete(k)
	}
	for len(seg) < 5 {
		seg = append(seg, "")
	}
	flow := ""
	if p != nil {
		flow = p.flow
	}
	if r.Method != http.MethodOptions && r.Header.Get("X-Requested-With") != "XMLHttpRequest" && !statelessFlows[flow] {
		s.api4JSON(w, 400, pageError(400, "SECURITY ALERT: Ajax requests can only be issued by javascript clients, eg. CRM.api4()."))
		return
	}
	action := seg[4]
	if r.Method == http.MethodGet && action != "autocomplete" && !strings.HasPrefix(strings.ToLower(action), "get") {
		s.api4JSON(w, 405, pageError(405, "SECURITY: All requests that modify the database must be http POST, not GET."))
		return
	}
	if s.opts.UserFramework == "Standalone" && strings.EqualFold(seg[3], "User") && action == "login" {
		s.serveUserLogin(w, r, q) // standalonelogin.go
		return
	}
	if s.opts.UserFramework == "Standalone" && strings.EqualFold(seg[3], "User") && (action == "update" || action == "save") &&
		s.serveUserActorPassword(w, r, q) { // standalonelogin.go
		return
	}
	ctx := &v4Ctx{s: s, p: p, loaded: map[string]bool{}}
	if p != nil && p.flow != "login" {
		// AuthX looked the contact up through the API: its class is loaded.
		ctx.loaded["Contact"] = true
	}
	status := 0
	var resp any
	var fatal *v4Err
	if seg[3] == "" || seg[3] == "0" {
		resp, fatal = ctx.batch(q, &status)
	} else {
		resp, fatal = ctx.single(q, seg[3], action, &status)
	}
	if fatal != nil {
		s.fatalPage(w, r, fatal.msg)
		return
	}
	if status == 0 {
		status = 200
	}
	s.api4JSON(w, status, resp)
}

func pageError(code int, msg string) *arr {
	e := translate.NewArray()
	e.Set("error_code", num(int64(code)))
	e.Set("error_message", msg)
	return e
}

// api4JSON is CRM_Utils_System::sendJSONResponse.
func (s *Simulator) api4JSON(w http.ResponseWriter, status int, v any) {
	writeBody(w, status, "application/json", s.encodeJSON(v, false))
}

// fatalPage is CiviCRM's page for an error no handler caught: 500 HTML.
func (s *Simulator) fatalPage(w http.ResponseWriter, r *http.Request, msg string) {
	page := strings.NewReplacer("{BASE}", "http://"+r.Host, "{MESSAGE}", html.EscapeString(msg)).Replace(fatalErrorPage)
	writeBody(w, http.StatusInternalServerError, "text/html; charset=UTF-8", []byte(page))
}

// stringParam is CRM_Utils_Request::retrieve($name, 'String') (an "amp;"
// alias for a missing name included): the value, NULL (ok false) when
// absent or not a string.
func stringParam(a *arr, name string) (string, bool) {
	v, ok := retrieve(a, name)
	if !ok {
		return "", false
	}
	s, isStr := v.(string)
	return s, isStr
}

// single is the single-call format: params (POST over GET) JSON-decoded,
// declared query-string keys merged in, index.
func (c *v4Ctx) single(q *request, entity, action string, status *int) (any, *v4Err) {
	raw, _ := stringParam(q.req, "params")
	params := translate.NewArray()
	if raw != "" && raw != "0" {
		d, err := translate.DecodeJSON([]byte(raw))
		if err != nil {
			d = nil
		}
		a, isArr := d.(*arr)
		if !isArr {
			return nil, &v4Err{fatal: true, msg: "array_diff_key(): Argument #2 must be of type array, " + phpType(d) + " given"}
		}
		params = a
	}
	// Query-string keys that are not in params are merged when the action
	// declares them (getParamsFromRequest); finding out runs getActions,
	// outside the page's error handling (route-26).
	var extra []string
	for _, k := range q.get.Keys() {
		if !params.Has(k) && k != "params" && k != "index" && k != "q" {
			extra = append(extra, k)
		}
	}
	if len(extra) > 0 {
		e, err := c.resolveEntity(entity, "getActions")
		if err != nil {
			return nil, &v4Err{fatal: true, msg: err.msg}
		}
		c.loaded[e.name] = true
		act, err := resolveAction(e, entity, action)
		if err != nil {
			return nil, &v4Err{fatal: true, msg: "Expected to find one Action record, but there were zero."}
		}
		for _, k := range extra {
			if e.declares(act, k) {
				v, _ := q.get.Get(k)
				params.Set(k, v)
			}
		}
	}
	index, _ := retrieve(q.req, "index") // 'String' lets an array through
	return c.execute(entity, action, params, index, status)
}

// batch is the multi-call format: calls, from the POST body only, a JSON
// list or object of calls, each [entity, action, params?, index?] or
// named; the answer keeps the shape.
func (c *v4Ctx) batch(q *request, status *int) (any, *v4Err) {
	raw, ok := stringParam(q.post, "calls")
	if !ok {
		return nil, &v4Err{fatal: true, msg: "Could not find valid value for calls"}
	}
	resp := translate.NewArray()
	d, _ := translate.DecodeJSON([]byte(raw))
	calls, _ := d.(*arr)
	for i := 0; i < calls.Len(); i++ {
		call, ok := calls.Value(i).(*arr)
		if !ok {
			return nil, &v4Err{fatal: true, msg: "call_user_func_array(): Argument #2 ($args) must be of type array, " + phpType(calls.Value(i)) + " given"}
		}
		args, err := executeArgs(call)
		if err != nil {
			return nil, err
		}
		out, err := c.execute(args[0].(string), args[1].(string), args[2].(*arr), args[3], status)
		if err != nil {
			return nil, err
		}
		resp.Set(calls.Key(i), out)
	}
	return resp, nil
}

// executeArgs binds a batch call to execute(string $entity, string
// $action, array $params = [], $index = NULL) as PHP 8's
// call_user_func_array does: integer keys are positional arguments in the
// array's order (whatever their values), string keys named ones, which
// must come after them and name a parameter not given yet; extra
// positional arguments are dropped. Every failure is an Error PHP does
// not catch: the page dies (after the calls before it ran).
func executeArgs(call *arr) ([4]any, *v4Err) {
	names := []string{"entity", "action", "params", "index"}
	var args [4]any
	set := [4]bool{}
	fail := func(msg string) ([4]any, *v4Err) { return args, &v4Err{fatal: true, msg: msg} }
	named, next := false, 0
	for i := 0; i < call.Len(); i++ {
		k := call.Key(i)
		pos := -1
		if _, isInt := translate.IntKey(k); isInt {
			if named {
				return fail("Cannot use positional argument after named argument")
			}
			pos = next
			next++
		} else {
			named = true
			for j, name := range names {
				if name == k {
					pos = j
				}
			}
			if pos < 0 {
				return fail("Unknown named parameter $" + k)
			}
			if set[pos] {
				return fail("Named parameter $" + k + " overwrites previous argument")
			}
		}
		if pos >= 0 && pos < 4 {
			args[pos], set[pos] = call.Value(i), true
		}
	}
	for i := 0; i < 2; i++ {
		if !set[i] {
			return fail("Too few arguments to function CRM_Api4_Page_AJAX::execute(), " + strconv.Itoa(call.Len()) + " passed and at least 2 expected")
		}
		s, err := phpStringArg(args[i], i+1, names[i])
		if err != nil {
			err.msg = strings.Replace(err.msg, "civicrm_api4()", "CRM_Api4_Page_AJAX::execute()", 1)
			return args, err
		}
		args[i] = s
	}
	switch x := args[2].(type) {
	case nil:
		if set[2] {
			return fail("CRM_Api4_Page_AJAX::execute(): Argument #3 ($params) must be of type array, null given")
		}
		args[2] = translate.NewArray()
	case *arr:
		args[2] = x.Clone()
	default:
		return fail("CRM_Api4_Page_AJAX::execute(): Argument #3 ($params) must be of type array, " + phpType(x) + " given")
	}
	return args, nil
}

// execute runs one call and shapes its answer: the Result's values (one
// row for an integer index), its public properties, entity, action,
// debug, version, count, countFetched, countMatched when known; or the
// error, detailed only for callers with "view debug output". status is
// 200 once any call succeeded, else the first failure's.
func (c *v4Ctx) execute(entity, action string, params *arr, index any, status *int) (*arr, *v4Err) {
	stripCheckPermissions(params)
	params.Set("checkPermissions", true)
	at, isItem := 0, false
	if isIntIndex(index) {
		at, _ = strconv.Atoi(translate.PHPString(index))
		isItem, index = true, nil
	}
	res, err := c.call(entity, action, params, index, true)
	out := translate.NewArray()
	if err != nil {
		if err.fatal {
			return nil, err
		}
		if *status == 0 {
			*status = err.status
		}
		errorID := newErrorID()
		if c.p.has(permDebug) {
			out.Set("error_id", errorID)
			out.Set("error_code", num(0))
			out.Set("error_message", err.msg)
		} else {
			out.Set("error_code", "1")
			out.Set("error_message", "Sorry an error occurred and your request was not completed. (Error ID: "+errorID+")")
		}
		out.Set("status", num(int64(err.status)))
		return out, nil
	}
	*status = 200
	if isItem {
		out.Set("values", itemAt(res.values, at))
	} else {
		out.Set("values", res.values)
	}
	for _, kv := range res.extras {
		out.Set(kv[0].(string), kv[1])
	}
	out.Set("entity", res.entity)
	out.Set("action", res.action)
	out.Set("debug", res.debug)
	out.Set("version", num(4))
	out.Set("count", num(int64(res.count())))
	out.Set("countFetched", num(int64(res.values.Len())))
	if res.countMatched != nil {
		out.Set("countMatched", num(int64(*res.countMatched)))
	}
	return out, nil
}

// newErrorID is CRM_Core_Error::createErrorId: 12 random alphanumerics in
// groups of four.
func newErrorID() string {
	const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
	var out strings.Builder
	for i := 0; i < 12; i++ {
		if i > 0 && i%4 == 0 {
			out.WriteByte('-')
		}
		out.WriteByte(alnum[rand.IntN(len(alnum))])
	}
	return out.String()
}
