package translate

import "strings"

// Form submissions: calls that save the records a form the site built
// declares, with the values the client sends for them. Which entities
// they write, and how, is the form's configuration, which the edge cannot
// read (as Job.execute's scheduled jobs are the site's):
//
//   - APIv4 Afform.submit (Civi\Api4\Action\Afform\Submit::processForm,
//     AbstractProcessor::processFormData): each entity of the form's
//     layout (Individual1, Activity1…) is created, or updated where the
//     client gives an id the form may autofill, with its joins (Email,
//     Address…: replace), and an AfformSubmission row is saved;
//     Afform.process saves a pending submission's entities the same way;
//     Afform.submitFile creates a File and updates the form entity's field
//     with it;
//   - APIv4 Afform.submitDraft saves the caller's draft: AfformSubmission
//     (replace: a create or an update, and a delete of the old draft);
//   - APIv3 Profile.submit (civicrm_api3_profile_submit), and Profile.set,
//     its deprecated name (civicrm_api3_profile_set calls it): Contact.create of
//     the profile's contact with its fields, and a create of each other
//     entity a field belongs to (Note, Activity, Contribution, Membership,
//     Participant, EntityTag…) chained below it.
//
// Each is reported as the calls of an entity the edge cannot name, a
// create and an update, made whatever the client asks (Subcall.StartedBy):
// every deny rule naming a write action, or naming no action, refuses
// them (deny { entity Contact action create update } refuses
// Afform.submit), a deny rule naming reads only does not (a site that
// denies gets still takes its forms), and an allow rule naming the form
// call (entity Afform action submit, entity Profile action submit) admits
// them, as one naming Job.execute admits its jobs; an allow rule on the
// entities the form writes does not, since the edge cannot tell them.
// What the joins' replace and a profile's tags delete is not reported as a
// delete: every form with a join would then fall to a deny rule on delete.

// formWrites reports what a form submission writes: a create and an
// update of an entity the edge cannot name.
func (s *joinScan) formWrites() bool {
	for _, a := range [...]string{"create", "update"} {
		if !s.startedWrite("", true, a) {
			return false
		}
	}
	return s.ok
}

// draftWrites reports what Afform.submitDraft writes: the caller's
// AfformSubmission draft.
func (s *joinScan) draftWrites() bool {
	for _, a := range [...]string{"create", "update", "delete"} {
		if !s.startedWrite("AfformSubmission", false, a) {
			return false
		}
	}
	return s.ok
}

// startedWrite reports a write the parent makes whatever the client asks.
func (s *joinScan) startedWrite(entity string, dynamic bool, action string) bool {
	if !s.ok {
		return false
	}
	p := s.parent
	sc := Subcall{Version: p.Version, Entity: entity, EntityDynamic: dynamic, Action: action, ParamsUnknown: true,
		Depth: p.Depth + 1, InBatch: p.InBatch, Member: p.Member, StartedBy: p.Entity, StartedByAction: impliedBy(p)}
	sc.Truncated = sc.Depth > MaxSubcallDepth
	s.ok = s.w.visit(sc)
	return s.ok
}

// v4FormSubmit reports an APIv4 form submission's writes; handled is
// false for any other call.
func (s *joinScan) v4FormSubmit(sc Subcall) (ok, handled bool) {
	if !sameEntityName(sc.Entity, "Afform") {
		return true, false
	}
	switch strings.ToLower(sc.Action) {
	case "submit", "submitfile", "process":
		return s.formWrites(), true
	case "submitdraft":
		return s.draftWrites(), true
	}
	return true, false
}
