package main

import (
	_ "embed"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"
)

// contactGet is the body a live CiviCRM 6.17.2 answered to Contact.get
// (recording rt-1 of /work/shared/recordings/extern-rest-6.17.2.jsonl): six
// contacts, 8 KiB, the size of a typical small read.
//
//go:embed contact_get.json
var contactGet []byte

// contactGetV4 is CiviCRM 6.17.2's APIv4 Contact.get answer (recording
// route-1 of api4-6.17.2.jsonl), for api4URL.
var contactGetV4 = []byte(`{"values":[{"id":2,"display_name":"Standalone Admin"}],"entity":"Contact","action":"get","debug":null,"version":4,"count":1,"countFetched":1}`)

// authxID is what civicrm/authx/id answers for a valid API key, so Civigate
// can resolve the legacy api_key to contact 2 exactly as against CiviCRM.
const authxID = `{"contact_id":2,"user_id":1,"flow":"xheader","cred":"api_key"}`

// stub is a fixed-body modern CiviCRM. It answers as fast as net/http can
// (or after latency), so the load test measures the proxy, not PHP. It
// counts the API calls it served, so the load test can prove a cached run
// never reached it.
type stub struct {
	apiKey  string
	latency time.Duration
	calls   atomic.Int64
}

func (s *stub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	switch r.URL.Path {
	case "/civicrm/ajax/rest":
		s.answer(w, contactGet)
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
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	_, _ = w.Write(body)
}

// runStub serves the stub on addr until the process is killed.
func runStub(addr, apiKey string, latency time.Duration) error {
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: &stub{apiKey: apiKey, latency: latency}, ReadHeaderTimeout: 10 * time.Second}
	return srv.Serve(l)
}
