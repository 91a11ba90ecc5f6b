package tests

import "testing"

// TestA10DeleteCascadesInvalidateReferencingReads: CiviCRM's schema makes
// the database delete (ON DELETE CASCADE) or clear (ON DELETE SET NULL)
// rows of other entities when a row they reference is deleted. A cached
// read of those entities must not keep answering rows that no longer
// exist, or references that are now empty, after the delete was answered.
func TestA10DeleteCascadesInvalidateReferencingReads(t *testing.T) {
	contactDeleteV4 := a10bCall{4, "Contact", "delete", `{"where":[["id","=",3]],"useTrash":false}`}
	contactDeleteV3 := a10bCall{3, "Contact", "delete", `{"id":3,"skip_undelete":1}`}
	a10bRunDepCases(t, []a10bDepCase{
		{
			name:  "Contact delete cascades to APIv4 Membership",
			read:  a10bCall{4, "Membership", "get", `{"select":["id","contact_id","membership_type_id"]}`},
			write: contactDeleteV4,
			why: "schema/Member/Membership.entityType.php: contact_id 'entity_reference' => ['entity' => 'Contact', 'on_delete' => 'CASCADE']: " +
				"deleting a contact for good (useTrash false, APIv3 skip_undelete) deletes its memberships in the database",
		},
		{
			name:  "Contact delete cascades to APIv3 Membership",
			read:  a10bCall{3, "Membership", "get", `{"contact_id":3}`},
			write: contactDeleteV3,
			why:   "civicrm_membership.contact_id is ON DELETE CASCADE (schema/Member/Membership.entityType.php)",
		},
		{
			name:  "Contact delete cascades to Participant",
			read:  a10bCall{4, "Participant", "get", `{"select":["id","contact_id","event_id"]}`},
			write: contactDeleteV3,
			why:   "civicrm_participant.contact_id is ON DELETE CASCADE (schema/Event/Participant.entityType.php)",
		},
		{
			name:  "Contact delete cascades to APIv4 Contribution",
			read:  a10bCall{4, "Contribution", "get", `{"select":["id","contact_id","total_amount"]}`},
			write: contactDeleteV3,
			why:   "civicrm_contribution.contact_id is ON DELETE CASCADE (schema/Contribute/Contribution.entityType.php)",
		},
		{
			name:  "Contact delete cascades to Pledge",
			read:  a10bCall{4, "Pledge", "get", `{"select":["id","contact_id"]}`},
			write: contactDeleteV4,
			why:   "civicrm_pledge.contact_id is ON DELETE CASCADE (schema/Pledge/Pledge.entityType.php)",
		},
		{
			name:  "Contact delete cascades to ActivityContact",
			read:  a10bCall{4, "ActivityContact", "get", `{"select":["id","activity_id","contact_id"]}`},
			write: contactDeleteV4,
			why:   "civicrm_activity_contact.contact_id is ON DELETE CASCADE (schema/Activity/ActivityContact.entityType.php)",
		},
		{
			name:  "Activity delete cascades to ActivityContact",
			read:  a10bCall{4, "ActivityContact", "get", `{"select":["id","activity_id","contact_id"]}`},
			write: a10bCall{4, "Activity", "delete", `{"where":[["id","=",1]]}`},
			why:   "civicrm_activity_contact.activity_id is ON DELETE CASCADE",
		},
		{
			name:  "Membership delete cascades to MembershipPayment",
			read:  a10bCall{4, "MembershipPayment", "get", `{"select":["id","membership_id","contribution_id"]}`},
			write: a10bCall{4, "Membership", "delete", `{"where":[["id","=",1]]}`},
			why:   "civicrm_membership_payment.membership_id is ON DELETE CASCADE (schema/Member/MembershipPayment.entityType.php)",
		},
		{
			name:  "ContributionRecur delete clears Contribution.contribution_recur_id",
			read:  a10bCall{4, "Contribution", "get", `{"select":["id","contribution_recur_id"]}`},
			write: a10bCall{4, "ContributionRecur", "delete", `{"where":[["id","=",1]]}`},
			why:   "civicrm_contribution.contribution_recur_id is ON DELETE SET NULL (schema/Contribute/Contribution.entityType.php)",
		},
		{
			name:  "LocBlock delete clears Event.loc_block_id",
			read:  a10bCall{4, "Event", "get", `{"select":["id","title","loc_block_id"]}`},
			write: a10bCall{4, "LocBlock", "delete", `{"where":[["id","=",1]]}`},
			why: "schema/Event/Event.entityType.php: loc_block_id 'entity_reference' => ['entity' => 'LocBlock', 'on_delete' => 'SET NULL']: " +
				"the README's reason for LocBlock writes touching only their own and joining reads overlooks the event rows the delete rewrites",
		},
	})
}
