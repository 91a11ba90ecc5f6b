package authx

import (
	"crypto/subtle"
	"encoding/base64"
	"net/http"
	"strings"

	"github.com/civigate/civigate/translate"
)

// presented is one credential a request carried and where.
type presented struct {
	flow string
	raw  string // "<Scheme> <value>" as AuthX sees it
}

// siteKeyInput is a site key as CiviCRM reads it for one flow; sent means
// it is not empty.
type siteKeyInput struct {
	value string
	sent  bool
}

func siteKeyOf(v string) siteKeyInput { return siteKeyInput{v, v != ""} }

// creds is everything a request presented, read where and as CiviCRM reads
// it for the request's endpoint form.
type creds struct {
	// cred is the credential CiviCRM checks first (AuthX's order); nil:
	// none.
	cred *presented
	// legacyRest: on a modern form, AuthX's legacyrest listener runs too
	// (key or api_key not empty), after any flow in cred.
	legacyRest bool
	// authxKey is the site key AuthX's own flows (xheader, header, param)
	// compare: X-Civi-Key, or _authxSiteKey when no X-Civi-Key header is
	// sent at all. restKey is `key`: the legacyrest flow's site key as is,
	// extern/rest.php's and WordPress's after PHP's trim().
	authxKey, restKey siteKeyInput
	// siteKey is the one site key the request sent (siteKeySent), wherever
	// it sent it; two different ones are refused as ambiguous.
	siteKey     string
	siteKeySent bool
}

// siteKeyGap returns the first flow CiviCRM will run for the request
// whose own site key input is not one for which right holds, so that its
// site_key guard fails and only its perm guard can pass; "" if there is
// none. On the legacy forms that input is `key`.
func (c creds) siteKeyGap(legacy bool, right func(siteKeyInput) bool) string {
	switch {
	case legacy:
		if !right(c.restKey) {
			return FlowLegacy
		}
	case c.cred != nil && c.cred.flow != FlowLegacyRest && !right(c.authxKey):
		return c.cred.flow
	case c.legacyRest && !right(c.restKey):
		return FlowLegacyRest
	}
	return ""
}

// headerValues returns every value of a header under any spelling PHP
// would fold into the same $_SERVER entry: case-insensitive, '-' and '_'
// alike (CGI/FastCGI turn both into HTTP_X_CIVI_AUTH). A client sending
// X_Civi_Auth beside X-Civi-Auth must not get one past us and the other to
// CiviCRM.
func headerValues(h http.Header, name string) []string {
	var out []string
	for k, vs := range h {
		if SameHeaderName(k, name) {
			out = append(out, vs...)
		}
	}
	return out
}

// SameHeaderName reports whether header name k folds to folded (a name
// already lowercased with '-'): case-insensitive, '_' and '.' alike '-', as
// PHP's $_SERVER registration folds them all into '_'. The one rule for
// every header Civigate judges by the name PHP sees. It runs for every
// header of every request, so it compares in place.
func SameHeaderName(k, folded string) bool {
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

// extract collects the request's credentials the way CiviCRM reads them
// for the call's endpoint form. h may be nil, then the header values in
// call.Credentials are used (as the translate parser saw them).
//
// Legacy forms (extern/rest.php, WordPress REST) read only `key` (after
// trim()) and `api_key`; an empty() one is missing. AuthX never runs there,
// so its headers and parameters are not credentials on those forms.
//
// Modern forms (civicrm/ajax/rest, APIv4) run AuthX: the first of
// X-Civi-Auth, Authorization, _authx that is not empty() (xheader, header,
// param), then the legacyrest listener when key or api_key is not empty(),
// with the credential "Bearer <api_key>" (so `key` alone makes the empty
// "Bearer "). Every credential is taken as sent, and all of them must be
// the same; the site key of each flow is read as CiviCRM reads it.
func extract(call *translate.Call, h http.Header) (creds, *Rejection) {
	var c creds
	cr := call.Credentials
	if call.Form == translate.FormCron {
		return extractCron(cr)
	}
	if call.Form.Legacy() {
		if !phpEmpty(cr.APIKey) {
			c.cred = &presented{FlowLegacy, "Bearer " + cr.APIKey}
			if len(c.cred.raw) > MaxTokenBytes {
				return c, oversized(FlowLegacy)
			}
		}
		if k := phpTrim(cr.SiteKey); !phpEmpty(k) {
			c.restKey = siteKeyOf(k)
		} else if call.Form == translate.FormWPRest && cr.SiteKeyArg {
			// WordPress validates its key argument (set in a JSON body,
			// or empty) by authenticateKey(), on $_REQUEST's key, which
			// is empty: refused as a wrong key (400 rest_invalid_param),
			// not as a missing one (permissions_check's 403).
			c.restKey = siteKeyInput{sent: true}
		}
		return c, c.oneSiteKey(c.restKey)
	}
	xAuth, auth, xKey := cr.XCiviAuth, cr.Authorization, cr.XCiviKey
	xKeyPresent := xKey != ""
	if h != nil {
		var ok1, ok2, ok3 bool
		xAuth, ok1 = oneValue(headerValues(h, "x-civi-auth"))
		auth, ok2 = oneValue(headerValues(h, "authorization"))
		keys := headerValues(h, "x-civi-key")
		xKey, ok3 = oneValue(keys)
		xKeyPresent = len(keys) > 0
		if !ok1 || !ok2 || !ok3 {
			return c, ambiguous("one identity header sent with different values")
		}
	}
	legacyRest := !phpEmpty(cr.APIKey) || !phpEmpty(cr.SiteKey)
	// AuthX (6.13+, passwords not allowed on the header flow, the default)
	// skips an Authorization: Basic or Digest header, which is often the web
	// server's own (basic_auth on a staging site): it is a credential here
	// only when the request carries no other. On APIv4 and AuthX's own
	// routes it is never one (api4.go): Civigate's Basic support is for
	// APIv3's clients.
	if scheme, _, _ := strings.Cut(auth, " "); (scheme == "Basic" || scheme == "Digest") &&
		(!phpEmpty(xAuth) || !phpEmpty(cr.Authx) || legacyRest || call.Form.AsSent()) {
		auth = ""
	}
	// Authenticator.php: X-Civi-Auth, Authorization, _authx, each only when
	// not empty(); then LegacyRestAuthenticator.
	var all []presented
	switch {
	case !phpEmpty(xAuth):
		all = append(all, presented{FlowXHeader, xAuth})
	case !phpEmpty(auth):
		all = append(all, presented{FlowHeader, auth})
	case !phpEmpty(cr.Authx):
		all = append(all, presented{FlowParam, cr.Authx})
	}
	// AuthX looks at the first of them only; a request that carries others
	// besides is refused if they differ, rather than guessing which the
	// client meant.
	for _, other := range [...]presented{{FlowHeader, auth}, {FlowParam, cr.Authx}} {
		if len(all) > 0 && all[0].flow != other.flow && !phpEmpty(other.raw) {
			all = append(all, other)
		}
	}
	if legacyRest {
		c.legacyRest = true
		all = append(all, presented{FlowLegacyRest, "Bearer " + cr.APIKey})
	}
	if call.Form.AuthxOnly() || call.Form == translate.FormAPI4 {
		// Afform's page token, which PageTokenCredential::onInvoke takes
		// on every page before AuthX's listener runs, and on APIv4 calls,
		// which its afformPageToken admits for the token's form
		// (pageTokenReach). Beside an AuthX credential the two would log
		// in two contacts: refused. On the APIv3 routes its
		// checkAllowedRoute admits nothing (no form's route is theirs):
		// there the token is no credential of the edge's, and is never
		// sent on (translate.CredentialParams, IdentityHeaders).
		tok, rej := afformToken(cr.AfformToken, h)
		switch {
		case rej != nil:
			return c, rej
		case tok != "" && len(all) > 0:
			r := ambiguous("an Afform page token beside an AuthX credential in " + all[0].flow)
			r.Flow = all[0].flow
			return c, r
		case tok != "":
			all = append(all, presented{FlowAfformPage, tok})
		}
	}
	for i := range all {
		if len(all[i].raw) > MaxTokenBytes {
			return c, oversized(all[i].flow)
		}
		if i > 0 && subtle.ConstantTimeCompare([]byte(all[0].raw), []byte(all[i].raw)) != 1 {
			r := ambiguous("different credentials in " + all[0].flow + " and " + all[i].flow)
			r.Flow = all[0].flow
			r.legacyRestConflict = all[i].flow == FlowLegacyRest
			return c, r
		}
	}
	if len(all) > 0 {
		c.cred = &all[0]
	}
	// $_SERVER['HTTP_X_CIVI_KEY'] ?? $params['_authxSiteKey']: a sent
	// X-Civi-Key, even empty, hides _authxSiteKey.
	c.authxKey = siteKeyOf(cr.AuthxSiteKey)
	if xKeyPresent {
		c.authxKey = siteKeyOf(xKey)
	}
	// `key` is read only by the legacyrest listener: key=0 alone is no
	// site key at all.
	if legacyRest {
		c.restKey = siteKeyOf(cr.SiteKey)
	}
	return c, c.oneSiteKey(siteKeyOf(xKey), siteKeyOf(cr.AuthxSiteKey), c.restKey)
}

// oneSiteKey records the site key the request sent: every one sent must be
// the same.
func (c *creds) oneSiteKey(inputs ...siteKeyInput) *Rejection {
	for _, k := range inputs {
		if !k.sent {
			continue
		}
		if len(k.value) > MaxTokenBytes {
			return &Rejection{Reason: ReasonSiteKey, Message: MsgGuard, Detail: detailSiteKeyWrong}
		}
		if c.siteKeySent && subtle.ConstantTimeCompare([]byte(c.siteKey), []byte(k.value)) != 1 {
			return ambiguous("different site keys")
		}
		c.siteKey, c.siteKeySent = k.value, true
	}
	return nil
}

// afformToken is Afform's page token as PageTokenCredential::onInvoke reads
// it: $_SERVER['HTTP_X_CIVI_AUTH_AFFORM'] ?? $_REQUEST['_aff'] (param, as
// translate.AuthxCredentials gathered it), then nothing when empty(). A
// header that is set hides _aff even when empty; the edge takes every
// non-empty one sent, and refuses two that differ rather than guess.
func afformToken(param string, h http.Header) (string, *Rejection) {
	tok := ""
	if h != nil {
		v, ok := oneValue(headerValues(h, "x-civi-auth-afform"))
		if !ok {
			return "", ambiguous("X-Civi-Auth-Afform sent with different values")
		}
		tok = v
	}
	if phpEmpty(tok) {
		tok = ""
	}
	if !phpEmpty(param) {
		if tok != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(param)) != 1 {
			return "", ambiguous("different Afform page tokens in X-Civi-Auth-Afform and _aff")
		}
		tok = param
	}
	return tok, nil
}

// extractCron reads bin/cron.php's credentials as
// CRM_Utils_System::authenticateScript does: name and pass trimmed, no
// credential when the name is empty (!$name: "" and "0"), an empty pass
// allowed; the site key trimmed, missing when !$key. The password is
// checked as AuthX checks one (CheckCredential::basicUser: the CMS's
// password check, which CRM_Utils_System::authenticate makes too): a
// Basic credential of user:password.
func extractCron(cr translate.Credentials) (creds, *Rejection) {
	var c creds
	if name := phpTrim(cr.User); !phpEmpty(name) {
		raw := "Basic " + base64.StdEncoding.EncodeToString([]byte(name+":"+phpTrim(cr.Password)))
		if len(raw) > MaxTokenBytes {
			return c, oversized(FlowCron)
		}
		c.cred = &presented{FlowCron, raw}
	}
	if k := phpTrim(cr.SiteKey); !phpEmpty(k) {
		c.restKey = siteKeyOf(k)
	}
	return c, c.oneSiteKey(c.restKey)
}
