package authx

import (
	"context"
	"encoding/base64"
	"fmt"
	"testing"
)

// Once a user name's counter is full, every spelling the CMS's user
// lookup takes for the same account is refused unseen too, from any
// address (attack r4 F12: Admin, ADMIN, 'admin ', ' admin' each got a
// fresh budget); another name is not.
func TestUserNameCounterFolded(t *testing.T) {
	e := newEnv(t, func(cfg *Config) { cfg.MaxFailures = 3 })
	ask := func(i int, user string) *Rejection {
		call := contactGet()
		basic := base64.StdEncoding.EncodeToString([]byte(user + ":guess"))
		call.Credentials = credsWith("Basic " + basic)
		_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: mustAddr(fmt.Sprintf("192.0.2.%d", i+1))})
		if rej == nil {
			t.Fatalf("%q accepted", user)
		}
		return rej
	}
	for i := range 3 {
		if rej := ask(i, "admin"); rej.Reason == ReasonRateLimited {
			t.Fatalf("blocked after %d failures", i)
		}
	}
	for i, u := range []string{"admin", "Admin", "ADMIN", "admin ", "admin  ", " admin", "admin\t", "ádmin", "ＡＤＭＩＮ", "admin\x00"} {
		if rej := ask(10+i, u); rej.Reason != ReasonRateLimited {
			t.Errorf("%q: %v, want the blocked user's 429", u, rej.Reason)
		}
	}
	for i, u := range []string{"admins", "adm in", "admin2"} {
		if rej := ask(30+i, u); rej.Reason == ReasonRateLimited {
			t.Errorf("%q: another user blocked", u)
		}
	}
}

func TestUserNameKey(t *testing.T) {
	same := [][2]string{{"Straße", "STRASSE"}, {"a  b", "a b"}, {"a\tb", "a b"}, {"Zoë", "zoe"}}
	for _, p := range same {
		if string(userNameKey(p[0])) != string(userNameKey(p[1])) {
			t.Errorf("%q and %q name different users", p[0], p[1])
		}
	}
	for _, p := range [][2]string{{"ab", "a b"}, {"bob", "rob"}, {"", "a"}} {
		if string(userNameKey(p[0])) == string(userNameKey(p[1])) {
			t.Errorf("%q and %q folded together", p[0], p[1])
		}
	}
}
