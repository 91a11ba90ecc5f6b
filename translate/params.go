package translate

// MergeRequest is CRM_Utils_Request::exportValues(): array_merge($_GET, $_POST).
// OWNER: translate-parse helper (stub).
func MergeRequest(get, post *Array) *Array {
	panic("MergeRequest: not implemented yet")
}

// BuildParamList is CRM_Utils_REST::buildParamList() over the merged request:
// reserved keys removed, json= decoded when it starts with '{', key-values on
// top, the return.<key> expansion. A non-nil Reply is CiviCRM's immediate
// answer (e.g. "Unable to decode supplied JSON.").
// OWNER: translate-parse helper (stub).
func BuildParamList(req *Array) (*Array, *Reply) {
	panic("BuildParamList: not implemented yet")
}
