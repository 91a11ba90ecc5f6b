package tests

import "testing"

// TestA18ActivityGetlistShowsRecurrence: APIv3 Activity.getlist shows each
// repeating activity's place in its series, "(2 of 5)"
// (_civicrm_api3_activity_getlist_output: CRM_Core_BAO_RecurringEntity::
// getPositionAndCount(id, 'civicrm_activity') read from
// civicrm_recurring_entity, as suffix and extra.is_recur). The README has
// Event.getlist's "(2 of 5)" invalidated by RecurringEntity writes, but not
// Activity.getlist's: a RecurringEntity write leaves a cached
// Activity.getlist served with the old series.
func TestA18ActivityGetlistShowsRecurrence(t *testing.T) {
	why := "_civicrm_api3_activity_getlist_output reads CRM_Core_BAO_RecurringEntity::getPositionAndCount for every row"
	controls := []a15Case{{read: a10bCall{3, "Event", "getlist", `{}`}, write: a10bCall{4, "RecurringEntity", "create", `{"values":{"parent_id":1,"entity_id":2,"entity_table":"civicrm_event"}}`}}}
	cases := []a15Case{
		{read: a10bCall{3, "Activity", "getlist", `{}`}, write: a10bCall{4, "RecurringEntity", "create", `{"values":{"parent_id":1,"entity_id":2,"entity_table":"civicrm_activity"}}`}, why: why},
		{read: a10bCall{3, "Activity", "getlist", `{"input":"Call"}`}, write: a10bCall{3, "RecurringEntity", "delete", `{"id":4}`}, why: why},
	}
	a18MustInvalidate(t, controls, cases)
}
