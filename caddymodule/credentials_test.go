package caddymodule

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/internal/calltest"
	"github.com/civigate/civigate/translate"
)

// Forgets are coalesced to at most one per window: the first runs at once
// in its caller; those asked for within the window run once, at its end,
// and a waiting caller returns only once that one has run. None is lost.
func TestForgetCoalescer(t *testing.T) {
	const window = 200 * time.Millisecond
	var mu sync.Mutex
	var runs []time.Time
	c := newForgetCoalescer(window, func(context.Context) {
		mu.Lock()
		runs = append(runs, time.Now())
		mu.Unlock()
	})
	count := func() int { mu.Lock(); defer mu.Unlock(); return len(runs) }

	start := time.Now()
	if !c.forget(context.Background(), true) || count() != 1 {
		t.Fatalf("first forget: not run at once (%d runs)", count())
	}
	// Three more within the window: one waits for the window's end, two
	// do not wait; all three are one forget, run at the window's end.
	c.forget(context.Background(), false)
	c.forget(context.Background(), false)
	if n := count(); n != 1 {
		t.Fatalf("forgets within the window ran at once: %d runs", n)
	}
	if c.forget(context.Background(), true) {
		t.Fatal("a forget within the window reported it ran at once")
	}
	waited := time.Since(start)
	if n := count(); n != 2 {
		t.Fatalf("after the window: %d runs, want 2 (the coalesced forget lost or run twice)", n)
	}
	mu.Lock()
	gap := runs[1].Sub(runs[0])
	mu.Unlock()
	if gap < window-10*time.Millisecond || waited < window-10*time.Millisecond {
		t.Fatalf("the coalesced forget ran %v after the first (caller waited %v), want the window's end (%v)", gap, waited, window)
	}
	if gap > window+150*time.Millisecond {
		t.Fatalf("the coalesced forget ran %v after the first, later than the window's end (%v)", gap, window)
	}
	// One more right after: within the window of the coalesced one, so
	// it runs at that window's end; flush (the handler closing) runs it
	// now instead, once.
	c.forget(context.Background(), false)
	_ = c.flush()
	if n := count(); n != 3 {
		t.Fatalf("flush: %d runs, want 3", n)
	}
	time.Sleep(window + 50*time.Millisecond)
	if n := count(); n != 3 {
		t.Fatalf("a flushed forget ran again at its window's end: %d runs", n)
	}
	// After a quiet window, a forget runs at once again.
	if !c.forget(context.Background(), true) || count() != 4 {
		t.Fatalf("after a quiet window the forget did not run at once (%d runs)", count())
	}
}

// A forget is skipped only when CiviCRM refused a single call before it
// ran: 401, 403, or APIv3's permission error; anything else may have
// written.
func TestRefusedBeforeRun(t *testing.T) {
	v3 := func(params string) *translate.Call {
		p := translate.NewArray()
		if params != "" {
			v, err := translate.DecodeJSON([]byte(params))
			if err != nil {
				t.Fatal(err)
			}
			p = v.(*translate.Array)
		}
		return &translate.Call{Form: translate.FormAjax, Method: http.MethodPost, Entity: "Setting", Action: "create", Params: p}
	}
	v4 := func(path, form string) *translate.Call {
		c, _ := calltest.API4(t, "POST", path, form, nil)
		c.DecodeParams(context.Background())
		return c
	}
	denied := `{"error_code":"unauthorized","entity":"Setting","action":"create","is_error":1,"error_message":"API permission check failed for Setting/create call; insufficient permission: require administer CiviCRM"}`
	res := func(st int, body string) answer {
		return answer{res: translate.UpstreamResponse{Status: st, ContentType: "application/json", Body: []byte(body)}}
	}
	for _, tc := range []struct {
		name string
		call *translate.Call
		ans  answer
		err  error
		want bool
	}{
		{"v4 403", v4("/civicrm/ajax/api4/Setting/set", `params={"values":{"authx_param_cred":["jwt"]}}`), res(403, `{"error_code":0,"error_message":"Unauthorized","status":403}`), nil, true},
		{"v4 401", v4("/civicrm/ajax/api4/Setting/set", `params={}`), res(401, "HTTP 401 Invalid credential"), nil, true},
		{"v3 permission denied", v3(`{"authx_guards":[]}`), res(200, denied), nil, true},
		// What a call runs under its own name (an update's get, the update a
		// create with an id is) ran only if the call did.
		{"v3 create with an id, refused", &translate.Call{Form: translate.FormAjax, Method: http.MethodPost, Entity: "Contact", Action: "create",
			Params: func() *translate.Array { a := translate.NewArray(); a.Set("id", "2"); a.Set("api_key", "k"); return a }()}, res(200, denied), nil, true},
		{"v4 update 403", v4("/civicrm/ajax/api4/Contact/update", `params={"where":[["id","=",2]],"values":{"api_key":"k"}}`), res(403, `{}`), nil, true},
		{"v3 success", v3(`{"authx_guards":[]}`), res(200, `{"is_error":0,"values":[]}`), nil, false},
		{"v3 other error", v3(`{}`), res(200, `{"error_code":"mandatory_missing","is_error":1,"error_message":"unauthorized"}`), nil, false},
		{"v3 chain refused", v3(`{"api.Contact.create":{"api_key":"k"}}`), res(200, denied), nil, false},
		{"v4 chain 403", v4("/civicrm/ajax/api4/Contact/update", `params={"values":{"api_key":"k"},"chain":{"u":["User","update",{}]}}`), res(403, `{}`), nil, false},
		{"v4 batch 403", v4("/civicrm/ajax/api4", `calls=[["Setting","set",{}]]`), res(403, `{}`), nil, false},
		{"v4 500", v4("/civicrm/ajax/api4/Setting/set", `params={}`), res(500, `{}`), nil, false},
		{"no answer", v4("/civicrm/ajax/api4/Setting/set", `params={}`), answer{}, errors.New("upstream down"), false},
		{"v3 broken", v3(`{}`), res(200, `{"is_error":1,"error_code":"unauthorized"`), nil, false},
	} {
		if got := refusedBeforeRun(tc.call, tc.ans, tc.err); got != tc.want {
			t.Errorf("%s: refusedBeforeRun = %v, want %v", tc.name, got, tc.want)
		}
	}
}

// What a prepared request's memo keeps of what its call changes of the
// credentials CiviCRM accepts is what cache.ChangesCredentials and
// cache.RenamesUsers say, on every repeat: a credential write forgets
// every verdict each time it is forwarded again, an e-mail write those on
// passwords, a read never.
func TestChangesCredentialsMemo(t *testing.T) {
	h := &Handler{verdictGen: new(authx.MemoryGeneration)}
	v4 := func(path, form string) *translate.Call {
		c, _ := calltest.API4(t, "POST", path, form, nil)
		c.DecodeParams(context.Background())
		return c
	}
	write := v4("/civicrm/ajax/api4/Contact/update", `params={"values":{"api_key":"new"},"where":[["id","=",3]]}`)
	email := v4("/civicrm/ajax/api4/Email/update", `params={"values":{"email":"a@example.org"},"where":[["id","=",3]]}`)
	read := v4("/civicrm/ajax/api4/Contact/get", `params={"where":[["id","=",3]]}`)
	for _, tc := range []struct {
		name string
		call *translate.Call
		want credChange
	}{{"write", write, credsChanged}, {"e-mail write", email, credsPasswords}, {"read", read, credsUnchanged}} {
		var memo forwardMemo
		for i := range 3 {
			if got := h.changesCredentials(tc.call, &memo); got != tc.want {
				t.Errorf("%s, time %d: %v, want %v", tc.name, i+1, got, tc.want)
			}
		}
		if got := h.changesCredentials(tc.call, nil); got != tc.want {
			t.Errorf("%s without a memo: %v", tc.name, got)
		}
	}
}
