package testport

import (
	"bufio"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// Test processes running at the same time are never handed ports of the
// same block: eleven of them alive at once (more than the pid-only scheme's
// ten blocks, so two would have shared one) each hold a block of their own.
func TestConcurrentProcessesGetDisjointBlocks(t *testing.T) {
	if os.Getenv("TESTPORT_CHILD") == "1" {
		os.Stdout.WriteString("PORT=" + strconv.Itoa(Free(t)) + "\n")
		io.Copy(io.Discard, os.Stdin) // stay alive, holding the block, until the parent is done
		return
	}
	const children = 11
	owner := map[int]int{(Free(t) - base) / blockSize: -1}
	for i := 0; i < children; i++ {
		cmd := exec.Command(os.Args[0], "-test.run", "^TestConcurrentProcessesGetDisjointBlocks$")
		cmd.Env = append(os.Environ(), "TESTPORT_CHILD=1")
		stdin, err := cmd.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { stdin.Close(); cmd.Wait() })
		line, err := bufio.NewReader(stdout).ReadString('\n')
		port, convErr := strconv.Atoi(strings.TrimPrefix(strings.TrimSpace(line), "PORT="))
		if err != nil || convErr != nil {
			t.Fatalf("child %d printed %q (%v)", i, line, err)
		}
		block := (port - base) / blockSize
		if other, taken := owner[block]; taken {
			t.Fatalf("child %d was handed port %d of block %d, which process %d (-1: this one) holds", i, port, block, other)
		}
		owner[block] = i
	}
}
