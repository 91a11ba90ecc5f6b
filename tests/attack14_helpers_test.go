package tests

// Helpers of the attack 14 tests (policy: what a call reads and writes
// under its own name, as CiviCRM's spec providers, BAOs and API wrappers
// do it): one deny policy and the calls it must refuse at the edge, each
// sent through Civigate in front of the recording simulator (attack 11a's
// a11aRefuses, attack 10's a10MustRefuse), and the control calls the same
// Civigate already refuses, so a failure names what the edge misses and
// not a policy it does not apply at all.

import "testing"

// a14Policy is a deny policy, the calls it must refuse (the finding) and
// the calls it already refuses (the control).
type a14Policy struct {
	lines    []string
	controls []a11aCase
	cases    []a11aCase
}

// a14Check starts Civigate with the policy's lines, fails the test at once
// if a control goes through (the test would then prove nothing), and checks
// every case is refused.
func a14Check(t *testing.T, p a14Policy) {
	t.Helper()
	sim, rec, inst := a9Setup(t, p.lines...)
	for _, c := range p.controls {
		st, body, reached, _ := a10Send(t, sim, rec, inst, c.r)
		if len(reached) > 0 || !a9PolicyRefused(st, body) {
			t.Fatalf("precondition: control %s went through (%d %s): %s", c.name, st, body, c.why)
		}
	}
	for _, c := range p.cases {
		a10MustRefuse(t, sim, rec, inst, c.name, c.r, c.why)
	}
}
