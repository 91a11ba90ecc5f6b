package tests

// Attack 7 (verdict generation, cost): any caller allowed to send a write
// can make every instance forget every remembered verdict, with a write
// CiviCRM refuses. The forget happens "successful or not", so a contact
// with no CiviCRM permission at all (here grace: an API key and the site
// key, nothing else) sending APIv4 Setting.set, which CiviCRM refuses with
// 403 before running anything, empties the verdicts of every client of the
// site: each active credential is asked about again at civicrm/authx/id
// (a full CiviCRM bootstrap, 75-175 ms on a real site) on its next
// request. One cheap request of the attacker costs (active credentials ×
// flows × sites/bases) CiviCRM questions; at R requests per second, every
// integration pays an extra authx/id round trip on nearly every call, and
// the edge's verdict memory (the point of remembering verdicts) is void.
// A write CiviCRM refused outright changed no credential: expected, the
// refused writes cost other clients no question (at most one each).

import (
	"net/url"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

func TestAttack7RefusedWritesForgetEveryVerdict(t *testing.T) {
	sim, c, inst := a7Setup(t, civicrmsim.Options{})
	ada, admin, grace := sim.User("ada"), sim.Admin(), sim.User("grace")
	victims := []string{ada.APIKey, admin.APIKey}
	read := func(key string) {
		st, body := a7Req(t, "GET", inst.URL+"/civicrm/ajax/rest?entity=Contact&action=getcount&json=1",
			map[string]string{"X-Civi-Auth": "Bearer " + key, "X-Civi-Key": sim.SiteKey()}, "")
		if st != 200 {
			t.Fatalf("victim read: %d %s", st, body)
		}
	}
	for _, k := range victims {
		read(k)
	}
	before := c.count(ada.APIKey) + c.count(admin.APIKey)
	const attacks = 20
	refused := 0
	for i := 0; i < attacks; i++ {
		st, _ := a7Req(t, "POST", inst.URL+"/civicrm/ajax/api4/Setting/set",
			map[string]string{"X-Civi-Auth": "Bearer " + grace.APIKey, "X-Civi-Key": sim.SiteKey()},
			"params="+url.QueryEscape(`{"values":{"authx_param_cred":["jwt"]}}`))
		if st == 403 {
			refused++
		}
		for _, k := range victims {
			read(k)
		}
	}
	extra := c.count(ada.APIKey) + c.count(admin.APIKey) - before
	t.Logf("%d Setting.set by a contact without permissions (%d refused 403 by CiviCRM) cost the 2 other clients %d extra civicrm/authx/id questions", attacks, refused, extra)
	if extra > len(victims) {
		t.Errorf("writes CiviCRM refused (403, nothing written) made the edge forget every verdict each time: %d extra credential questions for %d victims over %d attacker requests (expected at most %d)", extra, len(victims), attacks, len(victims))
	}
}
