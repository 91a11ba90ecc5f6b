package translate

import (
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// A request may carry many Content-Type values: Caddy's default 16 KiB of
// header holds about 400 of "multipart/form-data;boundary=N", each with a
// boundary of its own. The scanner runs before any credential is checked,
// and PHP reads one Content-Type only (FastCGI's first value, or Apache's
// values joined), so reading the body must cost about the same whatever
// the number of values: it made one multipart reader per distinct
// boundary, each reading every line of the body (an unauthenticated 4 MiB
// body of line feeds to the APIv4 route cost Civigate 23 s of CPU with
// 400 values, 0.12 s with one).
func TestBodyScannerCostDoesNotGrowWithContentTypes(t *testing.T) {
	u, _ := url.ParseRequestURI("/civicrm/ajax/api4/Contact/get")
	body := []byte(strings.Repeat("\n", 128<<10))
	scan := func(cts []string) time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 3 {
			start := time.Now()
			s := RecogniseConfig{}.BodyScanner(u, "POST", cts)
			for i := 0; i < len(body); i += 4 << 10 {
				if s.Write(body[i : i+4<<10]) {
					break
				}
				s.Safe()
			}
			s.Close()
			best = min(best, time.Since(start))
		}
		return best
	}
	one := scan([]string{"multipart/form-data;boundary=0"})
	many := make([]string, 400)
	for i := range many {
		many[i] = "multipart/form-data;boundary=" + strconv.Itoa(i)
	}
	hostile := scan(many)
	if hostile > 20*one+50*time.Millisecond {
		t.Errorf("a body scanned under %d Content-Type values took %v, under one %v", len(many), hostile, one)
	}
}
