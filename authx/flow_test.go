package authx

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/civigate/civigate/translate"
)

// question is what one request to civicrm/authx/id carried.
type question struct {
	method, uri, contentType, body string
	xCiviAuth, authorization, key  string
	signed                         string
}

// flowAuthxID plays civicrm/authx/id on a site whose AuthX accepts API
// keys on the xheader flow only: authx_param_cred ['jwt'] and
// authx_header_cred [] (Authorization is read by no flow). It reads each
// flow's credential where Authenticator.php does and records every
// question.
func flowAuthxID(t *testing.T, asked *[]question, mu *sync.Mutex) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		q := question{method: r.Method, uri: r.RequestURI, contentType: r.Header.Get("Content-Type"), body: string(body),
			xCiviAuth: r.Header.Get("X-Civi-Auth"), authorization: r.Header.Get("Authorization"), key: r.Header.Get("X-Civi-Key"),
			signed: r.Header.Get(SubrequestHeader)}
		mu.Lock()
		*asked = append(*asked, q)
		mu.Unlock()
		if r.URL.Path != "/civicrm/authx/id" {
			http.NotFound(w, r)
			return
		}
		params := r.URL.Query() // $_GET
		if r.Method != http.MethodGet {
			params, _ = url.ParseQuery(string(body)) // $_POST
		}
		flow, cred := "", ""
		switch {
		case q.xCiviAuth != "":
			flow, cred = "xheader", q.xCiviAuth
		case params.Get("_authx") != "":
			flow, cred = "param", params.Get("_authx")
		}
		switch {
		case flow == "":
			w.Write([]byte(`{"contact_id":null,"user_id":null,"flow":null,"cred":null}`))
		case cred != "Bearer "+akUser:
			w.WriteHeader(401)
			w.Write([]byte("HTTP 401 Invalid credential"))
		case flow == "param":
			w.WriteHeader(401)
			w.Write([]byte(`HTTP 401 Authentication type "api_key" with flow "param" is not allowed for this principal.`))
		default:
			w.Write([]byte(`{"contact_id":3,"user_id":1,"flow":"xheader","cred":"api_key"}`))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

// civicrm/authx/id is asked in the flow the client used, as that flow's
// client sends its credential: X-Civi-Auth (xheader), Authorization
// (header), a POST form body _authx=… (param; AuthX reads $_POST on every
// method but GET). The credential is never in the question's URL, and
// travels in no other place; CiviCRM's answer is its policy for that
// flow.
func TestHTTPResolverAsksInTheClientsFlow(t *testing.T) {
	var asked []question
	var mu sync.Mutex
	srv := flowAuthxID(t, &asked, &mu)
	r := NewHTTPResolver(srv.URL, srv.Client())
	var signs []string
	r.Sign = func(h http.Header, flow, cred string) {
		signs = append(signs, flow+" "+cred)
		h.Set(SubrequestHeader, "signed")
	}
	ctx := context.Background()
	for _, c := range []struct {
		flow    string
		ok      bool
		message string
	}{
		{FlowXHeader, true, ""},
		{FlowHeader, false, MsgInvalidCredential}, // contact_id null: CiviCRM reads no Authorization
		{FlowParam, false, `Authentication type "api_key" with flow "param" is not allowed for this principal.`},
	} {
		asked, signs = nil, nil
		id, err := r.ResolveFlow(ctx, c.flow, "Bearer", akUser)
		rej, _ := err.(*Rejection)
		switch {
		case c.ok && (err != nil || id.ContactID != 3):
			t.Errorf("%s: %+v %v, want contact 3", c.flow, id, err)
		case !c.ok && (rej == nil || rej.Message != c.message || rej.Reason != ReasonInvalid):
			t.Errorf("%s: %+v %v, want refused: %s", c.flow, id, err, c.message)
		}
		if len(asked) != 1 {
			t.Fatalf("%s: %d questions", c.flow, len(asked))
		}
		q := asked[0]
		if strings.Contains(q.uri, akUser) || q.uri != "/civicrm/authx/id" {
			t.Errorf("%s: asked at %q", c.flow, q.uri)
		}
		want := question{method: "GET", uri: "/civicrm/authx/id", signed: "signed"}
		switch c.flow {
		case FlowXHeader:
			want.xCiviAuth = "Bearer " + akUser
		case FlowHeader:
			want.authorization = "Bearer " + akUser
		case FlowParam:
			want.method, want.contentType, want.body = "POST", "application/x-www-form-urlencoded", "_authx="+url.QueryEscape("Bearer "+akUser)
		}
		if q != want {
			t.Errorf("%s: asked %+v, want %+v", c.flow, q, want)
		}
		if len(signs) != 1 || signs[0] != c.flow+" Bearer "+akUser {
			t.Errorf("%s: signed %q", c.flow, signs)
		}
	}
	// Resolve asks in xheader, as it always did.
	asked = nil
	if id, err := r.Resolve(ctx, "Bearer", akUser); err != nil || id.ContactID != 3 || len(asked) != 1 || asked[0].xCiviAuth != "Bearer "+akUser {
		t.Errorf("Resolve: %+v %v %+v", id, err, asked)
	}
	// The second question, with the site key, is asked in the same flow,
	// the site key in X-Civi-Key.
	srv2 := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, q *http.Request) {
		body, _ := io.ReadAll(q.Body)
		mu.Lock()
		asked = append(asked, question{method: q.Method, uri: q.RequestURI, body: string(body), key: q.Header.Get("X-Civi-Key")})
		mu.Unlock()
		if q.Header.Get("X-Civi-Key") != testSiteKey {
			w.WriteHeader(401)
			w.Write([]byte("HTTP 401 Login not permitted. Must satisfy guard (site_key, perm)."))
			return
		}
		w.Write([]byte(`{"contact_id":4,"user_id":2,"flow":"param","cred":"api_key"}`))
	}))
	defer srv2.Close()
	r2 := NewHTTPResolver(srv2.URL, srv2.Client())
	r2.SiteKey = testSiteKey
	asked = nil
	id, err := r2.ResolveFlow(ctx, FlowParam, "Bearer", akNoPerm)
	if err != nil || id.ContactID != 4 || id.Guard || len(asked) != 2 {
		t.Fatalf("%+v %v %+v", id, err, asked)
	}
	for i, q := range asked {
		if q.method != "POST" || q.body != "_authx="+url.QueryEscape("Bearer "+akNoPerm) || strings.Contains(q.uri, akNoPerm) || (q.key == testSiteKey) != (i == 1) {
			t.Errorf("question %d: %+v", i, q)
		}
	}
}

// flowResolver is a fakeResolver that is told the flow: it knows its keys
// in the flows allowed only, counts questions per flow, and holds each
// until hold returns.
type flowResolver struct {
	*fakeResolver
	allowed map[string]bool
	mu      sync.Mutex
	asked   map[string]int
	hold    func(flow string)
}

func (f *flowResolver) ResolveFlow(ctx context.Context, flow, scheme, value string) (Identity, error) {
	f.mu.Lock()
	f.asked[flow]++
	f.mu.Unlock()
	if f.hold != nil {
		f.hold(flow)
	}
	if !f.allowed[flow] {
		return Identity{}, rejectionFromAuthX(`Authentication type "api_key" with flow "` + flow + `" is not allowed for this principal.`)
	}
	return f.fakeResolver.Resolve(ctx, scheme, value)
}

func (f *flowResolver) count(flow string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.asked[flow]
}

// Verdicts are per flow: one remembered, or a question in flight, in the
// xheader flow never answers for the param or header flow. The legacy
// forms and the legacyrest flow are asked in xheader and share its
// verdicts; its keys are VerdictKey's as before.
func TestVerdictsPerFlow(t *testing.T) {
	base, _ := newEnv(t, nil).a.cfg.APIKeys.Resolver.(*fakeResolver)
	res := &flowResolver{fakeResolver: base, allowed: map[string]bool{FlowXHeader: true}, asked: map[string]int{}}
	store := NewMemoryVerdicts()
	v := NewAPIKeyVerifier(res, store, []byte("s"))
	ctx := context.Background()

	x, h, p := v.FlowVerdictKey(FlowXHeader, "a", "Bearer", akUser), v.FlowVerdictKey(FlowHeader, "a", "Bearer", akUser), v.FlowVerdictKey(FlowParam, "a", "Bearer", akUser)
	if x == h || x == p || h == p {
		t.Error("verdict keys of different flows are the same")
	}
	for _, f := range []string{FlowLegacy, FlowLegacyRest, FlowNone} {
		if v.FlowVerdictKey(f, "a", "Bearer", akUser) != x {
			t.Errorf("%s: not asked, nor remembered, as xheader", f)
		}
	}
	if v.VerdictKey("a", "Bearer", akUser) != x {
		t.Error("VerdictKey is not the xheader flow's")
	}

	if vd, err := v.VerifyFlow(ctx, FlowXHeader, "a", "Bearer", akUser); err != nil || !vd.OK {
		t.Fatalf("xheader: %+v %v", vd, err)
	}
	for range 2 {
		for _, f := range []string{FlowParam, FlowHeader} {
			if vd, err := v.VerifyFlow(ctx, f, "a", "Bearer", akUser); err != nil || vd.OK || !strings.Contains(vd.Message, `flow "`+f+`"`) {
				t.Errorf("%s after xheader's verdict: %+v %v", f, vd, err)
			}
		}
		if vd, _ := v.VerifyFlow(ctx, FlowLegacy, "a", "Bearer", akUser); !vd.OK {
			t.Errorf("legacy: %+v", vd)
		}
	}
	if res.count(FlowXHeader) != 1 || res.count(FlowParam) != 1 || res.count(FlowHeader) != 1 {
		t.Errorf("asked %v, want once per flow", res.asked)
	}
	if _, ok := store.Get(ctx, p); !ok {
		t.Error("the param flow's verdict is not stored under its key")
	}

	// In flight: questions in two flows at once are two questions, each
	// with its own answer.
	release := make(chan struct{})
	res.hold = func(string) { <-release }
	var wg sync.WaitGroup
	got := map[string][]bool{}
	var mu sync.Mutex
	for range 5 {
		for _, f := range []string{FlowXHeader, FlowParam} {
			wg.Go(func() {
				vd, _ := v.VerifyFlow(ctx, f, "b", "Bearer", akUser)
				mu.Lock()
				got[f] = append(got[f], vd.OK)
				mu.Unlock()
			})
		}
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	wg.Wait()
	for f, oks := range got {
		for _, ok := range oks {
			if ok != (f == FlowXHeader) {
				t.Errorf("site b, %s: OK %v", f, ok)
			}
		}
	}
	if res.count(FlowXHeader) != 2 || res.count(FlowParam) != 2 {
		t.Errorf("asked %v, want one more question per flow", res.asked)
	}
}

// A credential's first use is shared between flows for throttling only:
// while a request in the xheader flow leads it (and proves the
// credential), a request with the same credential, site key and site in
// the param flow waits for it but is then verified in its own flow, and
// refused where that flow does not take it. It is counted as a failure.
func TestFirstUseFollowerGetsItsOwnFlowsVerdict(t *testing.T) {
	gate := make(chan struct{})
	e, held, proofs := burstEnv(t, func(context.Context, int64) error { return nil }, nil)
	res := &flowResolver{fakeResolver: held.fakeResolver, allowed: map[string]bool{FlowXHeader: true}, asked: map[string]int{}}
	res.hold = func(flow string) {
		if flow == FlowXHeader {
			<-gate
		}
	}
	e.a.cfg.APIKeys.Resolver = res
	addr := netip.MustParseAddr("198.51.100.40")
	try := func(cr translate.Credentials) chan *Rejection {
		ch := make(chan *Rejection, 1)
		go func() {
			call := contactGet()
			call.Credentials = cr
			_, rej := e.a.Authenticate(context.Background(), Request{Call: call, ClientIP: addr, Site: "site-a"})
			ch <- rej
		}()
		return ch
	}
	leader := try(translate.Credentials{XCiviAuth: "Bearer " + akUser, XCiviKey: testSiteKey})
	for res.count(FlowXHeader) < 1 {
		time.Sleep(time.Millisecond)
	}
	n := proofs.gets.Load()
	follower := try(translate.Credentials{Authx: "Bearer " + akUser, AuthxSiteKey: testSiteKey})
	for end := time.Now().Add(5 * time.Second); proofs.gets.Load() < n+2 && time.Now().Before(end); {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(50 * time.Millisecond) // waiting on the leader's first use
	if res.count(FlowParam) != 0 {
		t.Fatal("the follower did not wait for the first use")
	}
	close(gate)
	if rej := <-leader; rej != nil {
		t.Fatalf("leader (xheader): %+v", rej)
	}
	rej := <-follower
	if rej == nil || rej.Reason != ReasonInvalid || !strings.Contains(rej.Message, `flow "param"`) {
		t.Fatalf("follower (param): %+v, want refused in its own flow", rej)
	}
	if res.count(FlowParam) != 1 {
		t.Errorf("asked %v, want the follower asked in param", res.asked)
	}
	e.cnt.mu.Lock()
	failures := e.cnt.m[e.a.credLimitKey("Bearer "+akUser)].n
	e.cnt.mu.Unlock()
	if failures != 1 {
		t.Errorf("credential failures %d, want the follower's refusal counted", failures)
	}
}

// Civigate's subrequest token is bound to the flow it asks in: a token for
// a question in one flow lets no question in another through, and the
// header flow's question about a password (Authorization: Basic, which
// the edge takes for no credential on AuthX's routes) has one too.
func TestSubrequestTokenPerFlow(t *testing.T) {
	a, err := New(Config{Secret: []byte("shared"), Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	basic := "Basic YWRtaW46cHc="
	question := func(flow, cred string) Request {
		h := http.Header{"X-Civi-Key": {testSiteKey}}
		cr := translate.Credentials{XCiviKey: testSiteKey}
		switch flow {
		case FlowXHeader:
			h.Set("X-Civi-Auth", cred)
			cr.XCiviAuth = cred
		case FlowHeader:
			h.Set("Authorization", cred)
			cr.Authorization = cred
		case FlowParam:
			cr.Authx = cred
		}
		return Request{Call: &translate.Call{Form: translate.FormAuthx, Method: "GET", Action: "id", Credentials: cr}, Header: h}
	}
	flows := []string{FlowXHeader, FlowHeader, FlowParam}
	for _, cred := range []string{"Bearer " + akUser, basic} {
		for _, signedIn := range flows {
			h := http.Header{"X-Civi-Key": {testSiteKey}}
			a.SignSubrequestFlow(h, signedIn, cred)
			tok := h.Get(SubrequestHeader)
			for _, askedIn := range flows {
				if got := a.SubrequestValid(tok, question(askedIn, cred)); got != (askedIn == signedIn) {
					t.Errorf("%s signed in %s, asked in %s: valid %v", cred, signedIn, askedIn, got)
				}
			}
			if a.SubrequestValid(tok, question(signedIn, "Bearer other")) {
				t.Errorf("%s signed in %s: valid for another credential", cred, signedIn)
			}
		}
	}
	// SignSubrequest is the xheader flow's.
	h := http.Header{"X-Civi-Auth": {"Bearer " + akUser}, "X-Civi-Key": {testSiteKey}}
	a.SignSubrequest(h)
	if !a.SubrequestValid(h.Get(SubrequestHeader), question(FlowXHeader, "Bearer "+akUser)) {
		t.Error("SignSubrequest's token is not the xheader flow's")
	}
}
