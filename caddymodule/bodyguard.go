package caddymodule

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync/atomic"

	"github.com/civigate/civigate/translate"
)

// A form body that Civigate does not translate goes on to the next handler
// as it arrives, scanned on the way for CMS routing parameters
// (translate.BodyScanner) with memory bounded by a small constant, however
// large the body (an upload). Two things keep a body that routes from
// reaching the API:
//
//   - PHP runs the script with whatever part of the body arrived when the
//     connection breaks, so only what the scanner calls safe goes on: read
//     as the whole body, it routes nowhere. A routing parameter's value
//     waits until it is judged; everything else flows.
//   - The last byte waits until the whole body is scanned. When it routes,
//     the upstream's body read fails instead: reverse_proxy closes the
//     connection before the body's end (short of its Content-Length, or
//     without the last chunk), php_fastcgi without the end of FCGI_STDIN,
//     so the upstream never has a complete request.
//
// The first primeBytes are scanned before anything goes upstream, so an
// ordinary form post is judged whole, as before, and a small one that
// routes never reaches the upstream at all.
const primeBytes = 64 << 10

// guardChunk is how much is read from the client at a time once the body
// streams.
const guardChunk = 32 << 10

// errRoutesThroughBody is what the upstream's body read returns when the
// body turns out to route.
var errRoutesThroughBody = errors.New("civigate: the request body routes to a CiviCRM API")

// Guard states.
const (
	guardUndecided int32 = iota
	guardClean           // the whole body was scanned: it goes on
	guardRoutes          // it routes: nothing more goes on
)

// bodyGuard is the request body the next handler reads.
type bodyGuard struct {
	src   io.ReadCloser
	scan  *translate.BodyScanner
	buf   []byte // bytes scanned and not yet given out: buf[start:]
	start int
	in    int64 // bytes read from the client
	out   int64 // bytes given out
	err   error // the client's body ended (io.EOF) or broke
	state atomic.Int32
}

func newBodyGuard(src io.ReadCloser, scan *translate.BodyScanner, contentLength int64) *bodyGuard {
	size := 4 << 10
	if contentLength >= 0 {
		size = int(min(contentLength+1, primeBytes))
	}
	return &bodyGuard{src: src, scan: scan, buf: make([]byte, 0, size)}
}

// prime reads and scans up to primeBytes, or the whole body if shorter.
func (g *bodyGuard) prime() {
	for g.err == nil && g.state.Load() == guardUndecided && g.in < primeBytes {
		g.fill(int(primeBytes - g.in))
	}
}

// fill reads up to n more bytes from the client and scans them.
func (g *bodyGuard) fill(n int) {
	if g.start > 0 && g.start == len(g.buf) {
		g.buf, g.start = g.buf[:0], 0
	}
	if cap(g.buf)-len(g.buf) < n {
		if g.start > 0 {
			g.buf = g.buf[:copy(g.buf, g.buf[g.start:])]
			g.start = 0
		}
		if cap(g.buf)-len(g.buf) < n {
			grown := make([]byte, len(g.buf), len(g.buf)+max(n, cap(g.buf)))
			copy(grown, g.buf)
			g.buf = grown
		}
	}
	k, err := g.src.Read(g.buf[len(g.buf) : len(g.buf)+n])
	read := g.buf[len(g.buf) : len(g.buf)+k]
	g.buf = g.buf[:len(g.buf)+k]
	g.in += int64(k)
	routes := g.scan.Write(read)
	if err != nil {
		g.err = err
		if err == io.EOF {
			routes = g.scan.Close()
			if !routes {
				g.state.Store(guardClean)
			}
		}
	}
	if routes {
		g.state.Store(guardRoutes)
	}
}

func (g *bodyGuard) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	for {
		state := g.state.Load()
		if state == guardRoutes {
			return 0, errRoutesThroughBody
		}
		ready := int64(len(g.buf) - g.start)
		if state != guardClean {
			// What the scanner calls safe, and never the last byte.
			ready = min(ready, g.scan.Safe()-g.out, g.in-1-g.out)
		}
		if ready > 0 {
			n := copy(p, g.buf[g.start:g.start+int(ready)])
			g.start += n
			g.out += int64(n)
			return n, nil
		}
		switch {
		case state == guardClean:
			return 0, io.EOF
		case g.err != nil:
			// The client went away: its body is not ended, nor is the
			// upstream's.
			if g.err == io.EOF {
				return 0, io.ErrUnexpectedEOF
			}
			return 0, g.err
		}
		g.fill(guardChunk)
	}
}

func (g *bodyGuard) Close() error { return g.src.Close() }

func (g *bodyGuard) routes() bool { return g.state.Load() == guardRoutes }

// rest is the body for the next handler once prime decided it is clean:
// the bytes read, then the client's body (at its end).
func (g *bodyGuard) rest() io.ReadCloser {
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(bytes.NewReader(g.buf[g.start:]), g.src), g.src}
}

// gateHold bounds an answer held back while the body is undecided.
const gateHold = 64 << 10

// bodyGate is the response writer the next handler answers through while
// the body streams. An upstream answers a request once it has the whole
// body, so normally the body is decided first and the answer passes
// straight through. One that answers early (before the body ended) is
// held back, up to gateHold, until the body is decided: if it routes, the
// client gets Civigate's refusal and none of the upstream's answer.
type bodyGate struct {
	w         http.ResponseWriter
	g         *bodyGuard
	header    http.Header
	status    int
	held      []byte
	committed bool
}

func (gw *bodyGate) Header() http.Header {
	if gw.committed {
		return gw.w.Header()
	}
	return gw.header
}

func (gw *bodyGate) WriteHeader(code int) {
	switch {
	case gw.committed:
		gw.w.WriteHeader(code)
	case code < 200:
		// Informational answers are dropped while the body is undecided.
	case gw.status == 0:
		gw.status = code
		if gw.g.state.Load() == guardClean {
			gw.commit()
		}
	}
}

func (gw *bodyGate) Write(p []byte) (int, error) {
	if !gw.committed {
		if gw.status == 0 {
			gw.status = http.StatusOK
		}
		if gw.g.state.Load() != guardClean && len(gw.held)+len(p) <= gateHold {
			gw.held = append(gw.held, p...)
			return len(p), nil
		}
		gw.commit()
	}
	return gw.w.Write(p)
}

func (gw *bodyGate) FlushError() error {
	if !gw.committed {
		if gw.g.state.Load() != guardClean {
			return nil // held until the body is decided
		}
		gw.commit()
	}
	return http.NewResponseController(gw.w).Flush()
}

func (gw *bodyGate) Flush() { _ = gw.FlushError() }

// commit sends what is held and lets the rest of the answer through.
func (gw *bodyGate) commit() {
	if gw.committed || gw.status == 0 {
		return
	}
	gw.committed = true
	h := gw.w.Header()
	for k, v := range gw.header {
		h[k] = v
	}
	gw.w.WriteHeader(gw.status)
	if len(gw.held) > 0 {
		_, _ = gw.w.Write(gw.held)
		gw.held = nil
	}
}
