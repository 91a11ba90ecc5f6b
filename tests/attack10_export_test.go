package tests

import "testing"

// TestAttack10ManagedEntityExportRunsGet: APIv4's export and revert
// actions (Civi/Api4/Generic/Traits/ManagedEntity.php, on every managed
// entity: SavedSearch, SearchDisplay, CustomGroup, CustomField,
// OptionGroup, OptionValue, Navigation, Job, UFGroup…) run the entity's
// get. ExportAction::exportRecord (Civi/Api4/Generic/ExportAction.php)
// runs civicrm_api4($entityType, 'get', ['select' => every field,
// 'where' => [['id', '=', $entityId]]]) and returns the row's values, then
// does the same for every managed entity that references it (a saved
// search's displays, a custom group's fields, an option group's values).
// revert is a BasicBatchAction: it selects its rows with get on where, then
// rewrites each from its managed declaration (an update). The README:
// a rule on get covers every call that runs get "under another name", and
// APIv4 update/delete/replace because "they select their rows with get on
// where". `deny { entity SavedSearch CustomField action get }` lets export
// and revert through.
func TestAttack10ManagedEntityExportRunsGet(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity SavedSearch CustomField", "action get", "}")
	a10MustRefuse(t, sim, rec, inst, "SavedSearch.export", a10V4("SavedSearch", "export", `{"id":1}`),
		"ExportAction::exportRecord runs civicrm_api4('SavedSearch', 'get', [select every field, where id = 1]) "+
			"and answers the saved search's values (its api_params, its displays' settings) though a rule forbids SavedSearch.get.")
	a10MustRefuse(t, sim, rec, inst, "CustomGroup.export", a10V4("CustomGroup", "export", `{"id":1}`),
		"ExportAction exports every managed entity referencing the group: civicrm_api4('CustomField', 'get', …) "+
			"for each of its fields, though a rule forbids CustomField.get.")
	a10MustRefuse(t, sim, rec, inst, "SavedSearch.revert", a10V4("SavedSearch", "revert", `{"where":[["id",">",0]]}`),
		"revert (ManagedEntity::revert, a BasicBatchAction) selects its rows with SavedSearch.get on where and "+
			"answers them, as APIv4 update and delete do (which the README counts as gets).")
}
