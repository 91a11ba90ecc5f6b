package authx

import (
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// SubrequestHeader carries Civigate's token on its own questions to
// civicrm/authx/id over the network (resolve_url), so that a Civigate in
// front of that URL passes them on instead of authenticating them again,
// which would ask itself without end.
const SubrequestHeader = "X-Civigate-Subrequest"

// subrequestTTL is how far a token's time may be from the receiver's
// clock: a question is answered within a second; the rest is clock skew
// between instances.
const subrequestTTL = 5 * time.Second

// IsSubrequestHeader reports whether a header of this name, in any
// spelling PHP folds together, is SubrequestHeader: a secret of the edge,
// redacted from logs and never passed on from a client.
func IsSubrequestHeader(name string) bool {
	return SameHeaderName(name, "x-civigate-subrequest")
}

// SignSubrequest adds the token to a question whose X-Civi-Auth and
// X-Civi-Key are set (HTTPResolver.Sign). The token is the time and an
// HMAC, keyed by Secret (instances sharing one, as they must to share
// Redis, know each other's), over that time and the credential and site
// key asked about: it cannot be forged, is good for subrequestTTL only,
// and only for the credential it was made for, so a logged or sniffed
// token lifts the edge's checks for no other credential (and the one it
// names is the one whoever saw it has seen too).
func (a *Authenticator) SignSubrequest(h http.Header) {
	a.SignSubrequestFlow(h, FlowXHeader, h.Get("X-Civi-Auth"))
}

// SignSubrequestFlow adds the token to a question about cred asked in
// flow (AskFlow's: X-Civi-Auth, Authorization or a form body's _authx;
// HTTPResolver.Sign), whose X-Civi-Key is set. The token is bound to the
// flow too: one made for a question in one flow lifts the edge's checks
// for no other.
func (a *Authenticator) SignSubrequestFlow(h http.Header, flow, cred string) {
	ts := strconv.FormatInt(a.cfg.Now().Unix(), 10)
	h.Set(SubrequestHeader, ts+"."+a.subrequestMAC(ts, flow, cred, h.Get("X-Civi-Key")))
}

// subrequestMAC is a token's HMAC: the xheader flow's as it always was,
// the others' with the flow last.
func (a *Authenticator) subrequestMAC(ts, flow, cred, siteKey string) string {
	if flow == FlowXHeader {
		return a.mac("authx-subrequest", ts, cred, siteKey)
	}
	return a.mac("authx-subrequest", ts, cred, siteKey, flow)
}

// SubrequestValid reports whether token, sent with req to
// civicrm/authx/id, is one SignSubrequestFlow made within subrequestTTL
// for the flow, credential and site key CiviCRM will read from req (AuthX's order,
// as Authenticate reads them; a request it would refuse as ambiguous
// carries no valid token).
func (a *Authenticator) SubrequestValid(token string, req Request) bool {
	ts, sum, ok := strings.Cut(token, ".")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil {
		return false
	}
	if d := a.cfg.Now().Sub(time.Unix(sec, 0)); d > subrequestTTL || d < -subrequestTTL {
		return false
	}
	c, rej := extract(req.Call, req.Header)
	if rej == nil && c.cred == nil {
		// An Authorization: Basic the edge takes for no credential on
		// AuthX's routes (extract) is the header flow's question about a
		// password: CiviCRM reads it, or not, as its settings say.
		if auth, ok := oneValue(headerValues(req.Header, "authorization")); ok && !phpEmpty(auth) {
			c.cred = &presented{FlowHeader, auth}
		}
	}
	if rej != nil || c.cred == nil || AskFlow(c.cred.flow) != c.cred.flow {
		return false
	}
	want := a.subrequestMAC(ts, c.cred.flow, c.cred.raw, c.authxKey.value)
	return subtle.ConstantTimeCompare([]byte(sum), []byte(want)) == 1
}
