package translate

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"
	"unsafe"
)

// DefaultUpstreamEndpoint is the clean modern route.
const DefaultUpstreamEndpoint = "/civicrm/ajax/rest"

// UpstreamConfig says where and with which credential the modern call goes.
type UpstreamConfig struct {
	// Endpoint is the modern route as a path with an optional query:
	// "/civicrm/ajax/rest" (default, Standalone/Drupal/Backdrop clean URLs),
	// "/index.php?q=civicrm/ajax/rest" (Drupal 7 without clean URLs),
	// "/?civiwp=CiviCRM&q=civicrm/ajax/rest" (WordPress),
	// "/index.php?option=com_civicrm&task=civicrm/ajax/rest" (Joomla).
	//
	// With a verbose endpoint CiviCRM's buildParamList turns the routing
	// parameters (all but q) into API params laid over the json= object:
	// a native client of that CMS gets them too, and unknown params are
	// ignored by the API, so Civigate accepts that leak; but when the call
	// has a param of the same name, the routing value would silently
	// replace it, so BuildUpstream refuses with ErrRoutingParamCollision.
	Endpoint string

	// Bearer, when set, is the credential sent as "X-Civi-Auth: Bearer
	// <Bearer>" instead of anything the client carried (e.g. a JWT minted
	// by authx for the authenticated principal). Empty: the client's own
	// credential is used (see BuildUpstream).
	Bearer string
	// SiteKey, when set, is sent as X-Civi-Key instead of the client's site
	// key. OmitSiteKey sends none at all.
	SiteKey     string
	OmitSiteKey bool
	// OmitCredentials sends neither a credential nor a site key: the
	// caller sets the upstream identity itself (the Caddy handler sends
	// the authenticated principal's, authx.UpstreamIdentity).
	OmitCredentials bool
	// MaxBodyBytes, when positive, bounds the body of the request built
	// for an APIv4 call: a larger one is ErrUpstreamTooLarge. PHP empties
	// $_POST for a body past its post_max_size, and CiviCRM would then run
	// what the query alone says.
	MaxBodyBytes int64
}

// UpstreamRequest is the modern request to send. Path and RawQuery are
// already escaped. Header holds the headers Civigate sets (the glue may
// add the client's to it); the credential headers named in StripHeaders
// must be removed from whatever the glue copies from the client, so that
// only the ones chosen here reach CiviCRM.
type UpstreamRequest struct {
	Method string
	Path   string
	// RawPath is Path's escaped form when it differs from the default
	// encoding (see url.URL): APIv4 goes upstream on the client's path.
	RawPath      string
	RawQuery     string
	Body         []byte
	Header       http.Header
	StripHeaders []string
}

// ErrRoutingParamCollision: the configured verbose endpoint's routing
// parameter would overwrite an API parameter of the same name.
var ErrRoutingParamCollision = errors.New("translate: API parameter collides with an upstream routing parameter")

// ErrUpstreamTooLarge: the request CiviCRM would get has a body larger than
// UpstreamConfig.MaxBodyBytes; the client gets a 413.
var ErrUpstreamTooLarge = errors.New("translate: the request to CiviCRM would be larger than max_body_size")

// credentialHeaders are the headers AuthX reads credentials and site keys
// from (plus the afform page token).
var (
	credentialHeaders  = []string{"Authorization", "X-Civi-Auth", "X-Civi-Key", "X-Civi-Auth-Afform"}
	legacyStripHeaders = append(append([]string(nil), credentialHeaders...), "Cookie")
)

// BuildUpstream builds the modern civicrm/ajax/rest request for call.
//
// It sends entity, action and the parameters as json= and form fields
// (upstreamform.go): CiviCRM's buildParamList then rebuilds exactly
// call.Params (plus check_permissions and version, which process() forces
// anyway), in order, with every type preserved. Because json= is
// non-empty, CiviCRM always answers JSON; RenderResponse renders XML and
// prettyprint itself.
//
// The method is kept: CiviCRM's destructive-GET refusal applies to GET only,
// so a GET stays a GET (params in the query) and a POST stays a POST (params
// in a multipart/form-data body, which PHP reads byte for byte: the body
// is at most a few percent larger than the parameters). Other methods carry
// the params in the query, since PHP fills $_POST for POST only. WordPress REST
// is the exception: it never had that rule, so its calls always go as POST
// (and with version 3 forced, as civicrm_api3() does). So is a call whose
// query would name an API key as data (NamesAPIKeyAsData: a lookup of the
// contact a key belongs to): it goes as POST with the same query as its
// urlencoded body, the URL holding only the route, where CiviCRM runs it
// as it would have run the GET (moveQueryToBody, postRunsAsSent).
//
// For the AJAX forms a non-empty FnName (and ClassName) is also sent as its
// own request parameter, because ajax() reads fnName from the request to
// choose the call (before entity/action), and requires className there when
// fnName is not civicrm/…/…; process() reads className/fnName from the params,
// where the json object already has them.
//
// Credentials never go in the URL or body. With cfg.OmitCredentials none
// are set (the caller sets the identity); otherwise, in order of preference:
// cfg.Bearer; for the AJAX forms the client's own AuthX credential
// (X-Civi-Auth carried as is, _authx as X-Civi-Auth, Authorization carried
// as is); the legacy api_key as X-Civi-Auth: Bearer <api_key>. The site key
// (cfg.SiteKey, else the client's key, _authxSiteKey or X-Civi-Key) goes as
// X-Civi-Key. X-Requested-With: XMLHttpRequest goes with an Authorization
// credential alone: of the flows set here, only that one (AuthX's "header")
// must pass civicrm/ajax/rest's CSRF check; X-Civi-Auth (xheader) is exempt
// (spec §4), and with OmitCredentials the caller decides.
func BuildUpstream(call *Call, cfg UpstreamConfig) (*UpstreamRequest, error) {
	if m := call.upstream; m != nil {
		// A retained call (Call.Retained) builds its request once.
		if last := m.last.Load(); last != nil && last.cfg == cfg {
			return last.up.copy(), nil
		}
		up, err := buildUpstream(call, cfg)
		if err == nil {
			m.last.Store(&builtUpstream{cfg: cfg, up: up.copy()})
		}
		return up, err
	}
	return buildUpstream(call, cfg)
}

// upstreamMemo is a retained call's last upstream request.
type upstreamMemo struct{ last atomic.Pointer[builtUpstream] }

type builtUpstream struct {
	cfg UpstreamConfig
	up  *UpstreamRequest // never handed out: copies are
}

// copy is a request the caller may add headers to: Body and StripHeaders
// are only read.
func (u *UpstreamRequest) copy() *UpstreamRequest {
	cp := *u
	cp.Header = u.Header.Clone()
	return &cp
}

func buildUpstream(call *Call, cfg UpstreamConfig) (*UpstreamRequest, error) {
	if call.API4 != nil {
		// APIv4 is not translated (api4.go); only the identity is Civigate's.
		return buildUpstreamAPI4(call, cfg.MaxBodyBytes)
	}
	endpoint := cfg.Endpoint
	if endpoint == "" {
		endpoint = DefaultUpstreamEndpoint
	}
	if endpoint[0] != '/' && endpoint[0] != '?' {
		return nil, fmt.Errorf("translate: upstream endpoint %q must be a path (with an optional query), not a URL", endpoint)
	}
	path, routeQuery, _ := strings.Cut(endpoint, "?")
	if path == "" {
		path = "/"
	}
	if routeQuery != "" {
		if err := checkRoutingCollision(call.Params, routeQuery); err != nil {
			return nil, err
		}
	}

	// The fields PHP is to see, in order. Names never need escaping.
	fields := make([]upstreamField, 0, 5)
	if call.Entity != "" {
		fields = append(fields, upstreamField{"entity", truthy(upstreamEntity(call))})
	}
	if call.Action != "" {
		fields = append(fields, upstreamField{"action", truthy(call.Action)})
	}
	if call.Form == FormAjax || call.Form == FormAjaxVerbose {
		if call.FnName != "" {
			fields = append(fields, upstreamField{"fnName", call.FnName})
		}
		if call.ClassName != "" {
			fields = append(fields, upstreamField{"className", call.ClassName})
		}
	}
	apiParams := call.Params
	if call.Form == FormWPRest {
		// The WordPress controller calls civicrm_api3(), which forces
		// version 3 whatever the client sent; ajax/rest would honour a
		// version=4 and run APIv4.
		apiParams = apiParams.Clone()
		if apiParams == nil {
			apiParams = NewArray()
		}
		apiParams.Set("version", Number("3"))
	}

	req := &UpstreamRequest{
		Method:       UpstreamMethod(call.Method),
		Path:         path,
		Header:       make(http.Header, 4),
		StripHeaders: credentialHeaders,
	}
	if call.Form.Legacy() {
		// The legacy endpoints authenticated by key and api_key only; a
		// CMS session cookie riding along would make CiviCRM log in its
		// user too (a different principal, or "mismatched session").
		req.StripHeaders = legacyStripHeaders
	}
	switch {
	case call.Form == FormWPRest:
		// WordPress REST has no destructive-GET rule (it calls
		// civicrm_api3 directly for every method); only POST keeps
		// ajax/rest from applying one.
		req.Method = http.MethodPost
	}
	c := inQuery
	if req.Method == http.MethodPost {
		c = inBody
	}
	plan, err := planFields(apiParams, c, call.limits.withDefaults())
	if err != nil {
		return nil, err
	}
	if c == inBody {
		req.RawQuery = routeQuery
		var ct string
		req.Body, ct, err = multipartParams(fields, "json", apiParams, plan, call.jsonBytes)
		if err != nil {
			return nil, err
		}
		if size := canonicalSize(apiParams); len(req.Body) > size+size/upstreamSlackDiv+upstreamSlack {
			return nil, fmt.Errorf("%w: %d bytes for %d bytes of parameters, at most 1/%d more and %d KiB (characters JSON must escape in parameters that cannot go as form fields)",
				ErrParamsTooCostly, len(req.Body), size, upstreamSlackDiv, upstreamSlack>>10)
		}
		req.Header.Set("Content-Type", ct)
	} else {
		q, err := queryParams(fields, apiParams, plan)
		if err != nil {
			return nil, err
		}
		req.RawQuery = joinQuery(routeQuery, q)
		if NamesAPIKeyAsData(q) && postRunsAsSent(call, req.Method) {
			if err := moveQueryToBody(req, routeQuery, q, cfg.MaxBodyBytes); err != nil {
				return nil, err
			}
		}
	}
	if !cfg.OmitCredentials {
		setUpstreamCredentials(req.Header, call, &cfg)
	}
	return req, nil
}

// moveQueryToBody makes req, built with the parameters q in its query, a
// POST that carries them as an application/x-www-form-urlencoded body, its
// URL holding nothing but the route (routeQuery, the endpoint's routing
// keys): for a call that names an API key as data (NamesAPIKeyAsData), the
// URL would put that key in CiviCRM's web server log. PHP parses a
// urlencoded body as it parses a query string (the same bytes make the
// same $_POST as they made $_GET), and CiviCRM reads the API pages'
// parameters from both ($_REQUEST, exportValues: GET, then POST over it),
// so the call runs with the same parameters. A body over maxBody bytes (0:
// no limit) is ErrUpstreamTooLarge: past its post_max_size PHP would empty
// $_POST and CiviCRM would run the call without them.
func moveQueryToBody(req *UpstreamRequest, routeQuery, q string, maxBody int64) error {
	if maxBody > 0 && int64(len(q)) > maxBody {
		return fmt.Errorf("%w: %d bytes, more than %d", ErrUpstreamTooLarge, len(q), maxBody)
	}
	req.Method = http.MethodPost
	req.RawQuery = routeQuery
	req.Body = []byte(q)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return nil
}

// postRunsAsSent reports whether CiviCRM's APIv3 page (CRM_Utils_REST)
// runs call sent as POST exactly as it runs it sent with method, whose
// only difference there is the destructive-GET rule (process(): a GET
// whose munged action neither starts with "get" nor is "check" is refused,
// for each member of a batch on its own). Moving a GET that rule would
// refuse to a POST would run it: a single call the rule refuses never
// gets here (the edge answers it, parse.go), so what is left to check are
// a batch's members, and a className call, which runs a page method that
// may read $_GET itself.
func postRunsAsSent(call *Call, method string) bool {
	switch {
	case method != http.MethodGet:
		return true
	case call.HasClassName:
		return false
	case !call.Batch:
		return !IsDestructiveGET(method, call.Action)
	}
	calls := call.Params
	for i := 0; i < calls.Len(); i++ {
		m, ok := calls.Value(i).(*Array)
		if !ok {
			return false
		}
		_, action, params := positional(m)
		if p, isArr := params.(*Array); isArr {
			if cn, ok := p.Get("className"); ok && cn != nil {
				return false
			}
		}
		a, isStr := stringArg(action)
		if !isStr || PHPEmpty(action) || IsDestructiveGET(method, Munge(a)) {
			return false
		}
	}
	return true
}

type upstreamField struct{ name, value string }

// truthy keeps an entity or action named "0" from looking empty to
// ajax(), which requires both to be truthy: process() munges "0 " back
// to the "0" the kernel is to get.
func truthy(name string) string {
	if name == "0" {
		return "0 "
	}
	return name
}

// queryString encodes fields as a query string.
func queryString(fields []upstreamField) string {
	var b strings.Builder
	n := 0
	for _, f := range fields {
		n += len(f.name) + len(f.value) + 2
	}
	b.Grow(n + n/2)
	for i, f := range fields {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(f.name)
		b.WriteByte('=')
		b.WriteString(url.QueryEscape(f.value))
	}
	return b.String()
}

const multipartBoundary = "civigate-4b1d9f0c7a2e"

// unsafeString is b as a string without a copy; b must not change.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}

// batchEntity is the entity CRM_Utils_REST::ajax() answers with a batch
// (processMultiple), compared as is, before munging.
const batchEntity = "api3"

// upstreamEntity is the entity parameter sent for call. ajax() runs a
// batch for entity=api3, which extern/rest.php and WordPress REST never
// did: they ran the API kernel on "Api3" (and answered that it does not
// exist). A call that is not a batch goes as the name the kernel gives it,
// which process() resolves to the same call and ajax() cannot batch.
func upstreamEntity(call *Call) string {
	if call.Entity == batchEntity && !call.Batch {
		return KernelEntity(call.Entity)
	}
	return call.Entity
}

func joinQuery(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "&" + b
}

func setUpstreamCredentials(h http.Header, call *Call, cfg *UpstreamConfig) {
	cr := &call.Credentials
	modern := call.Form == FormAjax || call.Form == FormAjaxVerbose
	switch {
	case cfg.Bearer != "":
		h.Set("X-Civi-Auth", "Bearer "+cfg.Bearer)
	case modern && cr.XCiviAuth != "":
		h.Set("X-Civi-Auth", cr.XCiviAuth)
	case modern && cr.Authx != "":
		// _authx carries "<Format> <value>" exactly like X-Civi-Auth; both
		// flows (param, xheader) are stateless and CSRF-exempt.
		h.Set("X-Civi-Auth", cr.Authx)
	case modern && cr.Authorization != "":
		h.Set("Authorization", cr.Authorization)
		h.Set("X-Requested-With", "XMLHttpRequest")
	case cr.APIKey != "":
		h.Set("X-Civi-Auth", "Bearer "+cr.APIKey)
	}
	if cfg.OmitSiteKey {
		return
	}
	site := cfg.SiteKey
	if site == "" {
		site = cr.SiteKey
	}
	if site == "" && modern {
		site = cr.XCiviKey
		if site == "" {
			site = cr.AuthxSiteKey
		}
	}
	if site != "" {
		h.Set("X-Civi-Key", site)
	}
}

// checkRoutingCollision refuses a call whose params share a name with a
// routing parameter of the endpoint's query (after PHP name mangling). The
// reserved names buildParamList strips from the request (q, json, key,
// api_key, entity, action) cannot collide.
func checkRoutingCollision(params *Array, routeQuery string) error {
	for pair := range strings.SplitSeq(routeQuery, "&") {
		k, _, _ := strings.Cut(pair, "=")
		name, _ := topLevelName(urlDecode(k))
		switch name {
		case "", "q", "json", "key", "api_key", "entity", "action":
			continue
		}
		if params.Has(name) {
			return fmt.Errorf("%w: %q", ErrRoutingParamCollision, name)
		}
	}
	return nil
}
