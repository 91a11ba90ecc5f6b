package tests

import "testing"

// APIv3 LocBlock.get with a return reads the location records it names:
// civicrm_api3_loc_block_get (api/v3/LocBlock.php), when options.return is
// set, runs civicrm_api($item, 'getsingle', ['id' => $val[$key . '_id']])
// for each of address, email, phone, im (and _2) that the return names, or
// all of them for return "all", and puts the record in the answer. So an
// event location's e-mail or address edited through the API changes the
// cached LocBlock.get answer; Civigate keeps serving it.
func TestA15LocBlockGetReturnsItsLocations(t *testing.T) {
	why := "civicrm_api3_loc_block_get (api/v3/LocBlock.php) answers, for a return of 'all' or of address, email, " +
		"phone, im (and _2), each linked record read by civicrm_api('<item>', 'getsingle', ...), so a write of " +
		"that record changes the answer"
	a15MustInvalidate(t, []a15Case{
		{read: a10bCall{3, "LocBlock", "get", `{"id":1,"return":"all"}`},
			write: a10bCall{3, "Email", "create", `{"id":9,"email":"newvenue@example.org"}`}, why: why},
		{read: a10bCall{3, "LocBlock", "get", `{"id":1,"return":["address"]}`},
			write: a10bCall{4, "Address", "update", `{"where":[["id","=",9]],"values":{"city":"Shelbyville"}}`}, why: why},
		{read: a10bCall{3, "LocBlock", "get", `{"id":1,"return":"phone,email_2"}`},
			write: a10bCall{4, "Phone", "save", `{"records":[{"id":4,"phone":"555-0199"}]}`}, why: why},
	})
}
