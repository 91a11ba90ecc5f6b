package translate

import "strings"

// The parameter names that turn CiviCRM's permission checks off. REST
// forces them on for the calls a client names at the top level (process()
// sets check_permissions = TRUE on every APIv3 call and batch member; the
// APIv4 page sets checkPermissions = TRUE on its call and on every batch
// member), but some calls CiviCRM makes on a client's behalf take the
// client's value instead. The walker reports such a call with
// Subcall.ChecksOff set to the parameter as the client spelled it.
const (
	CheckPermissionsV3 = "check_permissions"
	CheckPermissionsV4 = "checkPermissions"
)

// v3ChecksOff: an APIv3 call whose params CiviCRM takes as they are (the
// client's value wins) runs unchecked when check_permissions is present
// and empty() (PermissionCheck::onApiAuthorize: `empty(...) or ... ==
// FALSE`; null counts, as array_merge puts it in place of TRUE). PHP array
// keys are case-sensitive, so only the exact name does it.
func v3ChecksOff(params *Array) string {
	if v, ok := params.Get(CheckPermissionsV3); ok && PHPEmpty(v) {
		return CheckPermissionsV3
	}
	return ""
}

// v4ChecksOff: Request::create calls 'set'.ucfirst($key) for every key,
// and PHP method names ignore case, so any key that lower-cases to
// checkpermissions reaches setCheckPermissions(bool). Where CiviCRM
// overwrites $params['checkPermissions'] (the APIv4 page for its call and
// batch members, handleChains, Api4EntitySetQuery's sets, SearchKit's
// api_params), the exact key keeps its place in the array with CiviCRM's
// value, and a key in another case after it is set later: the last one
// decides on releases that do not strip such keys (6.x strips them on the
// page and in chains; the 5.x sources do not). A key before the exact
// one, or without one, is overwritten by CiviCRM's value, set after it.
// PHP's bool coercion makes false, 0, 0.0, "" and "0" FALSE; null and
// arrays are a TypeError, and then nothing runs.
func v4ChecksOff(params *Array) string {
	exactSeen, off := false, ""
	for i := 0; i < params.Len(); i++ {
		k := params.Key(i)
		if !strings.EqualFold(k, CheckPermissionsV4) {
			continue
		}
		switch v := params.Value(i); {
		case k == CheckPermissionsV4:
			exactSeen = true // CiviCRM's value goes here
		case v == nil || isArray(v):
			return "" // a TypeError: nothing runs
		case exactSeen && PHPEmpty(v):
			off = k
		case exactSeen:
			off = ""
		}
	}
	return off
}
