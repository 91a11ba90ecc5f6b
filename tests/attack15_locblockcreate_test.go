package tests

import "testing"

// APIv3 LocBlock.create creates the location records it is given inline:
// civicrm_api3_loc_block_create (api/v3/LocBlock.php) calls
// civicrm_api3($item, 'create', $info) for each of address, email, phone
// and im (and their _2 forms) that is an array of more than an id, "basically
// chaining but in reverse", before it saves the loc block. So the write adds
// Address, Email, Phone and IM rows (an event's location: contact_id null),
// and cached reads of those entities (an Email.get listing, a count) are
// stale. Civigate treats the call as a write of LocBlock alone.
func TestA15LocBlockCreateWritesItsLocations(t *testing.T) {
	why := "civicrm_api3_loc_block_create (api/v3/LocBlock.php) runs civicrm_api3('<item>', 'create', $info) " +
		"for each of address, email, phone, im, address_2, email_2, phone_2, im_2 given as an array, so the " +
		"LocBlock write adds rows of those entities"
	a15MustInvalidate(t, []a15Case{
		{read: a10bCall{3, "Email", "get", `{"contact_id":{"IS NULL":1}}`},
			write: a10bCall{3, "LocBlock", "create", `{"email":{"email":"venue@example.org","location_type_id":1}}`}, why: why},
		{read: a10bCall{4, "Address", "get", `{"select":["street_address","city"],"where":[["contact_id","IS NULL"]]}`},
			write: a10bCall{3, "LocBlock", "create", `{"address":{"street_address":"1 Main St","city":"Springfield","location_type_id":1}}`}, why: why},
		{read: a10bCall{3, "Phone", "getcount", `{}`},
			write: a10bCall{3, "LocBlock", "create", `{"phone_2":{"phone":"555-0100","location_type_id":1}}`}, why: why},
		{read: a10bCall{4, "IM", "get", `{}`},
			write: a10bCall{3, "LocBlock", "create", `{"im":{"name":"venue","provider_id":1,"location_type_id":1}}`}, why: why},
	})
}
