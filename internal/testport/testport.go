// Package testport hands tests loopback ports that another test process
// will not be handed too.
//
// Asking the kernel for port 0 and closing the listener is racy across
// processes: the kernel hands the same ephemeral ports out again (to other
// test binaries running in parallel, and to outgoing connections), and
// Caddy listens with SO_REUSEPORT, so two processes can end up sharing one
// port silently, each answering the other's requests. Ports here come from
// below Linux's ephemeral range (32768 and up), from a block that this
// process holds alone while it runs (an exclusive lock on a file per block
// in the temporary directory, released by the kernel when the process
// ends), handed out once each, and only when nothing listens on them right
// now, nor on the port 10000 above (where a Redis Cluster node started on
// the port puts its cluster bus). A port checked free and handed out can
// stay unused for minutes (a test that builds a binary before it listens):
// the lock is what keeps another test process from taking it meanwhile.
package testport

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
)

const (
	base      = 20000
	blocks    = 20
	blockSize = 500 // handed out: 20000-29999; their cluster buses: 30000-39999
	busOffset = 10000
)

var (
	mu         sync.Mutex
	next, end  int
	chosen     bool
	blockLocks *os.File // held open for the life of the process
)

// chooseBlock takes the first block whose lock file this process can lock
// exclusively, starting at the one its pid suggests. When every block is
// held (more than 20 test processes at once) it shares its pid's block, as
// before locks, and the listen checks are all that keep ports apart.
func chooseBlock() {
	first := os.Getpid() % blocks
	block := first
	for i := 0; i < blocks; i++ {
		b := (first + i) % blocks
		path := filepath.Join(os.TempDir(), fmt.Sprintf("civigate-testport-%d.lock", b))
		f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o666)
		if err != nil {
			continue
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) == nil {
			blockLocks, block = f, b
			break
		}
		f.Close()
	}
	next = base + block*blockSize
	end = next + blockSize
	chosen = true
}

// Free returns a loopback TCP port nothing listens on, not handed out
// before by this process.
func Free(t testing.TB) int {
	t.Helper()
	mu.Lock()
	defer mu.Unlock()
	if !chosen {
		chooseBlock()
	}
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
