package tests

// Helpers of the attack 22 tests (policy and cache around APIv4 parameters
// CiviCRM reads outside `params`, Order's line items, `@user:` contact ids
// and APIv3's legacy case type name). Policy findings use attack 14's
// a14Check (controls first, then every case must be refused at the edge
// with nothing reaching CiviCRM).

// a22V4Index is an APIv4 single call with params= and index= in the form
// body (CRM_Api4_Page_AJAX::run: CRM_Utils_Request::retrieve('index',
// 'String') from $_REQUEST, passed to execute() and civicrm_api4()).
func a22V4Index(entity, action, params, index string) a10Req {
	return a10Req{method: "POST", pathQuery: "/civicrm/ajax/api4/" + entity + "/" + action, ctype: "application/x-www-form-urlencoded",
		body: a10Form("params", params, "index", index)}
}
