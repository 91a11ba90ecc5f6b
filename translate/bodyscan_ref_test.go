package translate

import (
	"bytes"
	"crypto/sha256"
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// The urlencoded reader as it was before it learnt to stop decoding a name
// once its first bytes decide it (as of commit 176dd15): the oracle the
// differential tests and FuzzURLEncodedMatchesReference compare the
// reader with, decision for decision. Only renamed.

type refURLEncodedReader struct {
	j       *routeJudge
	off     int64
	inValue bool
	key     refPostName
	dec     pctDecoder
	routing string // the watched parameter whose value is being read
	eq      int64  // where its '=' is
	val     routeValue
	creds   credSlots
}

func (r *refURLEncodedReader) credentials() *credSlots { return &r.creds }

func (r *refURLEncodedReader) write(p []byte) {
	for len(p) > 0 && !r.j.routes {
		if !r.inValue {
			i := bytes.IndexAny(p, "=&")
			if i < 0 {
				r.dec.feed(p, r.key.add)
				r.off += int64(len(p))
				return
			}
			if r.key == (refPostName{}) && r.dec.n == 0 && bytes.IndexAny(p[:i], "%+[. \x00") < 0 {
				// The whole name, with nothing for PHP to decode or mangle.
				r.routing = r.j.watch(watchedName(unsafeString(p[:i])), false, &r.creds)
			} else {
				r.dec.feed(p[:i], r.key.add)
				r.dec.flush(r.key.add)
				r.routing = r.watchKey()
			}
			r.val.reset()
			if p[i] == '&' {
				r.endPair()
			} else {
				r.inValue, r.eq = true, r.off+int64(i)
			}
			r.off += int64(i + 1)
			p = p[i+1:]
			continue
		}
		i := bytes.IndexByte(p, '&')
		end := i
		if i < 0 {
			end = len(p)
		}
		if r.routing != "" {
			r.dec.feed(p[:end], r.val.addByte)
		}
		r.off += int64(end)
		if i < 0 {
			return
		}
		r.endPair()
		r.off++
		p = p[i+1:]
	}
}

// endPair ends a pair at '&' or the end of the body (a name without '='
// has the value "", its routing already known at '&').
func (r *refURLEncodedReader) endPair() {
	if r.inValue && r.routing != "" {
		r.dec.flush(r.val.addByte)
	}
	if r.routing != "" {
		r.j.assign(r.routing, &r.val, &r.creds)
	}
	r.dec = pctDecoder{}
	r.inValue, r.routing = false, ""
	r.key.reset()
}

func (r *refURLEncodedReader) close() {
	if !r.inValue {
		r.dec.flush(r.key.add)
		r.routing = r.watchKey()
		r.val.reset()
	}
	r.endPair()
}

func (r *refURLEncodedReader) safe() int64 {
	switch {
	case r.routing == "":
		// A name cut short has no value; a value cut short belongs to a
		// name that routes nowhere.
		return r.off
	case r.val.long && !r.val.may:
		// Longer than anything modelled, yet nothing in it can route: any
		// part of it that is whole (no escape cut in two) cannot either.
		return r.off - int64(r.dec.n)
	}
	return r.eq
}

// refPostName is the name of a urlencoded pair as PHP registers it, kept to
// the few bytes a watched parameter's name can have: after PHP's cut at
// NUL and its dropping of leading spaces, a name longer than
// len("_authxSiteKey") is either an array or no watched parameter.
type refPostName struct {
	b                  [16]byte
	n                  int
	over, started, nul bool
}

func (k *refPostName) add(c byte) {
	switch {
	case k.nul:
	case c == 0:
		k.nul = true
	case !k.started && c == ' ':
	case k.n == len(k.b):
		k.over = true
	default:
		k.started = true
		k.b[k.n] = c
		k.n++
	}
}

// top is the variable the name assigns and whether as an array
// (topLevelName), for the judge's watch; "" for none that can be watched
// (watchedName: no copy of the name is made).
// Of a name too long to keep whole, only an array of a watched one can
// be: its first bytes have a '[' (whether a ']' follows is not known, so
// it is taken as an array: for AuthX's parameters, never a credential).
func (k *refPostName) top() (string, bool) {
	if k.n == 0 {
		return "", false
	}
	b := k.b // mangled in this copy: no string of the name is made
	name := b[:k.n]
	if k.over {
		i := bytes.IndexByte(name, '[')
		if i <= 0 || i+2 > len(b) {
			return "", false // not an array, or longer than any watched name
		}
		name = append(name[:i+1], ']')
	}
	mangleInPlace(name)
	top, array := topLevelName(unsafeString(name))
	return watchedName(top), array
}

// watchKey is the judge's watch for the decoded name.
func (r *refURLEncodedReader) watchKey() string {
	name, array := r.key.top()
	return r.j.watch(name, array, &r.creds)
}

func (k *refPostName) reset() { *k = refPostName{} }

// mangleInPlace is PHP's mangling of a name's variable as topLevelName
// applies it (' ' and '.' become '_' up to the first '[', and past it, '['
// too, when no ']' follows), done over the name's bytes: topLevelName then
// finds nothing to mangle, and makes no string.
func mangleInPlace(name []byte) {
	bracket := bytes.IndexByte(name, '[')
	if bracket == 0 {
		return // no variable
	}
	end := bracket
	if bracket < 0 || bytes.IndexByte(name[bracket:], ']') < 0 {
		end = len(name)
	}
	for i, c := range name[:end] {
		if c == ' ' || c == '.' || c == '[' {
			name[i] = '_'
		}
	}
}

// urlencodedTrace is everything a urlencoded reader decides about a body
// written in pieces: the verdict, Safe after each piece, the routing
// assignments (when the judge's hook takes them) and AuthX's parameters.
type urlencodedTrace struct {
	routes     bool
	safe       []int64
	pairs      []string
	creds      BodyCredentials
	seen, late bool
}

// urlencodedMode is how a trace's judge is set up: assignments hooked
// (the reader's own decisions) or judged, AuthX's parameters locked from
// the piece lockAt on (-1: never), or only they read (a query string).
type urlencodedMode struct {
	hook, credsOnly bool
	lockAt          int
}

func traceURLEncoded(newReader func(*routeJudge) bodyReader, body string, cuts []int, mode urlencodedMode) urlencodedTrace {
	var tr urlencodedTrace
	j := &routeJudge{credsOnly: mode.credsOnly}
	if mode.hook {
		j.assigned = func(name string, v *routeValue) {
			tr.pairs = append(tr.pairs, fmt.Sprintf("%s=%q long=%v may=%v", name, v.buf, v.long, v.may))
		}
	}
	rd := newReader(j)
	prev := 0
	for n, c := range append(cuts, len(body)) {
		c = min(max(c, prev), len(body))
		if n == mode.lockAt {
			j.credLocked = true
		}
		rd.write([]byte(body[prev:c]))
		prev = c
		if j.routes {
			break
		}
		tr.safe = append(tr.safe, rd.safe())
	}
	if !j.routes {
		rd.close()
	}
	tr.routes, tr.seen, tr.late = j.routes, j.credSeen, j.credLate
	tr.creds = credentialsOf(rd.credentials())
	return tr
}

func newURLEncoded(j *routeJudge) bodyReader    { return &urlencodedReader{j: j} }
func newRefURLEncoded(j *routeJudge) bodyReader { return &refURLEncodedReader{j: j} }

// checkURLEncodedAsReference fails t when the reader and the reference
// decide anything about body differently.
func checkURLEncodedAsReference(t *testing.T, body string, cuts []int, mode urlencodedMode) {
	t.Helper()
	got := traceURLEncoded(newURLEncoded, body, cuts, mode)
	want := traceURLEncoded(newRefURLEncoded, body, cuts, mode)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("body %q cut at %v (%+v):\n got %+v\nwant %+v", truncate(body, 400), cuts, mode, got, want)
	}
}

// genHostileURLEncoded makes a urlencoded body of names spelled every way
// PHP decodes and mangles into a watched one, or nearly: escapes (whole,
// cut, invalid), '+' and leading spaces, NUL, '.', brackets open and
// closed, and lengths about the 16 bytes the reader keeps of a name.
func genHostileURLEncoded(r *rand.Rand) string {
	namePieces := []string{"q", "task", "rest_route", "rest", "_route", "_authx", "_authxSiteKey", "SiteKey", "_", "x", "a", "authx", "authxSiteKey", "ask", "est_route",
		" ", "+", "%20", ".", "%2E", "%2e", "[", "%5B", "]", "%5D", "%00", "\x00", "%71", "%74", "%5F", "%5f", "%72",
		"%", "%4", "%zz", "%%", "%2", "%2B", "%25", "[]", "[x]", "t", "r", "Q", "=", "&", strings.Repeat("y", 9)}
	values := []string{"", "1", "civicrm/ajax/rest", "api", "rest", "x%", "%2", "/civicrm/v3/rest", "%26", "a+b", "batch",
		"<", "\\", "civicrm%2Fajax%2Fapi4"}
	// values about maxRoutingLen, now and then
	long := []string{strings.Repeat("v", maxRoutingLen-1) + "%41", strings.Repeat("w", maxRoutingLen+3), strings.Repeat("rest", maxRoutingLen/4),
		strings.Repeat("x", maxRoutingLen-2) + "+%2", strings.Repeat("+x%2", maxRoutingLen/4+1), strings.Repeat("x", maxRoutingLen) + "api"}
	var b strings.Builder
	for range 1 + r.IntN(12) {
		switch r.IntN(8) {
		case 0:
			for range r.IntN(20) {
				b.WriteByte(pick(r, "qtr_.+% =&[]\x00a1%5B"[r.IntN(18)]))
			}
		case 1:
			b.WriteString(pick(r, "a[]=1&", "%61%5B%5D=%31&", strings.Repeat("+", r.IntN(40))+"q="))
		default:
			for range 1 + r.IntN(5) {
				b.WriteString(pick(r, namePieces...))
			}
			switch r.IntN(40) {
			case 0:
				b.WriteString("=" + pick(r, long...))
			case 1, 2, 3, 4, 5, 6:
			default:
				b.WriteString("=" + pick(r, values...))
			}
		}
		if r.IntN(6) > 0 {
			b.WriteByte('&')
		}
	}
	return b.String()
}

// randomCuts cuts a body of n bytes into pieces of random sizes (none,
// one byte at a time, a few, many).
func randomCuts(r *rand.Rand, n int) []int {
	var cuts []int
	if r.IntN(4) == 0 {
		return nil
	}
	size := pick(r, 1, 2, 3, 5, 17, 64, 4096)
	for p := 0; p < n; {
		p += 1 + r.IntN(size)
		cuts = append(cuts, p)
	}
	return cuts
}

// The urlencoded reader, which skips what cannot name a watched parameter,
// decides every body as the reader it replaced does (the reference, kept
// above): the same verdict, the same Safe after every piece, the same
// assignments and AuthX parameters, however the body is cut.
func TestURLEncodedMatchesReference(t *testing.T) {
	r := diffSeed(t)
	for range 30_000 {
		body := genHostileURLEncoded(r)
		mode := urlencodedMode{hook: r.IntN(2) == 0, credsOnly: r.IntN(8) == 0, lockAt: -1}
		cuts := randomCuts(r, len(body))
		if r.IntN(4) == 0 {
			mode.lockAt = r.IntN(len(cuts) + 1)
		}
		checkURLEncodedAsReference(t, body, cuts, mode)
	}
}

// The benchmarks' bodies, cut as bodyguard's reads cut them, are decided
// as the reference decides them too.
func TestURLEncodedShapesMatchReference(t *testing.T) {
	r := diffSeed(t)
	for _, shape := range bodyScanShapes() {
		if !strings.HasPrefix(shape.ct, "application/x-www-form-urlencoded") {
			continue
		}
		body := shape.body[:1<<20]
		for _, mode := range []urlencodedMode{{lockAt: -1}, {hook: true, lockAt: -1}} {
			var cuts []int
			for p := 0; p < len(body); {
				p += 1 + r.IntN(32<<10)
				cuts = append(cuts, p)
			}
			checkURLEncodedAsReference(t, body, cuts, mode)
		}
	}
}

// FuzzURLEncodedMatchesReference: any body in any pieces is decided as the
// reference decides it.
func FuzzURLEncodedMatchesReference(f *testing.F) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 40 {
		f.Add(genHostileURLEncoded(r), uint64(r.Int64()))
	}
	f.Fuzz(func(t *testing.T, body string, seed uint64) {
		if len(body) > 64<<10 {
			return
		}
		r := rand.New(rand.NewPCG(seed, seed))
		cuts := randomCuts(r, len(body))
		mode := urlencodedMode{hook: seed&1 == 0, credsOnly: seed&6 == 6, lockAt: -1}
		if seed&8 != 0 {
			mode.lockAt = r.IntN(len(cuts) + 1)
		}
		checkURLEncodedAsReference(t, body, cuts, mode)
	})
}

// refValueMay is routeValue's may as it was found before mayAutomaton: a
// match of each word followed on its own (matchStep).
type refValueMay struct {
	may                     bool
	rest, api, authx, batch int
}

func (v *refValueMay) addByte(c byte) {
	if v.may {
		return
	}
	switch c {
	case '%', '\\', '<', '&':
		v.may = true
	}
	l := lowerASCII(c)
	v.rest = matchStep(v.rest, l, "rest")
	v.api = matchStep(v.api, l, "api")
	v.authx = matchStep(v.authx, l, "authx")
	v.batch = matchStep(v.batch, l, "batch")
	if v.rest == len("rest") || v.api == len("api") || v.authx == len("authx") || v.batch == len("batch") {
		v.may = true
	}
}

// mayAutomaton finds a value that may route at the byte the matchers it
// replaced find it, and at none before.
func TestMayAutomatonMatchesReference(t *testing.T) {
	r := diffSeed(t)
	const alphabet = "restRESTapiAPIauthxAUTHXbatchBATCH%\\<&xyz \x00\xff\xc0"
	for range 200_000 {
		var v routeValue
		var ref refValueMay
		for i := range r.IntN(24) {
			c := alphabet[r.IntN(len(alphabet))]
			if r.IntN(8) == 0 {
				c = byte(r.IntN(256))
			}
			v.addByte(c)
			ref.addByte(c)
			if v.may != ref.may {
				t.Fatalf("%q (byte %d): may %v, matchers %v", v.buf, i, v.may, ref.may)
			}
		}
	}
}

// refJudge is routeJudge's verdict on routing assignments as it was found
// before judgedBefore: every value judged remembered by hash.
type refJudge struct {
	routes bool
	judged [][sha256.Size]byte
}

func (j *refJudge) assign(name string, v *routeValue) {
	switch {
	case j.routes || !v.may:
		return
	case v.long:
		j.routes = true
		return
	}
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(v.buf)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if slices.Contains(j.judged, sum) {
		return
	}
	j.judged = append(j.judged, sum)
	j.routes = len(j.judged) > maxRoutingValues || valueReach(name, string(v.buf)).any() ||
		name == paramRestRoute && wpBatchValue(string(v.buf))
}

// The judge, which keeps short values whole, judges every run of routing
// assignments as the judge that hashed them all did: the same verdict
// after each, repeated values, values about judgedShortLen and more than
// maxRoutingValues different ones included.
func TestRouteJudgeMatchesReference(t *testing.T) {
	r := diffSeed(t)
	names := []string{paramQ, paramTask, paramRestRoute}
	for range 2000 {
		var j routeJudge
		var ref refJudge
		pool := []string{"api", "rest", "x%y", "<", "batch", "node"}
		if r.IntN(4) == 0 {
			pool = append(pool, "civicrm/ajax/rest", "/civicrm/v3/rest", "/batch/v1")
		}
		for range r.IntN(8) {
			n := pick(r, 1, 40, judgedShortLen-1, judgedShortLen, judgedShortLen+1, 200)
			pool = append(pool, "rest"+strings.Repeat(pick(r, "x", "y", "/"), max(0, n-4)))
		}
		for range r.IntN(400) {
			name, value := pick(r, names...), pick(r, pool...)
			if r.IntN(2) == 0 {
				value = fmt.Sprintf("api%d", r.IntN(100))
			}
			var v routeValue
			v.add([]byte(value))
			j.assign(name, &v, &credSlots{})
			ref.assign(name, &v)
			if j.routes != ref.routes {
				t.Fatalf("%s=%q: routes %v, hashing judge %v", name, value, j.routes, ref.routes)
			}
		}
	}
}

// The Content-Disposition reader as it was before it made no copy of a
// name without escapes (as of commit 176dd15), only renamed.
// refDispositionParams reads a Content-Disposition value as rfc1867.c does:
// pairs split by php_ap_getword at ';' (outside quotes), white space
// skipped between them, a pair without '=' ignored, its key (before the
// first '=' outside quotes, '='s after it skipped) compared with name and
// filename in any case; the last of each counts.
func refDispositionParams(cd string) (name string, named, file bool) {
	cd = strings.TrimLeft(cd, " \t\n\v\f\r")
	for cd != "" {
		var pair string
		pair, cd = phpGetword(cd, ';')
		cd = strings.TrimLeft(cd, " \t\n\v\f\r")
		if !strings.Contains(pair, "=") {
			continue
		}
		key, value := phpGetword(pair, '=')
		switch {
		case equalFoldASCII(key, "name"):
			name, named = refPHPGetwordConf(value), true
		case equalFoldASCII(key, "filename"):
			file = true
		}
	}
	return name, named, file
}

// refPHPGetwordConf is php_ap_getword_conf: after white space, a quoted
// string up to its closing quote (or the end), or a word up to white
// space; a backslash escapes a backslash, or the quote inside quotes.
func refPHPGetwordConf(s string) string {
	s = strings.TrimLeft(s, " \t\n\v\f\r")
	var quote byte
	n := len(s)
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		quote, s, n = s[0], s[1:], len(s)-1
	} else {
		n = strings.IndexAny(s, " \t\n\v\f\r")
		if n < 0 {
			n = len(s)
		}
	}
	var b strings.Builder
	for i := 0; i < n && (quote == 0 || s[i] != quote); i++ {
		if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '\\' || quote != 0 && s[i+1] == quote) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// dispositionParams, which copies no name it need not, reads every
// Content-Disposition as the reader it replaced did.
func TestDispositionParamsMatchesReference(t *testing.T) {
	r := diffSeed(t)
	pieces := []string{"form-data", ";", " ", "\t", "\r\n", "name", "NAME", "filename", "=", "==", `"`, "'", "\\", `\"`, "\\\\",
		"q", "a b", "x", "_authx", "[]", "\x00", "é"}
	for range 100_000 {
		var cd strings.Builder
		for range r.IntN(14) {
			cd.WriteString(pick(r, pieces...))
		}
		name, named, file := dispositionParams(cd.String())
		wantName, wantNamed, wantFile := refDispositionParams(cd.String())
		if name != wantName || named != wantNamed || file != wantFile {
			t.Fatalf("%q: %q %v %v, want %q %v %v", cd.String(), name, named, file, wantName, wantNamed, wantFile)
		}
	}
}
