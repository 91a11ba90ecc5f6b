package translate

// APIv3 runs a case type's timeline (CRM_Case_XMLProcessor_Process::run)
// whatever fields the client names:
//
//   - civicrm_api3_case_create, for a new case (!isset($params['id']),
//     after _civicrm_api3_swap_out_aliases copied case_id there):
//     _civicrm_api3_case_create_xmlProcessor with activityTypeName
//     'Open Case' and standardTimeline, whose process() creates the
//     creator's case roles (createRelationships: a Relationship per
//     client) and whose createActivity() saves each activity of the
//     standard timeline (CRM_Activity_BAO_Activity::create: the Activity
//     and its ActivityContact rows, the creator its source, the clients
//     its targets) and links it to the case (CaseActivity);
//   - civicrm_api3_case_addtimeline: the same processor for the activity
//     set `timeline` names, activities only (no roles: not 'Open Case').
//
// Each write is the call's own doing (joinScan.startedWrite, as the
// default source contact of a new APIv3 activity is): a deny rule on the
// entity refuses the call, an allow rule naming the call admits it.
var caseTimelineWrites = map[string][]string{
	"create":      {"Activity", "ActivityContact", "CaseActivity", "Relationship"},
	"addtimeline": {"Activity", "ActivityContact", "CaseActivity"},
}

// v3CaseTimeline reports the timeline writes of an APIv3 Case.create of a
// new case or Case.addtimeline.
func (w *walker) v3CaseTimeline(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown || !SameEntity(sc.Entity, "Case") {
		return true
	}
	writes := caseTimelineWrites[sc.Action]
	if sc.Action == "create" && (isset(sc.Params, nil, "id") || isset(sc.Params, nil, v3IDKey(sc.Entity))) {
		return true // an edit: no timeline
	}
	s := &joinScan{w: w, parent: sc, ok: true, v3: true}
	for _, e := range writes {
		if !s.startedWrite(e, false, "create") {
			return false
		}
	}
	return s.ok
}
