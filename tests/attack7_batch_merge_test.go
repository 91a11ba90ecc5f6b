package tests

// Attack 7 (verdict generation): README lists "a contact merge" among the
// writes that forget every remembered verdict (a merge moves the removed
// contact's CMS user, its UFMatch, to the kept contact and deletes the
// removed one: which contact a key or a user is changes). Contact.merge
// and APIv4 Contact.mergeDuplicates do forget; APIv3
// Job.process_batch_merge, CiviCRM's batch merge of duplicate contacts
// (the "Batch merge duplicate contacts" scheduled job, also callable
// through the API: mode safe/aggressive, rule_group_id), and Job.execute,
// which runs the scheduled jobs including that one, forget nothing, so
// verdicts about the merged contacts' credentials stay remembered for
// verdict_ttl. Expected: they forget like Contact.merge (the credential is
// asked about again on its next use).

import (
	"net/url"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func TestAttack7BatchMergeForgetsVerdicts(t *testing.T) {
	sim, c, inst := a7Setup(t, civicrmsim.Options{})
	ada := sim.User("ada")
	adminH := map[string]string{"X-Civi-Auth": "Bearer " + sim.Admin().APIKey, "X-Civi-Key": sim.SiteKey()}
	adaGet := func() {
		if st, body := a7Req(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1",
			map[string]string{"X-Civi-Auth": "Bearer " + ada.APIKey}, ""); st != 200 {
			t.Fatalf("ada: %d %s", st, body)
		}
	}
	for _, w := range []struct{ name, body string }{
		{"Contact.merge (control)", "entity=Contact&action=merge&json=" + url.QueryEscape(`{"to_remove_id":`+itoa(int(ada.ContactID))+`,"to_keep_id":4}`)},
		{"Job.process_batch_merge", "entity=Job&action=process_batch_merge&json=" + url.QueryEscape(`{"mode":"aggressive","rule_group_id":1}`)},
		{"Job.execute", "entity=Job&action=execute&json=1"},
	} {
		adaGet()
		before := c.count(ada.APIKey)
		a7Req(t, "POST", inst.URL+"/civicrm/ajax/rest", adminH, w.body)
		adaGet()
		if c.count(ada.APIKey) == before {
			t.Errorf("after %s through Civigate, ada's key was not asked about again: the verdict survived a contact merge (expected it forgotten, as after Contact.merge)", w.name)
		}
	}
}
