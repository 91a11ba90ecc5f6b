package cache

import (
	"slices"

	"github.com/civigate/civigate/translate"
)

// schemaRef is one foreign key of civicrm-core's schema whose on_delete
// makes the database itself change rows of From when a row of To is
// deleted: CASCADE deletes them, SET NULL empties Field. No BAO code runs
// for those rows and the API never names them, so a cached read of From
// would keep answering rows that are gone, or references that are now
// empty, unless the delete of To invalidates it.
type schemaRef struct {
	From, Field, To, OnDelete string
	// Source is the schema file the fact was read from
	// (civicrm-core's schema/<Component>/<Entity>.entityType.php:
	// 'entity_reference' => ['entity' => To, 'on_delete' => OnDelete]).
	Source string
}

// deleteRefs are the facts the cascade table is built from, copied from
// civicrm-core's schema files (one row per field; the file is named on
// each). References to a global write (Campaign, Currency,
// MembershipType, MembershipStatus, ContributionPage, Discount) are left
// out: deleting one already invalidates everything. The list covers the
// entities whose deletes the API commonly makes (contacts, activities,
// memberships, participants, pledges, cases, recurring contributions,
// location blocks, phones, relationships); a delete of an entity not
// listed invalidates its own reads and its group's only.
var deleteRefs = []schemaRef{
	// schema/Activity/Activity.entityType.php
	{"Activity", "parent_id", "Activity", "SET NULL", "schema/Activity/Activity.entityType.php"},
	{"Activity", "original_id", "Activity", "SET NULL", "schema/Activity/Activity.entityType.php"},
	{"Activity", "phone_id", "Phone", "SET NULL", "schema/Activity/Activity.entityType.php"},
	{"Activity", "relationship_id", "Relationship", "SET NULL", "schema/Activity/Activity.entityType.php"},
	// schema/Activity/ActivityContact.entityType.php
	{"ActivityContact", "activity_id", "Activity", "CASCADE", "schema/Activity/ActivityContact.entityType.php"},
	{"ActivityContact", "contact_id", "Contact", "CASCADE", "schema/Activity/ActivityContact.entityType.php"},
	// schema/Case/CaseActivity.entityType.php, CaseContact.entityType.php
	{"CaseActivity", "case_id", "Case", "CASCADE", "schema/Case/CaseActivity.entityType.php"},
	{"CaseActivity", "activity_id", "Activity", "CASCADE", "schema/Case/CaseActivity.entityType.php"},
	{"CaseContact", "case_id", "Case", "CASCADE", "schema/Case/CaseContact.entityType.php"},
	{"CaseContact", "contact_id", "Contact", "CASCADE", "schema/Case/CaseContact.entityType.php"},
	// schema/Member/Membership.entityType.php
	{"Membership", "contact_id", "Contact", "CASCADE", "schema/Member/Membership.entityType.php"},
	{"Membership", "owner_membership_id", "Membership", "SET NULL", "schema/Member/Membership.entityType.php"},
	{"Membership", "contribution_recur_id", "ContributionRecur", "SET NULL", "schema/Member/Membership.entityType.php"},
	// schema/Member/MembershipPayment.entityType.php, MembershipLog.entityType.php
	{"MembershipPayment", "membership_id", "Membership", "CASCADE", "schema/Member/MembershipPayment.entityType.php"},
	{"MembershipPayment", "contribution_id", "Contribution", "CASCADE", "schema/Member/MembershipPayment.entityType.php"},
	{"MembershipLog", "membership_id", "Membership", "CASCADE", "schema/Member/MembershipLog.entityType.php"},
	{"MembershipLog", "modified_id", "Contact", "SET NULL", "schema/Member/MembershipLog.entityType.php"},
	// schema/Event/Participant.entityType.php
	{"Participant", "contact_id", "Contact", "CASCADE", "schema/Event/Participant.entityType.php"},
	{"Participant", "event_id", "Event", "CASCADE", "schema/Event/Participant.entityType.php"},
	{"Participant", "registered_by_id", "Participant", "SET NULL", "schema/Event/Participant.entityType.php"},
	{"Participant", "transferred_to_contact_id", "Contact", "SET NULL", "schema/Event/Participant.entityType.php"},
	{"Participant", "created_id", "Contact", "SET NULL", "schema/Event/Participant.entityType.php"},
	// schema/Event/ParticipantPayment.entityType.php
	{"ParticipantPayment", "participant_id", "Participant", "CASCADE", "schema/Event/ParticipantPayment.entityType.php"},
	{"ParticipantPayment", "contribution_id", "Contribution", "CASCADE", "schema/Event/ParticipantPayment.entityType.php"},
	// schema/Event/Event.entityType.php
	{"Event", "loc_block_id", "LocBlock", "SET NULL", "schema/Event/Event.entityType.php"},
	{"Event", "created_id", "Contact", "SET NULL", "schema/Event/Event.entityType.php"},
	// schema/Contribute/Contribution.entityType.php
	{"Contribution", "contact_id", "Contact", "CASCADE", "schema/Contribute/Contribution.entityType.php"},
	{"Contribution", "contribution_recur_id", "ContributionRecur", "SET NULL", "schema/Contribute/Contribution.entityType.php"},
	{"Contribution", "address_id", "Address", "SET NULL", "schema/Contribute/Contribution.entityType.php"},
	// schema/Pledge/Pledge.entityType.php, PledgePayment.entityType.php
	{"Pledge", "contact_id", "Contact", "CASCADE", "schema/Pledge/Pledge.entityType.php"},
	{"PledgePayment", "pledge_id", "Pledge", "CASCADE", "schema/Pledge/PledgePayment.entityType.php"},
	{"PledgePayment", "contribution_id", "Contribution", "CASCADE", "schema/Pledge/PledgePayment.entityType.php"},
	// schema/Core/UFMatch.entityType.php
	{"UFMatch", "contact_id", "Contact", "CASCADE", "schema/Core/UFMatch.entityType.php"},
}

// deleteCascades maps, by entityKey, an entity to every entity whose rows
// the database changes when one of its rows is deleted, through any chain
// of deleteRefs (a contact's membership goes, and with it the membership's
// payments). Built once from the facts, so the facts are the one list.
var deleteCascades = cascadeTable(deleteRefs)

func cascadeTable(refs []schemaRef) map[string][]string {
	type edge struct {
		from    string
		deletes bool
	}
	direct := make(map[string][]edge)
	for _, r := range refs {
		k := translate.EntityKey(r.To)
		direct[k] = append(direct[k], edge{r.From, r.OnDelete == "CASCADE"})
	}
	out := make(map[string][]string, len(direct))
	for k := range direct {
		var reach []string
		seen := map[string]bool{k: true}
		expanded := map[string]bool{k: true}
		queue := []string{k}
		for len(queue) > 0 {
			next := direct[queue[0]]
			queue = queue[1:]
			for _, e := range next {
				ek := translate.EntityKey(e.from)
				if !seen[ek] {
					seen[ek] = true
					reach = append(reach, e.from)
				}
				// Only deleted rows delete further: a row whose
				// reference is emptied (SET NULL) stays.
				if e.deletes && !expanded[ek] {
					expanded[ek] = true
					queue = append(queue, ek)
				}
			}
		}
		slices.Sort(reach)
		out[k] = reach
	}
	return out
}

// deletesRows reports whether a plain CRUD action may delete rows of its
// entity: delete, and replace, which deletes the records its set leaves
// out (APIv3's replace, APIv4's BasicReplaceAction). Lower case, as
// confinedWrites.
func deletesRows(action string) bool {
	switch translate.NormalAction(action) {
	case "delete", "replace":
		return true
	}
	return false
}
