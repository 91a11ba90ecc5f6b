package caddymodule

import (
	"bytes"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"sync"

	"github.com/civigate/civigate/translate"
)

// recorder captures the upstream response with headers of its own, so
// nothing the upstream sets leaks to the client unless Civigate copies it.
//
// A pass-through recorder (client set) streams an answer that
// translate.StartsPassThrough accepts to the client as it arrives, instead
// of capturing it: the client's endpoint would have sent those bytes
// unchanged, so holding all of them back would only cost memory and time.
// It does hold back the last streamHoldBytes until the answer is complete,
// to check that it ends where the JSON does: text after it (a PHP warning,
// with the server's paths) never reaches the client, and an answer short
// enough to be still held is rendered like any other (an APIv3 error).
// Every other answer (an error status, an AuthX refusal, an error page) is
// captured, to be rendered.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer // the captured answer

	client      http.ResponseWriter // where a pass-through answer goes; nil: capture all
	clientReq   *http.Request       // the client's request (its protocol: serverCountsLength)
	cacheStatus string              // the pass-through answer's Cache-Status ("": none)
	passCookies bool                // CiviCRM's Set-Cookie goes to the client (sessionCaller)
	decided     bool                // the first body byte has been seen
	streaming   bool                // the answer passes through to the client
	committed   bool                // the client has the headers (and maybe bytes)
	held        *[]byte             // while streaming: the end, not sent yet
	sent        streamedEnds
	// values is the room for the header values emit sets (headerValues).
	values [len(answerHeader) + 3]string
}

// heldPool recycles the held-back ends of streamed answers.
var heldPool = sync.Pool{New: func() any {
	b := make([]byte, 0, streamHoldBytes)
	return &b
}}

// streamedEnds is what is kept of a streamed answer besides the held-back
// tail: enough to check its end and count its outcome.
type streamedEnds struct {
	head       [streamHeadBytes]byte
	headLen    int
	last       byte
	clientGone bool
	// length is the answer's Content-Length (-1: not given; lengthText
	// as sent), seen how much of it arrived.
	length, seen int64
	lengthText   string
}

const (
	// streamHeadBytes covers `{"is_error":1`, where an API error says so.
	streamHeadBytes = 32
	// streamHoldBytes is how much of a streamed answer waits for its end;
	// PHP's warnings and notices are a few hundred bytes each.
	streamHoldBytes = 4 << 10
)

// errSpoiltStream: a streamed answer did not end where its JSON does, after
// part of it reached the client; the connection has to be cut.
var errSpoiltStream = errors.New("CiviCRM's answer has text after its JSON")

// recorderHeaders recycles recorders' header maps: reverse_proxy copies
// every upstream header into one on every call.
var recorderHeaders = sync.Pool{New: func() any { return make(http.Header, 8) }}

func newRecorder() *recorder { return &recorder{header: recorderHeaders.Get().(http.Header)} }

// release returns the header map for reuse once nothing reads it any more;
// a recorder whose header is handed on (an http.Response) is not released.
func (rec *recorder) release() {
	h := rec.header
	rec.header = nil
	clear(h)
	recorderHeaders.Put(h)
}

func (rec *recorder) Header() http.Header { return rec.header }

// WriteHeader keeps the final status: informational ones (103 Early Hints,
// which reverse_proxy passes on) come before it and mean nothing to a
// legacy client.
func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 && status >= 200 {
		rec.status = status
	}
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if len(p) == 0 {
		return 0, nil
	}
	if !rec.decided {
		// The header is complete once the body begins: read once.
		rec.decided = true
		rec.streaming = rec.client != nil && translate.StartsPassThrough(rec.status, headerValue(rec.header, "Content-Type"), p[0])
		s := &rec.sent
		s.lengthText, s.length = headerValue(rec.header, "Content-Length"), -1
		if n, err := strconv.ParseInt(s.lengthText, 10, 64); err == nil && n >= 0 {
			s.length = n
		}
	}
	if rec.streaming {
		return rec.stream(p)
	}
	if rec.body.Cap() == 0 {
		// One allocation for the whole answer instead of a doubling series.
		if n := rec.sent.length; n > 0 && n <= maxPresize {
			rec.body.Grow(int(n))
		}
	}
	return rec.body.Write(p)
}

// maxPresize caps what an upstream's Content-Length may make us allocate
// before the bytes arrive.
const maxPresize = 8 << 20

// headerValue is h.Get(name) for a canonical name, without canonicalising
// it again on every call (a measurable part of a forwarded call's cost).
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// canonicalLength is n in decimal: s, the text it was read from, when s
// already is that (no sign, no leading zero), as it comes from a web
// server.
func canonicalLength(s string, n int64) string {
	if s != "" && s[0] >= '1' && s[0] <= '9' || s == "0" {
		return s
	}
	return strconv.FormatInt(n, 10)
}

// stream takes a piece of the answer, passing on what no longer needs to be
// held back. It never fails: a client that went away is not a failure of
// the upstream, and the proxy would log an aborted response together with
// the upstream request's credential headers.
func (rec *recorder) stream(p []byte) (int, error) {
	s := &rec.sent
	n := len(p)
	s.headLen += copy(s.head[s.headLen:], p)
	s.last = p[n-1]
	if rec.held == nil {
		rec.held = heldPool.Get().(*[]byte)
	}
	if s.length >= 0 {
		// The length is known: what comes before the answer's last
		// streamHoldBytes goes out as it arrives, one write per piece
		// (a write is a system call), and only the end is held.
		free := s.length - streamHoldBytes - s.seen
		s.seen += int64(n)
		if free > 0 {
			k := int(min(free, int64(n)))
			rec.emit(p[:k])
			p = p[k:]
		}
		*rec.held = append(*rec.held, p...)
		return n, nil
	}
	// Send what no longer needs holding (the oldest held bytes, then the
	// front of p) and hold the last streamHoldBytes.
	held := *rec.held
	if over := len(held) + n - streamHoldBytes; over > 0 {
		fromHeld := min(over, len(held))
		rec.emit(held[:fromHeld])
		held = held[:copy(held, held[fromHeld:])]
		if fromP := over - fromHeld; fromP > 0 {
			rec.emit(p[:fromP])
			p = p[fromP:]
		}
	}
	*rec.held = append(held, p...)
	return n, nil
}

// emit sends bytes to the client, with the headers first: none of
// CiviCRM's but its length, so the client can tell a complete body from a
// cut one; the answer headers (answerHeader, unless they were set before),
// the Content-Type and the Cache-Status.
func (rec *recorder) emit(b []byte) {
	if !rec.committed {
		rec.committed = true
		h := rec.client.Header()
		v := headerValues{h: h, room: rec.values[:0]}
		v.answerHeaders()
		v.set("Content-Type", translate.PassThroughContentType)
		if rec.cacheStatus != "" {
			v.set("Cache-Status", rec.cacheStatus)
		}
		// The Date is the server's, as on every other answer (a hit, a
		// rendered one): one clock dates them all. An answer that goes out
		// whole in this one write, short enough for the server to count it,
		// gets its Content-Length from the server too, as a hit does
		// (serverCountsLength): eight header entries, a small Go map.
		if n := rec.sent.length; n >= 0 && !(int64(len(b)) == n && serverCountsLength(rec.clientReq, len(b))) {
			v.set("Content-Length", canonicalLength(rec.sent.lengthText, n))
		}
		if rec.passCookies {
			rec.copyCookies(h)
		}
		rec.client.WriteHeader(http.StatusOK)
	}
	if !rec.sent.clientGone && len(b) > 0 {
		if _, err := rec.client.Write(b); err != nil {
			rec.sent.clientGone = true
		}
	}
}

// finish completes a streamed answer once the upstream is done: the held
// tail goes out if the answer ends where its JSON does. If it does not and
// nothing was sent yet, the answer is captured after all (to be rendered
// as an error); if part of it was sent, errSpoiltStream.
func (rec *recorder) finish() error {
	if !rec.streaming {
		return nil
	}
	if translate.ClosesJSON(rec.sent.head[0], rec.sent.last) {
		rec.emit(*rec.held)
		*rec.held = (*rec.held)[:0]
		heldPool.Put(rec.held)
		rec.held = nil
		return nil
	}
	return rec.abandon()
}

// abandon stops streaming an answer that turned out bad or broke off: if
// none of it was sent, it is captured instead (what was held back is all
// of it); otherwise errSpoiltStream.
func (rec *recorder) abandon() error {
	if rec.committed {
		return errSpoiltStream
	}
	if rec.streaming && rec.held != nil {
		rec.body.Write(*rec.held)
	}
	rec.streaming = false
	return nil
}

// Flush passes a flush on to the client for what was sent; the held-back
// tail waits for the end, and a captured answer is rendered only after it
// is complete.
func (rec *recorder) Flush() {
	if rec.committed && !rec.sent.clientGone {
		_ = http.NewResponseController(rec.client).Flush()
	}
}

// response is the captured answer. A streamed answer has no body here: the
// client has it.
func (rec *recorder) response() translate.UpstreamResponse {
	return translate.UpstreamResponse{
		Status:      rec.status,
		ContentType: headerValue(rec.header, "Content-Type"),
		Body:        rec.body.Bytes(),
	}
}

// copyCookies gives the client (its header h) the cookies CiviCRM set.
// Only for a session caller's own answer: see sessionCaller.
func (rec *recorder) copyCookies(h http.Header) {
	if c := rec.header["Set-Cookie"]; len(c) > 0 {
		h["Set-Cookie"] = slices.Clone(c) // rec.header is recycled
	}
}

// streamedOutcome is the requests metric's outcome of a complete streamed
// answer (finish checked its end).
func (rec *recorder) streamedOutcome() string {
	if translate.ResultIsError(rec.sent.head[:rec.sent.headLen]) {
		return outcomeAPIError
	}
	return outcomeOK
}
