package translate

// What a Case call makes CiviCRM write whatever fields the client names,
// for either API. Each write is the call's own doing (joinScan.startedWrite,
// as the default source contact of a new APIv3 activity is): a deny rule
// on the entity refuses the call, an allow rule naming the call admits it.
// The cache sees these writes through the walk too (cache.WriteTargets):
// its sideWrites table lists only what a case's delete writes.
//
// A case type's timeline, CRM_Case_XMLProcessor_Process::run:
//
//   - a new case, through either API: APIv3's civicrm_api3_case_create
//     (!isset($params['id']), after _civicrm_api3_swap_out_aliases copied
//     case_id there) runs _civicrm_api3_case_create_xmlProcessor, and
//     APIv4's CiviCaseSaveTrait::writeObjects (Case create and save, and
//     replace, which saves its records) runs openCase for each record
//     without an id, both with activityTypeName 'Open Case' and
//     standardTimeline, and creator_id the caller's by default (APIv3's
//     api.default user_contact_id, APIv4's CaseCreationSpecProvider):
//     process() creates the creator's case roles (createRelationships: a
//     Relationship per client) and createActivity() saves each activity
//     of the standard timeline (CRM_Activity_BAO_Activity::create: the
//     Activity and its ActivityContact rows, the creator its source, the
//     clients its targets) and links it to the case (CaseActivity);
//   - APIv3's civicrm_api3_case_addtimeline: the same processor for the
//     activity set `timeline` names, activities only (no roles: not
//     'Open Case').
//
// APIv3's Case.merge (civicrm_api3_case_merge) runs
// CRM_Case_BAO_Case::mergeCases on the two cases' first clients: the
// function an APIv3 edit naming a client the case does not have runs, so
// it writes what fieldWriteTable's Case contact_id rows list for such an
// edit (v3CaseMerge). APIv4 has no merge of cases (CiviCase declares
// create, save and update over DAOEntity's actions).

// Timelines the processor runs (caseTimelineWrites' keys).
const (
	openCaseTimeline = "Open Case"    // standardTimeline, activityTypeName 'Open Case'
	activitySet      = "activity set" // activitySetName
)

// caseTimelineWrites are the entities each timeline creates.
var caseTimelineWrites = map[string][]string{
	openCaseTimeline: {"Activity", "ActivityContact", "CaseActivity", "Relationship"},
	activitySet:      {"Activity", "ActivityContact", "CaseActivity"},
}

// caseWrites reports what sc's Case call writes whatever its fields: a
// timeline (caseTimelineWrites) or a merge (v3CaseMerge).
func (w *walker) caseWrites(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown || !SameEntity(sc.Entity, "Case") {
		return true // a dynamic call is matched by every deny rule already
	}
	s := &joinScan{w: w, parent: sc, ok: true, v3: sc.Version == 3}
	if sc.Version == 3 && sc.Action == "merge" {
		return v3CaseMerge(s)
	}
	for _, e := range caseTimelineWrites[caseTimeline(sc)] {
		if !s.startedWrite(e, false, "create") {
			return false
		}
	}
	return s.ok
}

// caseTimeline is the timeline sc runs, "" for none.
func caseTimeline(sc Subcall) string {
	if sc.Version == 3 {
		switch sc.Action {
		case "create":
			if isset(sc.Params, nil, "id") || isset(sc.Params, nil, v3IDKey(sc.Entity)) {
				return "" // an edit
			}
			return openCaseTimeline
		case "addtimeline":
			return activitySet
		}
		return ""
	}
	// APIv4: writeObjects opens each record empty($case['id']) calls new,
	// as a save creates one (v4SaveKinds); a create's record is its values.
	var records, defaults *Array
	switch NormalAction(sc.Action) {
	case "create":
		records = NewArray()
		if v, ok := sc.Params.Get("values"); ok {
			records.Set("0", v)
		} else {
			records.Set("0", NewArray()) // $values = []
		}
	case "save":
		records, _ = arrayParam(sc.Params, "records")
		defaults, _ = arrayParam(sc.Params, "defaults")
	case "replace":
		records, _ = arrayParam(sc.Params, "records")
		defaults = v4ReplaceDefaults(sc.Params)
	default:
		return ""
	}
	if creates, _ := v4SaveKinds(sc, records, defaults); creates {
		return openCaseTimeline
	}
	return ""
}

// v3CaseMerge reports what APIv3 Case.merge writes: mergeCases, as an
// edit naming a new client runs it (fieldWriteTable's Case contact_id
// rows, an edit's writes), whatever the client names.
func v3CaseMerge(s *joinScan) bool {
	s.fieldWrites("Case", 3, func(fieldWrite) bool { return false },
		func(field string) bool { return field == "contact_id" }, true)
	return s.ok
}
