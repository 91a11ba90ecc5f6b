package main

import (
	"bytes"
	_ "embed"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// contactGet is the body a live CiviCRM 6.17.2 answered to Contact.get of
// contact 2 (recording "rt-correct-user id=user_contact_id" of
// /work/shared/recordings/extern-rest-6.17.2.jsonl): one contact, 1,418
// bytes, what the load test's call (id=2) asks for.
//
//go:embed contact_get.json
var contactGet []byte

// contactGetV4 is CiviCRM 6.17.2's APIv4 Contact.get answer (recording
// route-1 of api4-6.17.2.jsonl, for contact 2), for api4URL.
var contactGetV4 = []byte(`{"values":[{"id":2,"display_name":"Standalone Admin"}],"entity":"Contact","action":"get","debug":null,"version":4,"count":1,"countFetched":1}`)

// bigRows is how many contacts the large answer holds: a Contact.get of
// 10,000 rows of about 500 bytes, 5 MB.
const bigRows = 10000

// contactGetBig is the large answer (scenario f): bigRows copies of
// contact 2's row cut to its first fields (as a `return` list would),
// each under its own id, in CiviCRM's APIv3 JSON layout.
var contactGetBig = func() []byte {
	// contactGet is {"is_error":0,...,"values":{"2":{ROW}}}: take ROW's
	// fields up to about 480 bytes.
	start := bytes.Index(contactGet, []byte(`{"contact_id"`))
	row := contactGet[start+1 : len(contactGet)-3] // without the braces
	cut := 0
	for cut < 480 {
		i := bytes.Index(row[cut+1:], []byte(`,"`))
		if i < 0 {
			break
		}
		cut += i + 1
	}
	row = row[bytes.IndexByte(row, ',')+1 : cut] // without contact_id, re-added per row
	var b bytes.Buffer
	fmt.Fprintf(&b, `{"is_error":0,"version":3,"count":%d,"values":{`, bigRows)
	for i := 1; i <= bigRows; i++ {
		if i > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `"%d":{"contact_id":"%d",%s,"id":"%d"}`, i, i, row, i)
	}
	b.WriteString("}}")
	return b.Bytes()
}()

// authxID is what civicrm/authx/id answers for a valid API key, so Civigate
// can resolve the legacy api_key to contact 2 exactly as against CiviCRM.
const authxID = `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`

// civiHeaders are the headers CiviCRM 6.17.2 puts on every API answer
// (headers-6.17.2.jsonl): PHP's session cookie and its no-cache limiter.
var civiHeaders = [...][2]string{
	{"Set-Cookie", "SESSCIVISO=0123456789abcdef0123456789abcdef; path=/; HttpOnly"},
	{"Cache-Control", "no-store, no-cache, must-revalidate"},
	{"Expires", "Thu, 19 Nov 1981 08:52:00 GMT"},
	{"Pragma", "no-cache"},
}

// stub is a fixed-body modern CiviCRM. It answers as fast as net/http can
// (or after latency), so the load test measures the proxy, not PHP. It
// counts the API calls it served, so the load test can prove a cached run
// never reached it.
type stub struct {
	apiKey  string
	latency time.Duration
	v3      []byte // the civicrm/ajax/rest answer
	calls   atomic.Int64
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	switch r.URL.Path {
	case "/civicrm/ajax/rest":
		s.answer(w, s.v3)
	case "/civicrm/ajax/api4/Contact/get":
		s.answer(w, contactGetV4)
	case "/civicrm/authx/id":
		if r.Header.Get("X-Civi-Auth") != "Bearer "+s.apiKey {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, "HTTP 401 Invalid credential")
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, authxID)
	case "/_stub/calls":
		// Not a CiviCRM route: the load test's probe of upstream traffic.
		_, _ = fmt.Fprint(w, s.calls.Load())
	default:
		http.NotFound(w, r)
	}
}

// answer is one API call's answer: counted, after latency.
func (s *stub) answer(w http.ResponseWriter, body []byte) {
	s.calls.Add(1)
	if s.latency > 0 {
		time.Sleep(s.latency)
	}
	h := w.Header()
	for _, kv := range civiHeaders {
		h.Set(kv[0], kv[1])
	}
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// runStub serves the stub on addr until the process is killed; big makes
// civicrm/ajax/rest answer contactGetBig.
func runStub(addr, apiKey string, latency time.Duration, big bool) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s := &stub{apiKey: apiKey, latency: latency, v3: contactGet}
	if big {
		s.v3 = contactGetBig
	}
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(l)
}
