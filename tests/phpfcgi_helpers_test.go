package tests

import (
	"fmt"
	"net"
	"os/exec"
	"testing"
	"time"

	"github.com/civigate/civigate/internal/phptest"
)

// startPHPFastCGI runs real PHP (php-cgi -b) as the FastCGI server behind
// Caddy's php_fastcgi, one process so requests run one after another, until
// the test ends. It answers on the returned port once it listens.
func startPHPFastCGI(t *testing.T) int {
	t.Helper()
	phpCGI := phptest.CGIPath(t)
	port := freePort(t)
	fcgi := exec.Command(phpCGI, "-n", "-b", fmt.Sprintf("127.0.0.1:%d", port))
	fcgi.Env = []string{"PHP_FCGI_CHILDREN=0"}
	if err := fcgi.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { fcgi.Process.Kill(); fcgi.Wait() })
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port)); err == nil {
			c.Close()
			return port
		} else if time.Now().After(deadline) {
			t.Fatalf("php-cgi does not listen: %v", err)
		}
	}
}
