package tests

// Attack 22, policy: APIv3 Case.create's legacy case_type names a case type.
//
// civicrm_api3_case_create (api/v3/Case.php) starts with
// _civicrm_api3_case_format_params: when case_type_id is empty and
// case_type is given, it looks the name up in
// CRM_Case_PseudoConstant::caseType('name') (array_search), then, the
// deprecated way, in the case types' titles, and sets case_type_id (and
// case_type to the type's name, which the Open Case timeline,
// _civicrm_api3_case_create_xmlProcessor, runs). That is a read of the
// civicrm_case_type rows by name or title, on a new case and on an edit
// (format_params returns early only when both keys are empty), and an
// oracle on which case types exist. Civigate refuses the same lookup under
// deny { entity CaseType } when the name is given as case_type_id
// (_civicrm_api3_api_match_pseudoconstant), but not under case_type.

import "testing"

func TestA22V3CaseTypeNameReadsCaseType(t *testing.T) {
	why := "civicrm_api3_case_create -> _civicrm_api3_case_format_params: case_type_id = array_search($params['case_type'], CRM_Case_PseudoConstant::caseType('name')), or by title: a read of the case types"
	a14Check(t, a14Policy{
		lines: a17Deny("CaseType"),
		controls: []a11aCase{
			{"case_type_id by name", a10V3("Case", "create", `{"contact_id":3,"case_type_id":"housing_support","subject":"x"}`), "the same lookup under case_type_id"},
		},
		cases: []a11aCase{
			{"create with case_type name", a10V3("Case", "create", `{"contact_id":3,"case_type":"housing_support","subject":"x"}`), why},
			{"create with case_type title", a10V3("Case", "create", `{"contact_id":3,"case_type":"Housing Support","subject":"x"}`), why + " (the deprecated lookup by title)"},
			{"edit with case_type", a10V3("Case", "create", `{"id":1,"case_type":"housing_support"}`), why + " (an edit: format_params runs whenever case_type is given)"},
			{"chained Case.create with case_type", a10V3("Contact", "get", `{"id":3,"api.Case.create":{"contact_id":"$value.id","case_type":"housing_support","subject":"x"}}`), why + " (chained)"},
		},
	})
}
