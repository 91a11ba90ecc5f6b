package authx

import (
	"slices"

	"github.com/civigate/civigate/translate"
)

// An Afform page token (FlowAfformPage) is a credential of a form, not of
// a contact: Afform mails it in a link to the form
// (civicrm/my-form?_aff=Bearer+<JWT>), the page hands it to its own API
// calls (PageTokenCredential::onInvoke's CRM.$.ajaxSetup header
// X-Civi-Auth-Afform; afForm's file uploads), and
// PageTokenCredential::afformPageToken accepts it only for a call
// checkAllowedRoute admits. On the API that is an APIv4 call
// (civicrm/ajax/api4/{Entity}/{action}, `params` JSON-decoded) that
// checkAllowedApi4Call finds in getAllowedApi4Calls: its entity and action
// (the regexes are anchored and case-sensitive), the keys of its params
// all among the call's fields (array_diff(array_keys($params), …): so no
// chain, no checkPermissions, no other spelling), and the form it names
// the token's (strict ===). Anything else is refused with
// afformPageToken's own "JWT specifies a different form or route", which
// CiviCRM answers with AuthX's 401.
//
// The edge admits a little less than CiviCRM, never more:
//   - the batch route (civicrm/ajax/api4 with calls=), which the current
//     checkAllowedApi4Calls admits when every call in it is admitted (an
//     earlier release admitted no batch), is refused: Afform's pages make
//     their calls one by one (crmApi4(entity, action, params), the
//     FileUploader's submitFile), and a batch member's arguments are bound
//     by call_user_func_array, not by the keys the listener reads
//     ($callDetails[0], [1], [2]), so the two need not agree;
//   - query parameters the page would merge into the params
//     (API4Call.Merged) are refused: the listener reads the JSON alone,
//     the page then adds every $_GET key the action declares (a chain
//     among them);
//   - on the APIv3 routes the token is no credential at all (extract):
//     checkAllowedRoute admits none (their route is no form's).
//
// The call is then authenticated as the token's contact and judged as any
// other (api4Gate's CSRF rule, which the afformpage flow does not pass
// without X-Requested-With, then the policy's rules), and the token goes
// upstream in X-Civi-Auth-Afform (UpstreamIdentity), where CiviCRM checks
// it again.

// pageTokenCall is one entry of getAllowedApi4Calls.
type pageTokenCall struct {
	// entity is the call's entity; "" stands for \w+, any entity.
	entity, action string
	// fields are allowFields: the params keys the call may have.
	fields []string
	// formParam is the param checkRequest compares with the token's form,
	// which must be the string formPrefix + the form.
	formParam, formPrefix string
}

// processorFields are AbstractProcessor's params, common to Afform's
// actions ($abstractProcessorParams).
var processorFields = []string{"name", "args", "fillMode"}

// searchDisplayFields are SearchDisplay.run's allowFields.
var searchDisplayFields = []string{"return", "savedSearch", "display", "sort", "limit", "seed", "filters", "afform"}

// pageTokenCalls is PageTokenCredential::getAllowedApi4Calls (civicrm-core
// ext/afform/core/Civi/Afform/PageTokenCredential.php): the union of its
// releases' lists, the later ones' longer autocomplete fields and
// SearchDisplay's actions included. Where a release admits less, CiviCRM
// refuses the token itself.
var pageTokenCalls = [...]pageTokenCall{
	{entity: "Afform", action: "prefill", fields: processorFields, formParam: "name"},
	{entity: "Afform", action: "submit", fields: slices.Concat(processorFields, []string{"values"}), formParam: "name"},
	{entity: "Afform", action: "submitFile", formParam: "name",
		fields: slices.Concat(processorFields, []string{"token", "modelName", "fieldName", "joinEntity", "entityIndex", "joinIndex"})},
	{action: "autocomplete", formParam: "formName", formPrefix: "afform:",
		fields: []string{"fieldName", "filters", "formName", "ids", "input", "page", "values", "searchField", "key", "exclude", "quickEdit"}},
	{entity: "SearchDisplay", action: "run", fields: searchDisplayFields, formParam: "afform"},
	{entity: "SearchDisplay", action: "inlineEdit", formParam: "afform",
		fields: slices.Concat(searchDisplayFields, []string{"rowKey", "values"})},
}

// msgPageTokenReach is afformPageToken's refusal of a token for another
// form or route.
const msgPageTokenReach = "JWT specifies a different form or route"

// pageTokenReach refuses a call an Afform page token for form does not
// admit (see the top of this file); nil: it does. call's params are
// decoded.
func pageTokenReach(call *translate.Call, form string) *Rejection {
	refuse := func(detail string) *Rejection {
		return &Rejection{Reason: ReasonInvalid, Message: msgPageTokenReach, BearerError: "invalid_token", Flow: FlowAfformPage,
			Detail: "Afform page token: " + detail}
	}
	a := call.API4
	switch {
	case a == nil:
		return refuse("not an APIv4 call")
	case a.Batch:
		return refuse("a batch (calls=)")
	case len(a.Merged) > 0:
		return refuse("query parameters merged into params")
	case call.Refusal != nil || a.Params == nil || a.Params.Len() == 0:
		// checkAllowedRoute: empty($parsed) is "Malformed request".
		return refuse("params missing or not a JSON object")
	}
	for i := range pageTokenCalls {
		c := &pageTokenCalls[i]
		if a.Action != c.action || c.entity != "" && a.Entity != c.entity {
			continue
		}
		for _, k := range a.Params.Keys() {
			if !slices.Contains(c.fields, k) {
				return refuse("params outside the call's fields")
			}
		}
		if v, _ := a.Params.Get(c.formParam); v != c.formPrefix+form {
			return refuse("another form")
		}
		return nil
	}
	return refuse("an entity or action the token does not cover")
}
