package tests

// Helpers of the attack 11a tests (policy: what a call reads and writes
// under its own name): a policy, and the calls it must refuse, each sent
// through Civigate in front of the recording simulator (attack 10's
// a10MustRefuse: a policy refusal, nothing upstream).

import "testing"

// a11aCase is one call a policy must refuse, and why.
type a11aCase struct {
	name string
	r    a10Req
	why  string
}

// a11aRefuses starts Civigate with the auth lines and checks that each
// case is refused at the edge.
func a11aRefuses(t *testing.T, authLines []string, cases []a11aCase) {
	t.Helper()
	sim, rec, inst := a9Setup(t, authLines...)
	for _, c := range cases {
		a10MustRefuse(t, sim, rec, inst, c.name, c.r, c.why)
	}
}

// a11aKV is an APIv3 POST to civicrm/ajax/rest whose body is the given
// key=value pairs, sent as written (already encoded), so PHP's name
// mangling and bracket arrays apply as a key-value client's would.
func a11aKV(pairs ...string) a10Req {
	body := ""
	for i, p := range pairs {
		if i > 0 {
			body += "&"
		}
		body += p
	}
	return a10Req{method: "POST", pathQuery: "/civicrm/ajax/rest", ctype: "application/x-www-form-urlencoded", body: body}
}
