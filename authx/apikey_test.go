package authx

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// fakeAuthxID plays civicrm/authx/id as real CiviCRM 6.17 answers it, its
// guards included: akUser's contact may authenticate with an API key,
// akNoPerm's and akNoUser's need the site key.
func fakeAuthxID(t *testing.T, hits *atomic.Int64) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		if r.URL.Path != "/civicrm/authx/id" || r.Method != "GET" {
			http.NotFound(w, r)
			return
		}
		cred := r.Header.Get("X-Civi-Auth")
		switch {
		case cred == "Bearer "+akUser:
			w.Write([]byte(`{"contact_id":3,"user_id":1,"flow":"xheader","cred":"api_key"}`))
		case cred == "Bearer "+akNoUser && r.Header.Get("X-Civi-Key") == testSiteKey:
			w.Write([]byte(`{"contact_id":14,"user_id":null,"flow":"xheader","cred":"api_key"}`))
		case cred == "Bearer "+akNoPerm && r.Header.Get("X-Civi-Key") == testSiteKey:
			w.Write([]byte(`{"contact_id":4,"user_id":2,"flow":"xheader","cred":"api_key"}`))
		case cred == "Bearer "+akNoUser, cred == "Bearer "+akNoPerm:
			w.WriteHeader(401)
			w.Write([]byte("HTTP 401 Login not permitted. Must satisfy guard (site_key, perm)."))
		case cred == "Basic "+base64.StdEncoding.EncodeToString([]byte("admin:pw")):
			w.Write([]byte(`{"contact_id":3,"user_id":1,"flow":"xheader","cred":"pass"}`))
		case cred == "Bearer boom":
			w.WriteHeader(502)
		case cred == "Bearer html":
			w.Write([]byte(`<html>`))
		default:
			w.WriteHeader(401)
			w.Write([]byte("HTTP 401 Invalid credential"))
		}
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestHTTPResolver(t *testing.T) {
	var hits atomic.Int64
	srv := fakeAuthxID(t, &hits)
	r := NewHTTPResolver(srv.URL+"/", srv.Client())
	ctx := context.Background()
	id, err := r.Resolve(ctx, "Bearer", akUser)
	if err != nil || id.ContactID != 3 || id.UserID == nil || *id.UserID != 1 || id.Cred != "api_key" || !id.Guard {
		t.Fatalf("%+v %v", id, err)
	}
	var rej *Rejection
	if _, err := r.Resolve(ctx, "Bearer", "nope"); !errors.As(err, &rej) || rej.Reason != ReasonInvalid {
		t.Fatalf("bad key: %v", err)
	}
	if _, err := r.Resolve(ctx, "Bearer", akNoUser); !errors.As(err, &rej) || rej.Reason != ReasonNoUser {
		t.Fatalf("no-user key without site key: %v", err)
	}
	r.SiteKey = testSiteKey
	if id, err := r.Resolve(ctx, "Bearer", akNoUser); err != nil || id.UserID != nil || id.ContactID != 14 || id.Guard {
		t.Fatalf("no-user key with site key: %+v %v", id, err)
	}
	// AuthX's guards are asked first, without the site key: a key passing
	// them costs one question, one that needs the site key two.
	hits.Store(0)
	if id, err := r.Resolve(ctx, "Bearer", akUser); err != nil || !id.Guard || hits.Load() != 1 {
		t.Fatalf("key passing the perm guard: %+v %v after %d questions", id, err, hits.Load())
	}
	hits.Store(0)
	if id, err := r.Resolve(ctx, "Bearer", akNoPerm); err != nil || id.Guard || id.ContactID != 4 || hits.Load() != 2 {
		t.Fatalf("key lacking the perm guard: %+v %v after %d questions", id, err, hits.Load())
	}
	for _, v := range []string{"boom", "html"} {
		if _, err := r.Resolve(ctx, "Bearer", v); !errors.Is(err, ErrUnavailable) {
			t.Errorf("%s: %v", v, err)
		}
	}
	srv.Close()
	if _, err := r.Resolve(ctx, "Bearer", akUser); !errors.Is(err, ErrUnavailable) || strings.Contains(err.Error(), akUser) {
		t.Errorf("down: %v", err)
	}
}

func TestAPIKeyVerifierTTLsAndSingleFlight(t *testing.T) {
	var hits atomic.Int64
	srv := fakeAuthxID(t, &hits)
	clock := testNow
	store := NewMemoryVerdicts()
	store.Now = func() time.Time { return clock }
	v := NewAPIKeyVerifier(NewHTTPResolver(srv.URL, srv.Client()), store, nil)
	v.PositiveTTL, v.NegativeTTL = time.Minute, 5*time.Second
	ctx := context.Background()

	var wg sync.WaitGroup
	for range 20 {
		wg.Go(func() {
			if vd, err := v.Verify(ctx, "", "Bearer", akUser); err != nil || !vd.OK || vd.ContactID != 3 {
				t.Errorf("%+v %v", vd, err)
			}
		})
	}
	wg.Wait()
	if hits.Load() != 1 {
		t.Fatalf("20 concurrent lookups asked CiviCRM %d times", hits.Load())
	}
	vd, _ := v.Verify(ctx, "", "Bearer", "wrong")
	if vd.OK || vd.Reason != ReasonInvalid || vd.Message != MsgInvalidCredential {
		t.Fatalf("negative: %+v", vd)
	}
	v.Verify(ctx, "", "Bearer", "wrong")
	if hits.Load() != 2 {
		t.Fatalf("hits %d", hits.Load())
	}
	clock = clock.Add(6 * time.Second) // negative expired, positive not
	v.Verify(ctx, "", "Bearer", "wrong")
	v.Verify(ctx, "", "Bearer", akUser)
	if hits.Load() != 3 {
		t.Fatalf("hits %d after negative TTL", hits.Load())
	}
	clock = clock.Add(time.Minute)
	v.Verify(ctx, "", "Bearer", akUser)
	if hits.Load() != 4 {
		t.Fatalf("hits %d after positive TTL", hits.Load())
	}
	// Outages are not remembered.
	vd, err := v.Verify(ctx, "", "Bearer", "boom")
	if !errors.Is(err, ErrUnavailable) || vd.OK {
		t.Fatal(err)
	}
	v.Verify(ctx, "", "Bearer", "boom")
	if hits.Load() != 6 {
		t.Fatalf("outage remembered: hits %d", hits.Load())
	}
	// The store never holds the key.
	for k := range store.m {
		if strings.Contains(k, akUser) || len(k) != 64 {
			t.Fatalf("store key %q", k)
		}
	}
}

func TestVerdictEncoding(t *testing.T) {
	for _, v := range []Verdict{
		{OK: true, ContactID: 3, UserID: i64(1), Cred: "api_key"},
		{OK: true, ContactID: 3, UserID: i64(1), Cred: "api_key", Guard: true},
		{OK: true, ContactID: 14, Cred: "pass"},
		{Reason: ReasonNoUser, Message: MsgNoUser},
		{Reason: ReasonInvalid, Message: "a|b"},
	} {
		got, ok := decodeVerdict(v.encode())
		if !ok || got.OK != v.OK || got.ContactID != v.ContactID || got.Cred != v.Cred || got.Guard != v.Guard || got.Reason != v.Reason || got.Message != v.Message || (got.UserID == nil) != (v.UserID == nil) {
			t.Errorf("%+v → %q → %+v", v, v.encode(), got)
		}
	}
	// A verdict remembered before Guard existed still decodes, without it.
	if v, ok := decodeVerdict("1|3|1|api_key"); !ok || v.ContactID != 3 || v.Guard {
		t.Errorf("four-field verdict: %+v %v", v, ok)
	}
	for _, bad := range []string{"", "1|x||", "1|3|y|api_key", "2|a|b", "1|-3||", "1|3|1|api_key|x", "1|3|1|api_key|g|"} {
		if _, ok := decodeVerdict(bad); ok {
			t.Errorf("%q decoded", bad)
		}
	}
}

func TestMemoryVerdictsBounded(t *testing.T) {
	s := NewMemoryVerdicts()
	s.Max = 100
	for i := range 1000 {
		s.Set(context.Background(), strings.Repeat("k", i%7)+string(rune(i)), Verdict{OK: true, ContactID: 1}, time.Hour)
	}
	if len(s.m) > 100 {
		t.Fatalf("%d entries", len(s.m))
	}
}

func TestKeyFile(t *testing.T) {
	in := "# comment\n\n" + HashAPIKey("k1") + " 5\n" + strings.ToUpper(HashAPIKey("k2")[7:]) + " 6\n"
	if _, err := ParseKeyFile(strings.NewReader(in), nil); err == nil {
		t.Fatal("missing sha256: prefix accepted")
	}
	in = HashAPIKey("k1") + " 5 user=2\nsha256:" + strings.ToUpper(HashAPIKey("k2")[7:]) + " 6 nouser forward=jwt\n"
	kf, err := ParseKeyFile(strings.NewReader(in), nil)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := kf.Lookup("k1"); !ok || e.ContactID != 5 || *e.UserID != 2 {
		t.Fatalf("%+v", e)
	}
	if e, ok := kf.Lookup("k2"); !ok || !e.NoUser || e.Forward != "jwt" {
		t.Fatalf("%+v", e)
	}
	if _, ok := kf.Lookup("k3"); ok {
		t.Fatal("k3")
	}
	if HashAPIKey("abc") != "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatal(HashAPIKey("abc"))
	}
	t.Setenv("CIVIGATE_TEST_REAL_KEY", "real-secret-value")
	for _, bad := range []string{
		HashAPIKey("k") + " 0",
		HashAPIKey("k") + " 5 user=x",
		HashAPIKey("k") + " 5 bogus=1",
		HashAPIKey("k") + " 5 forward=env:CIVIGATE_TEST_UNSET_VAR",
		HashAPIKey("k") + " 5 user=1 nouser",
		HashAPIKey("k") + " 5\n" + HashAPIKey("k") + " 6",
		"sha256:abcd 5",
	} {
		_, err := ParseKeyFile(strings.NewReader(bad), nil)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "real-secret") {
			t.Errorf("error leaks secret: %v", err)
		}
	}
	kf, err = ParseKeyFile(strings.NewReader(HashAPIKey("ext")+" 8 forward=env:CIVIGATE_TEST_REAL_KEY"), nil)
	if err != nil {
		t.Fatal(err)
	}
	if e, _ := kf.Lookup("ext"); e.Forward != "real-secret-value" {
		t.Fatal("forward env not resolved")
	}
}

func TestHTTPResolverRefusesRedirects(t *testing.T) {
	var leaked atomic.Bool
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("X-Civi-Auth") != "" {
			leaked.Store(true)
		}
		w.Write([]byte(`{"contact_id":1,"user_id":1}`))
	}))
	defer other.Close()
	srv := httptest.NewServer(http.RedirectHandler(other.URL+"/civicrm/authx/id", http.StatusFound))
	defer srv.Close()
	r := NewHTTPResolver(srv.URL, srv.Client())
	if _, err := r.Resolve(context.Background(), "Bearer", akUser); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("redirect: %v", err)
	}
	if leaked.Load() {
		t.Fatal("credential followed a redirect")
	}
}

// siteCtxKey carries, in the tests, the site a question reaches (in
// Civigate, the route's subrequest goes where the call runs).
type siteCtxKey struct{}

// siteResolver knows key as contact 3 on site "a" only, and counts its
// questions per site; each waits for release.
type siteResolver struct {
	key     string
	release chan struct{}
	mu      sync.Mutex
	asked   map[string]int
}

func (r *siteResolver) Resolve(ctx context.Context, scheme, value string) (Identity, error) {
	site, _ := ctx.Value(siteCtxKey{}).(string)
	r.mu.Lock()
	r.asked[site]++
	r.mu.Unlock()
	<-r.release
	if site == "a" && value == r.key {
		return Identity{ContactID: 3, Cred: "api_key", Guard: true}, nil
	}
	return Identity{}, invalidCredential("authx/id refused")
}

// A verdict is remembered, and a question in flight shared, per site and
// credential: a key valid on one site, asked about on two at once, is
// asked once on each and valid on its own only; remembered, it stays
// so; the store keys differ by site and never hold the key.
func TestAPIKeyVerifierVerdictsPerSite(t *testing.T) {
	res := &siteResolver{key: akUser, release: make(chan struct{}), asked: map[string]int{}}
	store := NewMemoryVerdicts()
	v := NewAPIKeyVerifier(res, store, nil)
	var wg sync.WaitGroup
	got := map[string][]Verdict{}
	var mu sync.Mutex
	for range 10 {
		for _, site := range []string{"a", "b"} {
			wg.Go(func() {
				vd, err := v.Verify(context.WithValue(context.Background(), siteCtxKey{}, site), site, "Bearer", akUser)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				got[site] = append(got[site], vd)
				mu.Unlock()
			})
		}
	}
	time.Sleep(50 * time.Millisecond) // all in flight
	close(res.release)
	wg.Wait()
	if res.asked["a"] != 1 || res.asked["b"] != 1 {
		t.Fatalf("asked %v, want once per site", res.asked)
	}
	for site, vds := range got {
		for _, vd := range vds {
			if vd.OK != (site == "a") {
				t.Fatalf("site %s: %+v", site, vd)
			}
		}
	}
	for _, site := range []string{"a", "b"} {
		if vd, _ := v.Verify(context.WithValue(context.Background(), siteCtxKey{}, site), site, "Bearer", akUser); vd.OK != (site == "a") {
			t.Errorf("remembered on %s: %+v", site, vd)
		}
	}
	if res.asked["a"] != 1 || res.asked["b"] != 1 {
		t.Errorf("remembered verdicts asked again: %v", res.asked)
	}
	if len(store.m) != 2 {
		t.Errorf("%d verdicts stored, want one per site", len(store.m))
	}
	for k := range store.m {
		if strings.Contains(k, akUser) || len(k) != 64 {
			t.Errorf("store key %q", k)
		}
	}
	// The site is told apart from the credential whatever it holds.
	if v.VerdictKey("a", "Bearer", "x") == v.VerdictKey("a\x00", "Bearer", "x") || v.VerdictKey("", "Bearer", "x") == v.VerdictKey("B", "earer", "x") {
		t.Error("verdict keys of different sites or credentials collide")
	}
}
