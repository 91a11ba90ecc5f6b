package caddymodule

import (
	"bytes"
	"net/http"
	"strconv"

	"github.com/civigate/civigate/translate"
)

// recorder captures the upstream response with headers of its own, so
// nothing the upstream sets leaks to the client unless Civigate copies it.
//
// A pass-through recorder (client set) does not capture an
// answer that translate.StartsPassThrough accepts: it streams it to the
// client as it arrives. The client's endpoint would have sent those bytes
// unchanged, so holding them back would only cost memory and time. Every
// other answer (an error status, an AuthX refusal, an error page) is
// captured as usual, to be rendered.
type recorder struct {
	header http.Header
	status int
	body   bytes.Buffer

	client   http.ResponseWriter // where a pass-through answer goes; nil: capture all
	decided  bool                // the first body byte has been seen
	streamed bool                // the answer went to the client
	sent     streamedEnds
}

// streamedEnds is what is kept of a streamed answer: enough to count its
// outcome, nothing else.
type streamedEnds struct {
	head       [streamHeadBytes]byte
	headLen    int
	last       byte
	clientGone bool
}

// streamHeadBytes covers `{"is_error":1`, where an API error says so.
const streamHeadBytes = 32

func newRecorder() *recorder { return &recorder{header: make(http.Header)} }

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
		rec.decided = true
		if rec.client != nil && translate.StartsPassThrough(rec.status, rec.header.Get("Content-Type"), p[0]) {
			rec.startStream()
		}
	}
	if rec.streamed {
		return rec.stream(p)
	}
	if rec.body.Cap() == 0 {
		// One allocation for the whole answer instead of a doubling series.
		if n, ok := rec.contentLength(); ok && n > 0 && n <= maxPresize {
			rec.body.Grow(int(n))
		}
	}
	return rec.body.Write(p)
}

// maxPresize caps what an upstream's Content-Length may make us allocate
// before the bytes arrive.
const maxPresize = 8 << 20

func (rec *recorder) contentLength() (int64, bool) {
	n, err := strconv.ParseInt(rec.header.Get("Content-Length"), 10, 64)
	return n, err == nil && n >= 0
}

// startStream sends the client's headers: only those the legacy endpoint
// sent for this answer, plus the upstream's length so the client can tell
// a complete body from a cut one.
func (rec *recorder) startStream() {
	rec.streamed = true
	h := rec.client.Header()
	h.Set("Content-Type", translate.PassThroughContentType)
	if n, ok := rec.contentLength(); ok {
		h.Set("Content-Length", strconv.FormatInt(n, 10))
	}
	rec.client.WriteHeader(http.StatusOK)
}

// stream passes a piece of the answer on. A client that went away is not a
// failure of the upstream: the rest is discarded and reported written, so
// the proxy finishes quietly instead of logging an aborted response (its
// log entry would carry the upstream request's credential headers).
func (rec *recorder) stream(p []byte) (int, error) {
	s := &rec.sent
	s.headLen += copy(s.head[s.headLen:], p)
	s.last = p[len(p)-1]
	if !s.clientGone {
		if _, err := rec.client.Write(p); err != nil {
			s.clientGone = true
		}
	}
	return len(p), nil
}

// Flush passes a flush on to the client while streaming; a captured answer
// is rendered only after it is complete.
func (rec *recorder) Flush() {
	if rec.streamed && !rec.sent.clientGone {
		_ = http.NewResponseController(rec.client).Flush()
	}
}

// response is the captured answer. A streamed answer has no body here: the
// client has it.
func (rec *recorder) response() translate.UpstreamResponse {
	return translate.UpstreamResponse{
		Status:      rec.status,
		ContentType: rec.header.Get("Content-Type"),
		Body:        rec.body.Bytes(),
	}
}

// setCookie reports whether the upstream tried to set a cookie; such an
// answer is never stored.
func (rec *recorder) setCookie() bool { return len(rec.header.Values("Set-Cookie")) > 0 }

// streamedOutcome is the requests metric's outcome of a streamed answer.
func (rec *recorder) streamedOutcome() string {
	s := &rec.sent
	first := s.head[0]
	switch {
	case (first == '{' && s.last != '}') || (first == '[' && s.last != ']'):
		// Cut short, or something after the JSON: not what CiviCRM meant.
		return outcomeUpstreamErr
	case translate.ResultIsError(s.head[:s.headLen]):
		return outcomeAPIError
	}
	return outcomeOK
}
