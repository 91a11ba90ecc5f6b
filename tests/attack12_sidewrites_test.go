package tests

import "testing"

// TestA12ParticipantFeeLevelUniqueNameInvalidatesLineItems: APIv3's
// Participant.create without a price set writes the registration's line
// item from fee_level (api/v3/Participant.php,
// _civicrm_api3_participant_createlineitem), which Civigate knows ("a
// Participant's … APIv3's fee_level (a LineItem)"). But APIv3 reads a
// field under its unique name too: the schema adapter's
// _civicrm_api3_swap_out_aliases copies params[uniqueName] to
// params[name] before the API function runs, and fee_level's unique name
// is participant_fee_level (as Participant.get answers it). So a create
// naming participant_fee_level writes the same line item, and Civigate
// keeps serving the cached LineItem reads from before it.
func TestA12ParticipantFeeLevelUniqueNameInvalidatesLineItems(t *testing.T) {
	control := a10bCall{3, "Participant", "create", `{"event_id":1,"contact_id":2,"fee_level":"Standard"}`}
	write := a10bCall{3, "Participant", "create", `{"event_id":1,"contact_id":2,"participant_fee_level":"Standard"}`}
	read := a10bCall{3, "LineItem", "get", `{"entity_table":"civicrm_participant"}`}
	sim, u, inst := a10bSetup(t)
	if stale := a10bStaleAfter(t, sim, u, inst, read, control); stale != "" {
		t.Fatalf("precondition (fee_level invalidates LineItem): %s", stale)
	}
	sim, u, inst = a10bSetup(t)
	if stale := a10bStaleAfter(t, sim, u, inst, read, write); stale != "" {
		t.Error(stale)
	}
}
