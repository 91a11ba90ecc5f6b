package authx

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civigate/civigate/internal/flight"
)

// Identity is what CiviCRM's civicrm/authx/id says a credential is.
type Identity struct {
	ContactID int64
	UserID    *int64
	Flow      string
	Cred      string // "api_key", "pass", "jwt"
	// Guard: AuthX's guards let the credential in without the site key
	// (a JWT, or a contact holding "authenticate with api key" or
	// "authenticate with password").
	Guard bool
}

// ErrUnavailable means CiviCRM could not be asked (network error, 5xx,
// unexpected answer). It is never remembered as a verdict.
var ErrUnavailable = errors.New("authx: identity service unavailable")

// Resolver asks CiviCRM who a credential belongs to. scheme is "Bearer" or
// "Basic", value the rest of the credential. A credential CiviCRM refuses
// is a *Rejection; an outage is ErrUnavailable (or wraps it).
type Resolver interface {
	Resolve(ctx context.Context, scheme, value string) (Identity, error)
}

// FlowResolver is a Resolver that asks CiviCRM in a given AuthX flow
// (FlowXHeader, FlowHeader, FlowParam: AskFlow's), so that CiviCRM applies
// that flow's policy (authx_<flow>_cred, authx_<flow>_user) as it would to
// the client's own request. APIKeyVerifier asks a Resolver that is not one
// as Resolve does, whatever the flow.
type FlowResolver interface {
	Resolver
	ResolveFlow(ctx context.Context, flow, scheme, value string) (Identity, error)
}

// AskFlow is the AuthX flow in which civicrm/authx/id is asked about a
// credential the client presented in flow: its own for xheader, header
// and param, so CiviCRM judges it under that flow's settings. The legacy
// forms (extern/rest.php, WordPress REST) never consulted AuthX's
// settings, and the legacyrest flow (key and api_key on civicrm/ajax/rest
// or api4) cannot be asked at civicrm/authx/id, whose route
// LegacyRestAuthenticator does not listen on: those are asked in xheader,
// as before; authx_legacyrest_cred and authx_legacyrest_user are not
// checked by the question (left open; Civigate's require_user covers the
// CMS user requirement of the legacy forms and legacyrest).
func AskFlow(flow string) string {
	switch flow {
	case FlowHeader, FlowParam:
		return flow
	}
	return FlowXHeader
}

// HTTPResolver asks <URL> (civicrm/authx/id) about a credential in the
// AuthX flow the client used (ResolveFlow; Resolve asks in xheader): GET
// with X-Civi-Auth (xheader), GET with Authorization (header), or POST
// with the form body _authx=<credential> (param: AuthX reads _authx from
// $_POST for every method but GET; the credential never goes in the URL).
// CiviCRM then applies that flow's settings: the credential types it
// accepts (authx_<flow>_cred), whether it needs a CMS user
// (authx_<flow>_user), and, for header, whether it reads Authorization at
// all (an empty authx_header_cred: it answers contact_id null, and the
// credential is refused as invalid, where CiviCRM would run the request
// anonymously). AuthX applies its guards there as on every route
// (site_key OR perm), so it is asked without the site key first: an answer says the credential passes
// the guards on its own (Identity.Guard). Only when the guards refuse it is
// it asked again with SiteKey, to learn who it is.
type HTTPResolver struct {
	URL    string // full URL of civicrm/authx/id
	Client *http.Client
	// SiteKey, when set, is sent as X-Civi-Key on the second question so
	// AuthX's site_key guard passes for contacts without the
	// "authenticate with api key" permission; authx/id then reports
	// user_id:null for a contact without a CMS user instead of a guard
	// failure, and we can say which it was.
	SiteKey string
	// Sign, when set, is given each question's header (its site key
	// set), its flow and the credential it asks about, to add Civigate's
	// subrequest token (Authenticator.SignSubrequest).
	Sign func(h http.Header, flow, cred string)
}

// NewHTTPResolver builds a resolver for a CiviCRM at baseURL (scheme://host[/prefix]).
// Sites whose routes are not clean URLs can set URL afterwards.
func NewHTTPResolver(baseURL string, client *http.Client) *HTTPResolver {
	if client == nil {
		client = &http.Client{Timeout: 10 * time.Second}
	}
	// Never follow a redirect: Go only drops Authorization and Cookie on a
	// cross-host redirect, so X-Civi-Auth would travel to wherever CiviCRM
	// (or a misconfigured CMS) points. A 3xx is an outage instead.
	c := *client
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	client = &c
	return &HTTPResolver{URL: strings.TrimRight(baseURL, "/") + "/civicrm/authx/id", Client: client}
}

type authxIDReply struct {
	ContactID *int64 `json:"contact_id"`
	UserID    *int64 `json:"user_id"`
	Flow      string `json:"flow"`
	Cred      string `json:"cred"`
}

// Resolve implements Resolver: it asks in the xheader flow.
func (r *HTTPResolver) Resolve(ctx context.Context, scheme, value string) (Identity, error) {
	return r.ResolveFlow(ctx, FlowXHeader, scheme, value)
}

// ResolveFlow implements FlowResolver: flow is AskFlow's.
func (r *HTTPResolver) ResolveFlow(ctx context.Context, flow, scheme, value string) (Identity, error) {
	id, refusal, err := r.ask(ctx, flow, scheme, value, "")
	if err == nil && refusal == "" {
		id.Guard = true
		return id, nil
	}
	if err == nil && r.SiteKey != "" && strings.HasPrefix(refusal, msgGuardPrefix) {
		id, refusal, err = r.ask(ctx, flow, scheme, value, r.SiteKey)
	}
	if err == nil && refusal != "" {
		err = rejectionFromAuthX(refusal)
	}
	return id, err
}

const msgGuardPrefix = "Login not permitted. Must satisfy guard"

// ask asks authx/id once, in flow (AskFlow's). refusal is AuthX's 401
// message.
func (r *HTTPResolver) ask(ctx context.Context, flow, scheme, value, siteKey string) (id Identity, refusal string, err error) {
	req, err := newQuestion(ctx, r.URL, flow, scheme+" "+value)
	if err != nil {
		return Identity{}, "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	// The site key is X-Civi-Key in every flow: AuthX reads it before
	// _authxSiteKey.
	if siteKey != "" {
		req.Header.Set("X-Civi-Key", siteKey)
	}
	if r.Sign != nil {
		r.Sign(req.Header, flow, scheme+" "+value)
	}
	rep, refusal, err := r.do(req)
	if err != nil || refusal != "" {
		return Identity{}, refusal, err
	}
	if rep.ContactID == nil || *rep.ContactID <= 0 {
		// authx/id is public: without an accepted credential it answers
		// with contact_id null; so does a site that does not read the
		// flow's credential at all (Authorization with authx_header_cred
		// empty, or a Basic one where passwords are not allowed on the
		// header flow), where CiviCRM would run the client's request
		// anonymously: the edge refuses it as an invalid credential.
		return Identity{}, "", invalidCredential("authx/id: no contact")
	}
	return Identity{ContactID: *rep.ContactID, UserID: rep.UserID, Flow: rep.Flow, Cred: rep.Cred}, "", nil
}

// SessionResolver asks CiviCRM who a CiviCRM session is logged in as.
type SessionResolver interface {
	// ResolveSession is the contact the session in cookie (a Cookie
	// header's value) is logged in as: ContactID 0 for none.
	ResolveSession(ctx context.Context, cookie string) (Identity, error)
	// EndSession logs the session in cookie out.
	EndSession(ctx context.Context, cookie string) error
}

// ResolveSession implements SessionResolver: civicrm/authx/id asked with
// the session's Cookie and no credential answers the session's contact
// (CRM_Authx_Page_Id: CRM_Core_Session::getLoggedInContactID and the
// CMS user), or null for none. No site key goes with it: AuthX's guards
// judge credentials, and there is none.
func (r *HTTPResolver) ResolveSession(ctx context.Context, cookie string) (Identity, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.URL, nil)
	if err != nil {
		return Identity{}, fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Cookie", cookie)
	rep, refusal, err := r.do(req)
	switch {
	case err != nil:
		return Identity{}, err
	case refusal != "":
		return Identity{}, fmt.Errorf("%w: authx/id refused a question without a credential", ErrUnavailable)
	case rep.ContactID == nil || *rep.ContactID <= 0:
		return Identity{}, nil
	}
	return Identity{ContactID: *rep.ContactID, UserID: rep.UserID}, nil
}

// EndSession implements SessionResolver: civicrm/authx/logout, beside
// civicrm/authx/id (the same base and URL form), asked with the session's
// Cookie (CRM_Authx_Page_Logout: _authx_uf()->logoutSession()).
func (r *HTTPResolver) EndSession(ctx context.Context, cookie string) error {
	u, ok := strings.CutSuffix(r.URL, AuthxIDSuffix)
	if !ok {
		return fmt.Errorf("%w: no civicrm/authx/logout known beside %s", ErrUnavailable, r.URL)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u+AuthxLogoutSuffix, nil)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	req.Header.Set("Cookie", cookie)
	resp, err := r.Client.Do(req)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	_ = resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%w: %s", ErrUnavailable, unansweredDetail(resp))
	}
	return nil
}

// AuthxIDSuffix and AuthxLogoutSuffix end the URLs of civicrm/authx/id and
// civicrm/authx/logout, clean or in a query (q=civicrm/authx/id).
const (
	AuthxIDSuffix     = "civicrm/authx/id"
	AuthxLogoutSuffix = "civicrm/authx/logout"
)

// do sends a question to civicrm/authx/id and reads its answer: refusal
// is AuthX's 401 message.
func (r *HTTPResolver) do(req *http.Request) (rep authxIDReply, refusal string, err error) {
	req.Header.Set("Accept", "application/json")
	resp, err := r.Client.Do(req)
	if err != nil {
		// The transport error text never carries our headers.
		return rep, "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return rep, "", fmt.Errorf("%w: %v", ErrUnavailable, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		// "HTTP 401 <AuthX message>" (Authenticator.php reject()).
		msg := strings.TrimPrefix(strings.TrimSpace(string(body)), "HTTP 401 ")
		if msg == "" {
			msg = "?"
		}
		return rep, msg, nil
	case resp.StatusCode == http.StatusForbidden:
		return rep, "", invalidCredential("authx/id answered 403")
	case resp.StatusCode != http.StatusOK:
		return rep, "", fmt.Errorf("%w: %s", ErrUnavailable, unansweredDetail(resp))
	}
	if err := json.Unmarshal(body, &rep); err != nil {
		return rep, "", fmt.Errorf("%w: authx/id answer is not JSON", ErrUnavailable)
	}
	return rep, "", nil
}

// newQuestion is the request that asks civicrm/authx/id at u about cred
// in flow (AskFlow's), as a client of that flow sends it: X-Civi-Auth
// (xheader), Authorization (header), or a POST whose form body is
// _authx=<cred> (param). The credential is never put in the URL.
func newQuestion(ctx context.Context, u, flow, cred string) (*http.Request, error) {
	if flow == FlowParam {
		body := "_authx=" + url.QueryEscape(cred)
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, strings.NewReader(body))
		if err == nil {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		return req, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	if flow == FlowHeader {
		req.Header.Set("Authorization", cred)
	} else {
		req.Header.Set("X-Civi-Auth", cred)
	}
	return req, nil
}

// unansweredDetail says, for the operator's log, where civicrm/authx/id
// was asked and what came back instead of an answer: a redirect or a 404
// there means the site does not route that URL form (Standalone routes no
// ?q= form), in which the question is asked because the call runs in it.
// The URL never holds the credential (it travels in headers).
func unansweredDetail(resp *http.Response) string {
	at := ""
	if resp.Request != nil && resp.Request.URL != nil {
		at = " at " + resp.Request.URL.RequestURI()
	}
	d := fmt.Sprintf("civicrm/authx/id%s answered status %d", at, resp.StatusCode)
	if resp.StatusCode == http.StatusNotFound || resp.StatusCode >= 300 && resp.StatusCode < 400 {
		d += " (a site that does not route civicrm/authx/id in this URL form answers so; the call is in the same form)"
	}
	return d
}

// rejectionFromAuthX maps an AuthX 401 message to a Rejection.
func rejectionFromAuthX(msg string) *Rejection {
	switch {
	case strings.HasPrefix(msg, "Cannot login. No matching user"),
		strings.HasPrefix(msg, msgGuardPrefix):
		// Without the site key, a contact lacking a CMS user fails the guard
		// (real-civicrm-6.17.md); legacy clients saw "No CMS user" for both.
		return noUser("authx/id: " + msg)
	case msg == msgExpiredToken:
		return &Rejection{Reason: ReasonExpired, Message: msgExpiredToken, BearerError: "invalid_token"}
	case msg == msgMalformedJWT:
		return &Rejection{Reason: ReasonInvalid, Message: msgMalformedJWT, BearerError: "invalid_token"}
	case strings.HasPrefix(msg, `Authentication type "`) &&
		(strings.HasSuffix(msg, ` with flow "header" is not allowed for this principal.`) ||
			strings.HasSuffix(msg, ` with flow "param" is not allowed for this principal.`)):
		// The header and param flows are asked only for a client that used
		// them (AskFlow): AuthX's words are the ones it would have given
		// the client. The xheader flow's are not passed on: the legacy
		// forms are asked in it too.
		return &Rejection{Reason: ReasonInvalid, Message: msg, BearerError: "invalid_token", Detail: "authx/id: the flow does not accept this credential type"}
	case msg == `Authentication type "pass" with flow "xheader" is not allowed for this principal.`:
		// Passwords asked about in xheader: a client's own X-Civi-Auth:
		// Basic, and bin/cron.php's name and pass (FlowCron), which only a
		// site whose AuthX takes them there can have checked.
		return invalidCredential("authx/id: AuthX takes no password in the X-Civi-Auth flow (authx_xheader_cred lacks pass)")
	}
	return invalidCredential("authx/id refused")
}

// VerdictStore remembers what CiviCRM said about a credential, under an
// opaque key (an HMAC of the site and the credential, never the
// credential: APIKeyVerifier.VerdictKey). Stores must
// fail open: an error is a miss, and a failed Set is silently dropped.
type VerdictStore interface {
	Get(ctx context.Context, key string) (Verdict, bool)
	Set(ctx context.Context, key string, v Verdict, ttl time.Duration)
}

// Verdict is a remembered answer.
type Verdict struct {
	OK        bool
	ContactID int64
	UserID    *int64
	Cred      string
	Guard     bool // Identity.Guard
	// For refusals: the reason and AuthX message.
	Reason  Reason
	Message string
}

func (v Verdict) encode() string {
	if !v.OK {
		return "0|" + string(v.Reason) + "|" + v.Message
	}
	u, g := "", ""
	if v.UserID != nil {
		u = fmt.Sprint(*v.UserID)
	}
	if v.Guard {
		g = "g"
	}
	return fmt.Sprintf("1|%d|%s|%s|%s", v.ContactID, u, v.Cred, g)
}

func decodeVerdict(s string) (Verdict, bool) {
	if rest, ok := strings.CutPrefix(s, "0|"); ok {
		// The message is last and may itself contain "|".
		reason, msg, ok := strings.Cut(rest, "|")
		return Verdict{Reason: Reason(reason), Message: msg}, ok && reason != ""
	}
	// Four fields: written before Guard was; such a verdict does not pass
	// the guards, so it asks for the site key until it expires.
	f := strings.Split(s, "|")
	switch {
	case (len(f) == 4 || len(f) == 5 && (f[4] == "" || f[4] == "g")) && f[0] == "1":
		cid, err := parseContactID(f[1])
		if err != nil {
			return Verdict{}, false
		}
		v := Verdict{OK: true, ContactID: cid, Cred: f[3], Guard: len(f) == 5 && f[4] == "g"}
		if f[2] != "" {
			u, err := parseContactID(f[2])
			if err != nil {
				return Verdict{}, false
			}
			v.UserID = &u
		}
		return v, true
	}
	return Verdict{}, false
}

// MemoryVerdicts is an in-process VerdictStore bounded to Max entries.
type MemoryVerdicts struct {
	Max int // default 100000
	Now func() time.Time

	mu sync.Mutex
	m  map[string]memVerdict
}

type memVerdict struct {
	v       Verdict
	expires time.Time
}

// NewMemoryVerdicts returns an empty store.
func NewMemoryVerdicts() *MemoryVerdicts { return &MemoryVerdicts{m: map[string]memVerdict{}} }

func (s *MemoryVerdicts) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Get implements VerdictStore.
func (s *MemoryVerdicts) Get(_ context.Context, key string) (Verdict, bool) {
	s.mu.Lock()
	e, ok := s.m[key]
	s.mu.Unlock()
	if !ok || !s.now().Before(e.expires) {
		return Verdict{}, false
	}
	return e.v, true
}

// Set implements VerdictStore.
func (s *MemoryVerdicts) Set(_ context.Context, key string, v Verdict, ttl time.Duration) {
	now := s.now()
	max := s.Max
	if max <= 0 {
		max = 100000
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]memVerdict{}
	}
	if len(s.m) >= max {
		// Drop expired entries; if still full, drop arbitrary ones. A
		// flood of garbage keys then costs re-asking CiviCRM, not memory.
		for k, e := range s.m {
			if !now.Before(e.expires) || len(s.m) >= max {
				delete(s.m, k)
			}
			if len(s.m) < max*9/10 {
				break
			}
		}
	}
	s.m[key] = memVerdict{v: v, expires: now.Add(ttl)}
}

// VerdictGeneration numbers the lifetimes of remembered verdicts: when it
// moves on, every verdict remembered before is forgotten (Civigate moves
// it on every instance when a write through it may change credentials).
type VerdictGeneration interface {
	// Current is the generation now; it may ask a shared store.
	Current(ctx context.Context) uint64
	// Known is the generation when it is known without asking anyone;
	// false when Current would have to ask.
	Known() (uint64, bool)
}

// MemoryGeneration is a VerdictGeneration of one process.
type MemoryGeneration struct{ n atomic.Uint64 }

// Current implements VerdictGeneration.
func (m *MemoryGeneration) Current(context.Context) uint64 { return m.n.Load() }

// Known implements VerdictGeneration.
func (m *MemoryGeneration) Known() (uint64, bool) { return m.n.Load(), true }

// Forget moves the generation on: every verdict remembered is forgotten.
func (m *MemoryGeneration) Forget(context.Context) error {
	m.n.Add(1)
	return nil
}

// How long a verdict is remembered when APIKeyVerifier's TTLs are unset:
// an acceptance, a refusal.
const (
	DefaultPositiveTTL = 5 * time.Minute
	DefaultNegativeTTL = 30 * time.Second
)

// APIKeyVerifier resolves Bearer API keys and Basic credentials through a
// Resolver, remembering verdicts per site, flow and credential, and asking
// CiviCRM at most once at a time per site, flow and credential.
type APIKeyVerifier struct {
	Resolver    Resolver
	Store       VerdictStore  // nil: nothing remembered
	PositiveTTL time.Duration // default DefaultPositiveTTL
	NegativeTTL time.Duration // default DefaultNegativeTTL
	// Generation numbers the lifetimes of remembered verdicts (nil: one
	// lifetime): a verdict is stored, and its question shared, under the
	// generation current when CiviCRM was asked, and looked up under the
	// current one, so moving it on forgets every verdict remembered.
	Generation VerdictGeneration
	// PasswordGeneration numbers, beside Generation, the lifetimes of the
	// verdicts on passwords (Basic credentials) alone (nil: Generation's
	// lifetimes only): moving it on forgets them and no verdict on an API
	// key or a JWT. What changes a password's user name and nothing else
	// moves it on: a CMS user renamed by a save of its contact's primary
	// e-mail (WordPress's login takes the user's e-mail as its name), a
	// write far more frequent than those that change keys.
	PasswordGeneration VerdictGeneration

	hmac  *keyedHash // keys the verdict store
	calls flight.Group[verdictOutcome]
}

// verdictGens are the generations a verdict is remembered under:
// Generation's, and for a password PasswordGeneration's too (0 where
// there is none).
type verdictGens struct{ all, password uint64 }

// gens are the current generations of a credential's verdicts (password:
// a Basic credential's).
func (a *APIKeyVerifier) gens(ctx context.Context, password bool) verdictGens {
	var g verdictGens
	if a.Generation != nil {
		g.all = a.Generation.Current(ctx)
	}
	if password && a.PasswordGeneration != nil {
		g.password = a.PasswordGeneration.Current(ctx)
	}
	return g
}

// knownGens are gens when they are known without asking anyone (Known).
func (a *APIKeyVerifier) knownGens(password bool) (verdictGens, bool) {
	var g verdictGens
	ok := true
	if a.Generation != nil {
		g.all, ok = a.Generation.Known()
	}
	if ok && password && a.PasswordGeneration != nil {
		g.password, ok = a.PasswordGeneration.Known()
	}
	return g, ok
}

// genBound reports whether a credential's verdicts have a generation
// (password: a Basic credential's).
func (a *APIKeyVerifier) genBound(password bool) bool {
	return a.Generation != nil || password && a.PasswordGeneration != nil
}

// verdictOutcome is what one question to CiviCRM came to.
type verdictOutcome struct {
	v   Verdict
	err error
}

// NewAPIKeyVerifier builds a verifier. secret keys the HMAC that turns a
// credential into a store key; empty means a random per-process secret
// (fine for memory; configure one shared secret for Redis so instances
// share verdicts).
func NewAPIKeyVerifier(r Resolver, store VerdictStore, secret []byte) *APIKeyVerifier {
	if len(secret) == 0 {
		secret = make([]byte, 32)
		if _, err := rand.Read(secret); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
	}
	return &APIKeyVerifier{Resolver: r, Store: store, hmac: newKeyedHash(secret)}
}

// CredKey is the HMAC of a credential: hex HMAC-SHA256(secret, scheme SP
// value). The store key of a verdict is VerdictKey's, bound to a site too.
func (a *APIKeyVerifier) CredKey(scheme, value string) string {
	msg := make([]byte, 0, len(scheme)+1+len(value))
	msg = append(append(append(msg, scheme...), ' '), value...)
	return a.hmac.hexMAC(sha256.Size, msg)
}

// VerdictKey is the store key of CiviCRM's verdict on a credential asked
// on site (Request.Site) in the xheader flow: hex HMAC-SHA256(secret,
// "site" NUL len(site) NUL site scheme SP value). One verdict per site: a
// CiviCRM domain or CMS site a Civigate site block fronts beside others
// knows its own credentials, and a verdict from one must never vouch for
// a call that runs on another.
func (a *APIKeyVerifier) VerdictKey(site, scheme, value string) string {
	return a.verdictKey(verdictGens{}, FlowXHeader, site, scheme, value)
}

// FlowVerdictKey is VerdictKey for a credential the client presented in
// flow: one verdict per flow CiviCRM is asked in (AskFlow), since each
// flow has its own policy (authx_<flow>_cred, authx_<flow>_user) and a
// verdict in one must never answer for another. The xheader flow's
// (and so the legacy forms') keys are VerdictKey's; the others have
// "flow" NUL flow NUL before the message.
func (a *APIKeyVerifier) FlowVerdictKey(flow, site, scheme, value string) string {
	return a.verdictKey(verdictGens{}, AskFlow(flow), site, scheme, value)
}

// verdictKey is FlowVerdictKey in generations gen (APIKeyVerifier.
// Generation's, PasswordGeneration's) for a flow already AskFlow's: "gen"
// NUL gen.all NUL, then "pgen" NUL gen.password NUL, before the message,
// each but for 0: the keys of generations 0 are FlowVerdictKey's.
func (a *APIKeyVerifier) verdictKey(gen verdictGens, askFlow, site, scheme, value string) string {
	n := strconv.Itoa(len(site))
	msg := make([]byte, 0, 2*(6+20)+6+16+len(n)+len(site)+len(scheme)+1+len(value))
	if gen.all != 0 {
		msg = strconv.AppendUint(append(msg, "gen\x00"...), gen.all, 10)
		msg = append(msg, 0)
	}
	if gen.password != 0 {
		msg = strconv.AppendUint(append(msg, "pgen\x00"...), gen.password, 10)
		msg = append(msg, 0)
	}
	if askFlow != FlowXHeader {
		msg = append(append(append(msg, "flow\x00"...), askFlow...), 0)
	}
	msg = append(append(append(append(msg, "site\x00"...), n...), 0), site...)
	msg = append(append(append(msg, scheme...), ' '), value...)
	return a.hmac.hexMAC(sha256.Size, msg)
}

// Verify returns CiviCRM's verdict on a credential asked on site
// (Request.Site: where the call it authorizes runs, which the Resolver's
// question reaches too) in the xheader flow: a remembered one of that
// site or a fresh one. The error is ErrUnavailable (wrapped) when CiviCRM
// could not be asked; refusals come back as a Verdict with OK false.
func (a *APIKeyVerifier) Verify(ctx context.Context, site, scheme, value string) (Verdict, error) {
	return a.VerifyFlow(ctx, FlowXHeader, site, scheme, value)
}

// VerifyFlow is Verify for a credential the client presented in flow:
// CiviCRM is asked in AskFlow(flow), and its verdict is remembered, and
// its question shared, for that flow only (FlowVerdictKey).
func (a *APIKeyVerifier) VerifyFlow(ctx context.Context, flow, site, scheme, value string) (Verdict, error) {
	v, _, err := a.verify(ctx, flow, site, scheme, value)
	return v, err
}

// verify is VerifyFlow, with the verdicts' generations it asked under (a
// Basic credential's, a password, under PasswordGeneration's too).
func (a *APIKeyVerifier) verify(ctx context.Context, flow, site, scheme, value string) (Verdict, verdictGens, error) {
	gen := a.gens(ctx, scheme == "Basic")
	v, err := a.verifyAt(ctx, gen, AskFlow(flow), site, scheme, value)
	return v, gen, err
}

func (a *APIKeyVerifier) verifyAt(ctx context.Context, gen verdictGens, askFlow, site, scheme, value string) (Verdict, error) {
	key := a.verdictKey(gen, askFlow, site, scheme, value)
	if a.Store != nil {
		if v, ok := a.Store.Get(ctx, key); ok {
			return v, nil
		}
	}
	f, lead := a.calls.Join(key)
	if !lead {
		o, ok := f.Wait(ctx)
		if !ok {
			return Verdict{}, fmt.Errorf("%w: %v", ErrUnavailable, ctx.Err())
		}
		return o.v, o.err
	}
	// Landed whatever happens: a panicking Resolver leaves the requests
	// waiting on it an unavailable CiviCRM, not a wait until they time out.
	o := verdictOutcome{err: fmt.Errorf("%w: the question to CiviCRM did not complete", ErrUnavailable)}
	defer func() { a.calls.Land(key, f, o) }()
	o.v, o.err = a.resolve(ctx, askFlow, scheme, value)
	if o.err == nil && a.Store != nil {
		ttl := a.PositiveTTL
		if ttl <= 0 {
			ttl = DefaultPositiveTTL
		}
		if !o.v.OK {
			ttl = a.NegativeTTL
			if ttl <= 0 {
				ttl = DefaultNegativeTTL
			}
		}
		a.Store.Set(ctx, key, o.v, ttl)
	}
	return o.v, o.err
}

func (a *APIKeyVerifier) resolve(ctx context.Context, askFlow, scheme, value string) (Verdict, error) {
	var id Identity
	var err error
	if fr, ok := a.Resolver.(FlowResolver); ok {
		id, err = fr.ResolveFlow(ctx, askFlow, scheme, value)
	} else {
		id, err = a.Resolver.Resolve(ctx, scheme, value)
	}
	if err != nil {
		var rej *Rejection
		if errors.As(err, &rej) {
			return Verdict{Reason: rej.Reason, Message: rej.Message}, nil
		}
		if !errors.Is(err, ErrUnavailable) {
			err = fmt.Errorf("%w: %v", ErrUnavailable, err)
		}
		return Verdict{}, err
	}
	return Verdict{OK: true, ContactID: id.ContactID, UserID: id.UserID, Cred: id.Cred, Guard: id.Guard}, nil
}
