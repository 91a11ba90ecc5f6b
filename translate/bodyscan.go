package translate

import (
	"bytes"
	"crypto/sha256"
	"net/url"
	"slices"
	"strings"
)

// BodyScanner judges a form body as it streams past, reading it as PHP
// reads it, for the routing parameters WordPress and Joomla take from
// $_POST (see IsAPIv3LikeBody). Its memory is bounded by a small constant:
// a routing parameter's name and (up to maxRoutingLen) value, the current
// multipart header line (PHP's own 5 KiB buffer) and the boundary.
//
// PHP runs a script with whatever part of the body arrived when the
// connection breaks (a urlencoded pair or multipart field cut short is
// registered as it stands), so holding back the end of a body is not
// enough: Safe says how much of it may go on, such that PHP reading just
// those bytes as the whole body finds no routing parameter.
//
// It also reads AuthX's parameters (_authx, _authxSiteKey) and Afform's
// page token (_aff) as its reader registers them (Credentials), for the
// edge to authenticate what CiviCRM would read from $_POST.
type BodyScanner struct {
	reader bodyReader
	judge  routeJudge
}

// bodyReader is the way PHP reads the body (phpPostForm): urlencoded or
// multipart.
type bodyReader interface {
	write(p []byte)
	close()
	safe() int64
	credentials() *credSlots
}

// BodyScanner returns a scanner for a body sent to u with this method and
// Content-Type (OneContentType's: a request whose values PHP could see
// differently is refused before it gets here), or nil when the body cannot
// route the request nor carry AuthX's parameters: PHP does not parse it as
// a form (phpPostForm), or u is a form Civigate rebuilds (only its URL
// decides).
func (cfg RecogniseConfig) BodyScanner(u *url.URL, method, contentType string) *BodyScanner {
	if c := classify(u, &cfg); c.kind == kindClean && !c.route.Form.AsSent() && cfg.enabled(c.route.Form) {
		return nil
	}
	form, multipart, boundary := phpPostForm(method, contentType)
	if !form {
		return nil
	}
	s := &BodyScanner{}
	if multipart {
		s.reader = newMultipartReader(boundary, &s.judge)
	} else {
		s.reader = &urlencodedReader{j: &s.judge}
	}
	return s
}

// Write scans the next bytes of the body and reports whether it routes.
func (s *BodyScanner) Write(p []byte) (routes bool) {
	if !s.judge.routes {
		s.reader.write(p)
	}
	return s.judge.routes
}

// Close ends the body (PHP judges the last pair or field as it stands) and
// reports whether it routes.
func (s *BodyScanner) Close() (routes bool) {
	if !s.judge.routes {
		s.reader.close()
	}
	return s.judge.routes
}

// Routes reports whether what was written routes.
func (s *BodyScanner) Routes() bool { return s != nil && s.judge.routes }

// Safe is how many of the bytes written may go on: PHP reading them as the
// whole body finds no routing parameter. It lags behind what was written
// while a routing parameter's value is being read (at most maxRoutingLen
// decoded bytes) or a multipart header line is (at most 5 KiB).
func (s *BodyScanner) Safe() int64 {
	if s.judge.routes {
		return 0
	}
	return s.reader.safe()
}

// PageQuery is what the body written so far assigned to the routing
// parameters (q, task, rest_route), as a query string (each name=value
// once, "" for none), for judging which page the request runs: WordPress
// (WP::parse_request) and Joomla's input take them from $_POST as well
// as the query, so the page is that of the URL with them added to its
// query (RecogniseConfig.PageMayWrite on it; a value also in the URL's
// query counts whichever wins). known is false when one was too long to
// keep (maxRoutingLen) or there were more than maxPageValues: the page
// is not known.
func (s *BodyScanner) PageQuery() (query string, known bool) {
	return strings.Join(s.judge.page.vals, "&"), !s.judge.page.unknown
}

// routeJudge judges the assignments of routing parameters the reader
// finds, as IsAPIv3LikeBody has them: a value that cannot route is ignored,
// each other value is modelled once, and a body with more than
// maxRoutingValues of them, or one longer than maxRoutingLen, routes.
// Values already judged are remembered (whole when short, else by hash),
// so the memory stays small.
type routeJudge struct {
	routes bool
	// judged are the values judged (judgedBefore): by hash, and the short
	// ones whole.
	judged       [][sha256.Size]byte
	judgedShort  [3]map[string]struct{} // by routingIndex
	judgedShortN int
	// credSeen: a reader found a name of AuthX's parameters. Once
	// credLocked (LockCredentials), finding one makes the body refused
	// (credLate).
	credSeen, credLocked, credLate bool
	// credsOnly: only AuthX's parameters are read (a query string).
	credsOnly bool
	// assigned, if set, is given every assignment instead (tests).
	assigned func(name string, v *routeValue)
	// page: the routing values assigned, for the page a request runs
	// (PageQuery).
	page pageValues
}

// pageValues are a body's routing assignments as a query string (each
// name=value once), for PageQuery: at most maxPageValues of them, each
// whole (unknown: one was not).
type pageValues struct {
	vals    []string
	unknown bool
}

// maxPageValues bounds the routing values PageQuery keeps; a body with
// more is taken as one whose page is not known.
const maxPageValues = 8

func (p *pageValues) record(name string, v *routeValue) {
	if p.unknown {
		return
	}
	if v.long {
		p.unknown = true
		return
	}
	kv := name + "=" + url.QueryEscape(string(v.buf))
	if slices.Contains(p.vals, kv) {
		return
	}
	if len(p.vals) == maxPageValues {
		p.unknown = true
		return
	}
	p.vals = append(p.vals, kv)
}

// watch is the parameter a reader is to read the value of, given the
// name it found (as PHP registers it, and whether as an array), or "": a
// routing parameter not as an array, or one of AuthX's. An AuthX
// parameter as an array is never a credential: it is recorded at once.
func (j *routeJudge) watch(name string, array bool, creds *credSlots) string {
	if name == paramAuthxSes {
		// No credential: it matters only beside an _authx, which a body
		// read after the request was authenticated cannot carry.
		if array {
			creds.ses.assignArray()
			return ""
		}
		return name
	}
	if c := creds.slot(name); c != nil {
		j.credSeen = true
		if j.credLocked {
			j.routes, j.credLate = true, true
			return ""
		}
		if array {
			c.assignArray()
			return ""
		}
		return name
	}
	if !array && !j.credsOnly && isRoutingParam(name) {
		return name
	}
	return ""
}

// judgedBefore reports whether name=value was judged before, and records
// it. A short value is kept whole, by name: a body may repeat it a million
// times, and looking it up costs less than hashing it.
func (j *routeJudge) judgedBefore(name string, value []byte) bool {
	if n := routingIndex(name); n >= 0 && len(value) <= judgedShortLen {
		if _, ok := j.judgedShort[n][string(value)]; ok {
			return true
		}
		if j.judgedShort[n] == nil {
			j.judgedShort[n] = make(map[string]struct{})
		}
		j.judgedShort[n][string(value)] = struct{}{}
		j.judgedShortN++
		return false
	}
	h := sha256.New()
	h.Write([]byte(name))
	h.Write([]byte{0})
	h.Write(value)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if slices.Contains(j.judged, sum) {
		return true
	}
	j.judged = append(j.judged, sum)
	return false
}

// judgedShortLen is the longest value kept whole.
const judgedShortLen = 64

// routingIndex numbers the routing parameters (isRoutingParam), -1 for
// another name.
func routingIndex(name string) int {
	switch name {
	case paramQ:
		return 0
	case paramTask:
		return 1
	case paramRestRoute:
		return 2
	}
	return -1
}

func (j *routeJudge) assign(name string, v *routeValue, creds *credSlots) {
	if c := creds.slot(name); c != nil {
		c.assign(v)
		return
	}
	if j.assigned != nil {
		j.assigned(name, v)
		return
	}
	j.page.record(name, v)
	switch {
	case j.routes || !v.may:
		return
	case v.long:
		j.routes = true
		return
	}
	if j.judgedBefore(name, v.buf) {
		return
	}
	// A form body's rest_route that runs the batch route is refused: its
	// sub-requests would come from the same body, which is not held back
	// for WPBatchLogsIn, and no client sends the route that way.
	j.routes = len(j.judged)+j.judgedShortN > maxRoutingValues || valueReach(name, string(v.buf)).any() ||
		name == paramRestRoute && wpBatchValue(string(v.buf))
}

// refuse: the body cannot be read the way PHP would read it within the
// bounds (a multipart boundary or header past them, a file that PHP may
// read two ways).
func (j *routeJudge) refuse() { j.routes = true }

// routeValue collects the value of a routing parameter: whole up to
// maxRoutingLen bytes, past that only whether it may route
// (valueMayRoute), which is all the judge needs of a longer one.
type routeValue struct {
	buf       []byte
	long, may bool
	scan      uint8 // the state of mayAutomaton
}

func (v *routeValue) reset() {
	v.buf = v.buf[:0]
	v.long, v.may, v.scan = false, false, 0
}

func (v *routeValue) add(p []byte) {
	for _, c := range p {
		v.addByte(c)
	}
}

func (v *routeValue) addByte(c byte) {
	if !v.long {
		if len(v.buf) < maxRoutingLen {
			v.buf = append(v.buf, c)
		} else {
			v.long = true
		}
	}
	if !v.may {
		v.scan = mayAutomaton[v.scan][c]
		v.may = v.scan == mayFound
	}
}

// addPlain adds the bytes of p before its first '%' as PHP decodes them
// ('+' a space, every other byte itself), as addByte would one by one, and
// returns how many.
func (v *routeValue) addPlain(p []byte) int {
	s := v.scan
	if !v.long {
		// One pass: the automaton and the copy (mayPlain goes on past
		// mayFound, to the next '%').
		i, room := 0, maxRoutingLen-len(v.buf)
		for ; i < len(p) && i < room; i++ {
			c := p[i]
			t := mayPlain[s][c]
			if t > mayFound {
				break
			}
			if s = t; c == '+' {
				c = ' '
			}
			v.buf = append(v.buf, c)
		}
		v.scan, v.may = s, s == mayFound
		if i == len(p) || p[i] == '%' {
			return i
		}
		v.long = true // p[i] is the byte past maxRoutingLen
		return i + v.addPlain(p[i:])
	}
	e := 0
	if !v.may {
		for e < len(p) && mayPlain[s][p[e]] < mayFound {
			s = mayPlain[s][p[e]]
			e++
		}
		v.scan = s
		if e < len(p) && p[e] != '%' {
			v.scan, v.may = mayFound, true
		}
	}
	if v.may {
		if i := bytes.IndexByte(p[e:], '%'); i >= 0 {
			e += i
		} else {
			e = len(p)
		}
	}
	return e
}

// mayWords and mayBytes are what makes a value one that may route (may):
// any of the words in any case, or any of the bytes.
var mayWords = [...]string{"rest", "api", "authx", "batch"}

const mayBytes = "%\\<&"

// mayAutomaton reads a value a byte at a time, one table look-up each (a
// value is read before any credential is checked): its state is the
// longest end of what was read that begins one of mayWords, in lower case,
// until mayFound, reached at the first word or byte of may.
var mayAutomaton, mayFound = buildMayAutomaton()

// mayPlain is mayAutomaton over bytes as sent (addPlain): '+' is a space,
// and '%' (an escape) is mayFound+1, for the caller to decode.
var mayPlain = func() [][256]uint8 {
	t := slices.Clone(mayAutomaton)
	for s := range t {
		t[s]['+'], t[s]['%'] = t[s][' '], mayFound+1
	}
	return t
}()

func buildMayAutomaton() ([][256]uint8, uint8) {
	prefixes := []string{""}
	for _, w := range mayWords {
		for i := 1; i < len(w); i++ {
			if !slices.Contains(prefixes, w[:i]) {
				prefixes = append(prefixes, w[:i])
			}
		}
	}
	found := uint8(len(prefixes))
	table := make([][256]uint8, len(prefixes)+1)
	for s, pre := range prefixes {
		for c := range 256 {
			read := pre + string([]byte{lowerASCII(byte(c))})
			next := found
			if !strings.ContainsRune(mayBytes, rune(c)) && !slices.ContainsFunc(mayWords[:], func(w string) bool { return strings.HasSuffix(read, w) }) {
				for i := range len(read) + 1 {
					if j := slices.Index(prefixes, read[i:]); j >= 0 {
						next = uint8(j)
						break
					}
				}
			}
			table[s][c] = next
		}
	}
	for c := range 256 {
		table[found][c] = found
	}
	return table, found
}

// matchStep advances a match of pat (no prefix of it is also its suffix,
// so a mismatch restarts at its first byte).
func matchStep(matched int, c byte, pat string) int {
	switch {
	case c == pat[matched]:
		return matched + 1
	case c == pat[0]:
		return 1
	}
	return 0
}

// isRoutingParam: the parameters WordPress and Joomla route by.
func isRoutingParam(name string) bool {
	return name == paramQ || name == paramTask || name == paramRestRoute
}

// urlencodedReader reads application/x-www-form-urlencoded as PHP's
// add_post_vars does: pairs split on '&', name and value split on the
// first '=' and url-decoded, the name registered as parse_str does
// (topLevelName). Every assignment counts: past max_input_vars PHP keeps
// the first ones.
//
// It reads every body before any credential is checked, so it does as
// little as decides: the pairs' ends are found with bytes.IndexByte
// (pairMarks), a pair whose first byte begins no watched name is skipped
// whole (pairSkips), a name is decoded no further than decides it
// (plainName, postName.done), and only a watched parameter's value is
// read. A body that names nothing watched costs a few nanoseconds a pair
// however its names are spelled.
type urlencodedReader struct {
	j       *routeJudge
	off     int64
	inValue bool
	named   bool // some of the pair's name was read (into key and dec)
	key     postName
	dec     pctDecoder
	routing string // the watched parameter whose value is being read
	eq      int64  // where its '=' is
	val     routeValue
	creds   credSlots
}

func (r *urlencodedReader) credentials() *credSlots { return &r.creds }

func (r *urlencodedReader) write(p []byte) {
	base := r.off
	marks := pairMarks{eq: -1, amp: -1}
	for pos := 0; pos < len(p) && !r.j.routes; {
		if r.inValue {
			end := marks.next(p, pos, '&', &marks.amp)
			if r.routing != "" {
				r.readValue(p[pos:end])
			}
			if end == len(p) {
				break
			}
			r.endPair()
			pos = end + 1
			continue
		}
		if !r.named {
			for pos < len(p) && pairSkips(p, pos) {
				end := marks.next(p, pos, '&', &marks.amp)
				if end == len(p) {
					r.named, r.key.none = true, true // the rest of the pair follows
				}
				pos = end + 1
			}
			if pos >= len(p) {
				break
			}
		}
		end := r.readName(p, pos, &marks)
		if end == len(p) {
			break
		}
		r.val.reset()
		if p[end] == '&' {
			r.endPair()
		} else {
			r.inValue, r.eq = true, base+int64(end)
		}
		pos = end + 1
	}
	r.off = base + int64(len(p))
}

// pairSkips reports whether the pair that starts at p[pos] names no
// watched parameter, from its first byte as PHP decodes it: one that may
// start a watched name (mayStartWatched) or a space PHP drops may, and so
// may an escape the end of p cuts. A '%' that starts no escape stands for
// itself; an empty name ('=', '&') or a NUL names nothing.
func pairSkips(p []byte, pos int) bool {
	c := p[pos]
	switch c {
	case '+', ' ':
		return false
	case '%':
		switch {
		case pos+2 >= len(p):
			return false
		case !isHex(p[pos+1]) || !isHex(p[pos+2]):
			return true
		}
		if c = unhex(p[pos+1])<<4 | unhex(p[pos+2]); c == ' ' {
			return false
		}
	}
	return !mayStartWatched(c)
}

// pairMarks are where the next '=' and '&' of a write's bytes are (-1: not
// looked for yet, len(p): none), each looked for again only once passed,
// so that finding them all costs one pass however the pairs are shaped.
type pairMarks struct{ eq, amp int }

func (m *pairMarks) next(p []byte, pos int, c byte, at *int) int {
	if *at >= pos {
		return *at
	}
	// Most pairs are short: the first bytes are looked at one by one.
	near := min(len(p), pos+8)
	for i := pos; i < near; i++ {
		if p[i] == c {
			*at = i
			return i
		}
	}
	if i := bytes.IndexByte(p[near:], c); i >= 0 {
		*at = near + i
	} else {
		*at = len(p)
	}
	return *at
}

// readName reads the name at p[pos] (or the rest of it) and returns where
// it ends (its '=' or '&', the routing set; len(p) when it goes on past
// p).
func (r *urlencodedReader) readName(p []byte, pos int, marks *pairMarks) int {
	if !r.named {
		if end, ok := r.plainName(p, pos); ok {
			return end
		}
		r.named = true
	}
	end := r.decodeName(p, pos, marks)
	if end < len(p) {
		r.dec.flush(r.key.add)
		r.routing = r.watchKey()
	}
	return end
}

// plainName reads a name from its start at p[pos] when PHP's decoding
// cannot touch it: no leading space, and no '%', '+' or NUL in the bytes
// that decide it (postNameLen and one). ok: it ends in p, and routing is
// set. Else a name longer than the key keeps is in the key (the rest is
// decodeName's), and any other is left to decodeName whole.
func (r *urlencodedReader) plainName(p []byte, pos int) (end int, ok bool) {
	if p[pos] == ' ' {
		return 0, false
	}
	i, lim := pos, min(len(p), pos+postNameLen+1)
	var mangled uint8
	for i < lim && nameBytes[p[i]] <= nameMangled {
		mangled |= nameBytes[p[i]]
		i++
	}
	switch {
	case i < lim && nameBytes[p[i]] == nameEnd:
		top, array := "", false
		if mangled == 0 {
			top = watchedName(unsafeString(p[pos:i]))
		} else {
			top, array = nameTop(p[pos:i], false)
		}
		r.routing = r.j.watch(top, array, &r.creds)
		return i, true
	case i-pos == postNameLen+1:
		r.named = true
		r.key.n = copy(r.key.b[:], p[pos:])
		r.key.started, r.key.over = true, true
	}
	return 0, false
}

// nameBytes classes a name's bytes for plainName.
var nameBytes = func() (t [256]uint8) {
	t['['], t['.'], t[' '] = nameMangled, nameMangled, nameMangled
	t['='], t['&'] = nameEnd, nameEnd
	t['%'], t['+'], t[0] = nameSpecial, nameSpecial, nameSpecial // decoded, cut at
	return t
}()

const (
	namePlain   = 0
	nameMangled = 1 // a byte nameTop looks at
	nameEnd     = 2
	nameSpecial = 3
)

// decodeName decodes the name that goes on at p[pos] into the key and
// returns where it ends (its '=' or '&', len(p) when it goes on past p).
// Once the key is decided (postName.done) what follows cannot change it:
// the end is then found by marks. An escape the end of p may cut waits in
// the decoder.
func (r *urlencodedReader) decodeName(p []byte, pos int, marks *pairMarks) int {
	k := &r.key
	for i := pos; i < len(p); i++ {
		c := p[i]
		switch {
		case c == '=' || c == '&':
			return i
		case k.done():
			return min(marks.next(p, i, '=', &marks.eq), marks.next(p, i, '&', &marks.amp))
		case r.dec.n > 0 || c == '%' && i+2 >= len(p):
			r.dec.byte(c, k.add)
		case c == '+':
			k.add(' ')
		case c == '%' && isHex(p[i+1]) && isHex(p[i+2]):
			k.add(unhex(p[i+1])<<4 | unhex(p[i+2]))
			i += 2
		default:
			k.add(c) // '%' too, when it starts no escape
		}
	}
	return len(p)
}

// readValue reads the next bytes of a watched parameter's value (an
// escape the end of p may cut waits in the decoder), a run of bytes
// without an escape at a time. A value past maxRoutingLen that may route
// has nothing more to tell.
func (r *urlencodedReader) readValue(p []byte) {
	v := &r.val
	for i := 0; i < len(p) && !(v.long && v.may); {
		c := p[i]
		switch {
		case r.dec.n == 0 && c != '%':
			i += v.addPlain(p[i:])
			continue
		case r.dec.n > 0 || i+2 >= len(p):
			r.dec.byte(c, v.addByte)
		case isHex(p[i+1]) && isHex(p[i+2]):
			v.addByte(unhex(p[i+1])<<4 | unhex(p[i+2]))
			i += 2
		default:
			v.addByte('%') // it starts no escape
		}
		i++
	}
}

// endPair ends a pair at '&' or the end of the body (a name without '='
// has the value "", its routing already known at '&').
func (r *urlencodedReader) endPair() {
	if r.inValue && r.routing != "" {
		r.dec.flush(r.val.addByte)
	}
	if r.routing != "" {
		r.j.assign(r.routing, &r.val, &r.creds)
	}
	r.dec = pctDecoder{}
	r.inValue, r.named, r.routing = false, false, ""
	r.key.reset()
}

func (r *urlencodedReader) close() {
	if !r.inValue {
		r.dec.flush(r.key.add)
		r.routing = r.watchKey()
		r.val.reset()
	}
	r.endPair()
}

// watchedName is name as the constant of a watched parameter (routing or
// AuthX), else "": the judge watches no other, and a constant keeps none
// of the bytes name may share (a body's, or a postName's, which a string
// of its own would copy, once per pair of the body).
func watchedName(name string) string {
	switch name {
	case paramQ:
		return paramQ
	case paramTask:
		return paramTask
	case paramRestRoute:
		return paramRestRoute
	case paramAuthx:
		return paramAuthx
	case paramAuthxSiteKey:
		return paramAuthxSiteKey
	case paramAuthxSes:
		return paramAuthxSes
	case ParamAfformToken:
		return ParamAfformToken
	}
	return ""
}

func (r *urlencodedReader) safe() int64 {
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

// postName is the name of a urlencoded pair as PHP registers it, kept to
// the few bytes a watched parameter's name can have: after PHP's cut at
// NUL and its dropping of leading spaces, a name longer than
// len("_authxSiteKey") is either an array or no watched parameter. Its
// first byte decides most names (mayStartWatched).
type postName struct {
	b                  [postNameLen]byte
	n                  int
	over, started, nul bool
	none               bool // its first byte begins no watched name
}

// postNameLen is how much of a name postName keeps: "_authxSiteKey", a
// '[' and more (see top).
const postNameLen = 16

func (k *postName) add(c byte) {
	switch {
	case k.nul || k.none:
	case c == 0:
		k.nul = true
	case !k.started && c == ' ':
	case !k.started && !mayStartWatched(c):
		k.none = true
	case k.n == postNameLen:
		k.over = true
	default:
		k.started = true
		k.b[k.n] = c
		k.n++
	}
}

// done: no byte added from now on changes top.
func (k *postName) done() bool { return k.nul || k.none || k.over }

// mayStartWatched reports whether a name's first byte (after the leading
// spaces PHP drops) may begin a watched parameter's (watchedName) once
// mangled: its own first byte, or '.', which becomes '_'. A name that
// starts with '[' registers nothing.
func mayStartWatched(c byte) bool {
	switch c {
	case paramQ[0], paramTask[0], paramRestRoute[0], paramAuthx[0], paramAuthxSiteKey[0], '.':
		return true
	}
	return false
}

// top is the variable the name assigns and whether as an array
// (topLevelName), for the judge's watch; "" for none that can be watched
// (watchedName: no copy of the name is made).
// Of a name too long to keep whole, only an array of a watched one can
// be: its first bytes have a '[' (whether a ']' follows is not known, so
// it is taken as an array: for AuthX's parameters, never a credential).
func (k *postName) top() (string, bool) {
	if k.none {
		return "", false
	}
	return nameTop(k.b[:k.n], k.over)
}

// nameTop is top for a name as PHP keeps it (cut at NUL, leading spaces
// dropped), of at most postNameLen bytes, over when more followed.
func nameTop(name []byte, over bool) (string, bool) {
	open, closed := -1, false
	for i, c := range name {
		if c == '[' && open < 0 {
			open = i
		} else if c == ']' && open >= 0 {
			closed = true
			break
		}
	}
	array := false
	switch {
	case len(name) == 0 || open == 0:
		return "", false // no variable
	case over:
		if open < 0 || open+2 > postNameLen {
			return "", false // not an array, or longer than any watched name
		}
		name, array = name[:open], true
	case open > 0 && closed:
		name, array = name[:open], true
	}
	// The variable mangled as topLevelName does it, in a copy: ' ' and '.'
	// become '_', and '[' too where no ']' closes the first one (in an
	// array's variable there is none). No string of the name is made.
	var m [postNameLen]byte
	for i, c := range name {
		if c == ' ' || c == '.' || c == '[' {
			c = '_'
		}
		m[i] = c
	}
	return watchedName(unsafeString(m[:len(name)])), array
}

// watchKey is the judge's watch for the decoded name.
func (r *urlencodedReader) watchKey() string {
	name, array := r.key.top()
	return r.j.watch(name, array, &r.creds)
}

func (k *postName) reset() { *k = postName{} }

// pctDecoder is urlDecode over a stream: an escape may be cut between
// writes.
type pctDecoder struct {
	pend [2]byte // '%' and perhaps one hex digit
	n    int
}

func (d *pctDecoder) feed(p []byte, emit func(byte)) {
	for _, c := range p {
		d.byte(c, emit)
	}
}

func (d *pctDecoder) byte(c byte, emit func(byte)) {
	switch d.n {
	case 1:
		if isHex(c) {
			d.pend[1], d.n = c, 2
			return
		}
		d.n = 0
		emit('%')
	case 2:
		d.n = 0
		if isHex(c) {
			emit(unhex(d.pend[1])<<4 | unhex(c))
			return
		}
		emit('%')
		emit(d.pend[1])
	}
	switch c {
	case '%':
		d.pend[0], d.n = c, 1
	case '+':
		emit(' ')
	default:
		emit(c)
	}
}

// flush ends a name or value: an unfinished escape stands as written.
func (d *pctDecoder) flush(emit func(byte)) {
	for i := range d.n {
		emit(d.pend[i])
	}
	d.n = 0
}
