package translate

import (
	"net/http"
	"slices"
)

// API3Methods are the methods Civigate lets through to CiviCRM's APIv3
// pages (extern/rest.php, civicrm/ajax/rest and their CMS URLs): OPTIONS is
// answered at the edge (API3MethodReply).
//
// CRM_Utils_REST::process() refuses a write only when
// $_SERVER['REQUEST_METHOD'] == 'GET', compared exactly: HEAD, PUT,
// PATCH, DELETE, OPTIONS, TRACE or a lower-case "get" with the call in the
// query would run a write, and OPTIONS also skips ajax()'s CSRF check
// (5.72+). So only GET, HEAD and POST, spelled so, go on; HEAD goes
// upstream as GET (UpstreamMethod), so CiviCRM's GET rule holds for it
// and the edge applies the same rule to it (processCall).
const API3Methods = "GET, HEAD, POST, OPTIONS"

// wpRestMethods are the methods WordPress serves civicrm/v3/rest with: the
// route takes WP_REST_Server::ALLMETHODS, HEAD is dispatched as GET, and
// WP_REST_Request upper-cases the method it is given. WordPress answers
// OPTIONS itself, from the route's description, without running its
// callback.
var wpRestMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// API3MethodReply is the edge's answer to an APIv3 call whose method must
// not reach CiviCRM: 204 for OPTIONS (send Allow: API3Methods), nothing
// run; on the APIv3 pages a 405 APIv3 error in the client's format, on
// WordPress REST WordPress's own 404 rest_no_route. nil: it may go on
// (WordPress REST's OPTIONS too, which WPOptionsReply answers after
// authentication, as WordPress does after the plugin's login).
func API3MethodReply(call *Call) *Reply {
	m := call.Method
	if call.Form == FormWPRest {
		// _method or X-HTTP-Method-Override, if given. OPTIONS goes on:
		// answered once the caller is known (WPOptionsReply).
		up := call.wpMethod()
		switch {
		case up == http.MethodOptions:
			return nil
		case !slices.Contains(wpRestMethods, up):
			r := WPErrorReply(call, http.StatusNotFound, "rest_no_route",
				"No route was found matching the URL and request method.", WPStatusData(http.StatusNotFound))
			return &r
		}
		return nil
	}
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost:
		return nil
	case http.MethodOptions:
		return &Reply{Status: http.StatusNoContent}
	}
	r := ErrorReply(call, http.StatusMethodNotAllowed, APIError("Civigate: the APIv3 API takes GET and POST only, not "+m))
	return &r
}

// UpstreamMethod is the method an APIv3 call goes to civicrm/ajax/rest
// with, of those API3MethodReply lets through: HEAD as GET, so that
// CiviCRM's destructive-GET rule, which compares the method with "GET",
// holds for it (the client still gets no body: the server drops it).
func UpstreamMethod(method string) string {
	if method == http.MethodHead || method == "" {
		return http.MethodGet
	}
	return method
}
