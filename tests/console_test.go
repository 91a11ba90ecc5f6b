package tests

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/tests/civicrmsim"
)

// consoleReport is the part of GET /civigate/legacy-usage the tests read.
type consoleReport struct {
	usageReport
	Errors  []string `json:"errors"`
	Days    int      `json:"days"`
	History struct {
		Storage string `json:"storage"`
		Shared  bool   `json:"shared"`
		Note    string `json:"note"`
	} `json:"history"`
	Trend []struct {
		Date        string           `json:"date"`
		Calls       int64            `json:"calls"`
		Legacy      int64            `json:"legacy"`
		LegacyShare *float64         `json:"legacy_share"`
		Features    map[string]int64 `json:"features"`
	} `json:"trend"`
	Callers []struct {
		ContactID      int64  `json:"contact_id"`
		KeyFingerprint string `json:"key_fingerprint"`
		Calls          int64  `json:"calls"`
		LegacyCalls    int64  `json:"legacy_calls"`
		Features       []struct {
			Feature string `json:"feature"`
			Calls   int64  `json:"calls"`
			AllTime int64  `json:"all_time"`
		} `json:"features"`
		Daily []struct {
			Date   string `json:"date"`
			Calls  int64  `json:"calls"`
			Legacy int64  `json:"legacy"`
		} `json:"daily"`
		Migration *struct {
			Calls   int64                          `json:"calls"`
			Method  string                         `json:"method"`
			URL     string                         `json:"url"`
			Headers []struct{ Name, Value string } `json:"headers"`
			Fields  []struct{ Name, Value string } `json:"fields"`
			Changes []string                       `json:"changes"`
			Curl    string                         `json:"curl"`
		} `json:"migration"`
	} `json:"callers"`
	Cutoff []struct {
		State       string `json:"state"`
		AfterCutoff []struct {
			Status int    `json:"status"`
			Body   string `json:"body"`
		} `json:"after_cutoff"`
	} `json:"cutoff"`
	Health struct {
		CacheHits     float64            `json:"cache_hits"`
		HitRatio      *float64           `json:"hit_ratio"`
		UpstreamSaved float64            `json:"upstream_calls_saved"`
		Refusals      map[string]float64 `json:"refusals"`
		Redis         []struct {
			State   string `json:"state"`
			Healthy bool   `json:"healthy"`
		} `json:"redis"`
	} `json:"health"`
}

// consoleTraffic is real legacy and modern traffic by three callers of the
// simulated site: the admin on extern/rest.php (key-value, XML, keys in
// the URL), ada on WordPress REST with json=, grace on the modern endpoint
// only, plus one call with a wrong key.
type consoleTraffic struct {
	admin, ada, grace *civicrmsim.User
	calls, legacy     int64 // authenticated calls, of which legacy
}

func sendConsoleTraffic(t *testing.T, base string, sim *civicrmsim.Simulator) consoleTraffic {
	t.Helper()
	sk := sim.SiteKey()
	ada, grace := sim.ACLUsers()
	tr := consoleTraffic{admin: sim.Admin(), ada: ada, grace: grace}
	ok := func(a answer, what string) {
		t.Helper()
		if a.status != 200 || strings.Contains(a.body, `"is_error":1`) || strings.Contains(a.body, "<is_error>1") || !strings.Contains(a.body, "<ResultSet") && !strings.Contains(a.body, `"is_error":0`) && !strings.HasPrefix(a.body, `{"values":`) {
			t.Fatalf("%s: %d %.300s", what, a.status, a.body)
		}
	}
	for range 4 { // XML answers
		ok(do(t, "GET", base+externPath+"?entity=Contact&action=get&id=2&key="+sk+"&api_key="+tr.admin.APIKey, "", nil), "admin extern")
	}
	ok(do(t, "GET", base+externPath+"?entity=Contact&action=getcount&json=1&key="+sk+"&api_key="+tr.admin.APIKey, "", nil), "admin extern getcount")
	for range 2 {
		ok(do(t, "GET", base+"/wp-json/civicrm/v3/rest?entity=Contact&action=get&json=1&sequential=1&key="+sk+"&api_key="+ada.APIKey, "", nil), "ada wp rest")
	}
	for range 3 {
		ok(do(t, "GET", base+"/civicrm/ajax/rest?entity=Contact&action=get&json="+url.QueryEscape(`{"id":4}`), "",
			http.Header{"X-Civi-Auth": {"Bearer " + grace.APIKey}, "X-Civi-Key": {sk}}), "grace modern")
	}
	for range 2 { // APIv4: one more series, not legacy
		ok(do(t, "POST", base+"/civicrm/ajax/api4/Contact/get", "params="+url.QueryEscape(`{"limit":1}`),
			http.Header{"X-Civi-Auth": {"Bearer " + grace.APIKey}, "X-Civi-Key": {sk}}), "grace APIv4")
	}
	tr.calls, tr.legacy = 4+1+2+3+2, 4+1+2
	wrong := do(t, "GET", base+externPath+"?entity=Contact&action=get&json=1&key="+sk+"&api_key=not-a-key-"+randomHex(t, 4), "", nil)
	if !strings.Contains(wrong.body, `"is_error":1`) {
		t.Fatalf("a wrong key was not refused: %s", wrong.body)
	}
	return tr
}

// awaitConsole polls the JSON report until today's trend counts want calls
// (instances merge their tallies into Redis once a second).
func awaitConsole(t *testing.T, admin string, want int64) consoleReport {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var rep consoleReport
		getJSON(t, admin+"/civigate/legacy-usage?days=14", &rep)
		if n := len(rep.Trend); n > 0 && rep.Trend[n-1].Calls >= want {
			return rep
		}
		if time.Now().After(deadline) {
			t.Fatalf("the console never counted %d calls today: %+v", want, rep.Trend)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// The console after real traffic, with history in Redis: the JSON and CSV
// hold each caller's calls, features and days, the migration recipe is a
// modern call that works once its placeholders are filled, history
// survives a restart, and headless Chromium renders the page (served by
// the civigate_console handler; the admin API refuses browser navigations)
// with its content, charts and accessibility, under its CSP.
func TestMigrationConsoleInChromium(t *testing.T) {
	chromium := chromiumOrSkip(t)
	ru, client, prefix := testRedis(t)
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	consolePort := freePort(t)
	cf := siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys(), "redis "+ru, "redis_prefix "+prefix,
		"legacy {\n\t\t\tdeprecated 2025-01-01\n\t\t\tsunset 2099-01-01\n\t\t\tcutoff 2099-06-30\n\t\t\tlink https://example.org/civigate-migration\n\t\t}") +
		fmt.Sprintf("http://127.0.0.1:%d {\n\tcivigate_console\n}\n", consolePort)
	inst := startCaddy(t, cf)
	tr := sendConsoleTraffic(t, inst.URL, sim)
	rep := awaitConsole(t, inst.Admin, tr.calls)

	adminFP := authx.Fingerprint(tr.admin.APIKey)
	today := rep.Trend[len(rep.Trend)-1]
	if today.Calls != tr.calls || today.Legacy != tr.legacy || today.Features["extern"] != 5 || today.Features["xml"] != 4 || today.Features["wp_rest"] != 2 || today.Features["api4"] != 2 {
		t.Fatalf("today's trend %+v, want %d calls, %d legacy, extern 5, xml 4, wp_rest 2, api4 2", today, tr.calls, tr.legacy)
	}
	if rep.History.Storage != "redis" || !rep.History.Shared || rep.Days != 14 || len(rep.Trend) != 14 {
		t.Fatalf("history %+v over %d days (%d trend days), want 14 days from Redis", rep.History, rep.Days, len(rep.Trend))
	}
	callers := map[int64]int{}
	for i, c := range rep.Callers {
		callers[c.ContactID] = i
	}
	adm, grc := rep.Callers[callers[tr.admin.ContactID]], rep.Callers[callers[tr.grace.ContactID]]
	if adm.KeyFingerprint != adminFP || adm.Calls != 5 || adm.LegacyCalls != 5 || adm.Migration == nil || adm.Migration.Calls != 4 {
		t.Fatalf("admin caller %+v: want fingerprint %s, 5 legacy calls, a recipe from its 4 XML reads", adm, adminFP)
	}
	if grc.LegacyCalls != 0 || grc.Calls != 5 || grc.Migration != nil {
		t.Fatalf("grace (modern only) %+v: want 5 calls, none legacy, nothing to change", grc)
	}
	if rep.Callers[0].ContactID != tr.admin.ContactID {
		t.Errorf("callers not sorted by legacy calls: first is contact %d", rep.Callers[0].ContactID)
	}
	if rep.Health.Refusals["invalid"] < 1 || rep.Health.CacheHits < 1 || len(rep.Health.Redis) != 1 || !rep.Health.Redis[0].Healthy {
		t.Errorf("health %+v: want an invalid-key refusal, cache hits and a healthy Redis", rep.Health)
	}
	if len(rep.Cutoff) != 1 || rep.Cutoff[0].State != "deprecated" || len(rep.Cutoff[0].AfterCutoff) == 0 || rep.Cutoff[0].AfterCutoff[0].Status != 410 {
		t.Errorf("cutoff %+v: want deprecated, with the 410 clients get after it", rep.Cutoff)
	}
	checkRecipe(t, inst.URL, sim, adm.Migration.Method, adm.Migration.URL, adm.Migration.Headers, adm.Migration.Fields, adm.Migration.Changes)

	// What an operator downloads never holds a credential.
	csvText := getText(t, inst.Admin+"/civigate/legacy-usage.csv?days=14")
	rawJSON := getText(t, inst.Admin+"/civigate/legacy-usage?days=14")
	if !strings.Contains(csvText, today.Date+",caller,"+itoa(int(tr.admin.ContactID))+","+adminFP+",xml,4") {
		t.Errorf("the CSV lacks the admin's 4 XML calls today:\n%s", csvText)
	}
	for _, secret := range []string{sim.SiteKey(), tr.admin.APIKey, tr.ada.APIKey, tr.grace.APIKey} {
		if strings.Contains(csvText, secret) || strings.Contains(rawJSON, secret) {
			t.Fatal("the console's data holds a credential")
		}
	}

	// History from earlier days, as an earlier process would have left it
	// in Redis: the legacy share falls from 90% to 30% over twelve days.
	dayKeys, _ := client.Keys(context.Background(), prefix+"*history:"+today.Date).Result()
	if len(dayKeys) != 1 {
		t.Fatalf("today's history is not one Redis hash under the test prefix: %v", dayKeys)
	}
	histPrefix := strings.TrimSuffix(dayKeys[0], today.Date)
	start, _ := time.Parse(time.DateOnly, today.Date)
	for i := 1; i <= 12; i++ {
		date := start.AddDate(0, 0, -i).Format(time.DateOnly)
		legacy := 30 + 5*i
		admC := "k|" + itoa(int(tr.admin.ContactID)) + "|" + adminFP
		if err := client.HSet(context.Background(), histPrefix+date,
			"calls", 100, "legacy", legacy, "f|extern", legacy, "f|xml", legacy-10, "callers", 1,
			admC, legacy, "kl"+admC[1:], legacy, "kf"+admC[1:]+"|extern", legacy,
			"ka"+admC[1:], start.AddDate(0, 0, -i).Add(9*time.Hour).UnixMilli(), "kz"+admC[1:], start.AddDate(0, 0, -i).Add(17*time.Hour).UnixMilli(),
		).Err(); err != nil {
			t.Fatal(err)
		}
	}

	// A restart keeps the history: it is in Redis.
	caddyStopNow(t)
	inst = startCaddy(t, cf)
	rep = awaitConsole(t, inst.Admin, tr.calls)
	if first := rep.Trend[1]; first.Calls != 100 || first.LegacyShare == nil || *first.LegacyShare != 0.9 {
		t.Fatalf("12 days ago after the restart: %+v, want 100 calls, 90%% legacy", first)
	}

	page := "http://127.0.0.1:" + itoa(consolePort) + "/civigate/?days=14"
	resp, err := http.Get(page)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	csp := resp.Header.Get("Content-Security-Policy")
	if resp.StatusCode != 200 || !strings.Contains(csp, "default-src 'none'") || !strings.Contains(csp, "script-src 'none'") {
		t.Fatalf("console page: %d, CSP %q", resp.StatusCode, csp)
	}

	dom, logs := chromium.run(t, "--dump-dom", page)
	checkConsoleDOM(t, dom, tr, adminFP)
	if strings.Contains(logs, "Content Security Policy") {
		t.Errorf("Chromium reports a CSP violation:\n%s", logs)
	}
	for _, secret := range []string{sim.SiteKey(), tr.admin.APIKey, tr.ada.APIKey, tr.grace.APIKey} {
		if strings.Contains(dom, secret) {
			t.Fatal("the page shows a credential")
		}
	}

	shot := filepath.Join(t.TempDir(), "console.png")
	if os.Getenv("CIVIGATE_UPDATE_SCREENSHOT") != "" {
		shot, _ = filepath.Abs("../docs/console.png")
	}
	chromium.run(t, "--screenshot="+shot, "--window-size=1280,3800", "--hide-scrollbars", page)
	t.Logf("console screenshot: %s", shot)
	checkScreenshot(t, shot)
}

// checkRecipe fills the recipe's placeholders (credentials, and the one
// value its parameters had) and sends it: the modern call it describes
// must work, and must no longer be a legacy call.
func checkRecipe(t *testing.T, base string, sim *civicrmsim.Simulator, method, target string, headers, fields []struct{ Name, Value string }, changes []string) {
	t.Helper()
	if len(changes) < 4 {
		t.Errorf("the recipe names %d changes, want endpoint, X-Civi-Auth, X-Civi-Key, json= and JSON: %q", len(changes), changes)
	}
	u, err := url.Parse(target)
	if err != nil || u.Path != "/civicrm/ajax/rest" || "http://"+u.Host != base {
		t.Fatalf("recipe URL %q, want %s/civicrm/ajax/rest", target, base)
	}
	fill := strings.NewReplacer("<API_KEY>", sim.Admin().APIKey, "<SITE_KEY>", sim.SiteKey(), `"<id>"`, `"2"`)
	form := url.Values{}
	for _, f := range fields {
		form.Set(f.Name, fill.Replace(f.Value))
	}
	if form.Get("json") != `{"id":"2"}` {
		t.Errorf("the recipe's json= is %q, want the caller's parameter names with placeholders", form.Get("json"))
	}
	var r *http.Request
	if method == http.MethodGet {
		r, _ = http.NewRequest(method, target+"?"+form.Encode(), nil)
	} else {
		r = newReq(method, target, form.Encode())
	}
	for _, h := range headers {
		r.Header.Set(h.Name, fill.Replace(h.Value))
	}
	got := doReq(t, r)
	if got.status != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "application/json") || !strings.Contains(got.body, `"is_error":0`) || !strings.Contains(got.body, `"id":"2"`) {
		t.Fatalf("the recipe's call failed: %d %s %.300s", got.status, got.header.Get("Content-Type"), got.body)
	}
}

var (
	thTag     = regexp.MustCompile(`<th[ >]`)
	svgTag    = regexp.MustCompile(`(?s)<svg\b([^>]*)>\s*<title id="([^"]+)">([^<]+)</title>`)
	h2Heading = regexp.MustCompile(`<h2[^>]*>([^<]+)</h2>`)
)

// checkConsoleDOM reads the page as Chromium rendered it.
func checkConsoleDOM(t *testing.T, dom string, tr consoleTraffic, adminFP string) {
	t.Helper()
	if strings.Count(dom, "<h1") != 1 || !strings.Contains(dom, `<html lang="en">`) {
		t.Errorf("want one h1 and a language:\n%.500s", dom)
	}
	var h2 []string
	for _, m := range h2Heading.FindAllStringSubmatch(dom, -1) {
		h2 = append(h2, m[1])
	}
	if want := "Are we done?|Callers|What each caller must change|Legacy features|Cut-off|Cache and edge health"; strings.Join(h2, "|") != want {
		t.Errorf("sections %q, want %q", h2, want)
	}
	if n, scoped := len(thTag.FindAllString(dom, -1)), strings.Count(dom, `<th scope="`); n == 0 || n != scoped {
		t.Errorf("%d table headers, %d with a scope", n, scoped)
	}
	svgs := svgTag.FindAllStringSubmatch(dom, -1)
	if len(svgs) != 1+3+7 || len(svgs) != strings.Count(dom, "<svg") {
		t.Errorf("%d charts with a title of %d charts, want every chart titled (trend, 3 callers, 6 legacy features and api4)", len(svgs), strings.Count(dom, "<svg"))
	}
	for _, s := range svgs {
		if !strings.Contains(s[1], `role="img"`) || !strings.Contains(s[1], `aria-labelledby="`+s[2]) {
			t.Errorf("chart %q is not an image labelled by its title: %s", s[3], s[1])
		}
	}
	for _, bad := range []string{"<script", " src=", "<link", "<iframe", "<form"} {
		if strings.Contains(dom, bad) {
			t.Errorf("the page has %s", bad)
		}
	}
	for _, want := range []string{
		// Today's 7 and the 35+40+…+60 of the six days before.
		"Not yet: 292 legacy calls from 2 callers in the last 7 days.",
		"contact " + itoa(int(tr.admin.ContactID)) + " · key " + adminFP,
		"contact " + itoa(int(tr.grace.ContactID)) + " · key " + authx.Fingerprint(tr.grace.APIKey),
		"-H 'X-Civi-Auth: Bearer &lt;API_KEY&gt;'", "-H 'X-Civi-Key: &lt;SITE_KEY&gt;'", `json={"id":"&lt;id&gt;"}`,
		"Call /civicrm/ajax/rest instead of extern/rest.php.",
		"Read the answer as JSON", "<code>wp_rest</code>", "<code>url_credentials</code>", "<code>api4</code>", "APIv4 calls",
		`<span class="state">deprecated</span>`, "HTTP 410", "This legacy API use was retired on 2099-06-30",
		"cache hit ratio", `<code>invalid</code>`, `<span class="state">up</span>`,
		"History is kept in Redis",
		"Highest: 90.0%",
	} {
		if !strings.Contains(dom, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
}

// checkScreenshot: the PNG shows the styled page (the header band, so the
// CSP let the stylesheet apply) and the charts' legacy and modern bars.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("screenshot %s: %v", path, err)
	}
	want := map[string]color.RGBA{
		"header band": {0x1e, 0x3a, 0x5f, 0xff},
		"legacy bar":  {0xc2, 0x41, 0x0c, 0xff},
		"modern bar":  {0x25, 0x63, 0xeb, 0xff},
	}
	found := map[string]int{}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y += 2 {
		for x := bounds.Min.X; x < bounds.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			for name, c := range want {
				if near(r, c.R) && near(g, c.G) && near(bl, c.B) {
					found[name]++
				}
			}
		}
	}
	for name := range want {
		if found[name] < 20 {
			t.Errorf("the screenshot %s shows no %s (%d pixels)", path, name, found[name])
		}
	}
	if bounds.Dx() < 1000 {
		t.Errorf("screenshot %dx%d", bounds.Dx(), bounds.Dy())
	}
	_ = image.Point{}
}

func near(v uint32, c uint8) bool {
	d := int(v>>8) - int(c)
	return d >= -3 && d <= 3
}

func getText(t *testing.T, u string) string { return getJSON(t, u, nil) }

// browser is Debian's chromium, run headless with a fresh profile.
type browser struct{ path string }

// chromiumOrSkip finds chromium; in CI a missing browser is a failure.
func chromiumOrSkip(t *testing.T) browser {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return browser{p}
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is required (.ci/run installs Debian's chromium)")
	}
	t.Skip("chromium not installed (apt-get install chromium)")
	return browser{}
}

// run runs one headless Chromium command (--dump-dom or --screenshot) and
// returns its standard output and log. The machine may be slow: the
// deadline is generous, and nothing here depends on timing.
func (b browser) run(t *testing.T, args ...string) (stdout, logs string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	base := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--enable-logging=stderr", "--v=0",
		"--user-data-dir=" + t.TempDir()}
	cmd := exec.CommandContext(ctx, b.path, append(base, args...)...)
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %s: %v\n%s", strings.Join(args, " "), err, errOut.String())
	}
	return out.String(), errOut.String()
}

// Without Redis the history is the process's own, and the page says so;
// the admin API serves the page (to non-browser clients), JSON and CSV.
func TestMigrationConsoleMemoryOnly(t *testing.T) {
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"), "site_key "+sim.SiteKey(), "sign_keys "+sim.SignKeys()))
	tr := sendConsoleTraffic(t, inst.URL, sim)
	rep := awaitConsole(t, inst.Admin, tr.calls)
	if rep.History.Storage != "memory" || rep.History.Shared || !strings.Contains(rep.History.Note, "lost on restart") {
		t.Errorf("history %+v: want memory, not shared, and a note saying so", rep.History)
	}
	resp, err := http.Get(inst.Admin + "/civigate/")
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	_, _ = page.ReadFrom(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(resp.Header.Get("Content-Security-Policy"), "default-src 'none'") ||
		!strings.Contains(page.String(), "kept in this process&#39;s memory only") {
		t.Errorf("admin page: %d %q\n%.400s", resp.StatusCode, resp.Header.Get("Content-Security-Policy"), page.String())
	}
	for _, bad := range []string{"/civigate/legacy-usage?days=0", "/civigate/legacy-usage?days=91", "/civigate/nope"} {
		resp, err := http.Get(inst.Admin + bad)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 && resp.StatusCode != 404 {
			t.Errorf("GET %s: %d, want a 400 or 404", bad, resp.StatusCode)
		}
	}
	csvText := getText(t, inst.Admin+"/civigate/legacy-usage.csv")
	if !strings.HasPrefix(csvText, "date,scope,contact_id,key_fingerprint,series,calls\n") ||
		!strings.Contains(csvText, ",site,,,calls,"+strconv.FormatInt(tr.calls, 10)) {
		t.Errorf("CSV:\n%s", csvText)
	}
	var raw map[string]json.RawMessage
	getJSON(t, inst.Admin+"/civigate/legacy-usage", &raw)
	if _, ok := raw["legacy_usage"]; !ok {
		t.Error("the JSON lost legacy_usage")
	}
}
