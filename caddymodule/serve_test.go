package caddymodule

import (
	"bytes"
	"crypto/tls"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/civigate/civigate/translate"
)

// Every answer Civigate writes reaches the client with its Content-Length,
// whether writeAnswer put it in the header or left it to Go's server
// (serverCountsLength): over HTTP/1.1 and HTTP/2, for GET and HEAD, at
// every size around the server's buffer, and never chunked.
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
		for _, n := range []int{1, 141, serverLengthBuffer - 1, serverLengthBuffer, serverLengthBuffer + 1, 4096, 5000} {
			for _, method := range []string{http.MethodGet, http.MethodHead} {
				for _, reply := range []string{"answer", "reply"} {
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
					if len(resp.TransferEncoding) > 0 {
						t.Errorf("%s: Transfer-Encoding %q", where, resp.TransferEncoding)
					}
					want := sizedBody(n)
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
	if r.URL.Query().Get("via") == "answer" {
		_ = writeAnswer(w, r, reply, "", "test")
		return
	}
	w.Header().Set("Cache-Status", "test")
	_ = writeReply(w, reply)
}

func sizedBody(n int) []byte { return bytes.Repeat([]byte("x"), n) }

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
		{3, 141, true, true},
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
