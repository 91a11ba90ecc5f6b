// Package testport hands tests loopback ports that another test process
// is unlikely to be handed too.
//
// Asking the kernel for port 0 and closing the listener is racy across
// processes: the kernel hands the same ephemeral ports out again (to other
// test binaries running in parallel, and to outgoing connections), and
// Caddy listens with SO_REUSEPORT, so two processes can end up sharing one
// port silently, each answering the other's requests. Ports here come from
// below Linux's ephemeral range (32768 and up), from a block of their own
// for each process (chosen by its pid), handed out once each, and only
// when nothing listens on them right now, nor on the port 10000 above
// (where a Redis Cluster node started on the port puts its cluster bus).
package testport

import (
	"net"
	"os"
	"strconv"
	"sync"
	"testing"
)

const (
	base      = 20000
	blocks    = 10
	blockSize = 1000 // handed out: 20000-29999; their cluster buses: 30000-39999
	busOffset = 10000
)

var (
	mu   sync.Mutex
	next = base + (os.Getpid()%blocks)*blockSize
	end  = next + blockSize
)

// Free returns a loopback TCP port nothing listens on, not handed out
// before by this process.
func Free(t testing.TB) int {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	for tries := 0; tries < blockSize; tries++ {
		p := next
		next++
		if next == end {
			next = end - blockSize
		}
		if listenable(p) && listenable(p+busOffset) {
			return p
		}
	}
	t.Fatal("testport: no free loopback port in this process's block")
	return 0
}

func listenable(port int) bool {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(port))
	if err != nil {
		return false
	}
	l.Close()
	return true
}
