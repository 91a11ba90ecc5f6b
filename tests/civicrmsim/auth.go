package civicrmsim

import (
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// principal is who a request runs as.
type principal struct {
	user      *User // nil: a contact without a CMS user
	contactID int64
	flow      string // AuthX flow: header, xheader, param, legacyrest ("" on extern/rest.php)
	cred      string // jwt, api_key, pass
}

// can is a permission check. legacyrest grants "access AJAX API" for the
// request (LegacyRestAuthenticator).
func (p *principal) can(perm string) bool {
	if p.flow == "legacyrest" && perm == permAccessAJAX {
		return true
	}
	return p.user.HasPerm(perm)
}

func constEq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// userByAPIKey is the civicrm_contact.api_key lookup: an SQL equality
// under CiviCRM's utf8mb4_unicode_ci, which pads with spaces (a trailing
// space matches, a trailing tab or newline does not).
func (s *Simulator) userByAPIKey(key string) *User {
	key = strings.TrimRight(key, " ")
	if key == "" {
		return nil
	}
	for _, u := range s.users {
		if u.APIKey == key {
			return u
		}
	}
	return nil
}

// userByLogin is the CMS user a Basic credential's name names (the CMS's
// authenticate): its user name, or on WordPress its e-mail too
// (wp_authenticate: wp_authenticate_username_password, then for a name
// that is an e-mail wp_authenticate_email_password, which looks the user
// up by user_email, compared as MySQL's collation does, without case).
func (s *Simulator) userByLogin(name string) *User {
	if name == "" {
		return nil
	}
	for _, u := range s.users {
		if u.Name != "" && u.Name == name {
			return u
		}
	}
	if s.opts.UserFramework != "WordPress" || !strings.Contains(name, "@") {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.users {
		if u.UserID != 0 && u.email != "" && strings.EqualFold(u.email, name) {
			return u
		}
	}
	return nil
}

func (s *Simulator) userByContact(cid int64) *User {
	for _, u := range s.users {
		if u.ContactID == cid {
			return u
		}
	}
	return nil
}

// rejection is how AuthX refuses: 401 text/plain "HTTP 401 <msg>", or in
// the legacyrest flow 200 text/javascript with plain json_encode.
type rejection struct {
	msg    string
	legacy bool
}

func (r *rejection) write(w http.ResponseWriter) {
	if r.legacy {
		writeBody(w, 200, "text/javascript;charset=UTF-8",
			translate.EncodeJSON(restError("FATAL: "+r.msg), translate.JSONOptions{Legacy: true}))
		return
	}
	writeBody(w, http.StatusUnauthorized, "text/plain;charset=UTF-8", []byte("HTTP 401 "+r.msg))
}

const (
	msgInvalid   = "Invalid credential"
	msgNoUser    = "Cannot login. No matching user is available."
	msgGuard     = "Login not permitted. Must satisfy guard (site_key, perm)."
	msgExpired   = "Expired token"
	msgMalformed = "Malformed JWT. Must specify the contact ID."
)

// authenticate is AuthX's civi.invoke.auth: the Authenticator's flows
// (the first of X-Civi-Auth, Authorization, _authx that is not empty()),
// then, on ajax/rest, the legacyrest listener (key or api_key not empty()),
// whose principal must be the same as the first one's. No credential at all
// gives (nil, nil).
func (s *Simulator) authenticate(q *request, ajaxRoute bool) (*principal, *rejection) {
	p, rej := s.authxFlows(q)
	if rej != nil || !ajaxRoute || empty(q.req, "api_key") && empty(q.req, "key") {
		return p, rej
	}
	// LegacyRestAuthenticator: 'Bearer ' . $_REQUEST['api_key'], site key
	// $_REQUEST['key'] as sent (no trim).
	lp, lrej := s.check("legacyrest", "Bearer "+scalarString(q.req, "api_key"), scalarString(q.req, "key"))
	if lrej == nil && p != nil && p.contactID != lp.contactID {
		lrej = &rejection{msg: "Cannot login. A mismatched session is already active."}
	}
	if lrej != nil {
		lrej.legacy = true
		return nil, lrej
	}
	if p != nil {
		return p, nil
	}
	return lp, nil
}

// authxFlows is Authenticator::on_civi_invoke_auth. The site key is
// $_SERVER['HTTP_X_CIVI_KEY'] ?? $params['_authxSiteKey']: an X-Civi-Key
// header, even an empty one, hides _authxSiteKey.
func (s *Simulator) authxFlows(q *request) (*principal, *rejection) {
	r := q.r
	siteKey := q.authxParam("_authxSiteKey")
	if vs := r.Header.Values("X-Civi-Key"); vs != nil {
		siteKey = vs[0]
	}
	if v := r.Header.Get("X-Civi-Auth"); !phpEmpty(v) {
		return s.check("xheader", v, siteKey)
	}
	if v := r.Header.Get("Authorization"); !phpEmpty(v) && s.headerFlowOn() {
		if !strings.HasPrefix(v, "Basic ") && !strings.HasPrefix(v, "Digest ") || s.credAllowed("header", "pass") || s.basicOnHdr {
			return s.check("header", v, siteKey)
		}
		// 6.13+: a stray Basic/Digest header (say, a proxy's) is ignored.
	}
	if v := q.authxParam("_authx"); !phpEmpty(v) {
		return s.check("param", v, siteKey)
	}
	return nil, nil
}

// phpEmpty is empty() of a request string.
func phpEmpty(v string) bool { return v == "" || v == "0" }

// check is Authenticator::auth: find the principal (Basic user:pass, then
// Bearer api_key, then Bearer JWT), then the policy checks in CiviCRM's
// order.
func (s *Simulator) check(flow, cred, siteKey string) (*principal, *rejection) {
	format, value, _ := strings.Cut(cred+" ", " ")
	value = strings.TrimSuffix(value, " ")
	p := &principal{flow: flow}
	switch format {
	case "Basic":
		raw := phpBase64Decode(value)
		name, pass, _ := strings.Cut(string(raw), ":")
		if u := s.userByLogin(name); u != nil && constEq(u.Password, pass) {
			p.user, p.contactID, p.cred = u, u.ContactID, "pass"
		}
	case "Bearer":
		if u := s.userByAPIKey(value); u != nil {
			p.user, p.contactID, p.cred = u, u.ContactID, "api_key"
		} else if strings.Count(value, ".") == 2 {
			cid, err := authx.VerifyCiviJWT(value, s.keys, s.opts.Now(), 0)
			var rej *authx.Rejection
			switch {
			case err == nil:
				p.contactID, p.cred = cid, "jwt"
				p.user = s.userByContact(cid)
			case errors.As(err, &rej) && (rej.Message == msgExpired || rej.Message == msgMalformed):
				return nil, &rejection{msg: rej.Message}
			}
		}
	}
	if p.cred == "" {
		return nil, &rejection{msg: msgInvalid}
	}
	s.mu.Lock()
	c := s.db.contacts[p.contactID]
	s.mu.Unlock()
	if c == nil || c.deleted {
		return nil, &rejection{msg: "Contact ID " + strconv.FormatInt(p.contactID, 10) + " is invalid"}
	}
	if p.user != nil && p.user.UserID == 0 {
		p.user = nil // a contact without a CMS user has anonymous permissions
	}
	if !s.credAllowed(flow, p.cred) {
		return nil, &rejection{msg: `Authentication type "` + p.cred + `" with flow "` + flow + `" is not allowed for this principal.`}
	}
	mode := s.userMode(flow)
	if mode == "require" && p.user == nil {
		return nil, &rejection{msg: msgNoUser}
	}
	if p.cred != "jwt" {
		perm := permAPIKey
		if p.cred == "pass" {
			perm = permPassword
		}
		if !(siteKey != "" && constEq(siteKey, s.siteKey)) && !p.user.HasPerm(perm) {
			return nil, &rejection{msg: msgGuard}
		}
	}
	if mode == "ignore" {
		// $tgt->userId = NULL: the contact runs without its CMS user.
		p.user = nil
	}
	return p, nil
}

// credAllowed is in_array($credType, authx_<flow>_cred): Options.AuthxCred,
// else the defaults (jwt and api_key; pass with AllowPassword on every
// flow but legacyrest).
func (s *Simulator) credAllowed(flow, cred string) bool {
	if creds, ok := s.opts.AuthxCred[flow]; ok {
		for _, c := range creds {
			if c == cred {
				return true
			}
		}
		return false
	}
	return cred == "jwt" || cred == "api_key" || cred == "pass" && s.opts.AllowPassword && flow != "legacyrest"
}

// headerFlowOn is !empty(authx_header_cred): AuthX reads Authorization
// only then.
func (s *Simulator) headerFlowOn() bool {
	creds, ok := s.opts.AuthxCred["header"]
	return !ok || len(creds) > 0
}

// userMode is authx_<flow>_user (Options.AuthxUser): optional by
// default, require on legacyrest.
func (s *Simulator) userMode(flow string) string {
	if m, ok := s.opts.AuthxUser[flow]; ok && m != "" {
		return m
	}
	if flow == "legacyrest" {
		return "require"
	}
	return "optional"
}

// serveAuthxID is civicrm/authx/id: a public route that reports who the
// request authenticated as.
func (s *Simulator) serveAuthxID(w http.ResponseWriter, r *http.Request) {
	q := s.parseRequest(r)
	p, rej := s.authenticate(q, false)
	if rej != nil {
		rej.write(w)
		return
	}
	if p == nil {
		// CRM_Authx_Page_Id: without a credential, the session's contact
		// (CRM_Core_Session::getLoggedInContactID).
		p = s.sessionPrincipal(r)
	}
	out := translate.NewArray()
	if p == nil {
		for _, k := range []string{"contact_id", "user_id", "flow", "cred"} {
			out.Set(k, nil)
		}
	} else {
		out.Set("contact_id", translate.Number(strconv.FormatInt(p.contactID, 10)))
		if p.user != nil {
			out.Set("user_id", translate.Number(strconv.FormatInt(p.user.UserID, 10)))
		} else {
			out.Set("user_id", nil)
		}
		out.Set("flow", p.flow)
		out.Set("cred", p.cred)
	}
	writeBody(w, 200, "application/json", s.encodeJSON(out, false))
}

// accessDenied is the Standalone CMS's 403 page for a route the caller may
// not use (recorded: ajax-rest-unchanged "ping without credentials").
func (s *Simulator) accessDenied(w http.ResponseWriter, r *http.Request) {
	base := "http://" + r.Host
	writeBody(w, http.StatusForbidden, "text/html; charset=UTF-8", []byte(strings.ReplaceAll(accessDeniedPage, "{BASE}", base)))
}

// phpBase64Decode is base64_decode() not strict: bytes outside the
// alphabet are skipped, the rest decoded as one stream, a lone trailing
// character dropped.
func phpBase64Decode(s string) []byte {
	kept := strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9' || r == '+' || r == '/' {
			return r
		}
		return -1
	}, s)
	if len(kept)%4 == 1 {
		kept = kept[:len(kept)-1]
	}
	b, _ := base64.RawStdEncoding.DecodeString(kept)
	return b
}
