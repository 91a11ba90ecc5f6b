package cache

import "github.com/civigate/civigate/translate"

// sideWrite is one row of sideWrites: a plain create, update or delete of
// Entity (or, with Deletes, only one that deletes rows of it: delete, and
// replace, which deletes what its set leaves out) makes CiviCRM write rows
// of each of Writes, whatever fields it names.
type sideWrite struct {
	Entity  string
	Deletes bool
	Writes  []string
	// Source is where civicrm-core does it.
	Source string
}

// sideWrites lists the rows of other entities that CiviCRM's BAOs (and
// APIv3's create, where marked) write when an entity is written through
// its plain create, update or delete: one way (an Activity write creates
// no membership), so not an invalidation group. WriteTargets reports them
// as written, so a write invalidates their reads and their groups', and
// everything when one is a global write (a pledge's schedule is
// PledgePayment rows, a case's delete its roles' Relationship rows, a
// group's delete its GroupContact rows).
//
// What a write makes CiviCRM save because of a field it names (a
// contact's is_deceased, a group's parents, a membership's
// contribution_status_id…) the walker reports, for the policy too
// (translate/fieldwrites.go); what the database does through foreign keys
// on a delete is cascades.go's. Contributions, orders and payments write
// line items, financial records and activities, and are global writes
// already.
var sideWrites = []sideWrite{
	{Entity: "Membership", Writes: []string{"Activity", "MembershipLog", "LineItem"},
		Source: "CRM/Member/BAO/Membership.php add: CRM_Activity_BAO_Activity::addActivity ('Membership Signup', " +
			"'Change Membership Status', 'Change Membership Type'), CRM_Member_BAO_MembershipLog::add; " +
			"create: the line items of an APIv3 or BAO write (CRM_Price_BAO_LineItem::getLineItemArray, " +
			"processPriceSet; an edit's deleteLineItems)"},
	{Entity: "Participant", Writes: []string{"Activity"},
		Source: "CRM/Event/BAO/Participant.php create: CRM_Activity_BAO_Activity::addActivity ('Event Registration') " +
			"for a new participant or a status change"},
	// A new case's clients, timeline and creator's roles, an APIv3
	// reassignment's and merge's copies (mergeCases) are the walk's
	// (translate/casetimeline.go, translate/fieldwrites.go), for the
	// policy too; a case's delete, to the trash or not, is here.
	{Entity: "Case", Deletes: true, Writes: []string{"Activity", "Relationship"},
		Source: "CRM/Case/BAO/Case.php deleteCase (api/v3/Case.php civicrm_api3_case_delete, APIv4's " +
			"DAODeleteAction through del): each case activity (CRM_Activity_BAO_Activity::deleteActivity), " +
			"enableDisableCaseRelationships; the database deletes the roles with the case (civicrm_relationship.case_id)"},
	{Entity: "Pledge", Writes: []string{"PledgePayment"},
		Source: "CRM/Pledge/BAO/Pledge.php create: CRM_Pledge_BAO_PledgePayment::createMultiple (a new pledge's " +
			"schedule; a pending pledge's, deleted and created again when its amount or dates change)"},
	{Entity: "Pledge", Deletes: true, Writes: []string{"Contribution"},
		Source: "CRM/Pledge/BAO/Pledge.php deletePledge: each payment's contribution " +
			"(CRM_Contribute_BAO_Contribution::deleteContribution)"},
	{Entity: "Event", Deletes: true, Writes: []string{"UFJoin", "PriceSetEntity", "LocBlock", "Address", "Email", "Phone", "IM"},
		Source: "CRM/Event/BAO/Event.php self_hook_civicrm_pre (delete): CRM_Core_BAO_UFJoin::deleteAll, " +
			"CRM_Price_BAO_PriceSet::removeFrom, deleteEventLocBlock (a LocBlock no other event uses, with its " +
			"address, e-mail, phone and IM: CRM_Core_BAO_Location::deleteLocBlock)"},
	{Entity: "Group", Deletes: true, Writes: []string{"GroupContact", "SubscriptionHistory", "MailingEventSubscribe",
		"ACLEntityRole", "UFGroup", "MailingGroup", "CampaignGroup", "SavedSearch"},
		Source: "CRM/Contact/BAO/Group.php discard: its subscriptions, subscription history, memberships, ACL " +
			"role assignments, profiles' add_to_group_id and limit_listings_group_id, mailing and campaign " +
			"groups, a traditional smart group's saved search"},
	{Entity: "Activity", Deletes: true, Writes: []string{"EntityTag", "EntityFile", "File"},
		Source: "CRM/Activity/BAO/Activity.php deleteActivity (APIv3's civicrm_api3_activity_delete): the activity's " +
			"civicrm_entity_tag rows (CRM-13994) and CRM_Core_BAO_File::deleteEntityFile (its civicrm_entity_file rows, " +
			"their files' tags, and each civicrm_file no other entity uses); neither table has a foreign key to it"},
	// A survey's report and a report's menu item: no foreign key links
	// them (the report names the survey in its form values, the menu item
	// is the report's navigation_id), so cascades.go cannot.
	{Entity: "Survey", Deletes: true, Writes: []string{"ReportInstance", "Navigation"},
		Source: "CRM/Campaign/BAO/Survey.php self_hook_civicrm_pre (delete): getReportID, " +
			"CRM_Report_BAO_ReportInstance::deleteRecord, whose own pre hook deletes the report's menu item"},
	{Entity: "ReportInstance", Deletes: true, Writes: []string{"Navigation"},
		Source: "CRM/Report/BAO/ReportInstance.php self_hook_civicrm_pre (delete): the instance's navigation_id, " +
			"CRM_Core_BAO_Navigation::deleteRecord"},
	// A profile's fields are its UFField rows; its group_type is derived
	// from them. UFGroup is a global write (a label source), so a profile
	// field's write invalidates everything, Profile.getfields included.
	{Entity: "UFField", Writes: []string{"UFGroup"},
		Source: "CRM/Core/BAO/UFField.php create: CRM_Core_BAO_UFGroup::updateGroupTypes (the profile's group_type), " +
			"then civicrm_api3('profile', 'getfields', ['cache_clear' => TRUE]); api/v3/UFField.php " +
			"civicrm_api3_uf_field_delete: updateGroupTypes after the delete"},

	// The change log (civicrm_log, APIv4's Log entity: a contact's "Change
	// Log" tab): the BAOs that add a row to it on every save, through
	// CRM_Core_BAO_Log::register or ::add. CiviCRM's forms and the
	// upgrader add others; the pages' writes invalidate everything.
	{Entity: "Contact", Writes: []string{"Log"},
		Source: "CRM/Contact/BAO/Contact.php add: CRM_Core_BAO_Log::register for the saved contact " +
			"(api/v3/Generic/Setvalue.php _civicrm_api3_generic_setvalue too, for a contact)"},
	{Entity: "Activity", Writes: []string{"Log"},
		Source: "CRM/Activity/BAO/Activity.php create and deleteActivity (to the trash): logActivityAction, " +
			"CRM_Core_BAO_Log::add"},
	{Entity: "Membership", Writes: []string{"Log"},
		Source: "CRM/Member/BAO/Membership.php add: the activities it records (CRM_Activity_BAO_Activity::addActivity " +
			"runs CRM_Activity_BAO_Activity::create, which logs them)"},
	{Entity: "Participant", Writes: []string{"Log"},
		Source: "CRM/Event/BAO/Participant.php create: CRM_Core_BAO_Log::add (the participant's status)"},
	{Entity: "Event", Writes: []string{"Log"},
		Source: "CRM/Event/BAO/Event.php create: CRM_Core_BAO_Log::add"},
	{Entity: "Note", Writes: []string{"Log"},
		Source: "CRM/Core/BAO/Note.php add (APIv3's create, APIv4's writes): CRM_Core_BAO_Log::register for a note " +
			"whose entity_table is civicrm_contact (an edit by id too: the edge cannot see the saved note's table)"},
	{Entity: "Grant", Writes: []string{"Log"},
		Source: "ext/civigrant/CRM/Grant/BAO/Grant.php create, or self_hook_civicrm_post on the releases that " +
			"save through writeRecord: CRM_Core_BAO_Log::add"},
}

// sideWritesOf indexes sideWrites by entityKey: what any write of the
// entity writes, and what a write that deletes rows writes besides.
var sideWritesOf, deleteSideWritesOf = func() (writes, deletes map[string][]string) {
	writes, deletes = make(map[string][]string), make(map[string][]string)
	for _, sw := range sideWrites {
		k := entityKey(sw.Entity)
		if sw.Deletes {
			deletes[k] = append(deletes[k], sw.Writes...)
		} else {
			writes[k] = append(writes[k], sw.Writes...)
		}
	}
	return writes, deletes
}()

// savesThroughBAO reports whether a confined write action saves its rows
// through the entity's BAO, whose side writes sideWrites lists: all but
// APIv4's getChecksum, which sets the contact's hash column alone
// (CRM_Contact_BAO_Contact_Utils::generateChecksum: CRM_Core_DAO::
// setFieldValue), with no contact save and so no change log row.
func savesThroughBAO(action string) bool { return translate.NormalAction(action) != "getchecksum" }

// globalActions lists, by entityKey, the plain CRUD actions of an entity
// that invalidate everything although its other writes do not: they may
// change who may see what through the entity's own rows.
//
//   - Group update: CRM_ACL_BAO_ACL::getGroupClause grants an ACL on a
//     group to its contacts only while the group is_active, and to its
//     smart group's and child groups' contacts (civicrm_group_contact_cache)
//     by its saved_search_id, children and parents; and every edit of a
//     group sets is_active on its descendants that have no other active
//     parent (CRM_Contact_BAO_Group::self_hook_civicrm_pre, dev/core#287:
//     to the edit's is_active, or 1 when it names none), which the edge
//     cannot see coming. A new group is in no ACL yet: a create changes
//     them only through the parents it names (fieldwrites.go's
//     GroupNesting), and a delete through the rows it deletes
//     (sideWrites).
var globalActions = map[string][]string{
	"group": {"update"},
}

// globalAction reports whether a write of entity by action invalidates
// everything (globalActions).
func globalAction(entity, action string) bool {
	acts, ok := globalActions[entityKey(entity)]
	if !ok {
		return false
	}
	a := translate.NormalAction(action)
	for _, g := range acts {
		if g == a {
			return true
		}
	}
	return false
}
