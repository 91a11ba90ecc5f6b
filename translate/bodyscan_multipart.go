package translate

import (
	"bytes"
	"strings"
)

// phpFillUnit is the size of PHP's multipart read buffer (rfc1867.c
// FILLUNIT). A line longer than this reaches PHP in pieces, each a line of
// its own; a boundary longer than it makes the buffer larger and its
// reads differ, so such a boundary is refused.
const phpFillUnit = 5 * 1024

// multipartReader reads multipart/form-data as PHP's rfc1867 handler
// does, a model of its multipart_buffer:
//
//   - A part starts at a line that is exactly "--boundary" (lines end at
//     LF, one CR before it dropped, at NUL as C strings do, and at
//     phpFillUnit bytes, the rest a line of its own).
//   - Header lines follow up to an empty one (or one starting with NUL,
//     or the end of the body). A line that starts with a space or has no
//     ':' continues the previous header. The first header named
//     Content-Disposition (any case) counts; its last name= parameter is
//     the field's name (php_ap_getword and php_ap_getword_conf: ';'
//     outside quotes separates, a value in quotes with \" escapes or up
//     to white space). filename= makes it a file.
//   - A field's value runs to the first "\n--boundary" wherever it is (no
//     line start needed), less one CR before it, or to the end of the
//     body; then PHP looks for a boundary line again from that line feed.
//     A part with no Content-Disposition, or no name, is skipped line by
//     line.
//   - A file is read like a value, except that PHP skips it line by line
//     instead when uploads are off or exhausted, its filename is empty, or
//     it grew past upload_max_filesize or the form's MAX_FILE_SIZE (from
//     the piece of it read then). Skipping, PHP takes a boundary line
//     where reading would not: at the file's start or after a piece not
//     ending at a line feed. Such a line in a file (the boundary, then
//     LF, CRLF or NUL, not after a line feed) is refused, since which way
//     PHP reads depends on its settings.
//
// Parts after a garbled one, past max_input_vars or past
// max_multipart_body_parts are read on: a superset is enough.
type multipartReader struct {
	j     *routeJudge
	delim []byte // "--boundary": the line that starts a part
	off   int64
	state mpState

	// The current line (mpFind, mpHeaders): where it starts, its length
	// so far and its bytes (mpFind keeps len(delim)+1 of them, enough to
	// compare; mpHeaders all, at most phpFillUnit).
	lineStart int64
	lineLen   int
	line      []byte

	// The current part's headers.
	header hdrKind // the header a continuation line extends
	cdSeen bool
	cd     []byte

	// A value or a file: its last bytes, kept until it is known whether
	// they begin the boundary (at most len(delim)+2: "\r\n--boundary"'s
	// CR, or a boundary line's end), and the byte before them.
	tail     []byte
	prev     int // last content byte given out, -1 at the start of the content
	routing  string
	valStart int64
	val      routeValue
	tooLong  bool
	creds    credSlots
}

func (r *multipartReader) credentials() *credSlots { return &r.creds }

type mpState uint8

const (
	mpFind    mpState = iota // looking for a boundary line
	mpHeaders                // a part's header lines
	mpValue                  // a form field's value
	mpFile                   // a file's content
)

type hdrKind uint8

const (
	hdrNone hdrKind = iota
	hdrCD           // the part's first Content-Disposition
	hdrOther
)

func newMultipartReader(boundary string, j *routeJudge) *multipartReader {
	return &multipartReader{
		j:       j,
		delim:   []byte("--" + boundary),
		tooLong: len(boundary)+6 > phpFillUnit,
	}
}

// keep is how many bytes at the end of a value or file wait for more.
func (r *multipartReader) keep() int { return len(r.delim) + 2 }

func (r *multipartReader) write(p []byte) {
	if r.tooLong && len(p) > 0 {
		r.j.refuse()
	}
	r.process(p, r.off)
	r.off += int64(len(p))
}

// process reads p, which starts at offset at.
func (r *multipartReader) process(p []byte, at int64) {
	for len(p) > 0 && !r.j.routes {
		var n int
		switch r.state {
		case mpFind, mpHeaders:
			n = r.lines(p, at)
		default:
			n = r.content(p, at)
		}
		p, at = p[n:], at+int64(n)
	}
}

// lines assembles lines as PHP's next_line returns them.
func (r *multipartReader) lines(p []byte, at int64) int {
	room := phpFillUnit - r.lineLen
	if i := bytes.IndexByte(p[:min(len(p), room)], '\n'); i >= 0 {
		r.keepLine(p[:i])
		r.lineDone(true, at+int64(i)+1)
		return i + 1
	}
	if len(p) >= room {
		r.keepLine(p[:room])
		r.lineDone(false, at+int64(room))
		return room
	}
	r.keepLine(p)
	return len(p)
}

func (r *multipartReader) keepLine(p []byte) {
	r.lineLen += len(p)
	if r.state == mpFind {
		p = p[:min(len(p), max(0, len(r.delim)+1-len(r.line)))]
	}
	r.line = append(r.line, p...)
}

// lineDone handles a whole line (lf: it ended at a line feed); the next
// starts at next.
func (r *multipartReader) lineDone(lf bool, next int64) {
	line := r.line
	if lf && len(line) == r.lineLen && len(line) > 0 && line[len(line)-1] == '\r' {
		line = line[:len(line)-1]
	}
	if i := bytes.IndexByte(line, 0); i >= 0 {
		line = line[:i]
	}
	r.line, r.lineLen, r.lineStart = r.line[:0], 0, next
	if r.state == mpFind {
		if bytes.Equal(line, r.delim) {
			r.state = mpHeaders
		}
		return
	}
	switch {
	case len(line) == 0:
		r.endHeaders(next)
	case !isCSpace(line[0]) && bytes.IndexByte(line, ':') >= 0:
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = trimCSpace(value)
		if !r.cdSeen && equalFoldASCII(unsafeString(name), "content-disposition") {
			r.cdSeen, r.header = true, hdrCD
			r.cd = append(r.cd[:0], value...)
		} else {
			r.header = hdrOther
		}
	case r.header == hdrCD:
		r.cd = append(r.cd, line...)
	}
	if len(r.cd) > maxRoutingLen {
		r.j.refuse()
	}
}

// endHeaders starts the part's content at offset start.
func (r *multipartReader) endHeaders(start int64) {
	var name string
	var named, file bool
	if r.cdSeen {
		name, named, file = dispositionParams(unsafeString(r.cd)) // name may be r.cd's
	}
	r.header, r.cdSeen, r.cd = hdrNone, false, r.cd[:0]
	r.tail, r.prev = r.tail[:0], -1
	switch {
	case named && !file:
		r.state, r.valStart = mpValue, start
		n, array := topLevelName(name)
		if r.routing = r.j.watch(watchedName(n), array, &r.creds); r.routing != "" {
			r.val.reset()
		}
	case file:
		r.state = mpFile
	default:
		r.state = mpFind
	}
}

// content reads a value or a file from p (at offset at): bytes known not
// to begin the boundary are given out, the last ones wait in tail.
func (r *multipartReader) content(p []byte, at int64) int {
	if len(r.tail) == 0 {
		i, found := r.search(p, at)
		if found {
			return i
		}
		k := max(0, len(p)-r.keep())
		r.give(p[:k])
		r.tail = append(r.tail, p[k:]...)
		return len(p)
	}
	// Join the waiting bytes with enough of p to decide about them.
	t0 := int64(len(r.tail))
	n := min(len(p), r.keep())
	buf := append(r.tail, p[:n]...)
	r.tail = buf[:0]
	tailAt := at - t0
	if i, found := r.search(buf, tailAt); found {
		if int64(i) < t0 {
			// The boundary began in the waiting bytes: what follows its line
			// feed there is read anew (a few bytes).
			rest := append([]byte(nil), buf[i:t0]...)
			r.process(rest, tailAt+int64(i))
			return 0
		}
		return i - int(t0)
	}
	if n == r.keep() {
		// No boundary begins in the waiting bytes: all of them are content.
		r.give(buf[:t0])
		return 0
	}
	k := max(0, len(buf)-r.keep())
	r.give(buf[:k])
	r.tail = append(r.tail, buf[k:]...)
	return n
}

// search looks for the end of the content in buf (at offset at): the first
// "\n--boundary". Found, the content before it is given out and the state
// is mpFind, past the line feed; i is where that is. Not found, nothing is
// given out. In a file, a boundary line PHP would take when skipping it is
// refused.
func (r *multipartReader) search(buf []byte, at int64) (i int, found bool) {
	from := 0
	for {
		x := bytes.Index(buf[from:], r.delim)
		if x < 0 {
			return 0, false
		}
		x += from
		before := r.prev
		if x > 0 {
			before = int(buf[x-1])
		}
		if before == '\n' {
			r.give(buf[:x-1], true)
			r.endContent()
			r.state, r.lineStart = mpFind, at+int64(x)
			return x, true
		}
		if r.state == mpFile {
			end := x + len(r.delim)
			if end+2 > len(buf) {
				return 0, false // decided once more bytes arrive
			}
			if c := buf[end]; c == '\n' || c == 0 || c == '\r' && buf[end+1] == '\n' {
				r.j.refuse()
				return len(buf), true
			}
		}
		from = x + 1
	}
}

// give passes content bytes on: a routing field's value collects them
// (less a CR that ends it, when last).
func (r *multipartReader) give(p []byte, last ...bool) {
	if len(p) == 0 {
		return
	}
	r.prev = int(p[len(p)-1])
	if r.state != mpValue || r.routing == "" {
		return
	}
	if len(last) > 0 && p[len(p)-1] == '\r' {
		p = p[:len(p)-1]
	}
	r.val.add(p)
}

func (r *multipartReader) endContent() {
	if r.state == mpValue && r.routing != "" {
		r.j.assign(r.routing, &r.val, &r.creds)
	}
	r.routing = ""
}

func (r *multipartReader) close() {
	if r.j.routes {
		return
	}
	switch r.state {
	case mpHeaders:
		// The end of the body ends the headers; an unfinished line is then
		// the start of the content.
		line := append([]byte(nil), r.line...)
		r.endHeaders(r.lineStart)
		if r.state == mpValue {
			r.content(line, r.lineStart)
		}
		if r.state != mpValue {
			return
		}
	case mpFind, mpFile:
		return
	}
	// At the end PHP stops the value where what is left could begin
	// "\n--boundary", and before a CR there.
	t := r.tail
	for i := range t {
		if t[i] == '\n' && bytes.HasPrefix(r.delim, t[i+1:]) {
			r.give(t[:i], true)
			r.endContent()
			return
		}
	}
	r.give(t)
	r.endContent()
}

func (r *multipartReader) safe() int64 {
	switch r.state {
	case mpHeaders:
		// PHP takes a header line cut short by the end as the start of the
		// value.
		return r.lineStart
	case mpValue:
		switch {
		case r.routing == "":
		case r.val.long && !r.val.may:
			return r.off - int64(len(r.tail))
		default:
			return r.valStart
		}
	}
	return r.off
}

// dispositionParams reads a Content-Disposition value as rfc1867.c does:
// pairs split by php_ap_getword at ';' (outside quotes), white space
// skipped between them, a pair without '=' ignored, its key (before the
// first '=' outside quotes, '='s after it skipped) compared with name and
// filename in any case; the last of each counts.
func dispositionParams(cd string) (name string, named, file bool) {
	cd = trimCSpace(cd)
	for cd != "" {
		var pair string
		pair, cd = phpGetword(cd, ';')
		cd = trimCSpace(cd)
		if !strings.Contains(pair, "=") {
			continue
		}
		key, value := phpGetword(pair, '=')
		switch {
		case equalFoldASCII(key, "name"):
			name, named = phpGetwordConf(value), true
		case equalFoldASCII(key, "filename"):
			file = true
		}
	}
	return name, named, file
}

// phpGetword is php_ap_getword: the text up to stop outside double or
// single quotes (a backslash escapes the quote inside them), and what
// follows the run of stops after it.
func phpGetword(s string, stop byte) (word, rest string) {
	pos := 0
	for pos < len(s) && s[pos] != stop {
		q := s[pos]
		pos++
		if q != '"' && q != '\'' {
			continue
		}
		for pos < len(s) && s[pos] != q {
			if s[pos] == '\\' && pos+1 < len(s) && s[pos+1] == q {
				pos++
			}
			pos++
		}
		if pos < len(s) {
			pos++
		}
	}
	if pos >= len(s) {
		return s, ""
	}
	word = s[:pos]
	for pos < len(s) && s[pos] == stop {
		pos++
	}
	return word, s[pos:]
}

// phpGetwordConf is php_ap_getword_conf: after white space, a quoted
// string up to its closing quote (or the end), or a word up to white
// space; a backslash escapes a backslash, or the quote inside quotes.
// Without a backslash it is part of s (no copy is made: a part's name is
// read before any credential is checked).
func phpGetwordConf(s string) string {
	s = trimCSpace(s)
	var quote byte
	n := len(s)
	if s != "" && (s[0] == '"' || s[0] == '\'') {
		quote, s, n = s[0], s[1:], len(s)-1
	} else {
		n = 0
		for n < len(s) && !isCSpace(s[n]) {
			n++
		}
	}
	if strings.IndexByte(s[:n], '\\') < 0 {
		if i := strings.IndexByte(s[:n], quote); quote != 0 && i >= 0 {
			n = i
		}
		return s[:n]
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

// trimCSpace drops the C white space (isCSpace) s starts with.
func trimCSpace[S string | []byte](s S) S {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	return s[i:]
}

// equalFoldASCII is strcasecmp(s, lower) == 0 in the "C" locale.
func equalFoldASCII(s, lower string) bool {
	return len(s) == len(lower) && hasPrefixFold(s, lower)
}
