package civicrmsim

import (
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
)

// PHP's session headers, as every answer of a live CiviCRM 6.17.2 carries
// them on every endpoint, success or error, whatever the AuthX flow
// (shared/recordings/headers-6.17.2.jsonl; APIv4 spec §8).
const (
	// SessionCookie is the session cookie's name on CiviCRM Standalone.
	SessionCookie = "SESSCIVISO"
	// sessionCookieAttrs follow the id in Set-Cookie.
	sessionCookieAttrs = "; path=/; HttpOnly"

	NoStoreCacheControl = "no-store, no-cache, must-revalidate"
	NoStoreExpires      = "Thu, 19 Nov 1981 08:52:00 GMT"
	NoStorePragma       = "no-cache"
)

// maxSessions bounds the ids a session store remembers (a long-running
// demo simulator would otherwise grow with every request); the oldest are
// forgotten first, as PHP's session garbage collection would.
const maxSessions = 1 << 16

// sessions is the PHP session store of a simulated site: which session ids
// it issued. Whether a session is logged in is not modelled: CiviCRM's
// answer to a stateless (AuthX) call carries a session that authenticates
// nothing (recordings README; APIv4 spec §6, obs auth-43), which is what
// Civigate forwards. The zero value is ready to use.
type sessions struct {
	mu    sync.Mutex
	known map[string]struct{}
	order []string // ring of known ids, oldest at next
	next  int
}

// valid reports whether the request sends back a session id this store
// issued.
func (s *sessions) valid(r *http.Request) bool {
	c, err := r.Cookie(SessionCookie)
	if err != nil || c.Value == "" {
		return false
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	_, ok := s.known[c.Value]
	return ok
}

// issue makes a new session id and remembers it.
func (s *sessions) issue() string {
	id := randomHex(16)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.known == nil {
		s.known = make(map[string]struct{})
	}
	if len(s.order) < maxSessions {
		s.order = append(s.order, id)
	} else {
		delete(s.known, s.order[s.next])
		s.order[s.next] = id
		s.next = (s.next + 1) % maxSessions
	}
	s.known[id] = struct{}{}
	return id
}

// start wraps w so the answer to r carries PHP's session headers: the
// no-store trio always, and Set-Cookie with a new session id unless r sent
// back a valid one (then PHP resumes that session and sets no cookie: obs
// auth-39…41, auth-43). An unknown id gets a new one (strict sessions: the
// recording "ajax with a session cookie sent back").
func (s *sessions) start(w http.ResponseWriter, r *http.Request) http.ResponseWriter {
	return &sessionWriter{ResponseWriter: w, store: s, resume: s.valid(r)}
}

// sessionWriter adds the session headers before the first byte of the
// answer goes out.
type sessionWriter struct {
	http.ResponseWriter
	store   *sessions
	resume  bool
	written bool
}

func (w *sessionWriter) addHeaders() {
	if w.written {
		return
	}
	w.written = true
	h := w.Header()
	if !w.resume {
		h.Add("Set-Cookie", SessionCookie+"="+w.store.issue()+sessionCookieAttrs)
	}
	h.Set("Expires", NoStoreExpires)
	h.Set("Cache-Control", NoStoreCacheControl)
	h.Set("Pragma", NoStorePragma)
}

func (w *sessionWriter) WriteHeader(status int) {
	w.addHeaders()
	w.ResponseWriter.WriteHeader(status)
}

func (w *sessionWriter) Write(p []byte) (int, error) {
	w.addHeaders()
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach the server's writer (Flush).
func (w *sessionWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WithPHPSession wraps a stand-in for CiviCRM (a test's own small fake) so
// its answers carry the same session headers as the Simulator's, with a
// session store of its own.
func WithPHPSession(h http.Handler) http.Handler {
	s := &sessions{}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeHTTP(s.start(w, r), r)
	})
}

// SessionHeaders are the headers PHP's session puts on every answer.
var SessionHeaders = []string{"Set-Cookie", "Expires", "Cache-Control", "Pragma"}

// HeaderDiff lists how got differs from the recorded answer in the named
// headers (all their values, in order; a recorded {SESSION_ID} stands for
// any session id). Empty: they match.
func (e Exchange) HeaderDiff(got http.Header, names ...string) []string {
	var diffs []string
	for _, name := range names {
		var want []string
		for _, h := range e.ResponseHeaders {
			if strings.EqualFold(h[0], name) {
				want = append(want, h[1])
			}
		}
		have := got.Values(name)
		same := len(have) == len(want)
		for i := 0; same && i < len(want); i++ {
			same = headerValueMatches(want[i], have[i])
		}
		if !same {
			diffs = append(diffs, fmt.Sprintf("%s: got %q, recorded %q", name, have, want))
		}
	}
	return diffs
}

// headerValueMatches compares a recorded value with an actual one.
func headerValueMatches(recorded, actual string) bool {
	before, after, ok := strings.Cut(recorded, "{SESSION_ID}")
	if !ok {
		return recorded == actual
	}
	id, ok := strings.CutPrefix(actual, before)
	if ok {
		id, ok = strings.CutSuffix(id, after)
	}
	return ok && sessionIDPattern.MatchString(id)
}

// sessionIDPattern is what PHP's session ids are made of
// (session.sid_bits_per_character 4 to 6).
var sessionIDPattern = regexp.MustCompile(`^[0-9a-zA-Z,-]{22,256}$`)
