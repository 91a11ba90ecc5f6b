package tests

import (
	"net/url"
	"testing"
)

// TestA10ACLGroupMembershipInvalidatesACLReads: CiviCRM's ACLs are granted
// to groups (an ACL role is given to a group through ACLEntityRole, and an
// ACL's object is a group of contacts), so who may see which contacts
// changes with GroupContact rows: taking a contact out of the group an ACL
// lets a user see hides that contact, and its activities, memberships,
// participations and contributions, from that user's reads
// (CRM_Contact_BAO_Contact_Permission / CRM_ACL_API::whereClause, which
// every APIv4 read of a contact-linked entity applies through the
// contact's access). The README treats ACL, ACLEntityRole and smart-group
// writes as changing who may see what and invalidates everything for
// them; a GroupContact write changes the same thing but leaves a limited
// user's cached reads of other entities in place, so rows the user may no
// longer see are still served to them for the ttl. Permissioned
// relationships (is_permission_a_b / _b_a, CRM_Contact_BAO_Relationship
// permissions, read by CRM_Contact_BAO_Contact_Permission::relationshipList)
// grant and revoke the same access through Relationship writes.
func TestA10ACLGroupMembershipInvalidatesACLReads(t *testing.T) {
	writes := []struct {
		what string
		call a10bCall
	}{
		{"contact 4 was removed from the ACL group (GroupContact.delete)",
			a10bCall{4, "GroupContact", "delete", `{"where":[["group_id","=",3],["contact_id","=",4]]}`}},
		{"the permissioned relationship giving the user access to contact 4 was revoked (Relationship.update is_permission_a_b 0)",
			a10bCall{4, "Relationship", "update", `{"where":[["id","=",1]],"values":{"is_permission_a_b":0}}`}},
	}
	for _, wr := range writes {
		for _, read := range []a10bCall{
			{4, "Activity", "get", `{"select":["id","subject","source_contact_id"]}`},
			{4, "Membership", "get", `{"select":["id","contact_id","status_id"]}`},
			{4, "Participant", "get", `{"select":["id","contact_id","event_id"]}`},
			{3, "Activity", "get", `{"return":["id","subject"]}`},
		} {
			t.Run(wr.call.entity+" "+read.String(), func(t *testing.T) {
				sim, u, inst := a10bSetup(t)
				ada, _ := sim.ACLUsers()
				if ada == nil {
					t.Fatal("the simulator has no ACL-limited user")
				}
				adaRead := func() a10bResp {
					h := map[string]string{"X-Civi-Auth": "Bearer " + ada.APIKey, "X-Civi-Key": sim.SiteKey()}
					if read.v == 4 {
						return a10bDo(t, "POST", inst.URL+"/civicrm/ajax/api4/"+read.entity+"/"+read.action, h, "params="+url.QueryEscape(read.params))
					}
					f := url.Values{"entity": {read.entity}, "action": {read.action}, "json": {read.params}}
					return a10bDo(t, "POST", inst.URL+"/civicrm/ajax/rest", h, f.Encode())
				}
				if r := adaRead(); r.status != 200 {
					t.Fatalf("precondition: %d %s", r.status, r.body)
				}
				before, _ := u.counts()
				adaRead()
				if after, _ := u.counts(); after != before {
					t.Fatalf("precondition: the limited user's %s is cached", read)
				}
				// The admin takes away the limited user's access to contact 4.
				w := wr.call.do(t, sim, inst)
				if w.status != 200 {
					t.Fatalf("%s: %d %s", wr.call, w.status, w.body)
				}
				before, _ = u.counts()
				r := adaRead()
				if after, _ := u.counts(); after == before {
					t.Errorf("after %s, the limited user's %s was still answered "+
						"from the cache (Cache-Status %q): rows of a contact it may no longer see stay visible to it for the ttl", wr.what, read, r.cacheStatus)
				}
			})
		}
	}
}
