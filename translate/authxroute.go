package translate

import "net/http"

// AuthxRouteCall is what the edge authenticates a request to one of
// AuthX's own routes (FormAuthx) as: a Call holding only the request's
// credentials, read where AuthX reads them on every route (the
// X-Civi-Auth, Authorization and X-Civi-Key headers; _authx and
// _authxSiteKey from the query on GET, from the form body otherwise). No
// key or api_key: AuthX's legacyrest flow runs on the API routes only.
// body is the request's, read by the caller, which sends the request on
// as it came; only the envelope's fields are parsed, by shape, as for any
// caller not yet authenticated.
func AuthxRouteCall(r *http.Request, route Route, body []byte, lim Limits) *Call {
	lim = lim.withDefaults()
	c := &Call{Form: FormAuthx, Method: r.Method, Action: route.Action, Params: NewArray(), limits: lim}
	c.Credentials = headerCredentials(r.Header)
	var src *Array
	if r.Method == http.MethodGet {
		src, _ = formFields(r.URL.RawQuery, false, lim)
	} else {
		src, _ = envelopeBody(r, FormAuthx, body, lim)
	}
	c.Credentials.Authx = src.String("_authx")
	c.Credentials.AuthxSiteKey = src.String("_authxSiteKey")
	return c
}

// headerCredentials are the identity headers a request carried, as sent.
func headerCredentials(h http.Header) Credentials {
	return Credentials{Authorization: h.Get("Authorization"), XCiviAuth: h.Get("X-Civi-Auth"), XCiviKey: h.Get("X-Civi-Key")}
}
