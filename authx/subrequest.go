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
	ts := strconv.FormatInt(a.cfg.Now().Unix(), 10)
	h.Set(SubrequestHeader, ts+"."+a.mac("authx-subrequest", ts, h.Get("X-Civi-Auth"), h.Get("X-Civi-Key")))
}

// SubrequestValid reports whether token, sent with req to
// civicrm/authx/id, is one SignSubrequest made within subrequestTTL for
// the credential and site key CiviCRM will read from req (AuthX's order,
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
	if rej != nil || c.cred == nil || c.cred.flow != FlowXHeader {
		return false
	}
	want := a.mac("authx-subrequest", ts, c.cred.raw, c.authxKey.value)
	return subtle.ConstantTimeCompare([]byte(sum), []byte(want)) == 1
}
