package tests

import "testing"

// TestAttack10MergeRunsContactDelete: a contact merge deletes the
// duplicate through the API. CRM_Dedupe_Merger::merge (which APIv3
// Contact.merge, APIv3 Job.process_batch_merge and APIv4
// Contact.mergeDuplicates all call: api/v3/Contact.php,
// api/v3/Job.php, Civi/Api4/Action/Contact/MergeDuplicates.php) ends
// with civicrm_api3('contact', 'delete', ['id' => $otherId])
// (CRM/Dedupe/Merger.php, moveAllBelongings). The README: "A rule on an
// action covers every call that runs that action on the same entity under
// another name, at any depth, in a batch and in either API version".
// `deny { entity Contact action delete }` lets all three through, so a
// caller forbidden to delete contacts deletes (trashes) any contact by
// naming it as the duplicate of another.
func TestAttack10MergeRunsContactDelete(t *testing.T) {
	why := "CRM_Dedupe_Merger::merge runs civicrm_api3('contact', 'delete', ['id' => $otherId]) on the " +
		"duplicate: the merge deletes contact 3 though a rule forbids Contact.delete (APIv4 Contact.delete " +
		"of the same contact is refused)."
	sim, rec, inst := a9Setup(t, "deny {", "entity Contact", "action delete", "}")
	a10MustRefuse(t, sim, rec, inst, "APIv3 Contact.merge",
		a10V3("Contact", "merge", `{"to_keep_id":2,"to_remove_id":3,"mode":"aggressive"}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv4 Contact.mergeDuplicates",
		a10V4("Contact", "mergeDuplicates", `{"contactId":2,"duplicateId":3,"mode":"aggressive"}`), why)
	a10MustRefuse(t, sim, rec, inst, "APIv3 Job.process_batch_merge",
		a10V3("Job", "process_batch_merge", `{"mode":"aggressive"}`),
		"Job.process_batch_merge (api/v3/Job.php) runs CRM_Dedupe_Merger::batchMerge over the site's "+
			"duplicate pairs, and every merge deletes a contact with civicrm_api3('contact', 'delete').")
}
