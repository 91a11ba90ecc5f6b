package tests

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// aclCiviCRM is a modern CiviCRM whose API users (contacts 2 to 5) see
// different data: every read answer (APIv3, and APIv4 Contact.get) names
// the contact it was computed for and the number of writes so far, so an
// answer that crossed users, or outlived a write, shows it.
type aclCiviCRM struct {
	keys          map[string]int64 // API key → contact id
	srv           *httptest.Server
	reads, writes atomic.Int64
	idCalls       atomic.Int64 // credential questions (civicrm/authx/id)
}

func newACLCiviCRM(t testing.TB) *aclCiviCRM {
	t.Helper()
	c := &aclCiviCRM{keys: map[string]int64{randomHex(t, 16): 2, randomHex(t, 16): 3, randomHex(t, 16): 4, randomHex(t, 16): 5}}
	c.srv = httptest.NewServer(civicrmsim.WithPHPSession(c)) // cookies and no-store, as CiviCRM
	t.Cleanup(c.srv.Close)
	return c
}

func (c *aclCiviCRM) key(contact int64) string {
	for k, id := range c.keys {
		if id == contact {
			return k
		}
	}
	return ""
}

func (c *aclCiviCRM) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseMultipartForm(1 << 20) // Civigate POSTs multipart/form-data
	cred := r.Header.Get("X-Civi-Auth")
	if r.URL.Path == "/civicrm/authx/id" && cred == "" {
		// Civigate asks in the client's flow: Authorization, else _authx
		// ($_GET on a GET, $_POST otherwise), as AuthX reads them.
		if cred = r.Header.Get("Authorization"); cred == "" && r.Method == http.MethodGet {
			cred = r.URL.Query().Get("_authx")
		} else if cred == "" {
			cred = r.PostForm.Get("_authx")
		}
	}
	auth, _ := strings.CutPrefix(cred, "Bearer ")
	cid, ok := c.keys[auth]
	switch {
	case r.URL.Path == "/civicrm/authx/id" && ok:
		c.idCalls.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"contact_id":%d,"user_id":%d,"flow":"xheader","cred":"api_key"}`, cid, cid)
	case !ok:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusUnauthorized)
		io.WriteString(w, "HTTP 401 Invalid credential")
	case r.URL.Path == "/civicrm/ajax/rest" && r.Form.Get("action") == "create":
		n := c.writes.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"is_error":0,"version":3,"count":1,"id":%d,"values":{"%d":{"id":"%d"}}}`, 100+n, 100+n, 100+n)
	case r.URL.Path == "/civicrm/ajax/rest":
		c.reads.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"is_error":0,"version":3,"count":1,"values":{"%d":{"seen_by":"%d","writes":"%d","q":%q,"name":"A & B <c>"}}}`,
			cid, cid, c.writes.Load(), r.Form.Get("json"))
	case strings.HasPrefix(r.URL.Path, "/civicrm/ajax/api4/Contact/get"):
		c.reads.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"entity":"Contact","action":"get","version":4,"count":1,"countFetched":1,"values":[{"id":%d,"seen_by":"%d","writes":"%d","params":%q}]}`,
			cid, cid, c.writes.Load(), r.Form.Get("params"))
	default:
		http.NotFound(w, r)
	}
}

// cacheSites starts one Caddy with n Civigate sites in front of up, each
// a separate handler (like separate instances), sharing Redis when
// redisURL is set.
func cacheSites(t *testing.T, up *aclCiviCRM, siteKey, redisURL, prefix string, n int) (urls []string, admin string) {
	t.Helper()
	var b strings.Builder
	b.WriteString(testGlobalOptions)
	ports := make([]int, n)
	for i := range ports {
		addr := "{PORT}" // the first site is the one startCaddy waits for
		if i > 0 {
			ports[i] = freePort(t)
			addr = fmt.Sprint(ports[i])
		}
		fmt.Fprintf(&b, "http://:%s {\n\tcivicrm {\n\t\tsite_key %s\n", addr, siteKey)
		if redisURL != "" {
			// A Redis deadline well above the 10ms default: these tests check
			// what is shared and invalidated, and a loaded machine would
			// otherwise turn some of their reads into fail-open misses.
			fmt.Fprintf(&b, "\t\tredis %s\n\t\tredis_prefix %s\n\t\tcache {\n\t\t\tredis_timeout 250ms\n\t\t}\n", redisURL, prefix)
		}
		fmt.Fprintf(&b, "\t}\n\treverse_proxy %s\n}\n", strings.TrimPrefix(up.srv.URL, "http://"))
	}
	inst := startCaddy(t, b.String())
	urls = []string{inst.URL}
	for _, p := range ports[1:] {
		urls = append(urls, fmt.Sprintf("http://127.0.0.1:%d", p))
	}
	return urls, inst.Admin
}

// A repeated read is answered from the cache; an XML client is served from
// the entry a JSON client stored, byte for byte what the uncached XML
// answer is; every answer says what the cache did.
func TestCacheHitsAndXMLFromJSONEntry(t *testing.T) {
	up := newACLCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	sites, admin := cacheSites(t, up, sk, "", "", 1)
	base := sites[0]
	ak := up.key(2)
	extern := base + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&id=2&key=" + sk + "&api_key=" + ak

	first := do(t, "GET", extern+"&json=1", "", nil)
	second := do(t, "GET", extern+"&json=1", "", nil)
	if first.body != second.body || up.reads.Load() != 1 {
		t.Fatalf("second read: %d upstream reads, bodies equal %v", up.reads.Load(), first.body == second.body)
	}
	if got := first.header.Get("Cache-Status"); got != "Civigate; fwd=miss; fwd-status=200; stored" {
		t.Errorf("first Cache-Status %q", got)
	}
	if got := second.header.Get("Cache-Status"); got != "Civigate; hit" {
		t.Errorf("second Cache-Status %q", got)
	}
	// The same call as POST with json= shares the entry.
	post := do(t, "POST", base+"/sites/all/modules/civicrm/extern/rest.php", "entity=Contact&action=get&json=%7B%22id%22%3A%222%22%7D&key="+sk+"&api_key="+ak, nil)
	if post.body != first.body || post.header.Get("Cache-Status") != "Civigate; hit" {
		t.Errorf("json= POST of the same call: %s %s", post.header.Get("Cache-Status"), post.body)
	}

	xmlHit := do(t, "GET", extern, "", nil)
	if xmlHit.header.Get("Cache-Status") != "Civigate; hit" || up.reads.Load() != 1 {
		t.Fatalf("XML client: %s, %d upstream reads", xmlHit.header.Get("Cache-Status"), up.reads.Load())
	}
	purge(t, admin, "")
	xmlFresh := do(t, "GET", extern, "", nil)
	if !strings.Contains(xmlFresh.header.Get("Cache-Status"), "fwd=miss") || up.reads.Load() != 2 {
		t.Fatalf("after purge: %s, %d upstream reads", xmlFresh.header.Get("Cache-Status"), up.reads.Load())
	}
	if xmlHit.body != xmlFresh.body || xmlHit.header.Get("Content-Type") != "text/xml;charset=UTF-8" ||
		!strings.Contains(xmlHit.body, "<name>A &amp; B &lt;c&gt;</name>") {
		t.Errorf("XML from the cache differs from the uncached XML:\n%s\n---\n%s", xmlHit.body, xmlFresh.body)
	}
	// Misses and hits alike come with their length (Go's server counts a
	// short one itself: serverCountsLength), never chunked.
	for i, a := range []answer{first, second, post, xmlHit, xmlFresh} {
		if got := a.header.Get("Content-Length"); got != strconv.Itoa(len(a.body)) {
			t.Errorf("answer %d: Content-Length %q for %d bytes", i, got, len(a.body))
		}
	}
}

// purge asks the admin API to purge the cache (query "" purges everything).
func purge(t *testing.T, admin, query string) {
	t.Helper()
	resp, err := http.Post(admin+"/civigate/cache/purge"+query, "", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("purge: %d %s", resp.StatusCode, b)
	}
}

// A randomised run of concurrent reads by two users with different
// permissions: no answer ever reaches the other user.
func TestCacheNeverCrossesUsers(t *testing.T) {
	up := newACLCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	sites, _ := cacheSites(t, up, sk, "", "", 1)
	base := sites[0]
	const requests, workers = 1200, 8
	var crossed, hits, done atomic.Int64
	var wg sync.WaitGroup
	jobs := make(chan int64, requests)
	for i := 0; i < requests; i++ {
		jobs <- int64(2 + rand.IntN(2))
	}
	close(jobs)
	client := &http.Client{}
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for cid := range jobs {
				id := rand.IntN(6)
				var u string
				if rand.IntN(2) == 0 {
					u = fmt.Sprintf("%s/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=%d&key=%s&api_key=%s", base, id, sk, up.key(cid))
				} else {
					u = fmt.Sprintf("%s/civicrm/ajax/rest?entity=Contact&action=get&json=%s&_authx=%s&_authxSiteKey=%s", base,
						url.QueryEscape(fmt.Sprintf(`{"id":"%d"}`, id)), url.QueryEscape("Bearer "+up.key(cid)), sk)
				}
				resp, err := client.Get(u)
				if err != nil {
					crossed.Add(1000000) // a failure is as bad
					continue
				}
				b, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if !strings.Contains(string(b), fmt.Sprintf(`"seen_by":"%d"`, cid)) {
					crossed.Add(1)
				}
				if resp.Header.Get("Cache-Status") == "Civigate; hit" {
					hits.Add(1)
				}
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	if crossed.Load() != 0 || done.Load() != requests {
		t.Fatalf("%d of %d answers went to the wrong user or failed", crossed.Load(), requests)
	}
	if hits.Load() < requests/2 {
		t.Fatalf("only %d hits in %d requests: the test did not exercise the cache", hits.Load(), requests)
	}
}

// A chained write inside a get is never cached and reaches CiviCRM every
// time; a plain write invalidates the written entity's cached reads.
func TestCacheChainedWritesAndInvalidation(t *testing.T) {
	up := newACLCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	sites, _ := cacheSites(t, up, sk, "", "", 1)
	ak := up.key(2)
	extern := sites[0] + "/sites/all/modules/civicrm/extern/rest.php?key=" + sk + "&api_key=" + ak
	chained := extern + "&entity=Contact&action=get&json=" + url.QueryEscape(`{"id":2,"api.Email.create":{"email":"x@example.org"}}`)
	for i := 1; i <= 3; i++ {
		got := do(t, "GET", chained, "", nil)
		if got.header.Get("Cache-Status") != "Civigate; fwd=bypass; detail=chained-write" || up.reads.Load() != int64(i) {
			t.Fatalf("chained write %d: %s, %d upstream calls", i, got.header.Get("Cache-Status"), up.reads.Load())
		}
	}
	read := extern + "&entity=Email&action=get&json=1&contact_id=2"
	do(t, "GET", read, "", nil)
	if got := do(t, "GET", read, "", nil); got.header.Get("Cache-Status") != "Civigate; hit" {
		t.Fatalf("repeat read: %s", got.header.Get("Cache-Status"))
	}
	w := do(t, "POST", extern, "entity=Contact&action=create&json=1&contact_type=Individual&first_name=New", nil)
	if w.header.Get("Cache-Status") != "Civigate; fwd=bypass; detail=write" {
		t.Fatalf("write: %s %s", w.header.Get("Cache-Status"), w.body)
	}
	after := do(t, "GET", read, "", nil)
	if !strings.Contains(after.header.Get("Cache-Status"), "fwd=miss") || !strings.Contains(after.body, `"writes":"1"`) {
		t.Fatalf("Email read after a Contact write (same group): %s %s", after.header.Get("Cache-Status"), after.body)
	}
}

// Two instances sharing Redis: a write through one invalidates the entry
// on the other.
func TestCacheInvalidationAcrossInstances(t *testing.T) {
	ru, client, prefix := testRedis(t)

	up := newACLCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	sites, _ := cacheSites(t, up, sk, ru, prefix, 2)
	ak := up.key(3)
	read := "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=3&key=" + sk + "&api_key=" + ak
	a1 := do(t, "GET", sites[0]+read, "", siteHost)
	b1 := do(t, "GET", sites[1]+read, "", siteHost)
	if b1.header.Get("Cache-Status") != "Civigate; hit" || b1.body != a1.body || up.reads.Load() != 1 {
		t.Fatalf("second instance did not share the entry: %s, %d upstream reads", b1.header.Get("Cache-Status"), up.reads.Load())
	}
	do(t, "POST", sites[0]+"/sites/all/modules/civicrm/extern/rest.php", "entity=Contact&action=create&json=1&contact_type=Individual&key="+sk+"&api_key="+ak, siteHost)
	b2 := do(t, "GET", sites[1]+read, "", siteHost)
	if !strings.Contains(b2.header.Get("Cache-Status"), "fwd=miss") || !strings.Contains(b2.body, `"writes":"1"`) {
		t.Fatalf("after a write on instance A, instance B answered %s %s", b2.header.Get("Cache-Status"), b2.body)
	}
	if n, _ := client.Keys(context.Background(), prefix+"*").Result(); len(n) == 0 {
		t.Fatalf("nothing under the test prefix in Redis: the entries lived elsewhere")
	}
}

// testRedis is the Redis at REDIS_URL with a key prefix of this test's own,
// whose keys are deleted when the test ends. A missing Redis fails the test.
func testRedis(t *testing.T) (url string, client redis.UniversalClient, prefix string) {
	t.Helper()
	url = redisURL(t)
	client = redisClientOrFail(t, url)
	prefix = "civigate-test-" + randomHex(t, 6) + ":"
	t.Cleanup(func() { deleteKeys(client, prefix) })
	return url, client, prefix
}

func redisClientOrFail(t *testing.T, u string) redis.UniversalClient {
	t.Helper()
	opts, err := redis.ParseURL(u)
	if err != nil {
		t.Fatal(err)
	}
	c := redis.NewClient(opts)
	t.Cleanup(func() { c.Close() })
	if err := c.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("Redis at REDIS_URL is required (.ci/run starts one): %v", err)
	}
	return c
}

func deleteKeys(c redis.UniversalClient, prefix string) {
	ctx := context.Background()
	iter := c.Scan(ctx, 0, prefix+"*", 500).Iterator()
	for iter.Next(ctx) {
		c.Del(ctx, iter.Val())
	}
}

// stale_while_revalidate: an expired entry is served at once while one
// background request refreshes it; the next caller gets the fresh entry.
func TestCacheStaleWhileRevalidate(t *testing.T) {
	up := newACLCiviCRM(t)
	sk := "sk-" + randomHex(t, 12)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(up.srv.URL, "http://"), "site_key "+sk,
		"cache {\n\t\t\tttl 1s\n\t\t\tstale_while_revalidate 1m\n\t\t}"))
	read := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&key=" + sk + "&api_key=" + up.key(2)
	do(t, "GET", read, "", nil)
	time.Sleep(1100 * time.Millisecond)
	stale := do(t, "GET", read, "", nil)
	if stale.header.Get("Cache-Status") != "Civigate; hit; detail=stale-while-revalidate" {
		t.Fatalf("expired entry: %s", stale.header.Get("Cache-Status"))
	}
	deadline := time.Now().Add(3 * time.Second)
	for up.reads.Load() < 2 {
		if time.Now().After(deadline) {
			t.Fatal("the stale entry was not refreshed in the background")
		}
		time.Sleep(10 * time.Millisecond)
	}
	time.Sleep(300 * time.Millisecond) // the refresh stores its answer after CiviCRM answered
	if fresh := do(t, "GET", read, "", nil); fresh.header.Get("Cache-Status") != "Civigate; hit" || up.reads.Load() != 2 {
		t.Fatalf("after the refresh: %s, %d upstream reads", fresh.header.Get("Cache-Status"), up.reads.Load())
	}
}

// upstreamSpy records the Cookie and X-Requested-With of every API request
// that reaches next.
type upstreamSpy struct {
	next http.Handler
	mu   sync.Mutex
	seen []http.Header
}

func (s *upstreamSpy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/civicrm/authx/id" {
		s.mu.Lock()
		s.seen = append(s.seen, http.Header{"Cookie": r.Header.Values("Cookie"), "X-Requested-With": r.Header.Values("X-Requested-With")})
		s.mu.Unlock()
	}
	s.next.ServeHTTP(w, r)
}

// last is what the latest API request carried, and forgets the rest.
func (s *upstreamSpy) last(t *testing.T) http.Header {
	t.Helper()
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.seen) == 0 {
		return nil
	}
	h := s.seen[len(s.seen)-1]
	s.seen = nil
	return h
}

// What a client of a stateless credential gets from a CiviCRM that sets a
// session cookie on every answer: never that cookie (on a miss, a hit, a
// streamed bypass or an edge refusal), always CiviCRM's no-store headers;
// and its own Cookie never reaches CiviCRM.
func TestCacheCookiesNeverReachStatelessClients(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	spy := &upstreamSpy{next: sim}
	srv := httptest.NewServer(spy)
	defer srv.Close()
	sk := sim.SiteKey()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sk))
	browser := http.Header{"Cookie": {civicrmsim.SessionCookie + "=the-browsers-own-session; theme=dark"}}
	legacy := inst.URL + "/sites/all/modules/civicrm/extern/rest.php?entity=Contact&action=get&json=1&id=3&key=" + sk + "&api_key=" + sim.Admin().APIKey
	modern := inst.URL + "/civicrm/ajax/rest?entity=Contact&action=get&json=" + url.QueryEscape(`{"id":3,"debug":1}`)
	modernAuth := http.Header{"X-Civi-Auth": {"Bearer " + sim.Admin().APIKey}, "X-Civi-Key": {sk}, "Cookie": browser["Cookie"]}

	cases := []struct {
		name, target string
		header       http.Header
		cacheStatus  string
		upstream     bool // the call reaches CiviCRM
	}{
		{"miss", legacy, browser, "Civigate; fwd=miss; fwd-status=200; stored", true},
		{"hit", legacy, browser, "Civigate; hit", false},
		{"hit without a cookie", legacy, nil, "Civigate; hit", false},
		{"streamed bypass", modern, modernAuth, "Civigate; fwd=bypass; detail=debug", true},
		{"edge refusal", strings.Replace(legacy, "key="+sk, "key=wrong", 1), browser, "", false},
	}
	var miss answer
	for _, tc := range cases {
		got := do(t, "GET", tc.target, "", tc.header)
		if got.header.Get("Cache-Status") != tc.cacheStatus || got.status != 200 {
			t.Errorf("%s: %d %s %.200s", tc.name, got.status, got.header.Get("Cache-Status"), got.body)
		}
		if c := got.header.Values("Set-Cookie"); len(c) != 0 {
			t.Errorf("%s: the client got CiviCRM's cookie %q", tc.name, c)
		}
		for name, want := range map[string]string{"Cache-Control": civicrmsim.NoStoreCacheControl,
			"Expires": civicrmsim.NoStoreExpires, "Pragma": civicrmsim.NoStorePragma} {
			if v := got.header.Values(name); len(v) != 1 || v[0] != want {
				t.Errorf("%s: %s %q, CiviCRM sends %q", tc.name, name, v, want)
			}
		}
		seen := spy.last(t)
		if (seen != nil) != tc.upstream {
			t.Errorf("%s: reached CiviCRM %v", tc.name, seen != nil)
		}
		if len(seen["Cookie"]) != 0 {
			t.Errorf("%s: the client's cookie reached CiviCRM with a stateless call: %q", tc.name, seen["Cookie"])
		}
		switch tc.name {
		case "miss":
			miss = got
		case "hit", "hit without a cookie":
			if d := headerDiff(miss.header, got.header, "Cache-Status", "Date"); d != "" || got.body != miss.body {
				t.Errorf("%s: a hit can be told from the miss: %s", tc.name, d)
			}
		}
	}
}
