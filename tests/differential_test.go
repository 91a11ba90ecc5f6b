package tests

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/civigate/civigate/tests/civicrmsim"
)

// The differential test: seeded random legacy requests (entities, actions,
// parameter spellings, GET and POST as a form, multipart or JSON body,
// formats, credential spellings and placements) go both to the
// simulator's own extern/rest.php and to Civigate in front of the
// simulator's civicrm/ajax/rest, and the two answers must be the same byte
// for byte: status, Content-Type and body. A class of difference between
// Civigate and extern/rest.php cannot come back unnoticed.
//
// Two things are compared loosely, by design: a name CiviCRM's munge()
// turns into 63 random characters (they differ between any two calls),
// and a request CiviCRM dies on (HTTP 500, no body): Civigate answers it
// with the same 500 and an APIv3 error in the client's format instead of
// an empty body.
//
// Left out, as deliberate differences documented in the README: the
// civicrm/ping path used for anything but a ping (extern/rest.php skips
// its key checks there; Civigate authenticates it like any call),
// className calls, `version`, and credential values needing PHP's
// trim (the site-key guard work covers those). A PUT (which
// extern/rest.php runs like a GET, writes included) is compared by
// Civigate's own rule instead: a 405 APIv3 error in the client's format
// (README, deliberate deviations).
//
// CIVIGATE_DIFF_SEED and CIVIGATE_DIFF_N change the seed (default 1) and
// the number of requests (default 3000, 400 with -short).
func TestDifferentialLegacy(t *testing.T) {
	seed := uint64(1)
	if s := os.Getenv("CIVIGATE_DIFF_SEED"); s != "" {
		seed, _ = strconv.ParseUint(s, 10, 64)
	}
	n := 3000
	if testing.Short() {
		n = 400
	}
	if s := os.Getenv("CIVIGATE_DIFF_N"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	sim := civicrmsim.New(civicrmsim.Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	inst := startCaddy(t, siteCaddyfile(strings.TrimPrefix(srv.URL, "http://"),
		"site_key "+sim.SiteKey(), "auth {\n\t\t\tmax_failures off\n\t\t}"))
	g := &diffGen{rng: rand.New(rand.NewPCG(seed, seed^0x5eed)), sim: sim}
	t.Logf("seed %d, %d requests", seed, n)
	failures := 0
	classes := map[string]int{}
	for i := 0; i < n && failures < 10; i++ {
		dr := g.request()
		direct := dr.send(t, srv.URL)
		via := dr.send(t, inst.URL)
		classes[answerClass(direct)]++
		msg := diffAnswers(direct, via)
		if dr.method == http.MethodPut && msg != "" &&
			(via.status != http.StatusMethodNotAllowed || !strings.Contains(via.body, "takes GET and POST only")) {
			// Unless refused as extern/rest.php refuses it before its
			// method matters (a malformed path), a PUT gets Civigate's 405.
			msg = "a PUT must get Civigate's 405 APIv3 error"
		} else if dr.method == http.MethodPut {
			msg = ""
		}
		if msg != "" {
			failures++
			t.Errorf("request %d: %s\n%s\nextern/rest.php: %d %q %s\nCivigate:        %d %q %s", i, msg, dr,
				direct.status, direct.ct, direct.body, via.status, via.ct, via.body)
		}
	}
	if sim.TotalCalls() == 0 {
		t.Error("no call reached the simulator's API")
	}
	var summary []string
	for c, k := range classes {
		summary = append(summary, fmt.Sprintf("%5d %s", k, c))
	}
	slices.Sort(summary)
	t.Logf("answers of extern/rest.php:\n%s", strings.Join(summary, "\n"))
}

// answerClass sorts an answer for the summary: its status and format and
// its error message, or "data".
var errMessage = regexp.MustCompile(`"error_message":\s*"([^"]{0,48})|<error_message>([^<]{0,48})`)

func answerClass(a diffAnswer) string {
	class := "data"
	if m := errMessage.FindStringSubmatch(a.body); m != nil {
		class = m[1] + m[2]
	}
	return fmt.Sprintf("%d %-28s %s", a.status, a.ct, class)
}

type diffAnswer struct {
	status   int
	ct, body string
}

var mungedName = regexp.MustCompile(`\b[A-Za-z0-9]{63}\b`)

// diffAnswers is "" when via is what extern/rest.php answered (direct).
func diffAnswers(direct, via diffAnswer) string {
	if direct.status == http.StatusInternalServerError && direct.body == "" {
		// CiviCRM died; Civigate keeps the 500 and explains it.
		if via.status != http.StatusInternalServerError || !strings.Contains(via.body, "is_error") ||
			!strings.Contains(via.body, "CiviCRM fails on this request with HTTP 500") {
			return "CiviCRM died on this request (500, empty body); Civigate must answer 500 with an APIv3 error"
		}
		return ""
	}
	if direct.status != via.status || direct.ct != via.ct {
		return "status or Content-Type differ"
	}
	norm := func(s string) string { return mungedName.ReplaceAllString(s, "<munged>") }
	if norm(direct.body) != norm(via.body) {
		return "bodies differ"
	}
	return ""
}

// diffReq is one generated legacy request.
type diffReq struct {
	prefix    string
	method    string
	transport string      // "query", "form", "multipart", "json"
	query     [][2]string // name, value: url-encoded when sent
	body      [][2]string // form or multipart fields
	jsonBody  []diffMember
}

type diffMember struct {
	name  string
	value any // encoded with encoding/json, key order kept by the caller
}

func (d *diffReq) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s/extern/rest.php?%s", d.method, d.prefix, encodeFields(d.query))
	switch d.transport {
	case "form", "multipart":
		fmt.Fprintf(&b, "\n%s body: %s", d.transport, encodeFields(d.body))
	case "json":
		fmt.Fprintf(&b, "\njson body: %s", d.jsonText())
	}
	return b.String()
}

func encodeFields(fs [][2]string) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = url.QueryEscape(f[0]) + "=" + url.QueryEscape(f[1])
	}
	return strings.Join(parts, "&")
}

func (d *diffReq) jsonText() string {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, m := range d.jsonBody {
		if i > 0 {
			b.WriteByte(',')
		}
		k, _ := json.Marshal(m.name)
		v, _ := json.Marshal(m.value)
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.String()
}

func (d *diffReq) send(t *testing.T, base string) diffAnswer {
	t.Helper()
	var body io.Reader
	ct := ""
	switch d.transport {
	case "form":
		body, ct = strings.NewReader(encodeFields(d.body)), "application/x-www-form-urlencoded"
	case "multipart":
		var b bytes.Buffer
		mw := multipart.NewWriter(&b)
		for _, f := range d.body {
			_ = mw.WriteField(f[0], f[1])
		}
		_ = mw.Close()
		body, ct = &b, mw.FormDataContentType()
	case "json":
		body, ct = strings.NewReader(d.jsonText()), "application/json"
	}
	req, err := http.NewRequest(d.method, base+d.prefix+"/extern/rest.php?"+encodeFields(d.query), body)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return diffAnswer{status: resp.StatusCode, ct: resp.Header.Get("Content-Type"), body: string(b)}
}

// diffGen makes random legacy requests that read, or try writes that fail
// without changing anything (the two sides share one simulated site, and
// Civigate's cache must stay true to it).
type diffGen struct {
	rng *rand.Rand
	sim *civicrmsim.Simulator
}

func (g *diffGen) pick(xs ...string) string { return xs[g.rng.IntN(len(xs))] }
func (g *diffGen) chance(p float64) bool    { return g.rng.Float64() < p }

var diffPrefixes = []string{"/sites/all/modules/civicrm", "/wp-content/plugins/civicrm/civicrm",
	"/administrator/components/com_civicrm/civicrm", "/modules/civicrm"}

// field is one parameter before it is placed in the query or the body.
type field struct {
	name  string
	value string
	typed any // its JSON-body form, when it has one other than the string
}

func (g *diffGen) request() *diffReq {
	d := &diffReq{prefix: diffPrefixes[g.rng.IntN(len(diffPrefixes))]}
	switch r := g.rng.IntN(20); {
	case r < 7:
		d.method, d.transport = http.MethodGet, "query"
	case r < 12:
		d.method, d.transport = http.MethodPost, "form"
	case r < 15:
		d.method, d.transport = http.MethodPost, "multipart"
	case r < 19:
		d.method, d.transport = http.MethodPost, "json"
	default:
		d.method, d.transport = http.MethodPut, "query"
	}

	var fs []field
	entity := g.pick("Contact", "contact", "Email", "Phone", "Group", "GroupContact", "Foo", "0", "", "option value")
	action := g.pick("get", "get", "Get", "getsingle", "getcount", "getvalue", "GETcount", "create", "delete", "frobnicate", "")
	switch g.rng.IntN(10) {
	case 0, 1:
		fs = append(fs, field{name: "q", value: "civicrm/" + entity + "/" + action})
	case 2:
		fs = append(fs, field{name: "fnName", value: "civicrm/" + entity + "/" + action})
	case 3:
		// A target that is no API call.
		fs = append(fs, field{name: g.pick("q", "fnName"), value: g.pick("civicrm/contact", "foo/contact/get", "civicrm/a/b/c", "civicrm/ping", "civicrm")})
	default:
		if !g.chance(0.05) {
			fs = append(fs, field{name: "entity", value: entity})
		}
		if !g.chance(0.05) {
			fs = append(fs, field{name: "action", value: action})
		}
	}
	if g.chance(0.04) {
		fs = append(fs, field{name: g.pick("entity", "action", "fnName", "q") + "[]", value: "x"})
	}

	// Parameters, in PHP's spellings. None completes a create (no
	// contact_type, email, phone or group_id) and a delete only ever
	// names a contact that does not exist.
	ids := []string{"2", "3", "4", "14", "99999"}
	write := action == "create" || action == "delete"
	if write {
		ids = []string{"99999"}
	}
	for range g.rng.IntN(4) {
		switch g.rng.IntN(13) {
		case 0:
			if action != "create" { // with an id, create updates
				fs = append(fs, field{name: "id", value: ids[g.rng.IntN(len(ids))]})
			}
		case 1:
			fs = append(fs, field{name: g.pick("sequential", "sequential"), value: g.pick("1", "0", "true")})
		case 2:
			fs = append(fs, field{name: "return", value: g.pick("display_name", "id,display_name", "email")})
		case 3:
			fs = append(fs, field{name: "return[]", value: "display_name"}, field{name: "return[]", value: "contact_type"})
		case 4:
			fs = append(fs, field{name: g.pick("return.display_name", "return[display_name]"), value: "1"})
		case 5:
			fs = append(fs, field{name: g.pick("options[limit]", "option.limit", "options.limit"), value: g.pick("1", "2", "0")})
		case 6:
			fs = append(fs, field{name: g.pick("options[sort]", "sort"), value: g.pick("id DESC", "display_name", "sort_name ASC")})
		case 7:
			fs = append(fs, field{name: "first_name", value: g.pick("Ada", "Grace", "Nobody")})
		case 8:
			fs = append(fs, field{name: g.pick("api.Email.get", "api_Email_get"), value: "1"})
		case 9:
			fs = append(fs, field{name: "debug", value: g.pick("1", "0")})
		case 10:
			fs = append(fs, field{name: "contact_id", value: ids[g.rng.IntN(len(ids))]})
		case 11:
			fs = append(fs, field{name: "group", value: g.pick("2", "3")})
		case 12:
			fs = append(fs, field{name: "is_deleted", value: "0"})
		}
	}

	// The format: json in its forms, possibly twice (query and body).
	jsonParams := func() string {
		obj := map[string]any{}
		if g.chance(0.5) && action != "create" {
			obj["id"] = ids[g.rng.IntN(len(ids))]
		}
		if g.chance(0.4) {
			obj["sequential"] = 1
		}
		if g.chance(0.3) {
			obj["return"] = g.pick("display_name", "email")
		}
		if g.chance(0.2) {
			obj["options"] = map[string]any{"limit": 2}
		}
		b, _ := json.Marshal(obj)
		return string(b)
	}
	switch g.rng.IntN(12) {
	case 0, 1, 2, 3:
		fs = append(fs, field{name: "json", value: "1", typed: 1})
	case 4:
		fs = append(fs, field{name: "json", value: g.pick("0", "")})
	case 5, 6:
		js := jsonParams()
		var typed any
		_ = json.Unmarshal([]byte(js), &typed)
		fs = append(fs, field{name: "json", value: js, typed: typed})
	case 7:
		fs = append(fs, field{name: "json", value: "{bad json"})
	case 8:
		fs = append(fs, field{name: "json[sequential]", value: "1"}, field{name: "json[" + g.pick("id", "return") + "]", value: g.pick("2", "display_name")})
	case 9:
		fs = append(fs, field{name: "json", value: "1"}, field{name: "json", value: "0"})
	case 10:
		fs = append(fs, field{name: "json", value: "2", typed: "2"})
	}
	if g.chance(0.1) {
		fs = append(fs, field{name: "prettyprint", value: "1"})
	}
	if write {
		// No id reaches a write but a contact that does not exist.
		kept := fs[:0]
		for _, f := range fs {
			if !strings.Contains(f.name, "id") && !strings.Contains(f.value, `"id"`) {
				kept = append(kept, f)
			}
		}
		fs = kept
		if action == "delete" {
			fs = append(fs, field{name: "id", value: "99999"})
		}
	}
	for _, f := range fs {
		if parts := strings.Split(f.value, "/"); f.name == "q" && len(parts) == 2 && parts[1] == "ping" {
			// The ping path for anything but a ping: left out (see above).
			kept := fs[:0]
			for _, f := range fs {
				if !strings.HasPrefix(f.name, "entity") && !strings.HasPrefix(f.name, "fnName") {
					kept = append(kept, f)
				}
			}
			fs = kept
			break
		}
	}

	// Credentials: placement, spelling, validity.
	key := g.sim.SiteKey()
	if g.chance(0.08) {
		key = "wrong-" + key
	}
	apiKey := g.sim.Admin().APIKey
	switch g.rng.IntN(14) {
	case 0:
		apiKey = "0123456789abcdef0123456789abcdef"
	case 1:
		apiKey = g.sim.NoUser().APIKey
	case 2:
		if ada, _ := g.sim.ACLUsers(); ada != nil {
			apiKey = ada.APIKey
		}
	}
	creds := []field{{name: g.pick("key", "key", " key"), value: key}, {name: g.pick("api_key", "api_key", "api.key", "api key", "api[key"), value: apiKey}}
	if g.chance(0.05) {
		creds = creds[:1]
	}
	if g.chance(0.04) {
		creds = creds[1:]
	}
	credsInBody := d.transport != "query" && g.chance(0.5)
	if !credsInBody {
		d.query = append(d.query, toPairs(creds)...)
		creds = nil
	}

	// Placement: every field in the query (GET, PUT), or each in the query
	// or the body; a json in the query may meet another in the body.
	for _, f := range fs {
		inBody := d.transport != "query" && g.chance(0.6)
		if !inBody {
			d.query = append(d.query, [2]string{f.name, f.value})
			continue
		}
		if d.transport == "json" {
			if strings.ContainsAny(f.name, "[.") {
				// A JSON body knows no PHP name mangling: its arrays are JSON.
				d.query = append(d.query, [2]string{f.name, f.value})
				continue
			}
			v := any(f.value)
			if f.typed != nil {
				v = f.typed
			}
			d.jsonBody = append(d.jsonBody, diffMember{f.name, v})
			continue
		}
		d.body = append(d.body, [2]string{f.name, f.value})
	}
	if d.transport == "json" && g.chance(0.15) {
		d.jsonBody = append(d.jsonBody, diffMember{"json", map[string]any{"sequential": 1, "return": "display_name"}})
	}
	for _, c := range creds {
		if d.transport == "json" {
			// No PHP name mangling in a JSON body: the names themselves.
			name := "key"
			if strings.HasPrefix(c.name, "api") {
				name = "api_key"
			}
			d.jsonBody = append(d.jsonBody, diffMember{name, c.value})
		} else {
			d.body = append(d.body, [2]string{c.name, c.value})
		}
	}
	g.rng.Shuffle(len(d.query), func(i, j int) { d.query[i], d.query[j] = d.query[j], d.query[i] })
	return d
}

func toPairs(fs []field) [][2]string {
	out := make([][2]string, len(fs))
	for i, f := range fs {
		out[i] = [2]string{f.name, f.value}
	}
	return out
}
