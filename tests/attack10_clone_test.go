package tests

import "testing"

// TestAttack10MailingCloneRunsGetsingle: APIv3 Mailing.clone reads the
// mailing through the API and answers a copy of it. civicrm_api3_mailing_clone
// (api/v3/Mailing.php) runs civicrm_api3('Mailing', 'getsingle', ['id' =>
// $params['id']]), copies every field but a few (subject, body_html,
// body_text, from_email, template options…) and returns
// civicrm_api3('Mailing', 'create', $newParams): the mailing's content in
// the answer. The README: a rule on get covers getsingle and every call
// that runs get "under another name"; `deny { entity Mailing action get }`
// lets clone through.
func TestAttack10MailingCloneRunsGetsingle(t *testing.T) {
	sim, rec, inst := a9Setup(t, "deny {", "entity Mailing", "action get", "}")
	if st, body, reached, _ := a10Send(t, sim, rec, inst, a10V3("Mailing", "getsingle", `{"id":1}`)); len(reached) > 0 || !a9PolicyRefused(st, body) {
		t.Fatalf("control: Mailing.getsingle not refused: %d %s", st, body)
	}
	a10MustRefuse(t, sim, rec, inst, "Mailing.clone", a10V3("Mailing", "clone", `{"id":1}`),
		"civicrm_api3_mailing_clone runs civicrm_api3('Mailing', 'getsingle', ['id' => 1]) and answers the "+
			"created copy, which carries the mailing's subject and bodies, though a rule forbids Mailing.get (and getsingle, "+
			"refused above).")
}
