package translate

import "bytes"

// AuthX reads its parameters from $_GET on GET and from $_POST on every
// other method (Authenticator::on_civi_invoke_auth), on every CiviCRM
// page. The edge reads them the same way, with the readers that model
// PHP's registration (bodyscan.go): the body's with BodyScanner, the
// query's with QueryCredentials.

// AuthX's parameters.
const (
	paramAuthx        = "_authx"
	paramAuthxSiteKey = "_authxSiteKey"
	// paramAuthxSes asks for a session: with _authx, AuthX's "auto" flow
	// logs the user in for good (useSession), on any page.
	paramAuthxSes = "_authxSes"
)

// BodyCredentials are AuthX's parameters as PHP registers them from a form
// body (or a query string), and Afform's page token beside them.
type BodyCredentials struct {
	// Authx and SiteKey are _authx and _authxSiteKey as registered ("":
	// not sent).
	Authx, SiteKey string
	// Sent: either name was found, whatever its value.
	Sent bool
	// Afform is Afform's page token, _aff (ParamAfformToken), as
	// registered; AfformSent: the name was found, whatever its value.
	// PageTokenCredential::onInvoke reads it from $_REQUEST, not where
	// AuthX reads its own: AuthxCredentials gathers it from the query,
	// the form body and the cookies.
	Afform     string
	AfformSent bool
	// Session: _authxSes was sent and is not empty() to PHP (or cannot be
	// read as one value: taken as not empty), which with _authx makes
	// AuthX create a CiviCRM session. No credential of its own: it counts
	// in neither Sent nor Problem.
	Session bool
	// Problem, when not empty, says why the edge cannot tell what CiviCRM
	// reads: assigned twice with different values (past max_input_vars PHP
	// keeps the first, the edge could check the other), as an array, or
	// longer than any credential. Such a request is refused.
	Problem string
}

// credSlots are a reader's AuthX parameters and Afform's page token.
type credSlots struct {
	authx, siteKey, ses, aff credSlot
}

func (c *credSlots) slot(name string) *credSlot {
	switch name {
	case paramAuthx:
		return &c.authx
	case paramAuthxSiteKey:
		return &c.siteKey
	case paramAuthxSes:
		return &c.ses
	case ParamAfformToken:
		return &c.aff
	}
	return nil
}

// credSlot is one AuthX parameter as one reader registered it.
type credSlot struct {
	val     []byte
	set     bool
	problem string
}

func (c *credSlot) assign(v *routeValue) {
	switch {
	case c.problem != "":
	case v.long:
		c.problem = "longer than any credential"
	case !c.set:
		c.val = append(c.val[:0], v.buf...)
	case !bytes.Equal(c.val, v.buf):
		c.problem = "sent twice with different values"
	}
	c.set = true
}

func (c *credSlot) assignArray() {
	if c.problem == "" {
		c.problem = "sent as an array"
	}
	c.set = true
}

// Credentials are AuthX's parameters in what was written (call after
// Close).
func (s *BodyScanner) Credentials() BodyCredentials {
	if s == nil {
		return BodyCredentials{}
	}
	return credentialsOf(s.reader.credentials())
}

func credentialsOf(c *credSlots) BodyCredentials {
	out := BodyCredentials{Authx: string(c.authx.val), SiteKey: string(c.siteKey.val), Sent: c.authx.set || c.siteKey.set,
		Session: c.ses.set && (c.ses.problem != "" || !PHPEmpty(string(c.ses.val))),
		Afform:  string(c.aff.val), AfformSent: c.aff.set}
	for _, s := range [...]*credSlot{&c.authx, &c.siteKey, &c.aff} {
		if s.problem != "" {
			out.Problem = s.problem
		}
	}
	if out.Problem != "" {
		out.Authx, out.SiteKey, out.Afform = "", "", ""
	}
	return out
}

// CredentialsSeen reports whether a name of AuthX's parameters was found
// in what was written so far (its value perhaps not yet read).
func (s *BodyScanner) CredentialsSeen() bool { return s.judge.credSeen }

// LockCredentials makes any AuthX parameter found from now on refuse the
// body (Write and Close then report that it routes; CredentialsLate says
// why): the edge authenticated the request before the rest of the body
// arrived and cannot check a credential in it.
func (s *BodyScanner) LockCredentials() { s.judge.credLocked = true }

// CredentialsLate reports whether the body was refused for an AuthX
// parameter found after LockCredentials.
func (s *BodyScanner) CredentialsLate() bool { return s.judge.credLate }

// QueryCredentials are AuthX's parameters (and Afform's page token) in a
// query string, as PHP registers them in $_GET (the same parser as a
// urlencoded body). Most queries name no such parameter: they cost one
// pass and no allocation.
func QueryCredentials(rawQuery string) BodyCredentials {
	if !mayNameAuthx(rawQuery) {
		return BodyCredentials{}
	}
	r := urlencodedReader{j: &routeJudge{credsOnly: true}}
	r.write([]byte(rawQuery))
	r.close()
	return credentialsOf(&r.creds)
}

// mayNameAuthx reports whether s, url-decoded, holds "authx" or "aff",
// which every name PHP registers as one of AuthX's parameters or as
// Afform's page token does (byte for byte: PHP's array keys are
// case-sensitive).
func mayNameAuthx(s string) bool {
	authx, aff := 0, 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			c = unhex(s[i+1])<<4 | unhex(s[i+2])
			i += 2
		}
		authx, aff = matchStep(authx, c, "authx"), matchStep(aff, c, "aff")
		if authx == len("authx") || aff == len("aff") {
			return true
		}
	}
	return false
}
