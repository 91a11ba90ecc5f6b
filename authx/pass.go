package authx

import (
	"context"
	"time"
)

// PassTTL is how long a Pass lets identical requests skip authentication.
// It bounds how much later than Authenticate the edge learns that a
// remembered verdict has expired (verdicts live minutes: PositiveTTL).
const PassTTL = time.Second

// A Pass lets the caller admit a request identical, byte for byte, to one
// Authenticate admitted moments ago (same credentials, site key, call and
// client address: the caller's to make sure) without authenticating it
// again. Authenticate is a function of the request, the remembered
// verdicts and the failure counters; a Pass stands for the first two for
// PassTTL, and Readmit asks the counters what throttled would.
type Pass struct {
	// credKeys holds the credential's failure-counter key, in the slice
	// Blocked takes (made once, not per request).
	credKeys []string
	until    time.Time
	// gen is the verdicts' generations the credential was verified under,
	// when genBound: once one moves on (a write through Civigate that may
	// have changed credentials, or for a password (password) a user's
	// name, on any instance), the pass ends with the verdict, not PassTTL
	// later.
	gen      verdictGens
	genBound bool
	password bool
}

// PassFor is a Pass for p, which Authenticate has just returned, or false
// when its credential has to be judged on every request: a JWT, whose
// expiry is checked each time, and callers without a credential.
func (a *Authenticator) PassFor(p *Principal) (Pass, bool) {
	if p == nil || p.raw == "" || (p.CredType != CredAPIKey && p.CredType != CredPass) {
		return Pass{}, false
	}
	return Pass{credKeys: []string{a.credLimitKey(p.raw)}, until: a.cfg.Now().Add(PassTTL),
		gen: p.verdictGen, genBound: p.genBound, password: p.password}, true
}

// Readmit reports whether a request that pass was issued for, which
// arrived at now (on Config.Now's clock: the caller has read it already),
// may skip Authenticate: the pass has not expired and the credential's
// own failure counter is not full. Authenticate proved the credential
// (with the request's site key) before it issued the pass, and throttled
// lets a proven credential through whatever the counters say; while its
// counter is full, Readmit still sends the request to Authenticate, which
// judges it as every other. A pass also ends when a verdicts' generation
// its credential was verified under moves on (Pass.gen).
func (a *Authenticator) Readmit(ctx context.Context, pass Pass, now time.Time) bool {
	if !now.Before(pass.until) {
		return false
	}
	if pass.genBound {
		// The generations as known here (no question to Redis): when one
		// is not known, Authenticate asks.
		if g, ok := a.cfg.APIKeys.knownGens(pass.password); !ok || g != pass.gen {
			return false
		}
	}
	if a.countersQuiet() {
		return true
	}
	// Not observed here: a refused pass sends the request to Authenticate.
	blocked, _ := a.cfg.Failures.Blocked(ctx, a.cfg.MaxFailures, pass.credKeys...)
	return !blocked
}
