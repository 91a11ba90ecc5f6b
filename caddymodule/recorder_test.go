package caddymodule

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
)

// upstreamWrites replays an upstream answer into rec the way reverse_proxy
// does: headers, status, then the body in pieces.
func upstreamWrites(t *testing.T, rec *recorder, status int, header http.Header, pieces ...string) {
	t.Helper()
	for k, v := range header {
		rec.Header()[k] = v
	}
	rec.WriteHeader(status)
	for _, p := range pieces {
		if n, err := rec.Write([]byte(p)); n != len(p) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", p, n, err)
		}
	}
}

func TestRecorderStreamsPassThroughAnswers(t *testing.T) {
	client := httptest.NewRecorder()
	rec := newRecorder()
	rec.client = client
	upstreamWrites(t, rec, 200, http.Header{
		"Content-Type":   {"application/json; charset=utf-8"},
		"Content-Length": {"26"},
		"Set-Cookie":     {"SESS=upstream"},
		"X-Powered-By":   {"PHP"},
		"Date":           {"Fri, 27 Nov 2026 06:00:00 GMT"},
	}, `{"is_error":0,`, `"values":[]}`)
	if !rec.streaming {
		t.Fatal("a JSON 200 answer was not streamed")
	}
	if err := rec.finish(); err != nil {
		t.Fatal(err)
	}
	if client.Code != 200 || client.Body.String() != `{"is_error":0,"values":[]}` {
		t.Fatalf("client got %d %q", client.Code, client.Body)
	}
	// CiviCRM's length (the recorder does not know the client's protocol,
	// so it cannot leave it to the server), and Civigate's answer headers;
	// the Date is the server's.
	want := http.Header{"Content-Type": {"application/json"}, "Content-Length": {"26"}}
	for _, nh := range answerHeader {
		want[nh.name] = []string{nh.value}
	}
	for k := range client.Header() {
		if _, ok := want[k]; !ok {
			t.Errorf("upstream header %s reached the client", k)
		}
	}
	for k, v := range want {
		if client.Header().Get(k) != v[0] {
			t.Errorf("%s = %q, want %q", k, client.Header().Get(k), v[0])
		}
	}
	if got := rec.streamedOutcome(); got != outcomeOK {
		t.Errorf("outcome %s", got)
	}
	if len(rec.response().Body) != 0 {
		t.Error("a streamed answer was also kept in memory")
	}
}

func TestRecorderCapturesAnswersToRewrite(t *testing.T) {
	for name, tc := range map[string]struct {
		status int
		ct     string
		body   string
		client bool
	}{
		"no client":        {200, "application/json", `{"is_error":0}`, false},
		"AuthX refusal":    {200, "text/javascript;charset=UTF-8", `{"error_message":"FATAL: Invalid credential","is_error":1}`, true},
		"HTTP error":       {500, "application/json", `{"is_error":1}`, true},
		"error page":       {200, "text/html", `<html>maintenance</html>`, true},
		"warning in front": {200, "application/json", `Warning: x {"is_error":0}`, true},
	} {
		t.Run(name, func(t *testing.T) {
			client := httptest.NewRecorder()
			rec := newRecorder()
			if tc.client {
				rec.client = client
			}
			upstreamWrites(t, rec, tc.status, http.Header{"Content-Type": {tc.ct}}, tc.body)
			if rec.streaming || client.Body.Len() != 0 || len(client.Header()) != 0 {
				t.Fatalf("streamed: %v, client got %q %v", rec.streaming, client.Body, client.Header())
			}
			if res := rec.response(); res.Status != tc.status || res.ContentType != tc.ct || string(res.Body) != tc.body {
				t.Fatalf("captured %+v", res)
			}
		})
	}
}

// failingWriter is a client that went away.
type failingWriter struct {
	header http.Header
	writes int
}

func (f *failingWriter) Header() http.Header { return f.header }
func (f *failingWriter) WriteHeader(int)     {}
func (f *failingWriter) Write(p []byte) (int, error) {
	f.writes++
	return 0, errors.New("broken pipe")
}

// A client that goes away must not turn into an upstream error: the proxy
// would log its request, credential headers included.
func TestRecorderSwallowsClientErrors(t *testing.T) {
	client := &failingWriter{header: http.Header{}}
	rec := newRecorder()
	rec.client = client
	big := strings.Repeat("x", 3*streamHoldBytes)
	upstreamWrites(t, rec, 200, http.Header{"Content-Type": {"application/json"}}, `{"is_error":0,"a":"`, big, `","b":"`, big, `"}`)
	if err := rec.finish(); err != nil {
		t.Fatal(err)
	}
	if client.writes != 1 {
		t.Errorf("%d writes to a client that failed the first", client.writes)
	}
}

// The end of a streamed answer is held back until it is known to close the
// JSON: text after it never reaches the client.
func TestRecorderHoldsBackTheEnd(t *testing.T) {
	warning := "<br />\n<b>Warning</b>: Undefined variable $x in <b>/var/www/civicrm/CRM/Core/Foo.php</b>"
	t.Run("short answer with text after the JSON is captured", func(t *testing.T) {
		client := httptest.NewRecorder()
		rec := newRecorder()
		rec.client = client
		upstreamWrites(t, rec, 200, http.Header{"Content-Type": {"application/json"}}, `{"is_error":0}`, warning)
		if err := rec.finish(); err != nil || rec.streaming {
			t.Fatalf("finish: %v, still streaming %v", err, rec.streaming)
		}
		if client.Body.Len() != 0 || len(client.Header()) != 0 {
			t.Fatalf("client got %q %v", client.Body, client.Header())
		}
		if got := string(rec.response().Body); got != `{"is_error":0}`+warning {
			t.Fatalf("captured %q", got)
		}
	})
	t.Run("long answer with text after the JSON is spoilt", func(t *testing.T) {
		client := httptest.NewRecorder()
		rec := newRecorder()
		rec.client = client
		big := strings.Repeat("x", 2*streamHoldBytes)
		upstreamWrites(t, rec, 200, http.Header{"Content-Type": {"application/json"}}, `{"is_error":0,"a":"`+big, `"}`, warning)
		if err := rec.finish(); !errors.Is(err, errSpoiltStream) {
			t.Fatalf("finish: %v", err)
		}
		if strings.Contains(client.Body.String(), "Warning") || strings.Contains(client.Body.String(), `"}`) {
			t.Fatalf("the end reached the client: …%q", client.Body.String()[max(0, client.Body.Len()-40):])
		}
	})
	t.Run("long answer arrives whole", func(t *testing.T) {
		client := httptest.NewRecorder()
		rec := newRecorder()
		rec.client = client
		want := `{"is_error":0,"a":"` + strings.Repeat("y", 5*streamHoldBytes) + `"}`
		var pieces []string
		for i := 0; i < len(want); i += 1000 {
			pieces = append(pieces, want[i:min(len(want), i+1000)])
		}
		upstreamWrites(t, rec, 200, http.Header{"Content-Type": {"application/json"}}, pieces...)
		if client.Body.Len() != len(want)-streamHoldBytes {
			t.Errorf("before the end the client has %d bytes, want all but the held %d", client.Body.Len(), streamHoldBytes)
		}
		if err := rec.finish(); err != nil || client.Body.String() != want {
			t.Fatalf("finish: %v; client has %d bytes, want %d", err, client.Body.Len(), len(want))
		}
	})
}

func TestRecorderStreamedOutcome(t *testing.T) {
	for body, want := range map[string]string{
		`{"is_error":0,"values":[]}`: outcomeOK,
		`[1,2]`:                      outcomeOK,
		`{"is_error":1,"error_message":"not found"}`: outcomeAPIError,
	} {
		rec := newRecorder()
		rec.client = httptest.NewRecorder()
		upstreamWrites(t, rec, 200, http.Header{"Content-Type": {"application/json"}}, body)
		if got := rec.streamedOutcome(); got != want {
			t.Errorf("%q: %s, want %s", body, got, want)
		}
	}
}

// reverse_proxy passes 1xx answers on before the final one.
func TestRecorderKeepsTheFinalStatus(t *testing.T) {
	client := httptest.NewRecorder()
	rec := newRecorder()
	rec.client = client
	rec.WriteHeader(http.StatusEarlyHints)
	upstreamWrites(t, rec, 200, http.Header{"Content-Type": {"application/json"}}, `{"is_error":0}`)
	if err := rec.finish(); err != nil || !rec.streaming || client.Code != 200 || client.Body.String() != `{"is_error":0}` {
		t.Fatalf("finish %v, streamed %v, client got %d %q", err, rec.streaming, client.Code, client.Body)
	}
}

// A released recorder's header map is reused: the next recorder must start
// with none of the previous answer's headers.
func TestRecorderReleaseForgetsHeaders(t *testing.T) {
	for range 3 {
		rec := newRecorder()
		if len(rec.Header()) != 0 {
			t.Fatalf("new recorder has headers %v", rec.Header())
		}
		upstreamWrites(t, rec, 200, http.Header{"Set-Cookie": {"SESS=1"}, "Content-Type": {"text/html"}}, "<html>")
		rec.release()
	}
}

// A session caller's streamed answer carries the cookie CiviCRM set for it;
// any other's never does (TestRecorderStreamsPassThroughAnswers).
func TestRecorderPassesCookiesToSessionCallers(t *testing.T) {
	client := httptest.NewRecorder()
	rec := newRecorder()
	rec.client, rec.passCookies = client, true
	upstreamWrites(t, rec, 200, http.Header{
		"Content-Type": {"application/json"},
		"Set-Cookie":   {"SESSCIVISO=new; path=/; HttpOnly", "other=1"},
	}, `{"is_error":0,"values":[]}`)
	if err := rec.finish(); err != nil || !rec.streaming {
		t.Fatalf("streaming %v, finish %v", rec.streaming, err)
	}
	rec.release()
	if got := client.Header().Values("Set-Cookie"); len(got) != 2 || got[0] != "SESSCIVISO=new; path=/; HttpOnly" || got[1] != "other=1" {
		t.Errorf("Set-Cookie %q", got)
	}
}

// countingWriter counts the writes that reach it.
type countingWriter struct {
	*httptest.ResponseRecorder
	writes int
}

func (c *countingWriter) Write(p []byte) (int, error) {
	c.writes++
	return c.ResponseRecorder.Write(p)
}

// A streamed answer of known length goes out in one write per piece the
// proxy hands over (a write is a system call), only its end held back;
// byte for byte, and an answer that breaks off short of its length is
// not sent whole.
func TestRecorderStreamsOneWritePerPiece(t *testing.T) {
	for _, size := range []int{1000, 32 << 10, 100 << 10} {
		client := &countingWriter{ResponseRecorder: httptest.NewRecorder()}
		rec := newRecorder()
		rec.client = client
		body := `{"is_error":0,"a":"` + strings.Repeat("z", 20*size) + `"}`
		var pieces []string
		for i := 0; i < len(body); i += size {
			pieces = append(pieces, body[i:min(len(body), i+size)])
		}
		header := http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(body))}}
		upstreamWrites(t, rec, 200, header, pieces[:len(pieces)-1]...)
		if sent := client.Body.Len(); sent > len(body)-streamHoldBytes {
			t.Fatalf("%d-byte pieces: %d bytes sent, more than all but the held end", size, sent)
		}
		upstreamWrites(t, rec, 0, nil, pieces[len(pieces)-1])
		if err := rec.finish(); err != nil || client.Body.String() != body {
			t.Fatalf("%d-byte pieces: finish %v, client has %d bytes, want %d", size, err, client.Body.Len(), len(body))
		}
		if max := len(pieces) + 1; client.writes > max {
			t.Errorf("%d-byte pieces: %d writes for %d pieces, want at most %d", size, client.writes, len(pieces), max)
		}
	}
}

// With its length known, a long answer's text after the JSON stays held
// back as without it.
func TestRecorderKnownLengthHoldsBackTheEnd(t *testing.T) {
	warning := "<br />\n<b>Warning</b>: Undefined variable $x in <b>/var/www/civicrm/CRM/Core/Foo.php</b>"
	body := `{"is_error":0,"a":"` + strings.Repeat("x", 3*streamHoldBytes) + `"}` + warning
	client := httptest.NewRecorder()
	rec := newRecorder()
	rec.client = client
	upstreamWrites(t, rec, 200, http.Header{"Content-Type": {"application/json"}, "Content-Length": {strconv.Itoa(len(body))}},
		body[:5000], body[5000:])
	if err := rec.finish(); !errors.Is(err, errSpoiltStream) {
		t.Fatalf("finish: %v", err)
	}
	if strings.Contains(client.Body.String(), "Warning") || strings.Contains(client.Body.String(), `"}`) {
		t.Fatalf("the end reached the client: …%q", client.Body.String()[max(0, client.Body.Len()-40):])
	}
}

// A streamed answer's Content-Length is the upstream's in decimal: its
// own text when it already is that, never a sign or leading zeros.
func TestCanonicalLength(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int64
		want string
	}{{"1418", 1418, "1418"}, {"0", 0, "0"}, {"+5", 5, "5"}, {"007", 7, "7"}, {"00", 0, "0"}} {
		if got := canonicalLength(c.in, c.n); got != c.want {
			t.Errorf("canonicalLength(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
