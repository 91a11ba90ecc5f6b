package caddymodule

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/civigate/civigate/translate"
)

// Every answer Civigate writes reaches the client with its Content-Length,
// whether writeAnswer or a streamed answer's recorder put it in the header
// or left it to Go's server (serverCountsLength): over HTTP/1.1 and HTTP/2,
// for GET and HEAD, at every size around the server's buffer and the
// recorder's held-back tail, and never chunked.
func TestAnswersKeepTheirContentLengthOnTheWire(t *testing.T) {
	h1 := httptest.NewServer(http.HandlerFunc(serveSized))
	defer h1.Close()
	h2 := httptest.NewUnstartedServer(http.HandlerFunc(serveSized))
	h2.EnableHTTP2 = true
	h2.StartTLS()
	defer h2.Close()
	h2client := h2.Client()
	h2client.Transport.(*http.Transport).ForceAttemptHTTP2 = true
	h2client.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: h2.TLS.RootCAs, InsecureSkipVerify: true}

	for _, srv := range []struct {
		name   string
		url    string
		client *http.Client
		proto  int
	}{{"HTTP/1.1", h1.URL, h1.Client(), 1}, {"HTTP/2", h2.URL, h2client, 2}} {
		for _, n := range []int{1, 141, serverLengthBuffer - 1, serverLengthBuffer, serverLengthBuffer + 1, streamHoldBytes, streamHoldBytes + 1, 9000} {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				for _, reply := range []string{"answer", "reply", "stream"} {
					if reply == "stream" && n < 2 {
						continue // no JSON that short
					}
					req, _ := http.NewRequest(method, srv.url+"/?n="+strconv.Itoa(n)+"&via="+reply, nil)
					resp, err := srv.client.Do(req)
					if err != nil {
						t.Fatal(err)
					}
					body, _ := io.ReadAll(resp.Body)
					resp.Body.Close()
					where := srv.name + " " + method + " " + reply + " " + strconv.Itoa(n) + " bytes"
					if resp.ProtoMajor != srv.proto {
						t.Fatalf("%s: answered over HTTP/%d", where, resp.ProtoMajor)
					}
					if got := resp.Header.Get("Content-Length"); got != strconv.Itoa(n) || resp.ContentLength != int64(n) {
						t.Errorf("%s: Content-Length %q (%d)", where, got, resp.ContentLength)
					}
					if d := resp.Header.Get("Date"); d == "" || strings.HasPrefix(d, "Thu, 01 Jan 1970") {
						t.Errorf("%s: no Date", where)
					}
					if len(resp.TransferEncoding) > 0 {
						t.Errorf("%s: Transfer-Encoding %q", where, resp.TransferEncoding)
					}
					want := sizedBody(n)
					if reply == "stream" {
						want = sizedJSON(n)
					}
					if method == http.MethodHead {
						want = nil
					}
					if !bytes.Equal(body, want) || resp.Header.Get("Cache-Status") != "test" ||
						resp.Header.Get("Content-Type") != "application/json" || resp.Header.Get("X-Content-Type-Options") != "nosniff" {
						t.Errorf("%s: answered %q with %v", where, body, resp.Header)
					}
				}
			}
		}
	}
}

// serveSized writes an answer of ?n= bytes with writeAnswer (?via=answer)
// or writeReply.
func serveSized(w http.ResponseWriter, r *http.Request) {
	n, _ := strconv.Atoi(r.URL.Query().Get("n"))
	reply := translate.Reply{Status: http.StatusOK, ContentType: "application/json", Body: sizedBody(n)}
	switch r.URL.Query().Get("via") {
	case "answer":
		_ = writeAnswer(w, r, reply, "", "test")
		return
	case "stream":
		// CiviCRM's answer passing through a recorder, as reverse_proxy
		// hands it on: headers, then the body in pieces.
		rec := newRecorder()
		defer rec.release()
		rec.client, rec.clientReq, rec.cacheStatus = w, r, "test"
		rec.Header().Set("Content-Type", "application/json")
		rec.Header().Set("Content-Length", strconv.Itoa(n))
		rec.Header().Set("Date", "Thu, 01 Jan 1970 00:00:00 GMT") // CiviCRM's, not sent on
		rec.WriteHeader(http.StatusOK)
		for b := sizedJSON(n); len(b) > 0; {
			k := min(len(b), 1000)
			_, _ = rec.Write(b[:k])
			b = b[k:]
		}
		if !rec.streaming || rec.finish() != nil {
			http.Error(w, "not streamed", http.StatusInternalServerError)
		}
		return
	}
	w.Header().Set("Cache-Status", "test")
	_ = writeReply(w, reply)
}

func sizedBody(n int) []byte { return bytes.Repeat([]byte("x"), n) }

// sizedJSON is a JSON object of n bytes (n > 1), as a streamed answer is.
func sizedJSON(n int) []byte {
	b := sizedBody(n)
	b[0], b[n-1] = '{', '}'
	return b
}

// A cache hit's header leaves its Content-Length to the server when the
// server counts it: eight entries, which Go keeps in a small map (see
// serverCountsLength); a larger answer, or one whose request is not
// known, carries its own.
func TestSmallAnswersLeaveContentLengthToTheServer(t *testing.T) {
	for _, tc := range []struct {
		proto, n int
		known    bool
		want     bool // a Content-Length in the header map
	}{
		{1, 1418, true, false},
		{2, 141, true, false},
		{1, serverLengthBuffer, true, false},
		{1, serverLengthBuffer + 1, true, true},
		{3, 141, true, false},
		{1, 0, true, true},
		{1, 141, false, true},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.ProtoMajor = tc.proto
		if !tc.known {
			r = nil
		}
		w := &benchWriter{}
		_ = writeAnswer(w, r, translate.Reply{ContentType: "application/json", Body: sizedBody(tc.n)}, "", "Civigate; hit")
		_, has := w.sent["Content-Length"]
		if has != tc.want || (has && w.sent.Get("Content-Length") != strconv.Itoa(tc.n)) {
			t.Errorf("HTTP/%d, %d bytes, request known %v: header %v", tc.proto, tc.n, tc.known, w.sent)
		}
		if !has && len(w.sent) != 8 {
			t.Errorf("HTTP/%d, %d bytes: %d header entries, want 8: %v", tc.proto, tc.n, len(w.sent), w.sent)
		}
	}
}

// A streamed answer (caching off, CiviCRM's JSON passing through) leaves
// its Date to the server, and its Content-Length when it goes out whole in
// one write the server counts: eight header entries with its Cache-Status,
// a small Go map like a cache hit's, over HTTP/3 too. A longer one,
// streamed in pieces, carries CiviCRM's length.
func TestStreamedAnswersLeaveContentLengthToTheServer(t *testing.T) {
	for _, tc := range []struct {
		proto, n int
		want     bool // a Content-Length in the header map
	}{
		{1, 1418, false},
		{2, 141, false},
		{1, serverLengthBuffer, false},
		{1, serverLengthBuffer + 1, true},
		{1, streamHoldBytes + 1, true},
		{3, 141, false},
		{3, serverLengthBuffer + 1, true},
	} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.ProtoMajor = tc.proto
		w := &benchWriter{}
		rec := newRecorder()
		rec.client, rec.clientReq, rec.cacheStatus = w, r, cacheOffStatus
		rec.Header().Set("Content-Type", "application/json")
		rec.Header().Set("Content-Length", strconv.Itoa(tc.n))
		rec.Header().Set("Date", "Sun, 06 Dec 2026 14:00:00 GMT")
		_, _ = rec.Write(sizedJSON(tc.n))
		if err := rec.finish(); err != nil || !bytes.Equal(w.body, sizedJSON(tc.n)) {
			t.Fatalf("HTTP/%d, %d bytes: finish %v, %d bytes sent", tc.proto, tc.n, err, len(w.body))
		}
		rec.release()
		_, has := w.sent["Content-Length"]
		if has != tc.want || (has && w.sent.Get("Content-Length") != strconv.Itoa(tc.n)) {
			t.Errorf("HTTP/%d, %d bytes: header %v", tc.proto, tc.n, w.sent)
		}
		if !has && len(w.sent) != 8 {
			t.Errorf("HTTP/%d, %d bytes: %d header entries, want 8: %v", tc.proto, tc.n, len(w.sent), w.sent)
		}
		if _, dated := w.sent["Date"]; dated {
			t.Errorf("HTTP/%d, %d bytes: CiviCRM's Date in the header: %v", tc.proto, tc.n, w.sent)
		}
	}
}
