// Package civicrmsim is a CiviCRM simulator for tests, demos and benchmarks.
//
// It answers the legacy extern/rest.php (under any path ending in
// /extern/rest.php), the modern civicrm/ajax/rest, APIv4's
// civicrm/ajax/api4 (api4*.go) and AuthX's civicrm/authx/id, login and
// logout the way a real CiviCRM 6.17.2 (or 5.81.1) does, over
// seeded in-memory data: parameter building, JSON and XML output, the
// getsingle/getvalue/getcount shapes, chaining, options, the destructive-GET
// and CSRF rules, AuthX flows and their rejection shapes, JWTs, and contact
// ACLs that differ per user. The recordings in shared/recordings replay
// against it (replay_test.go, api4replay_test.go).
//
// PHP's request parsing (parse_str, array_merge, buildParamList) and
// CiviCRM's JSON/XML encoders come from package translate; the REST page
// logic (which endpoint checks what, in which order), AuthX and the API
// kernel are written here from CiviCRM's source independently of
// Civigate's own request recognition, so Civigate's end-to-end tests do not
// test its parser against itself.
//
//	sim := civicrmsim.New(civicrmsim.Options{})
//	srv := httptest.NewServer(sim)
//	key, apiKey := sim.SiteKey(), sim.Admin().APIKey
package civicrmsim

import (
	crand "crypto/rand"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// Options configure a simulator. The zero value is the test default: the
// 6.17.2 behaviour over the data of the recorded 6.17.2 site, random
// credentials, no latency.
type Options struct {
	// SiteKey is CIVICRM_SITE_KEY; empty: 32 random hex characters.
	SiteKey string
	// SignKeys is CIVICRM_SIGN_KEYS (space-separated suite:kdf:value);
	// empty: one random jwt-hs256:hkdf-sha256 key.
	SignKeys string
	// APIKeys fixes users' API keys by user name ("admin", "ada", "grace",
	// "nouser"); missing ones are random.
	APIKeys map[string]string
	// Passwords fixes CMS passwords by user name; missing ones are random.
	Passwords map[string]string
	// Version is the CiviCRM version to behave as, "6.17.2" by default.
	// Before 6.8 JSON answers escape "/" and non-ASCII (plain json_encode);
	// before 6.13 AuthX rejects (instead of ignoring) an Authorization:
	// Basic header when passwords are not allowed on that flow.
	Version string
	// Fixture is the recorded site whose data is seeded: Fixture617
	// (default), Fixture581 or FixtureAPI4.
	Fixture string
	// ExtraContacts adds that many generated contacts (with emails,
	// phones and group memberships) after the fixture, from Seed.
	ExtraContacts int
	// Seed seeds the generator of ExtraContacts (same seed, same data).
	Seed uint64
	// Latency delays every answer (0 in tests; ~100ms for demos and
	// benchmarks, where real CiviCRM takes 75-175ms).
	Latency time.Duration
	// AllowPassword adds "pass" to the credential types AuthX accepts on
	// the header, xheader and param flows (CiviCRM's default is jwt and
	// api_key only, so Basic user:pass needs this).
	AllowPassword bool
	// AuthxCred sets authx_<flow>_cred for the flows it names (flow →
	// the credential types it accepts: "jwt", "api_key", "pass"); a flow
	// it does not name keeps the default (jwt and api_key, and pass with
	// AllowPassword but on legacyrest). An empty list for "header" makes
	// AuthX read no Authorization header at all (Authenticator.php only
	// looks at it when authx_header_cred is not empty).
	AuthxCred map[string][]string
	// AuthxUser sets authx_<flow>_user for the flows it names: "ignore",
	// "optional" or "require"; default optional, require on legacyrest.
	AuthxUser map[string]string
	// UserFramework is CIVICRM_UF, the CMS whose users AuthX's Basic
	// credentials (user:password) name: "Standalone" (default) by user
	// name only; "WordPress" by user name or by the user's e-mail
	// (CRM_Utils_System_WordPress::authenticate calls wp_authenticate,
	// whose default 'authenticate' filters include
	// wp_authenticate_email_password). Either way a save of a contact's
	// primary e-mail renames its CMS user's e-mail (updateCMSName).
	UserFramework string
	// Now is the clock for JWT expiry; nil: time.Now.
	Now func() time.Time
	// OnCall, when set, hears every APIv3 call CRM_Utils_REST::process()
	// hands civicrm_api(), with the parameters buildParamList built: what
	// the tests compare between extern/rest.php and civicrm/ajax/rest.
	OnCall func(entity, action string, params *translate.Array)
	// PostMaxSize is php.ini's post_max_size in bytes: PHP leaves $_POST
	// empty for a POST whose Content-Length is larger. 0: PHP's default,
	// 8M (8 MiB).
	PostMaxSize int64
	// RequestOrder is php.ini's request_order: "" is "GP" (php.ini's
	// shipped value); "GPC" is what PHP does where php.ini sets none
	// (variables_order EGPCS): the cookies are in $_REQUEST too, over the
	// query and the form.
	RequestOrder string
}

// User is an account of the simulated site: a contact, optionally with a
// CMS user, an API key and permissions.
type User struct {
	// Name is the CMS user name ("" for a contact without a CMS user).
	Name      string
	ContactID int64
	// UserID is the CMS user id; 0 means no CMS user.
	UserID   int64
	APIKey   string
	Password string

	// email is the CMS user's e-mail (civicrm_uf_match.uf_name, which
	// updateCMSName copies into the CMS user: WordPress's user_email,
	// Standalone's User.uf_name): its contact's primary e-mail when seeded,
	// and again after each save of one (Simulator.emailSaved). Read and
	// written with Simulator.mu held.
	email string

	perms     map[string]bool
	aclGroups []int64 // nil with "view all contacts"
}

// HasPerm reports whether the user holds a CiviCRM permission.
func (u *User) HasPerm(p string) bool { return u != nil && u.perms[p] }

// Permissions that matter to the simulator.
const (
	permAccessCiviCRM = "access CiviCRM"
	permAccessAJAX    = "access AJAX API"
	permAPIKey        = "authenticate with api key"
	permPassword      = "authenticate with password"
	permViewAll       = "view all contacts"
	permEditAll       = "edit all contacts"
	permDebug         = "view debug output"
)

var permAll = []string{permAccessCiviCRM, permAccessAJAX, permAPIKey, permPassword, permViewAll, permEditAll, permDebug, "administer CiviCRM"}

func permSet(ps ...string) map[string]bool {
	m := make(map[string]bool, len(ps))
	for _, p := range ps {
		m[p] = true
	}
	return m
}

// Simulator is a simulated CiviCRM site; it is an http.Handler.
type Simulator struct {
	opts       Options
	siteKey    string
	signKeys   string
	keys       []authx.SignKey
	legacyJSON bool // before 6.8: plain json_encode
	basicOnHdr bool // before 6.13: Basic on the header flow is rejected, not ignored
	users      []*User

	mu      sync.Mutex
	db      *store
	calls   map[string]int
	latency time.Duration

	requests atomic.Int64
	sessions sessions // PHP's session: every answer carries its headers
	logins   logins   // sessions logged in through civicrm/authx/login (api4session.go)
	mode     atomic.Int32
	release  chan struct{} // closed to let hanging requests go
}

// Modes for SetMode.
const (
	// ModeNormal answers requests.
	ModeNormal int32 = iota
	// ModeFail answers every request with HTTP 500 (a PHP fatal error page).
	ModeFail
	// ModeHang holds every request until its client gives up or the mode
	// changes.
	ModeHang
)

// New builds a simulator. It panics on invalid Options (a test bug).
func New(opts Options) *Simulator {
	s, err := NewE(opts)
	if err != nil {
		panic(err)
	}
	return s
}

// NewE is New returning the error instead of panicking.
func NewE(opts Options) (*Simulator, error) {
	if opts.Version == "" {
		opts.Version = "6.17.2"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	switch opts.UserFramework {
	case "":
		opts.UserFramework = "Standalone"
	case "Standalone", "WordPress":
	default:
		return nil, fmt.Errorf("civicrmsim: unknown UserFramework %q (want Standalone or WordPress)", opts.UserFramework)
	}
	s := &Simulator{opts: opts, siteKey: opts.SiteKey, signKeys: opts.SignKeys, calls: map[string]int{},
		latency: opts.Latency, release: make(chan struct{})}
	s.legacyJSON = versionBefore(opts.Version, 6, 8)
	s.basicOnHdr = versionBefore(opts.Version, 6, 13)
	if s.siteKey == "" {
		s.siteKey = randomHex(16)
	}
	if s.signKeys == "" {
		s.signKeys = "jwt-hs256:hkdf-sha256:" + randomHex(24)
	}
	keys, err := authx.ParseSignKeys(s.signKeys)
	if err != nil {
		return nil, fmt.Errorf("civicrmsim: CIVICRM_SIGN_KEYS: %w", err)
	}
	s.keys = keys
	s.db = newStore()
	s.db.createdAt = func() string { return s.opts.Now().Format(time.DateTime) }
	users, err := seed(s.db, opts.Fixture, opts.ExtraContacts, rand.New(rand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)))
	if err != nil {
		return nil, err
	}
	for _, u := range users {
		name := u.Name
		if name == "" {
			name = "nouser"
		}
		u.APIKey = opts.APIKeys[name]
		if u.APIKey == "" {
			u.APIKey = randomHex(16)
		}
		if u.Name != "" {
			u.Password = opts.Passwords[name]
			if u.Password == "" {
				u.Password = "pw-" + randomHex(8)
			}
		}
		if u.perms == nil {
			u.perms = map[string]bool{}
		}
		s.db.contacts[u.ContactID].apiKey = u.APIKey
		if e := s.primaryEmail(u.ContactID); e != nil && u.UserID != 0 {
			u.email = e.f["email"]
		}
	}
	s.users = users
	return s, nil
}

// versionBefore reports whether version v (e.g. "5.81.1") is older than
// major.minor.
func versionBefore(v string, major, minor int) bool {
	parts := strings.SplitN(v, ".", 3)
	ma, _ := strconv.Atoi(parts[0])
	mi := 0
	if len(parts) > 1 {
		mi, _ = strconv.Atoi(parts[1])
	}
	return ma < major || ma == major && mi < minor
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := crand.Read(b); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b)
}

// SiteKey is the site's CIVICRM_SITE_KEY.
func (s *Simulator) SiteKey() string { return s.siteKey }

// SignKeys is the site's CIVICRM_SIGN_KEYS.
func (s *Simulator) SignKeys() string { return s.signKeys }

// Version is the CiviCRM version simulated.
func (s *Simulator) Version() string { return s.opts.Version }

// Users are the site's accounts: the admin first, then (fixture 6.17) the
// ACL users ada and grace, then the contact whose key has no CMS user.
func (s *Simulator) Users() []*User { return s.users }

// User returns the account by CMS user name, or "nouser" for the contact
// without a CMS user; nil if there is none.
func (s *Simulator) User(name string) *User {
	for _, u := range s.users {
		if u.Name == name || name == "nouser" && u.UserID == 0 {
			return u
		}
	}
	return nil
}

// UserEmail is the CMS user's e-mail (uf_name) of the account: its
// contact's primary e-mail as last saved ("" for none).
func (s *Simulator) UserEmail(u *User) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return u.email
}

// Admin is the administrator: contact 2, CMS user 1, every permission
// (including "authenticate with api key" and "view all contacts").
func (s *Simulator) Admin() *User { return s.users[0] }

// NoUser is the contact whose API key has no CMS user (contact 14 in
// fixture 6.17, 3 in fixture 5.81).
func (s *Simulator) NoUser() *User { return s.User("nouser") }

// ACLUsers are two users who see different contacts: ada (contact 3: the
// Newsletter group 2, contacts 3 and 5, and herself) and grace (contact 4:
// the Volunteers group 3, contacts 1 and 4). Fixture 6.17 only; nil, nil
// otherwise.
func (s *Simulator) ACLUsers() (*User, *User) { return s.User("ada"), s.User("grace") }

// MintJWT signs an AuthX JWT for a contact with the site's first sign key,
// as AuthxCredential.create does (exp = now + ttl, sub cid:N, scope authx).
func (s *Simulator) MintJWT(contactID int64, ttl time.Duration) string {
	tok, err := authx.MintCiviJWT(s.keys, contactID, s.opts.Now(), ttl)
	if err != nil {
		panic(err)
	}
	return tok
}

// Calls is how many top-level API calls of entity.action (as the kernel
// normalises them, e.g. "Contact.get") reached the simulator's kernel,
// batch items included, chained calls not. A cache hit must leave it
// unchanged.
func (s *Simulator) Calls(entityAction string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[entityAction]
}

// TotalCalls is the number of top-level API calls so far.
func (s *Simulator) TotalCalls() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, c := range s.calls {
		n += c
	}
	return n
}

// CallCounts is a copy of every Calls counter.
func (s *Simulator) CallCounts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := make(map[string]int, len(s.calls))
	for k, v := range s.calls {
		m[k] = v
	}
	return m
}

// Requests is the number of HTTP requests received, failed and hung ones
// included.
func (s *Simulator) Requests() int64 { return s.requests.Load() }

// ResetCounts zeroes Calls and Requests.
func (s *Simulator) ResetCounts() {
	s.mu.Lock()
	s.calls = map[string]int{}
	s.mu.Unlock()
	s.requests.Store(0)
}

// SetMode switches between normal answers, HTTP 500 and hanging. Leaving
// ModeHang releases the requests held.
func (s *Simulator) SetMode(m int32) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.mode.Swap(m) == ModeHang && m != ModeHang {
		close(s.release)
		s.release = make(chan struct{})
	}
}

// SetLatency changes the delay added to every answer.
func (s *Simulator) SetLatency(d time.Duration) {
	s.mu.Lock()
	s.latency = d
	s.mu.Unlock()
}

// ServeHTTP routes like a CiviCRM site. Every answer, on every route,
// carries PHP's session headers (headers.go).
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	w = s.sessions.start(w, r)
	s.mu.Lock()
	lat, release := s.latency, s.release
	s.mu.Unlock()
	if lat > 0 {
		t := time.NewTimer(lat)
		select {
		case <-t.C:
		case <-r.Context().Done():
			t.Stop()
			return
		}
	}
	switch s.mode.Load() {
	case ModeFail:
		w.Header().Set("Content-Type", "text/html; charset=UTF-8")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte("<br />\n<b>Fatal error</b>:  Uncaught Exception: simulated CiviCRM failure in /var/www/civicrm/CRM/Core/Error.php:1\n"))
		return
	case ModeHang:
		select {
		case <-release:
		case <-r.Context().Done():
			return
		}
	}
	path := r.URL.Path
	switch {
	case strings.HasSuffix(path, "/extern/rest.php"):
		s.serveExtern(w, r)
	case path == "/civicrm/ajax/rest":
		s.serveAjax(w, r)
	case path == "/civicrm/authx/id":
		s.serveAuthxID(w, r)
	default:
		s.serveStandalone(w, r) // Standalone's router: APIv4, AuthX login (api4page.go)
	}
}
