package civicrmsim

import (
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
)

// The APIv3 endpoints called with version 4 run nothing and answer as the
// recordings show (api4-6.17.2: v3v4-1…4), batch members included.
func TestReplayV3V4(t *testing.T) {
	sim := New(Options{})
	srv := httptest.NewServer(sim)
	defer srv.Close()
	const file = "api4-6.17.2.jsonl"
	all, err := LoadRecordings(filepath.Join(recordingsDir(t), file))
	if err != nil {
		t.Fatal(err)
	}
	var v3v4 []Exchange
	for _, ex := range all {
		if strings.HasPrefix(ex.Name, "v3v4-") {
			v3v4 = append(v3v4, ex)
		}
	}
	if len(v3v4) != 4 {
		t.Fatalf("%d v3v4 recordings, want 4", len(v3v4))
	}
	replayExchanges(t, sim, srv, file, v3v4)
}
