package authx

import (
	"crypto/subtle"
	"net/http"
	"strings"

	"github.com/civigate/civigate/translate"
)

// presented is one credential a request carried and where.
type presented struct {
	flow string
	raw  string // "<Scheme> <value>" as AuthX sees it
}

// creds is everything a request presented.
type creds struct {
	cred        *presented // chosen credential (AuthX evaluation order)
	siteKey     string
	siteKeySent bool
	// siteKeyParam: the site key came as legacy `key`.
	siteKeyParam bool
}

// headerValues returns every value of a header under any spelling PHP
// would fold into the same $_SERVER entry: case-insensitive, '-' and '_'
// alike (CGI/FastCGI turn both into HTTP_X_CIVI_AUTH). A client sending
// X_Civi_Auth beside X-Civi-Auth must not get one past us and the other to
// CiviCRM.
func headerValues(h http.Header, name string) []string {
	var out []string
	for k, vs := range h {
		if sameHeaderName(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}

// sameHeaderName reports whether header name k folds to folded (a name
// already lowercased with '-'): case-insensitive, '_' and '.' alike '-', as
// PHP's $_SERVER registration folds them all into '_'. It runs for every
// header of every request, so it compares in place.
func sameHeaderName(k, folded string) bool {
	if len(k) != len(folded) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_' || c == '.':
			c = '-'
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if c != folded[i] {
			return false
		}
	}
	return true
}

// oneValue reduces the values of one header (all spellings) to one.
// Distinct non-empty values are ambiguous.
func oneValue(vals []string) (string, bool) {
	v := ""
	for _, x := range vals {
		if x == "" {
			continue
		}
		if v != "" && subtle.ConstantTimeCompare([]byte(v), []byte(x)) != 1 {
			return "", false
		}
		v = x
	}
	return v, true
}

func ambiguous(detail string) *Rejection {
	return &Rejection{Reason: ReasonAmbiguous, Message: MsgAmbiguous, BearerError: "invalid_request", Detail: detail}
}

func oversized(flow string) *Rejection {
	r := invalidCredential("credential larger than MaxTokenBytes")
	r.Flow = flow
	return r
}

// extract collects the request's credentials. h may be nil, then the header
// values in call.Credentials are used (as the translate parser saw them).
func extract(call *translate.Call, h http.Header) (creds, *Rejection) {
	var c creds
	cr := call.Credentials
	xAuth, auth, xKey := cr.XCiviAuth, cr.Authorization, cr.XCiviKey
	if h != nil {
		var ok1, ok2, ok3 bool
		xAuth, ok1 = oneValue(headerValues(h, "x-civi-auth"))
		auth, ok2 = oneValue(headerValues(h, "authorization"))
		xKey, ok3 = oneValue(headerValues(h, "x-civi-key"))
		if !ok1 || !ok2 || !ok3 {
			return c, ambiguous("one identity header sent with different values")
		}
	}
	legacyFlow := FlowLegacy
	if !call.Form.Legacy() {
		legacyFlow = FlowLegacyRest
	}
	// AuthX order (Authenticator.php): X-Civi-Auth, Authorization, _authx;
	// then the legacyrest listener's api_key.
	var all []presented
	if xAuth != "" {
		all = append(all, presented{FlowXHeader, xAuth})
	}
	if auth != "" {
		all = append(all, presented{FlowHeader, auth})
	}
	if cr.Authx != "" {
		all = append(all, presented{FlowParam, cr.Authx})
	}
	if cr.APIKey != "" {
		all = append(all, presented{legacyFlow, "Bearer " + cr.APIKey})
	}
	for i := range all {
		if len(all[i].raw) > MaxTokenBytes {
			return c, oversized(all[i].flow)
		}
		if i > 0 && subtle.ConstantTimeCompare([]byte(all[0].raw), []byte(all[i].raw)) != 1 {
			r := ambiguous("different credentials in " + all[0].flow + " and " + all[i].flow)
			r.Flow = all[0].flow
			return c, r
		}
	}
	if len(all) > 0 {
		c.cred = &all[0]
	}
	// Site key: legacy `key` (trimmed, as authenticateKey does), X-Civi-Key,
	// _authxSiteKey.
	var keys []string
	if k := strings.TrimSpace(cr.SiteKey); k != "" {
		keys = append(keys, k)
		c.siteKeyParam = true
	}
	if xKey != "" {
		keys = append(keys, xKey)
	}
	if cr.AuthxSiteKey != "" {
		keys = append(keys, cr.AuthxSiteKey)
	}
	for i, k := range keys {
		if len(k) > MaxTokenBytes {
			return c, &Rejection{Reason: ReasonSiteKey, Message: MsgGuard, Detail: detailSiteKeyWrong}
		}
		if i > 0 && subtle.ConstantTimeCompare([]byte(keys[0]), []byte(k)) != 1 {
			return c, ambiguous("different site keys")
		}
	}
	if len(keys) > 0 {
		c.siteKey, c.siteKeySent = keys[0], true
	}
	return c, nil
}
