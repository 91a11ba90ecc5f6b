package translate

import (
	"bytes"
	"crypto/sha256"
	"net/url"
	"slices"
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
// It also reads AuthX's parameters (_authx, _authxSiteKey) as each reader
// registers them (Credentials), for the edge to authenticate what CiviCRM
// would read from $_POST.
type BodyScanner struct {
	readers []bodyReader
	judge   routeJudge
}

// bodyReader is one way PHP may read the body (its SAPI passes one
// Content-Type; which one depends on the server, so each is followed).
type bodyReader interface {
	write(p []byte)
	close()
	safe() int64
	credentials() *credSlots
}

// BodyScanner returns a scanner for a body sent to u with this method and
// these Content-Type values, or nil when the body cannot route the request
// nor carry AuthX's parameters: PHP does not parse it as a form
// (phpPostForms), or u is a form Civigate rebuilds (only its URL decides).
func (cfg RecogniseConfig) BodyScanner(u *url.URL, method string, contentTypes []string) *BodyScanner {
	if c := classify(u, &cfg); c.kind == kindClean && !c.route.Form.AsSent() && cfg.enabled(c.route.Form) {
		return nil
	}
	var s *BodyScanner
	var urlencoded bool
	var boundaries []string
	phpPostForms(method, contentTypes, func(multipart bool, boundary string) {
		if s == nil {
			s = &BodyScanner{}
		}
		switch {
		case !multipart && !urlencoded:
			urlencoded = true
			s.readers = append(s.readers, &urlencodedReader{j: &s.judge})
		case multipart && !slices.Contains(boundaries, boundary):
			boundaries = append(boundaries, boundary)
			s.readers = append(s.readers, newMultipartReader(boundary, &s.judge))
		}
	})
	return s
}

// Write scans the next bytes of the body and reports whether it routes.
func (s *BodyScanner) Write(p []byte) (routes bool) {
	for _, r := range s.readers {
		if s.judge.routes {
			break
		}
		r.write(p)
	}
	return s.judge.routes
}

// Close ends the body (PHP judges the last pair or field as it stands) and
// reports whether it routes.
func (s *BodyScanner) Close() (routes bool) {
	for _, r := range s.readers {
		if s.judge.routes {
			break
		}
		r.close()
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
	safe := s.readers[0].safe()
	for _, r := range s.readers[1:] {
		safe = min(safe, r.safe())
	}
	return safe
}

// routeJudge judges the assignments of routing parameters the readers
// find, as IsAPIv3LikeBody has them: a value that cannot route is ignored,
// each other value is modelled once, and a body with more than
// maxRoutingValues of them, or one longer than maxRoutingLen, routes.
// Values already judged are remembered by hash, so the memory stays small.
type routeJudge struct {
	routes bool
	judged [][sha256.Size]byte
	// credSeen: a reader found a name of AuthX's parameters. Once
	// credLocked (LockCredentials), finding one makes the body refused
	// (credLate).
	credSeen, credLocked, credLate bool
	// credsOnly: only AuthX's parameters are read (a query string).
	credsOnly bool
	// assigned, if set, is given every assignment instead (tests).
	assigned func(name string, v *routeValue)
}

// watch is the parameter a reader is to read the value of, given the
// name it found (as PHP registers it, and whether as an array), or "": a
// routing parameter not as an array, or one of AuthX's. An AuthX
// parameter as an array is never a credential: it is recorded at once.
func (j *routeJudge) watch(name string, array bool, creds *credSlots) string {
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

func (j *routeJudge) assign(name string, v *routeValue, creds *credSlots) {
	if c := creds.slot(name); c != nil {
		c.assign(v)
		return
	}
	if j.assigned != nil {
		j.assigned(name, v)
		return
	}
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
	// A form body's rest_route that runs the batch route is refused: its
	// sub-requests would come from the same body, which is not held back
	// for WPBatchLogsIn, and no client sends the route that way.
	j.routes = len(j.judged) > maxRoutingValues || valueReach(name, string(v.buf)).any() ||
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
	// bytes of "rest", "api", "authx" and "batch" matched so far (any
	// case)
	rest, api, authx, batch int
}

func (v *routeValue) reset() {
	v.buf = v.buf[:0]
	v.long, v.may = false, false
	v.rest, v.api, v.authx, v.batch = 0, 0, 0, 0
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
type urlencodedReader struct {
	j       *routeJudge
	off     int64
	inValue bool
	key     postName
	dec     pctDecoder
	routing string // the watched parameter whose value is being read
	eq      int64  // where its '=' is
	val     routeValue
	creds   credSlots
}

func (r *urlencodedReader) credentials() *credSlots { return &r.creds }

func (r *urlencodedReader) write(p []byte) {
	for len(p) > 0 && !r.j.routes {
		if !r.inValue {
			i := bytes.IndexAny(p, "=&")
			if i < 0 {
				r.dec.feed(p, r.key.add)
				r.off += int64(len(p))
				return
			}
			if r.key == (postName{}) && r.dec.n == 0 && bytes.IndexAny(p[:i], "%+[. \x00") < 0 {
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
func (r *urlencodedReader) endPair() {
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
// len("_authxSiteKey") is either an array or no watched parameter.
type postName struct {
	b                  [16]byte
	n                  int
	over, started, nul bool
}

func (k *postName) add(c byte) {
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
func (k *postName) top() (string, bool) {
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
