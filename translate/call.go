package translate

import "context"

// Form is the endpoint form a legacy request arrived in. It decides parsing
// rules (which of entity/q/fnName wins, WordPress's json handling) and the
// shape of every answer the client gets back.
type Form string

const (
	// FormExtern is extern/rest.php under any prefix.
	FormExtern Form = "extern"
	// FormWPRest is WordPress REST: /wp-json/civicrm/v3/rest or ?rest_route=/civicrm/v3/rest.
	FormWPRest Form = "wp_rest"
	// FormAjaxVerbose is the AJAX route through a CMS's unclean URL:
	// ?q=civicrm/ajax/rest, WordPress ?civiwp=CiviCRM&q=… or wp-admin/admin.php?page=CiviCRM&q=…,
	// Joomla index.php?option=com_civicrm&task=civicrm/ajax/rest.
	FormAjaxVerbose Form = "ajax_verbose"
	// FormAjax is the clean civicrm/ajax/rest route itself.
	FormAjax Form = "ajax"
	// FormAPI4 is APIv4's civicrm/ajax/api4/{Entity}/{action} (or the
	// batch route civicrm/ajax/api4), clean or through a CMS's verbose URL;
	// Route.Entity and Route.Action carry what CiviCRM resolves from it.
	FormAPI4 Form = "api4"
	// FormAuthx is one of AuthX's own routes, civicrm/authx/id, login and
	// logout (Route.Action names which), clean or verbose: no API, but
	// each tells a valid credential from an invalid one, so the edge
	// authenticates their credentials too before they go on as sent.
	FormAuthx Form = "authx"
	// FormPage is any other CiviCRM page (PageRoute): AuthX takes
	// credentials there as on its own routes, so the edge authenticates
	// them the same way before the request goes on as sent.
	FormPage Form = "page"
	// FormCron is CiviCRM's bin/cron.php (cron.go), under any prefix
	// extern/rest.php is recognised under: the scheduled jobs over HTTP,
	// an APIv3 Job call run without permission checks for whoever gives a
	// CMS user's name and password and the site key.
	FormCron Form = "cron"
)

// Legacy reports whether the form answers authentication failures the
// legacy way (HTTP 200 with an APIv3 error body) rather than 401/403.
func (f Form) Legacy() bool { return f == FormExtern || f == FormWPRest }

// KeyAlways reports whether the form always takes the site key and a
// credential, as extern/rest.php did (the legacy forms) and bin/cron.php
// does (CRM_Utils_System::authenticateScript): no caller without one, and
// the CMS user requirement of the legacy forms.
func (f Form) KeyAlways() bool { return f.Legacy() || f == FormCron }

// AsSent reports whether a request of the form goes upstream as the client
// sent it (its URL, and its body but for what Civigate re-encodes), rather
// than rebuilt: then nothing else in it may route it elsewhere in a CMS.
func (f Form) AsSent() bool { return f == FormAPI4 || f.AuthxOnly() }

// AuthxOnly reports whether AuthX's listener is all that reads a
// credential on the form's pages (its own routes, any other page): no
// credential is no refusal, and refusals take AuthX's shape.
func (f Form) AuthxOnly() bool { return f == FormAuthx || f == FormPage }

// Format is the response format the client asked for.
type Format int

const (
	// FormatXML is chosen when the request's `json` is empty or absent.
	FormatXML Format = iota
	// FormatJSON is chosen by a non-empty `json`.
	FormatJSON
)

// Credentials are the raw credentials a request carried, exactly as sent.
// They never go upstream in a URL and are never logged.
type Credentials struct {
	SiteKey       string // legacy `key` parameter
	APIKey        string // legacy `api_key` parameter
	Authorization string // Authorization header
	XCiviAuth     string // X-Civi-Auth header
	Authx         string // _authx parameter (query on GET, body otherwise)
	XCiviKey      string // X-Civi-Key header
	AuthxSiteKey  string // _authxSiteKey parameter
	// SiteKeyArg: on WordPress REST, the route's key argument is set (in
	// a JSON body, a form body or the query; empty too), so WordPress runs
	// its validate_callback, which checks $_REQUEST's key (SiteKey: the
	// query and a POST form only): set with SiteKey empty (a key only in
	// a JSON body) it fails as a wrong key does.
	SiteKeyArg bool
	// AuthxSession: _authxSes is not empty (BodyCredentials.Session), on
	// AuthX's routes and pages only.
	AuthxSession bool
	// User and Password are bin/cron.php's name and pass
	// (CRM_Utils_System::authenticateScript reads them from $_REQUEST and
	// trims them), on FormCron only, as sent; SiteKey is its key.
	User, Password string
	// AfformToken is Afform's page token from $_REQUEST['_aff']
	// (BodyCredentials.Afform), on AuthX's routes, pages and APIv4 calls
	// (AfformPageToken) only: on the APIv3 routes it is dropped. It is
	// never an API parameter or cookie upstream; authx sends a token it
	// admits in its header (X-Civi-Auth-Afform).
	AfformToken string
}

// Call is the canonical form of one APIv3 request: what CiviCRM would execute
// and how the client wants the answer.
type Call struct {
	Form   Form
	Method string // HTTP method of the client request

	// Entity and Action as CiviCRM munges them (CRM_Utils_String::munge) before
	// the API kernel normalises them; see NormalEntity/NormalAction.
	Entity string
	Action string

	// Params is the parameter array CiviCRM's buildParamList would build (or
	// WordPress's get_formatted_api_params for FormWPRest): what goes upstream
	// as the single json= object. Types are preserved.
	Params *Array

	Format Format
	// Pretty: prettyprint was non-empty (JSON output only); on FormWPRest,
	// WordPress's _pretty was given at all (WP_REST_Request::has_param,
	// any value, any of its parameter sources), so that WP_REST_Server
	// encodes the JSON with JSON_PRETTY_PRINT.
	Pretty bool
	// JSONP is, on FormWPRest, WordPress's _jsonp callback from the query
	// (already checked as wp_check_jsonp_callback does): its JSON answers
	// are sent as /**/JSONP(…), application/javascript. Empty: plain JSON.
	JSONP string
	// WPPermitted: on FormWPRest, the caller authenticated (api_key and
	// site key), so the route's permission callback passes: its JSON
	// answers carry rest_send_allow_header's Allow (wpAllow).
	WPPermitted bool
	// WPMethod is, on FormWPRest, the method WordPress's route sees when
	// the query's _method or an X-HTTP-Method-Override header names one
	// (upper-cased); "": the request's (wpMethod). WPEnvelope: the query
	// has _envelope. WPFields: the request's _fields (nil: none). See
	// wpglobals.go.
	WPMethod   string
	WPEnvelope bool
	WPFields   any
	// JSONInQuery records whether the query string (not the body) carried a
	// non-empty json: extern/rest.php chose its Content-Type from $_GET only.
	JSONInQuery bool

	// Ping is extern/rest.php's civicrm/ping, answered at the edge.
	Ping bool
	// KeyValue reports that API params came as key-value pairs rather than
	// (only) a json= object; the migration report counts it.
	KeyValue bool
	// FnName/ClassName carry the legacy AJAX page-callback addressing, which
	// is never cacheable. Batch is entity=api3 (CRM.api3 batch calls).
	FnName    string
	ClassName string
	Batch     bool
	// HasClassName is isset($params['className']): CiviCRM then calls a
	// CRM_*_Page_AJAX method instead of the API (and skips the GET rule).
	HasClassName bool

	// AuthFree says CiviCRM answers this Ping without any credential check (q=civicrm/ping, as opposed to
	// fnName=civicrm/ping or q=civicrm/ping/x, which authenticate first).
	AuthFree bool
	// PingBootstrap: q was "<x>/ping", so loadCMSBootstrap skipped the
	// key/api_key checks; unless Ping, handle() then checks them itself
	// with its own messages. Civigate still authenticates such calls.
	PingBootstrap bool

	// Refusal is what CiviCRM answers once the caller is authenticated
	// (and, on the AJAX forms, past the CSRF check) instead of running the
	// API: "Unknown function invocation.", the missing entity/action error,
	// "Unable to decode supplied JSON.", the destructive-GET refusal, and
	// for WordPress REST its argument-validation errors (which come after
	// the api_key login but before the site-key check). Never cache it.
	Refusal *Reply

	Credentials Credentials

	ClientIP string  // for the destructive-GET body
	Referer  *string // Referer header, nil when absent
	// RequestedWith is the client's X-Requested-With when it sent exactly
	// one (PHP reads two as one value joined by ", ", which is no proof),
	// for CiviCRM's CSRF rule (spec §4, §7), which the edge applies itself
	// where it vouches for the caller (upstream, X-Civi-Auth lifts the
	// rule). authx reads every spelling from the header itself.
	RequestedWith string

	// decode is the expensive half of parsing, left by ParseEnvelope for
	// DecodeParams; release gives back its share of the decode budget;
	// body is the request body's buffer, used again if the call is
	// released undecoded.
	decode     func(context.Context, *Call)
	release    func()
	body       []byte
	bodyShared bool // strings of the call share body's memory
	// jsonBytes is the JSON text its parameters were decoded from, about
	// the size they encode to again.
	jsonBytes int
	// upstream, set on a retained call, keeps its upstream request.
	upstream *upstreamMemo
	// limits are the php.ini limits it was parsed under, which its
	// upstream request keeps to as well.
	limits Limits

	// API4 is set for an APIv4 request (FormAPI4): what CiviCRM's APIv4
	// page runs for it. Entity, Action, Batch and Params above then mirror
	// it (Params: the single call's params, or the batch's calls).
	API4 *API4Call
}

// Route is what Recognise found: the endpoint form and which query
// parameters are the CMS's routing (never API params, e.g. WordPress's
// civiwp/page/q, Joomla's option/task/Itemid, rest_route).
type Route struct {
	Form Form
	// Variant names the concrete URL shape (e.g. "drupal", "wordpress",
	// "joomla-admin", "wp-json", "rest_route", "civiwp", "wp-admin", "q") for
	// the migration report.
	Variant string
	// DropParams are query parameter names removed before API params are built.
	DropParams []string
	// For FormAuthx, Action is the AuthX route: "id", "login" or "logout".
	// Entity and Action are, for FormAPI4, the {Entity} and {action}
	// segments of the route as CiviCRM's APIv4 page reads them; both are
	// empty for the batch route (civicrm/ajax/api4 with calls= in the body),
	// and Action is empty when the path stops after the entity.
	Entity, Action string
	// Base is, for FormAPI4, FormAuthx, FormAjax and FormAjaxVerbose, the
	// escaped path the route came in under, up to the route itself:
	// "/civicrm", "/fr/civicrm", "/site2/civicrm" or a WordPress base
	// page's path for the clean route, the whole path (the CMS's front
	// controller, "/site2/index.php", "/") for a verbose one. With the
	// Host, it is what selects the CiviCRM domain (a CMS multisite's
	// subdirectory) and the language (a CMS's language prefix) the call
	// runs in: APIv4 and AuthX's routes go upstream on the client's path,
	// and civicrm/authx/id is asked under it (RecogniseConfig.AuthxID).
	Base string
}

// Reply is a complete answer produced by Civigate itself (an edge error, a
// ping, a rendered upstream response).
type Reply struct {
	Status      int
	ContentType string // empty: no Content-Type header
	Body        []byte
	// Allow, when set, is sent as the Allow header: WordPress REST's
	// rest_send_allow_header (wpAllow).
	Allow string
	// WPNoCORS: a WordPress REST answer WordPress sends before its CORS
	// headers (an invalid _jsonp callback's), so it carries none.
	WPNoCORS bool
}
