package translate

import (
	"regexp"
	"slices"
	"strings"
)

// Writes a create or update makes of other entities because of a field it
// names: CiviCRM's BAO (or, where marked, the APIv3 layer) saves them with
// no permission check of its own. One table for both API versions: APIv3's
// create and update (and a replace's elements, walked as those), APIv4's
// create, update, save and replace (their `values`, `records` and
// `defaults`, v4WriteRows), the contact types' writes included, since
// APIv4's contact writes run CRM_Contact_BAO_Contact::create too
// (ContactSaveTrait). Each write is reported one level below the call with
// parameters the edge cannot vouch for, as the location and custom writes
// are (locationwrites.go, customwrites.go), or, where the APIv3 layer runs
// the API with the field's value (Runs), walked as that call: deny rules on those entities
// and allow lists without them cover them, and cache invalidation sees the
// writes (a GroupNesting or Contribution write invalidates everything).
// What a BAO writes whatever the fields (a membership's activity and log,
// a pledge's payment schedule) is the cache's sideWrites table: it changes
// no permission; a case's timeline and merge are judged (casetimeline.go).

// fieldWrite is one row: a create or update of Entity naming Field (present
// at all, or with a value PHP's empty() calls non-empty, or a string value
// Matching matches, or an array value, Holding) writes each of Writes with
// each of Actions, and with each of OnEdit too when the call may change a
// row that exists (an edit, not a new row).
type fieldWrite struct {
	Entity, Field string
	// Keys, where set, names the row's fields by a pattern a BAO builds
	// their names from (attachFile_1, attachFile_2…): every key it
	// matches is one, and Field only says which in words.
	Keys     *regexp.Regexp
	Present  bool
	Matching *regexp.Regexp
	// Holding asks for an array value (PHP's is_array), and where it
	// lists keys, one of them non-empty in it.
	Holding *holding
	Writes  []string
	Actions []string
	OnEdit  []string
	// V3 marks a write the APIv3 layer makes (api/v3/*.php), not the BAO;
	// V4 one APIv4 makes (a spec provider's field and its listener).
	V3, V4 bool
	// Runs marks a write the APIv3 layer makes by running the API with the
	// field's value as the parameters: civicrm_api3(<each of Writes>,
	// <each of Actions>, $value), for a non-empty array value that holds
	// more than a non-empty id. That call is walked as the client's own
	// are (its chains, what its fields write, a create with an id being an
	// update), the parameters being the client's (fieldRuns), instead of
	// being reported with parameters the edge cannot vouch for.
	Runs bool
	// Own marks a write the BAO makes to keep its own copy of the saved
	// row's data elsewhere, on a condition the BAO itself may make true
	// (a CMS user's uf_name is its contact's primary e-mail, and the BAO
	// makes a contact's first e-mail primary): reported for every save
	// that may make a new row, names Field (present, not null), or has
	// parameters the edge cannot see (ownWrites), as the write's own
	// doing (Subcall.StartedBy), like a new APIv3 activity's default
	// source contact. The cache's readers of the copy depend on the saved
	// entity already (its readsThrough), so it does not count the copy as
	// a write of its own.
	Own bool
	// Source is where civicrm-core does it.
	Source string
}

// fieldWriteTable is every row, in the order the writes are reported.
var fieldWriteTable = slices.Concat([]fieldWrite{
	// CRM_Contact_BAO_Contact::create (CRM/Contact/BAO/Contact.php):
	// CRM_Core_BAO_Website::process for isset($params['website']), which
	// api/v3/Contact.php makes of home_url too; CRM_Core_BAO_Note::add
	// for a note; add()'s createCurrentEmployerRelationship (or
	// clearCurrentEmployer) for isset employer_id or current_employer, a
	// current_employer no organisation has being created as one;
	// CRM_Member_BAO_Membership::updateMembershipStatus for is_deceased
	// (memberships move to Deceased).
	{Entity: "Contact", Field: "website", Present: true, Writes: []string{"Website"}, Actions: []string{"create", "update", "delete"},
		Source: "CRM/Contact/BAO/Contact.php create: CRM_Core_BAO_Website::process"},
	{Entity: "Contact", Field: "home_url", Writes: []string{"Website"}, Actions: []string{"create", "update", "delete"}, V3: true,
		Source: "api/v3/Contact.php civicrm_api3_contact_create: home_url becomes a website"},
	{Entity: "Contact", Field: "note", Writes: []string{"Note"}, Actions: []string{"create"},
		Source: "CRM/Contact/BAO/Contact.php create: CRM_Core_BAO_Note::add"},
	{Entity: "Contact", Field: "employer_id", Present: true, Writes: []string{"Relationship"}, Actions: []string{"create", "update"},
		Source: "CRM/Contact/BAO/Contact.php add: createCurrentEmployerRelationship, clearCurrentEmployer"},
	{Entity: "Contact", Field: "current_employer", Present: true, Writes: []string{"Relationship"}, Actions: []string{"create", "update"},
		Source: "CRM/Contact/BAO/Contact.php add: createCurrentEmployerRelationship, clearCurrentEmployer"},
	{Entity: "Contact", Field: "current_employer", Writes: []string{"Contact"}, Actions: []string{"create"},
		Source: "api/v3/Contact.php _civicrm_api3_contact_check_params, CRM_Contact_BAO_Contact_Utils::createCurrentEmployerRelationship: a new organisation"},
	{Entity: "Contact", Field: "is_deceased", Writes: []string{"Membership"}, Actions: []string{"update"},
		Source: "CRM/Contact/BAO/Contact.php create: CRM_Member_BAO_Membership::updateMembershipStatus"},
	// CRM_Core_BAO_Address::create shares an address given a master_id
	// (processSharedAddress) and relates an individual to the household
	// or organisation it shares it with (processSharedAddressRelationship:
	// a "Household Member of" relationship through the APIv3, or the
	// employer's through createCurrentEmployerRelationship), unless
	// add_relationship is false.
	{Entity: "Address", Field: "master_id", Writes: []string{"Relationship"}, Actions: []string{"create", "update"},
		Source: "CRM/Core/BAO/Address.php create: processSharedAddress, processSharedAddressRelationship"},
	// CRM_Contact_BAO_Group's pre and post hooks (CRM/Contact/BAO/Group.php,
	// self_hook_civicrm_pre and self_hook_civicrm_post), for any `parents`
	// key (parents_param_provided: array_key_exists): an edit removes the
	// nesting rows of the parents no longer listed
	// (CRM_Contact_BAO_GroupNesting::remove), any write adds the new ones
	// (CRM_Contact_BAO_GroupNesting::add); an organization_id adds the
	// group's GroupOrganization row (CRM_Contact_BAO_GroupOrganization::add)
	// or, 'null', deletes it.
	{Entity: "Group", Field: "parents", Present: true, Writes: []string{"GroupNesting"}, Actions: []string{"create"}, OnEdit: []string{"delete"},
		Source: "CRM/Contact/BAO/Group.php self_hook_civicrm_post: CRM_Contact_BAO_GroupNesting::add, ::remove"},
	{Entity: "Group", Field: "organization_id", Writes: []string{"GroupOrganization"}, Actions: []string{"create", "delete"},
		Source: "CRM/Contact/BAO/Group.php self_hook_civicrm_post: CRM_Contact_BAO_GroupOrganization::add, deleteGroupOrganization"},
	// CRM_Member_BAO_Membership::create records a contribution and its
	// MembershipPayment for a contribution_status_id (recordMembershipContribution;
	// APIv4's MembershipSaveTrait sets version 4, which skips it, on the
	// releases that have it: reported for both versions).
	{Entity: "Membership", Field: "contribution_status_id", Writes: []string{"Contribution", "MembershipPayment"}, Actions: []string{"create"},
		Source: "CRM/Member/BAO/Membership.php create: recordMembershipContribution"},
	// A new case's clients: civicrm_api3_case_create and APIv4's
	// CiviCaseSaveTrait::openCase (a create's record, or a save's without
	// an id) call CRM_Case_BAO_CaseContact::create for each contact_id,
	// which an APIv3 chain below a contact fills in (WriteRows). APIv4
	// has contact_id on create only (CaseCreationSpecProvider): an update
	// naming it is judged so too, a judgment too many at worst. Then both
	// run the case type's "Open Case" timeline and its creator's roles,
	// whatever the fields (casetimeline.go). An APIv3 edit (create
	// with an id, or civicrm_api3_case_update) naming a client the case
	// does not have reassigns it: CRM_Case_BAO_Case::mergeCases with
	// changeClient copies the case, its clients, its activities (their
	// contacts, case links, custom values and attachments:
	// copyExtendedActivityData) and its role relationships, records a
	// "Reassigned Case" activity, and moves the old case and its
	// activities to the trash and ends or disables its relationships
	// (deleteCase, enableDisableCaseRelationships). APIv3's Case.merge
	// runs the same mergeCases, and is judged by these rows
	// (casetimeline.go, v3CaseMerge).
	{Entity: "Case", Field: "contact_id", Writes: []string{"CaseContact"}, Actions: []string{"create"},
		Source: "api/v3/Case.php civicrm_api3_case_create; Civi/Api4/Action/CiviCase/CiviCaseSaveTrait.php openCase: CRM_Case_BAO_CaseContact::create"},
	{Entity: "Case", Field: "contact_id", V3: true,
		Writes: []string{"Case", "Activity", "ActivityContact", "CaseActivity", "Relationship", "CustomValue", "EntityFile"}, OnEdit: []string{"create"},
		Source: "api/v3/Case.php civicrm_api3_case_create, civicrm_api3_case_update: CRM_Case_BAO_Case::mergeCases (changeClient)"},
	{Entity: "Case", Field: "contact_id", V3: true, Writes: []string{"Case", "Activity", "Relationship"}, OnEdit: []string{"update"},
		Source: "CRM/Case/BAO/Case.php mergeCases: deleteCase (moveToTrash), enableDisableCaseRelationships, the old roles' end_date"},
	// CRM_Event_BAO_Participant::create saves, updates or deletes the
	// participant's note for a note or participant_note key
	// (array_key_exists); api/v3/Participant.php creates a default line
	// item for a new participant's fee_level
	// (_civicrm_api3_participant_createlineitem).
	{Entity: "Participant", Field: "note", Present: true, Writes: []string{"Note"}, Actions: []string{"create", "update", "delete"},
		Source: "CRM/Event/BAO/Participant.php create: CRM_Core_BAO_Note::add, deleteRecord"},
	{Entity: "Participant", Field: "participant_note", Present: true, Writes: []string{"Note"}, Actions: []string{"create", "update", "delete"},
		Source: "CRM/Event/BAO/Participant.php create: CRM_Core_BAO_Note::add, deleteRecord"},
	{Entity: "Participant", Field: "fee_level", Writes: []string{"LineItem"}, Actions: []string{"create"}, V3: true,
		Source: "api/v3/Participant.php civicrm_api3_participant_create: _civicrm_api3_participant_createlineitem"},
	// CRM_Grant_BAO_Grant::create (ext/civigrant, run by APIv3's
	// _civicrm_api3_basic_create) adds a Note for a non-empty note
	// (CRM_Core_BAO_Note::add with no id: a new note, an edit's too), on
	// the releases whose create does; later ones save the grant through
	// writeRecord, whose post hook adds none (reported for both versions).
	{Entity: "Grant", Field: "note", Writes: []string{"Note"}, Actions: []string{"create"},
		Source: "ext/civigrant/CRM/Grant/BAO/Grant.php create: CRM_Core_BAO_Note::add"},
	// CRM_Contribute_BAO_Contribution::create, run by APIv3's
	// _civicrm_api3_basic_create and APIv4's create, update and save
	// (ContributionSaveTrait, DAOActionTrait::write): a non-empty note is
	// a new Note (CRM_Core_BAO_Note::add with no id, an edit's too, by
	// its APIv3 unique name contribution_note too, v3Aliases);
	// CRM_Contribute_BAO_ContributionSoft::processSoftContribution saves
	// an isset soft_credit's rows (add: a create, or on an edit an update
	// of the contribution's soft credits in turn) and on an edit deletes
	// the ones left over (civicrm_api3('ContributionSoft', 'delete')), and
	// for a pcp key (array_key_exists) the PCP soft credit (processPCP:
	// added or updated for a non-empty pcp, deleted on an edit for an
	// empty one). APIv3 makes a soft_credit of a non-empty soft_credit_to
	// or honor_contact_id. add() records an EntityBatch row for a
	// non-empty batch_id (recordFinancialAccounts, CRM_Batch_BAO_EntityBatch::create)
	// and updates the recurring contribution a contribution_recur_id names
	// (isUpdateToRecurringContribution: a new contribution's, or an edit
	// of a pending one; CRM_Contribute_BAO_ContributionRecur::updateOnNewPayment
	// moves its status and next date on). The
	// line items, financial records and activity it writes whatever the
	// fields are the cache's (a contribution write is a global write).
	{Entity: "Contribution", Field: "note", Writes: []string{"Note"}, Actions: []string{"create"},
		Source: "CRM/Contribute/BAO/Contribution.php create: CRM_Core_BAO_Note::add"},
	{Entity: "Contribution", Field: "soft_credit", Present: true, Writes: []string{"ContributionSoft"}, Actions: []string{"create"}, OnEdit: []string{"update", "delete"},
		Source: contributionSoft},
	{Entity: "Contribution", Field: "soft_credit_to", V3: true, Writes: []string{"ContributionSoft"}, Actions: []string{"create"}, OnEdit: []string{"update", "delete"},
		Source: contributionLegacySoft},
	{Entity: "Contribution", Field: "honor_contact_id", V3: true, Writes: []string{"ContributionSoft"}, Actions: []string{"create"}, OnEdit: []string{"update", "delete"},
		Source: contributionLegacySoft},
	{Entity: "Contribution", Field: "pcp", Writes: []string{"ContributionSoft"}, Actions: []string{"create"}, OnEdit: []string{"update"},
		Source: "CRM/Contribute/BAO/ContributionSoft.php processSoftContribution: processPCP, add"},
	{Entity: "Contribution", Field: "pcp", Present: true, Writes: []string{"ContributionSoft"}, OnEdit: []string{"delete"},
		Source: "CRM/Contribute/BAO/ContributionSoft.php processSoftContribution: processPCP, civicrm_api3('ContributionSoft', 'delete')"},
	{Entity: "Contribution", Field: "batch_id", Writes: []string{"EntityBatch"}, Actions: []string{"create"},
		Source: "CRM/Contribute/BAO/Contribution.php add: recordFinancialAccounts (CRM/Contribute/BAO/FinancialProcessor.php): CRM_Batch_BAO_EntityBatch::create"},
	{Entity: "Contribution", Field: "contribution_recur_id", Writes: []string{"ContributionRecur"}, Actions: []string{"update"},
		Source: "CRM/Contribute/BAO/Contribution.php add: isUpdateToRecurringContribution, CRM_Contribute_BAO_ContributionRecur::updateOnNewPayment"},
	// CRM_Event_BAO_Event::create: CRM_Price_BAO_PriceSet::setPriceSets
	// links the price_set_id sets and unlinks the others (PriceSetEntity);
	// a template_id copies the template (CRM_Event_BAO_Event::copy), whose
	// price sets CRM_Price_BAO_PriceSet::copyPriceSet copies (a quick
	// config set and each discount's set: PriceSet, PriceField,
	// PriceFieldValue, and their PriceSetEntity and Discount rows).
	{Entity: "Event", Field: "price_set_id", Writes: []string{"PriceSetEntity"}, Actions: []string{"create", "delete"},
		Source: "CRM/Event/BAO/Event.php create: CRM_Price_BAO_PriceSet::setPriceSets"},
	{Entity: "Event", Field: "template_id", Writes: []string{"PriceSet", "PriceField", "PriceFieldValue", "PriceSetEntity", "Discount"},
		Actions: []string{"create"}, Source: "CRM/Event/BAO/Event.php create: copy; CRM/Price/BAO/PriceSet.php copyPriceSet"},
	// CRM_Activity_BAO_Activity::create saves the activity's contacts for
	// each of source_contact_id, assignee_contact_id and target_contact_id
	// that isset (ActivityContact::save, one row a contact, whichever API
	// makes the write: APIv4's Activity writes run the same BAO), and on
	// an edit first deletes the rows of those record types it no longer
	// lists (ActivityContact::delete). APIv3 gives a new activity the
	// caller as its source (v3Defaults), and takes target_id and
	// assignee_id for the others (v3Aliases).
	{Entity: "Activity", Field: "source_contact_id", Present: true, Writes: []string{"ActivityContact"}, Actions: []string{"create"}, OnEdit: []string{"delete"},
		Source: "CRM/Activity/BAO/Activity.php create: ActivityContact::save, ActivityContact::delete"},
	{Entity: "Activity", Field: "assignee_contact_id", Present: true, Writes: []string{"ActivityContact"}, Actions: []string{"create"}, OnEdit: []string{"delete"},
		Source: "CRM/Activity/BAO/Activity.php create: ActivityContact::save, ActivityContact::delete"},
	{Entity: "Activity", Field: "target_contact_id", Present: true, Writes: []string{"ActivityContact"}, Actions: []string{"create"}, OnEdit: []string{"delete"},
		Source: "CRM/Activity/BAO/Activity.php create: ActivityContact::save, ActivityContact::delete"},
	// An activity's case: CRM_Case_BAO_Case::on_hook_civicrm_post, for an
	// Activity create or edit of either API with case_id isset, runs
	// updateCaseActivity: \Civi\Api4\CaseActivity::replace(FALSE) with
	// the given cases (a create, and the delete of the activity's other
	// case links), or a delete of them all for an empty case_id (APIv3's
	// civicrm_api3_activity_create also links a new activity itself:
	// processCaseActivity). An APIv3 chain below a case fills case_id in
	// (WriteRows).
	{Entity: "Activity", Field: "case_id", Present: true, Writes: []string{"CaseActivity"}, Actions: []string{"create"}, OnEdit: []string{"delete"},
		Source: "CRM/Case/BAO/Case.php on_hook_civicrm_post: updateCaseActivity; api/v3/Activity.php civicrm_api3_activity_create: processCaseActivity"},
	// The same hook files an activity on a case its subject names, where
	// case_id is not set (CRM-5916): "[case #<7 hex of the case's hash>]"
	// or "[case #<id>]", as an e-mail reply to a case e-mail carries it.
	{Entity: "Activity", Field: "subject", Matching: caseSubject, Writes: []string{"CaseActivity"}, Actions: []string{"create"}, OnEdit: []string{"delete"},
		Source: "CRM/Case/BAO/Case.php on_hook_civicrm_post: a subject's [case #…], updateCaseActivity"},
	// APIv4's tags field (Civi/Api4/Service/Spec/Provider/TagFieldSpecProvider.php),
	// on the create and update of the contacts and of every entity the
	// site's tag_used_for option group names (configuration: anyEntity):
	// its hook_civicrm_post listener saveTags runs
	// \Civi\Api4\EntityTag::replace(FALSE) with the given tags, matched
	// on tag, table and id: EntityTag rows created, updated and deleted.
	// Any value counts, an empty list too (the edge does not count on which
	// values a release skips), and a suffix (tags:name, resolved first).
	{Entity: anyEntity, Field: "tags", Present: true, Writes: []string{"EntityTag"}, Actions: []string{"create", "update", "delete"}, V4: true,
		Source: "Civi/Api4/Service/Spec/Provider/TagFieldSpecProvider.php saveTags: EntityTag::replace"},
	// CRM_Core_BAO_Email::self_hook_civicrm_post runs
	// CRM_Core_BAO_UFMatch::updateUFName for a saved e-mail that is
	// primary and has a contact (any save but a delete): under the
	// syncCMSEmail setting the contact's civicrm_uf_match row takes the
	// new primary e-mail as uf_name, and the CMS user is renamed
	// (updateCMSName: Standalone's User, the same table; another CMS's own
	// user). The saved object is primary when the call says so, or when
	// CRM_Core_BAO_Block::handlePrimary (its pre hook) makes it so: a new
	// e-mail, or one named with a false is_primary, of a contact that has
	// no other; an edit that does not name is_primary saves none
	// (handlePrimary skips it, and writeRecord's object holds only the
	// given fields). Hence Own: a new e-mail, an edit naming is_primary,
	// and an e-mail a contact's or a location block's write saves.
	{Entity: "Email", Field: "is_primary", Own: true, Writes: []string{"UFMatch", "User"}, Actions: []string{"update"},
		Source: "CRM/Core/BAO/Email.php self_hook_civicrm_post: CRM_Core_BAO_UFMatch::updateUFName, updateCMSName; " +
			"CRM/Core/BAO/Block.php handlePrimary"},
	// civicrm_api3_loc_block_create (api/v3/LocBlock.php), "basically
	// chaining but in reverse": for each of address, email, phone and im
	// and their _2 forms given as a non-empty array, it runs
	// civicrm_api3($item, 'create', $info), contact_id 'null' unless
	// $info names one, and links the record it wrote, unless $info is a
	// lone non-empty id (that record is linked as it is). An update and a
	// replace's elements run this create (api/v3/Generic/Update.php).
	{Entity: "LocBlock", Field: "address", Writes: []string{"Address"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	{Entity: "LocBlock", Field: "address_2", Writes: []string{"Address"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	{Entity: "LocBlock", Field: "email", Writes: []string{"Email"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	{Entity: "LocBlock", Field: "email_2", Writes: []string{"Email"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	{Entity: "LocBlock", Field: "phone", Writes: []string{"Phone"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	{Entity: "LocBlock", Field: "phone_2", Writes: []string{"Phone"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	{Entity: "LocBlock", Field: "im", Writes: []string{"IM"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	{Entity: "LocBlock", Field: "im_2", Writes: []string{"IM"}, Actions: []string{"create"}, V3: true, Runs: true, Source: locBlockCreate},
	// CRM_Contribute_BAO_ContributionRecur::self_hook_civicrm_post, on an
	// edit (either API saves through writeRecord) whose saved object has a
	// numeric amount, which it has when the write names one: the template
	// contribution's total_amount is set to it where its single line item
	// differs (Contribution::update(FALSE), whose BAO rewrites the line
	// item and financial records). Any value counts (is_numeric is the
	// saved value's): a judgment too many at worst.
	{Entity: "ContributionRecur", Field: "amount", Present: true, Writes: []string{"Contribution"}, OnEdit: []string{"update"},
		Source: "CRM/Contribute/BAO/ContributionRecur.php self_hook_civicrm_post: getTemplateContribution, Contribution::update"},
	// CRM_Report_BAO_ReportInstance::create, which APIv3's create
	// (_civicrm_api3_basic_create) and APIv4's writes (DAOActionTrait::write:
	// the BAO's create, not deprecated; keys that are no fields pass on)
	// run: a non-empty is_navigation adds or edits the report's menu item
	// (CRM_Core_BAO_Navigation::add, its `navigation` id an edit), a
	// non-empty addToDashboard adds or edits its dashlet
	// (CRM_Core_BAO_Dashboard::addDashlet) and puts it on contacts'
	// dashboards (addContactDashlet: civicrm_dashboard_contact rows).
	{Entity: "ReportInstance", Field: "is_navigation", Writes: []string{"Navigation"}, Actions: []string{"create", "update"},
		Source: "CRM/Report/BAO/ReportInstance.php create: CRM_Core_BAO_Navigation::add"},
	{Entity: "ReportInstance", Field: "addToDashboard", Writes: []string{"Dashboard"}, Actions: []string{"create", "update"},
		Source: "CRM/Report/BAO/ReportInstance.php create: CRM_Core_BAO_Dashboard::addDashlet"},
	{Entity: "ReportInstance", Field: "addToDashboard", Writes: []string{"DashboardContact"}, Actions: []string{"create"},
		Source: "CRM/Core/BAO/Dashboard.php addDashlet: addContactDashlet"},
},
	// Attachments named attachFile_<n> (attachFileWrites), saved by the
	// BAO creates that call processAttachment: an activity's, a note's
	// (on the releases whose CRM_Core_BAO_Note::add does), a grant's (on
	// the releases whose CRM_Grant_BAO_Grant::create does) and a mailing's.
	attachFileWrites("Activity", "CRM/Activity/BAO/Activity.php create"),
	attachFileWrites("Note", "CRM/Core/BAO/Note.php add"),
	attachFileWrites("Grant", "ext/civigrant/CRM/Grant/BAO/Grant.php create"),
	attachFileWrites("Mailing", "CRM/Mailing/BAO/Mailing.php create"),
)

const (
	contributionSoft       = "CRM/Contribute/BAO/ContributionSoft.php processSoftContribution: add, civicrm_api3('ContributionSoft', 'delete')"
	contributionLegacySoft = "api/v3/Contribution.php _civicrm_api3_contribution_create_legacy_support_45: a soft_credit; " + contributionSoft
)

const locBlockCreate = "api/v3/LocBlock.php civicrm_api3_loc_block_create: civicrm_api3($item, 'create', $info)"

// holding is a fieldWrite's ask for an array value holding one of Keys
// non-empty (any array where Keys is empty).
type holding struct{ Keys []string }

// attachFileKey is the name of each attachment CRM_Core_BAO_File::
// processAttachment saves: attachFile_$i for $i from 1 to the
// max_attachments setting (which the edge does not know: any $i counts, a
// judgment too many at worst), PHP's decimal spelling of $i.
var attachFileKey = regexp.MustCompile(`^attachFile_[1-9][0-9]*$`)

// attachFileWrites are the rows of an entity whose BAO create (either API:
// APIv4 passes keys that are no fields on to it) runs
// CRM_Core_BAO_File::processAttachment($params, <its table>, <its id>):
// for each attachFile_$i given as an array, filePostProcess renames the
// file at its 'location' on the server into the upload directory, saves a
// civicrm_file row (a new one, or the one the entity has) and its
// civicrm_entity_file row, and tags the file with its 'tag' list
// (CRM_Core_BAO_EntityTag::create) and 'attachment_taglist'
// (CRM_Core_Form_Tag::postProcess): the writes APIv3's Attachment.create
// makes, so deny { entity File } refuses them as it refuses that call.
func attachFileWrites(entity, source string) []fieldWrite {
	source += ": CRM_Core_BAO_File::processAttachment, filePostProcess"
	return []fieldWrite{
		{Entity: entity, Field: "attachFile_<n>", Keys: attachFileKey, Holding: &holding{},
			Writes: []string{"File", "EntityFile"}, Actions: []string{"create", "update"}, Source: source},
		{Entity: entity, Field: "attachFile_<n>", Keys: attachFileKey, Holding: &holding{Keys: []string{"tag", "attachment_taglist"}},
			Writes: []string{"EntityTag"}, Actions: []string{"create"}, Source: source},
	}
}

// caseSubject is what CRM_Case_BAO_Case::on_hook_civicrm_post looks for
// in an activity's subject: preg_match's '/\[case #([0-9a-h]{7})\]/' or
// '/\[case #(\d+)\]/' (ASCII digits, case-sensitive), either found.
var caseSubject = regexp.MustCompile(`\[case #([0-9a-h]{7}|[0-9]+)\]`)

// anyEntity is a row's Entity where every entity may have the field.
const anyEntity = "*"

// fieldWritesOf indexes fieldWriteTable by EntityKey of the written
// entity, so a call looks at its own rows only, and the anyEntity rows,
// which every call looks at, under anyEntity.
var fieldWritesOf = func() map[string][]fieldWrite {
	m := make(map[string][]fieldWrite)
	for _, fw := range fieldWriteTable {
		k := anyEntity
		if fw.Entity != anyEntity {
			k = EntityKey(fw.Entity)
		}
		m[k] = append(m[k], fw)
	}
	return m
}()

// fieldWrites reports what sc's create or update writes because of the
// fields it names (fieldWriteTable).
func (w *walker) fieldWrites(sc Subcall) bool {
	if sc.EntityDynamic || sc.ActionDynamic || sc.ParamsUnknown {
		return true // matched by every deny rule already
	}
	rows, edits := WriteRows(sc)
	if len(rows) == 0 {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	defaults := v3DefaultFields(sc, rows)
	s.fieldWrites(sc.Entity, sc.Version, func(fw fieldWrite) bool {
		return namesField(rows, fw, sc.Version == 4)
	}, func(field string) bool { return slices.Contains(defaults, field) }, edits)
	return s.ok && w.fieldRuns(sc, rows) && w.ownWrites(sc, rows, edits)
}

// ownWrites reports, one level below sc and as its own doing, what the BAO
// writes for sc's save to keep its copy of the saved rows' data (the Own
// rows of sc's entity): for a write whose parameters the edge cannot see
// (a contact's e-mail blocks, APIv4's email_primary), else for rows that
// may be new (a create without edits, an APIv4 save or replace of a row
// without an id) or that name the row's field (present, not null), but a
// row whose contact_id is given empty (a location block's e-mail: no
// contact, no copy). A delete saves nothing.
func (w *walker) ownWrites(sc Subcall, rows []*Array, edits bool) bool {
	if sc.EntityDynamic || sc.ActionDynamic || genericAction(sc.Action) == "get" || SameAction(sc.Action, "delete") {
		return true
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	for _, fw := range fieldWritesOf[EntityKey(sc.Entity)] {
		if !fw.Own || !sc.ParamsUnknown && !ownRows(sc, fw, rows, edits) {
			continue
		}
		for _, e := range fw.Writes {
			for _, a := range fw.Actions {
				if !s.startedWrite(e, false, a) {
					return false
				}
			}
		}
	}
	return s.ok
}

// ownRows reports whether one of rows may make the BAO write fw's copy
// (ownWrites).
func ownRows(sc Subcall, fw fieldWrite, rows []*Array, edits bool) bool {
	upserts := sc.Version == 4 && (SameAction(sc.Action, "save") || SameAction(sc.Action, "replace"))
	for _, row := range rows {
		if c, ok := row.Get("contact_id"); ok && (PHPEmpty(c) || c == "null") {
			continue
		}
		if v, ok := row.Get(fw.Field); ok && v != nil && v != "" && v != "null" {
			return true
		}
		if !edits || upserts && PHPEmpty(item(row, "id")) {
			return true
		}
	}
	return false
}

// fieldRuns walks the calls the APIv3 layer runs for sc's create or update
// with a Runs row's field as their parameters (a setvalue saves the value
// as it is), one level below sc.
func (w *walker) fieldRuns(sc Subcall, rows []*Array) bool {
	if sc.Version != 3 || sc.Action != "create" && sc.Action != "update" {
		return true
	}
	for _, fw := range fieldWritesOf[EntityKey(sc.Entity)] {
		if !fw.Runs {
			continue
		}
		for _, row := range rows {
			info, ok := item(row, fw.Field).(*Array)
			if !ok || info.Len() == 0 || info.Len() == 1 && !PHPEmpty(item(info, "id")) {
				continue // !empty() && is_array(), and more than a lone id
			}
			if v, _ := info.Get("contact_id"); v == nil {
				info = info.Clone()
				info.Set("contact_id", "null") // $info['contact_id'] ??= 'null'
			}
			for _, e := range fw.Writes {
				for _, a := range fw.Actions {
					c := Subcall{Version: 3, Entity: KernelEntity(e), Action: a, Params: info, Depth: sc.Depth + 1,
						InBatch: sc.InBatch, Member: sc.Member}
					if !w.call(c, true) {
						return false
					}
				}
			}
		}
	}
	return true
}

// fieldWrites reports, below s's parent, what a write of entity (by API
// version) makes CiviCRM write for the rows whose field named reports it
// names (as the row asks: namesField), then for those CiviCRM gives it by
// default (defaulted, nil for none: the write's own doing, whatever the
// client asks, Subcall.StartedBy), each entity and action once; edits:
// the write may change a row that exists.
func (s *joinScan) fieldWrites(entity string, version int, named func(fw fieldWrite) bool,
	defaulted func(field string) bool, edits bool) {
	own := fieldWritesOf[EntityKey(entity)]
	table := append(own[:len(own):len(own)], fieldWritesOf[anyEntity]...)
	var done []string
	report := func(entity, action string, byDefault bool) bool {
		k := entity + "." + action
		for _, d := range done {
			if d == k {
				return true
			}
		}
		done = append(done, k)
		if byDefault {
			return s.startedWrite(entity, false, action)
		}
		return s.wrote(entity, false, action)
	}
	// What the client names first, so that a write it names is judged as
	// its own even where a default makes the same one.
	for _, byDefault := range [...]bool{false, true} {
		for _, fw := range table {
			if !s.ok || byDefault && defaulted == nil {
				return
			}
			if fw.Runs || fw.Own || fw.V3 && version != 3 || fw.V4 && version != 4 {
				continue // Runs: walked as the call it is (fieldRuns); Own: ownWrites
			}
			if byDefault && !defaulted(fw.Field) || !byDefault && !named(fw) {
				continue
			}
			for _, written := range fw.Writes {
				for _, a := range fw.Actions {
					if !report(written, a, byDefault) {
						return
					}
				}
				for _, a := range fw.OnEdit {
					if edits && !report(written, a, byDefault) {
						return
					}
				}
			}
		}
	}
}

// names reports whether the key k names fw's field: Field, or a key
// fw.Keys matches.
func (fw fieldWrite) names(k string) bool {
	if fw.Keys != nil {
		return fw.Keys.MatchString(k)
	}
	return k == fw.Field
}

// asksValue reports whether fw names its field only with some values.
func (fw fieldWrite) asksValue() bool {
	return fw.Matching != nil || fw.Holding != nil
}

// namesField reports whether a row names fw's field as fw asks: present at
// all, with a string value fw.Matching matches, with an array value
// fw.Holding asks for, or with a value PHP's empty() calls non-empty.
// suffixed: an APIv4 key with a pseudoconstant suffix (field:name) names
// its field, which FormattingUtil resolves before the write (a Keys row's
// are no fields: its BAO reads the key as given).
func namesField(rows []*Array, fw fieldWrite, suffixed bool) bool {
	names := func(v any) bool {
		switch {
		case fw.Present:
			return true
		case fw.Matching != nil:
			s, ok := v.(string)
			return ok && fw.Matching.MatchString(s)
		case fw.Holding != nil:
			a, ok := v.(*Array)
			if !ok {
				return false // is_array
			}
			if len(fw.Holding.Keys) == 0 {
				return true
			}
			return slices.ContainsFunc(fw.Holding.Keys, func(k string) bool { return !PHPEmpty(item(a, k)) })
		}
		return !PHPEmpty(v)
	}
	for _, row := range rows {
		if fw.Keys != nil {
			for i := 0; i < row.Len(); i++ {
				if fw.Keys.MatchString(row.Key(i)) && names(row.Value(i)) {
					return true
				}
			}
			continue
		}
		if v, ok := row.Get(fw.Field); ok && names(v) {
			return true
		}
		if !suffixed {
			continue
		}
		for i := 0; i < row.Len(); i++ {
			if k, _, cut := strings.Cut(row.Key(i), ":"); cut && k == fw.Field && names(row.Value(i)) {
				return true
			}
		}
	}
	return false
}
