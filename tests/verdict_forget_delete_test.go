package tests

import (
	"net/http"
	"net/url"
	"testing"
	"time"
)

// A contact deleted through Civigate, to the trash or for good, or
// trashed or restored by an update naming is_deleted, takes its
// credentials with it: AuthX accepts no key of a contact that is gone or
// in the trash (Authenticator.php checks the contact with APIv4's
// Contact.get, which leaves out is_deleted rows). So every instance forgets
// the verdicts it remembers and the deleted contact's key is asked about
// at civicrm/authx/id on its next use: in memory and on Redis (a delete
// through instance A makes instance B ask again), whichever API deleted
// it.
func TestVerdictsForgottenAfterContactDelete(t *testing.T) {
	for _, mode := range []string{"memory", "redis"} {
		t.Run(mode, func(t *testing.T) {
			up, asked, sk, a, b := verdictSites(t, mode)
			extern := "/sites/all/modules/civicrm/extern/rest.php"
			// The deleted contact's own key, as a client of that contact
			// would send it next.
			read := b + extern + "?entity=Contact&action=get&json=1&id=3&key=" + sk + "&api_key=" + up.key(3)
			askedByB := func() int64 {
				t.Helper()
				before := asked.Load()
				do(t, "GET", read, "", siteHost)
				return asked.Load() - before
			}
			admin := http.Header{"Host": {"civicrm.test"}, "X-Civi-Auth": {"Bearer " + up.key(2)}, "X-Civi-Key": {sk}}
			if n := askedByB(); n != 1 {
				t.Fatalf("B's first read asked %d times about its key, want once", n)
			}
			for _, w := range []struct{ name, path, body string }{
				{"APIv3 Contact.delete (to the trash)", extern,
					"entity=Contact&action=delete&json=" + url.QueryEscape(`{"id":3}`) + "&key=" + sk + "&api_key=" + up.key(2)},
				{"APIv3 Contact.delete skip_undelete", extern,
					"entity=Contact&action=delete&json=" + url.QueryEscape(`{"id":3,"skip_undelete":1}`) + "&key=" + sk + "&api_key=" + up.key(2)},
				{"APIv3 Contact.create is_deleted (restore)", extern,
					"entity=Contact&action=create&json=" + url.QueryEscape(`{"id":3,"is_deleted":0}`) + "&key=" + sk + "&api_key=" + up.key(2)},
				{"APIv4 Contact.delete useTrash false", "/civicrm/ajax/api4/Contact/delete",
					"params=" + url.QueryEscape(`{"where":[["id","=",3]],"useTrash":false}`)},
				{"APIv4 Individual.update is_deleted", "/civicrm/ajax/api4/Individual/update",
					"params=" + url.QueryEscape(`{"where":[["id","=",3]],"values":{"is_deleted":true}}`)},
			} {
				h := http.Header{"Host": {"civicrm.test"}}
				if w.path != extern {
					h = admin
				}
				do(t, "POST", a+w.path, w.body, h)
				deadline := time.Now().Add(3 * time.Second)
				for askedByB() == 0 {
					if time.Now().After(deadline) {
						t.Fatalf("%s through A: B never asked about the deleted contact's key again", w.name)
					}
					time.Sleep(20 * time.Millisecond)
				}
				if n := askedByB(); n != 0 {
					t.Fatalf("after %s and asking again, B asked %d more times", w.name, n)
				}
			}
		})
	}
}
