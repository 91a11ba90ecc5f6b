package translate

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// scanInPieces runs a scanner over body cut at the given points and
// returns its verdict, the assignments it found and the largest Safe it
// gave before routing.
func scanInPieces(ct, body string, cuts []int) (routes bool, pairs []string, safe int64) {
	u, _ := url.ParseRequestURI("/")
	s := RecogniseConfig{}.BodyScanner(u, "POST", ct)
	if s == nil {
		return false, nil, int64(len(body))
	}
	s.judge.assigned = func(name string, v *routeValue) {
		pairs = append(pairs, fmt.Sprintf("%s=%q long=%v may=%v", name, v.buf, v.long, v.may))
	}
	prev := 0
	for _, c := range append(cuts, len(body)) {
		if c < prev || c > len(body) {
			continue
		}
		if s.Write([]byte(body[prev:c])) {
			return true, pairs, safe
		}
		prev = c
		safe = s.Safe()
	}
	return s.Close(), pairs, safe
}

// The scanner reads a body the same however it arrives: cut anywhere, in
// pieces of any size, it finds the same assignments and gives the same
// verdict as over the whole body; and whatever Safe lets through, read by
// itself as the whole body, routes nowhere.
func TestBodyScannerPieces(t *testing.T) {
	r := diffSeed(t)
	u, _ := url.ParseRequestURI("/")
	for range 3000 {
		ct, body := genFormBody(r)
		if r.IntN(5) == 0 {
			body = body[:r.IntN(len(body)+1)]
		}
		whole, wantPairs, _ := scanInPieces(ct, body, nil)
		var cuts []int
		for p := 0; p < len(body); {
			p += 1 + r.IntN(pick(r, 1, 3, 8, 40, 5000))
			cuts = append(cuts, p)
		}
		routes, pairs, _ := scanInPieces(ct, body, cuts)
		if routes != whole || !whole && !slices.Equal(pairs, wantPairs) {
			t.Fatalf("Content-Type %q body %q: whole %v %q, in pieces %v %q", ct, truncate(body, 400), whole, wantPairs, routes, pairs)
		}
		checkSafe(t, u, ct, body, cuts)
	}
}

// checkSafe: every prefix Safe allows, read as the whole body, routes
// nowhere (under the judge's own rules).
func checkSafe(t *testing.T, u *url.URL, ct, body string, cuts []int) {
	t.Helper()
	s := RecogniseConfig{}.BodyScanner(u, "POST", ct)
	if s == nil {
		return
	}
	prev := 0
	for _, c := range append(cuts, len(body)) {
		if c > len(body) {
			c = len(body)
		}
		if s.Write([]byte(body[prev:c])) {
			return
		}
		prev = c
		safe := s.Safe()
		if safe > int64(c) || safe < 0 {
			t.Fatalf("Safe %d after %d bytes", safe, c)
		}
		if IsAPIv3LikeBody(u, ct, []byte(body[:safe])) {
			t.Fatalf("Content-Type %q body %q: after %d bytes Safe is %d, and that part routes", ct, truncate(body, 400), c, safe)
		}
	}
}

// Where PHP reads multipart bodies differently from a naive parser, the
// scanner reads them as PHP does (each case checked against php-cgi).
func TestBodyScannerMultipartAsPHP(t *testing.T) {
	const ct = "multipart/form-data; boundary=B"
	pad := strings.Repeat("a", phpFillUnit-len("X-Junk: "))
	for _, tt := range []struct {
		name, body string
		want       bool
	}{
		{"folded header", "--B\r\nContent-Disposition: form-data;\r\n name=\"q\"\r\n\r\ncivicrm/ajax/rest\r\n--B--\r\n", true},
		{"header continued without a space", "--B\r\nContent-Disposition: form-data; na\r\nme=\"q\"\r\n\r\ncivicrm/ajax/rest\r\n--B--\r\n", true},
		{"last name= wins", "--B\r\nContent-Disposition: form-data; name=x; name=q\r\n\r\ncivicrm/ajax/rest\r\n--B--\r\n", true},
		{"unquoted name ends at a space", "--B\r\nContent-Disposition: form-data; name=q junk\r\n\r\ncivicrm/ajax/rest\r\n--B--\r\n", true},
		{"unterminated quote", "--B\r\nContent-Disposition: form-data; name=\"q\r\n\r\ncivicrm/ajax/rest\r\n--B--\r\n", true},
		{"first Content-Disposition wins", "--B\r\nContent-Disposition: form-data; name=q\r\nContent-Disposition: form-data; name=x\r\n\r\ncivicrm/ajax/rest\r\n--B--\r\n", true},
		{"boundary inside the value", "--x\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/re<--x>st\r\n--x--\r\n", true},
		{"header line split at PHP's buffer", "--B\r\nX-Junk: " + pad + "Content-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--B--", true},
		{"end of body in the headers", "--B\r\nContent-Disposition: form-data; name=q\r\ncivicrm/ajax/rest", true},
		{"end of body in the value", "--B\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest", true},
		{"empty boundary", "--\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--", true},
		{"NUL ends the boundary line", "--B\x00x\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--B--", true},
		// PHP skips a file line by line past MAX_FILE_SIZE: a boundary line
		// that does not follow a line feed counts then.
		{"boundary line inside a file", "--B\r\nContent-Disposition: form-data; name=MAX_FILE_SIZE\r\n\r\n1\r\n--B\r\nContent-Disposition: form-data; name=f; filename=a.txt\r\n\r\n" +
			strings.Repeat("z", 10238) + "--B\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--B--", true},
		// Controls: what PHP does not read as a field.
		{"final boundary starts no part", "--B--\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--B--", false},
		{"no boundary line", "x--B\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--B--", false},
		{"a file", "--B\r\nContent-Disposition: form-data; name=q; filename=a\r\n\r\ncivicrm/ajax/rest\r\n--B--", false},
		{"the value's first line", "--B\r\nContent-Disposition: form-data; name=x\r\n\r\n--B\r\nContent-Disposition: form-data; name=q\r\n\r\ncivicrm/ajax/rest\r\n--B--", false},
		{"a key with a space", "--B\r\nContent-Disposition: form-data; name =q\r\n\r\ncivicrm/ajax/rest\r\n--B--", false},
		{"an upload", "--B\r\nContent-Disposition: form-data; name=f; filename=\"a.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n" +
			strings.Repeat("\xff\xd8--B\x01\n", 1000) + "\r\n--B\r\nContent-Disposition: form-data; name=title\r\n\r\ncivicrm/ajax/rest\r\n--B--\r\n", false},
	} {
		u, _ := url.ParseRequestURI("/")
		ctt := ct
		if strings.HasPrefix(tt.body, "--x") {
			ctt = "multipart/form-data; boundary=x"
		} else if strings.HasPrefix(tt.body, "--\r") {
			ctt = "multipart/form-data; boundary="
		}
		if got := IsAPIv3LikeBody(u, ctt, []byte(tt.body)); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}

// A boundary longer than PHP's buffer, or a Content-Disposition past the
// modelled length, is refused rather than guessed at.
func TestBodyScannerBounds(t *testing.T) {
	u, _ := url.ParseRequestURI("/")
	long := strings.Repeat("b", phpFillUnit)
	if !IsAPIv3LikeBody(u, "multipart/form-data; boundary="+long, []byte("--"+long+"\r\n")) {
		t.Error("a boundary longer than PHP's buffer passes")
	}
	cd := "--B\r\nContent-Disposition: form-data; filename=\"" + strings.Repeat("f", maxRoutingLen) + "\"\r\n\r\nx\r\n--B--"
	if !IsAPIv3LikeBody(u, "multipart/form-data; boundary=B", []byte(cd)) {
		t.Error("a Content-Disposition past maxRoutingLen passes")
	}
	ok := "--B\r\nContent-Disposition: form-data; name=title\r\n\r\n" + strings.Repeat("civicrm/ajax/rest ", 1<<12) + "\r\n--B--"
	if IsAPIv3LikeBody(u, "multipart/form-data; boundary=B", []byte(ok)) {
		t.Error("a long value of another field refused")
	}
}

// Safe holds back a routing value until it is judged, and no more: the
// memory a body costs does not grow with it.
func TestBodyScannerSafe(t *testing.T) {
	u, _ := url.ParseRequestURI("/")
	for _, tt := range []struct {
		ct, body string
		safe     int64 // after the whole body, before Close
	}{
		{"application/x-www-form-urlencoded", "a=1&q=civicrm/ajax/re", int64(len("a=1&q"))},
		{"application/x-www-form-urlencoded", "a=1&q=node&b=civicrm", int64(len("a=1&q=node&b=civicrm"))},
		{"application/x-www-form-urlencoded", "a=1&q", int64(len("a=1&q"))},
		{"application/x-www-form-urlencoded", "q=" + strings.Repeat("x", maxRoutingLen+10) + "%2", int64(2 + maxRoutingLen + 10)},
		{"multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=q\r\n\r\ncivi", int64(len("--B\r\nContent-Disposition: form-data; name=q\r\n\r\n"))},
		{"multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=q\r\nX: y", int64(len("--B\r\nContent-Disposition: form-data; name=q\r\n"))},
		// a file goes on as it arrives
		{"multipart/form-data; boundary=B", "--B\r\nContent-Disposition: form-data; name=f; filename=a\r\n\r\n" + strings.Repeat("z", 100), -1},
	} {
		s := RecogniseConfig{}.BodyScanner(u, "POST", tt.ct)
		if s.Write([]byte(tt.body)) {
			t.Fatalf("%q routes", tt.body)
		}
		want := tt.safe
		if want < 0 {
			want = int64(len(tt.body))
		}
		if got := s.Safe(); got != want {
			t.Errorf("%q: Safe %d, want %d", truncate(tt.body, 80), got, want)
		}
	}
}

// FuzzBodyScanner: any body in any pieces gives the verdict of the whole
// and never lets a routing part through.
func FuzzBodyScanner(f *testing.F) {
	r := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		ct, body := genFormBody(r)
		f.Add(ct, body, uint64(r.Int64()))
	}
	u, _ := url.ParseRequestURI("/")
	f.Fuzz(func(t *testing.T, ct, body string, seed uint64) {
		if len(body) > 8<<10 || (RecogniseConfig{}).BodyScanner(u, "POST", ct) == nil {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed))
		var cuts []int
		for p := 0; p < len(body); {
			p += 1 + r.IntN(1+r.IntN(64))
			cuts = append(cuts, p)
		}
		whole, wantPairs, _ := scanInPieces(ct, body, nil)
		routes, pairs, _ := scanInPieces(ct, body, cuts)
		if routes != whole || !whole && !slices.Equal(pairs, wantPairs) {
			t.Fatalf("whole %v %q, in pieces %v %q", whole, wantPairs, routes, pairs)
		}
		checkSafe(t, u, ct, body, cuts)
	})
}

// The scanner reads a body of any size in its small constant memory: no
// allocation per pair, whatever names the pairs have (issue 16: 1.4 million
// a[]=1 in an 8 MiB APIv4 body without a credential made 4 MiB of
// garbage, a string per name, and under 16 such clients Civigate's memory
// went past 256 MiB).
func TestBodyScannerAllocatesNothingPerPair(t *testing.T) {
	u, _ := url.ParseRequestURI("/civicrm/ajax/api4/Contact/get")
	const pairs = 20_000
	for _, pair := range []string{
		"a[]=1&", "a.b[]=1&", "a%20b[x]=1&", "a[b=1&", "a.b[c.d=1&", "a%5B%5D=1&",
		strings.Repeat("a", 30) + "[]=1&", strings.Repeat("a", 30) + "[=1&", "_authx[]=1&", "rest.route[]=x&",
	} {
		body := []byte(strings.Repeat(pair, pairs))
		allocs := testing.AllocsPerRun(5, func() {
			s := RecogniseConfig{}.BodyScanner(u, "POST", "application/x-www-form-urlencoded")
			s.Write(body)
			s.Close()
		})
		if allocs > 10 {
			t.Errorf("%d pairs %q: %.0f allocations", pairs, pair, allocs)
		}
	}
}

// postName.top, which decides a name from its first byte where it can
// and mangles it in a copy of its bytes, finds the watched parameters
// topLevelName finds in a string of the name (past 16 bytes: of its
// variable as an array, see postName.top).
func TestPostNameTop(t *testing.T) {
	r := rand.New(rand.NewPCG(16, 16))
	pieces := []string{"q", "task", "rest", "_", "route", "_authx", "SiteKey", " ", ".", "[", "]", "\x00", "x", "[]", strings.Repeat("y", 9), "t", "r", "Q", "%", "authx", "ask", "est.route"}
	for range 200_000 {
		var name strings.Builder
		for range 1 + r.IntN(6) {
			name.WriteString(pieces[r.IntN(len(pieces))])
		}
		var k postName
		for _, c := range []byte(name.String()) {
			k.add(c)
		}
		got, gotArray := k.top()
		// The name as PHP has it: cut at NUL, leading spaces dropped.
		kept, _, _ := strings.Cut(name.String(), "\x00")
		kept = strings.TrimLeft(kept, " ")
		var want string
		var wantArray bool
		switch i := strings.IndexByte(kept[:min(len(kept), 16)], '['); {
		case len(kept) <= 16:
			want, wantArray = topLevelName(kept)
		case i > 0 && i+2 <= 16:
			want, wantArray = topLevelName(kept[:i] + "[]")
		}
		if want = watchedName(want); got != want || (want != "" && gotArray != wantArray) {
			t.Fatalf("%q: top %q %v, want %q %v", name.String(), got, gotArray, want, wantArray)
		}
	}
}

// The APIv4 route's worst body before authentication (load test scenario
// (m)): 1.4 million a[]=1, scanned for routing parameters.
func BenchmarkBodyScannerManyPairs(b *testing.B) {
	u, _ := url.ParseRequestURI("/civicrm/ajax/api4/Contact/get")
	body := []byte(strings.Repeat("a[]=1&", (8<<20-1)/6))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		s := RecogniseConfig{}.BodyScanner(u, "POST", "application/x-www-form-urlencoded")
		s.Write(body)
		if s.Close() {
			b.Fatal("routes")
		}
	}
}

// bodyScanShapes are 8 MiB bodies an unauthenticated client may send the
// APIv4 route, all scanned before any credential is checked: hostile ones
// (many tiny pairs, long names, everything percent-encoded, deep brackets,
// names close to a watched one, watched names as arrays or with values the
// judge must model) and ordinary ones.
func bodyScanShapes() []struct{ name, ct, body string } {
	const size = 8 << 20
	fill := func(unit string) string { return strings.Repeat(unit, size/len(unit)) }
	const mp = "multipart/form-data; boundary=B"
	const ue = "application/x-www-form-urlencoded"
	params := url.QueryEscape(`{"select":["id","display_name","email_primary.email"],"where":[["contact_type","=","Individual"],["is_deleted","=",false]],"orderBy":{"sort_name":"ASC"},"limit":25}`)
	return []struct{ name, ct, body string }{
		{"tiny pairs", ue, fill("a[]=1&")},
		{"mangled pairs", ue, fill("a.b[]=1&")},
		{"percent-encoded", ue, fill("%61%5B%5D=%31&")},
		{"long names", ue, fill(strings.Repeat("abcdefgh", 16) + "=1&")},
		{"one long name", ue, fill("a")},
		{"deep brackets", ue, fill("a[b][c][d][e][f][g][h][i]=1&")},
		{"near misses", ue, fill("_authxSiteKeys=1&rest_routes=1&+q.x=1&task%5=1&qq=1&")},
		{"watched arrays", ue, fill("q[]=1&task[x]=1&")},
		{"watched names", ue, fill("q=1&task=x&_authx=&")},
		{"watched values", ue, fill("q=api&task=rest&")},
		{"long watched value", ue, "q=" + fill("civicrm/contact/view/")},
		{"ordinary", ue, fill("params=" + params + "&")},
		{"multipart fields", mp, fill("--B\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n")},
		{"multipart ordinary", mp, fill("--B\r\nContent-Disposition: form-data; name=\"params\"\r\n\r\n" + strings.Repeat(params, 8) + "\r\n")},
	}
}

// BenchmarkBodyScannerShapes: the scan's cost on each shape (MB/s), all of
// it spent before any credential is checked.
func BenchmarkBodyScannerShapes(b *testing.B) {
	u, _ := url.ParseRequestURI("/civicrm/ajax/api4/Contact/get")
	for _, shape := range bodyScanShapes() {
		body := []byte(shape.body)
		b.Run(strings.ReplaceAll(shape.name, " ", "_"), func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(body)))
			for b.Loop() {
				s := RecogniseConfig{}.BodyScanner(u, "POST", shape.ct)
				s.Write(body)
				if s.Close() {
					b.Fatal("routes")
				}
			}
		})
	}
}

// PageQuery: the body's routing assignments, as WordPress and Joomla take
// them for query variables, each once; unknown past what is kept.
func TestBodyScannerPageQuery(t *testing.T) {
	u := &url.URL{Path: "/"}
	form := "application/x-www-form-urlencoded"
	mp := "multipart/form-data; boundary=XX"
	long := strings.Repeat("a", maxRoutingLen+1)
	many := ""
	for i := range maxPageValues + 1 {
		many += fmt.Sprintf("q=civicrm/p%d&", i)
	}
	for _, tc := range []struct {
		ctype, body, want string
		known             bool
	}{
		{form, "first_name=A&message=hello", "", true},
		{form, "civiwp=CiviCRM&q=civicrm/admin/setting/authx&x=1", "q=civicrm%2Fadmin%2Fsetting%2Fauthx", true},
		{form, "q=civicrm/profile/create&q=civicrm%2Fprofile%2Fcreate&task=civicrm/x", "q=civicrm%2Fprofile%2Fcreate&task=civicrm%2Fx", true},
		{form, "q=" + long, "", false},
		{form, many, "", false},
		{mp, "--XX\r\nContent-Disposition: form-data; name=\"q\"\r\n\r\ncivicrm/admin\r\n--XX--\r\n", "q=civicrm%2Fadmin", true},
	} {
		s := RecogniseConfig{}.BodyScanner(u, "POST", tc.ctype)
		if s.Write([]byte(tc.body)) || s.Close() {
			t.Fatalf("%.60q routes", tc.body)
		}
		q, known := s.PageQuery()
		if known != tc.known || known && q != tc.want {
			t.Errorf("%.60q: PageQuery %q %v, want %q %v", tc.body, q, known, tc.want, tc.known)
		}
	}
}
