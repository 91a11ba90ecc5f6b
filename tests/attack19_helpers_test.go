package tests

// Helpers of the attack 19 tests (policy: APIv4 reads under deny rules).
// Each finding is a deny policy and the calls it must refuse at the edge,
// checked with attack 14's a14Check (controls first, so a failure names
// what the edge misses and not a policy it does not apply at all).

// a19Batch is an APIv4 batch POST to civicrm/ajax/api4 with calls=, the
// form CRM_Api4_Page_AJAX::run reads when the path names no entity.
func a19Batch(calls string) a10Req {
	return a10Req{method: "POST", pathQuery: "/civicrm/ajax/api4", ctype: "application/x-www-form-urlencoded",
		body: a10Form("calls", calls)}
}
