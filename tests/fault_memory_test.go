package tests

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"
)

// memoryCacheConfig bounds the in-memory cache; the test checks the heap
// stays near the bound while 10,000 distinct entries go through it.
const (
	memoryBound       = 8 << 20
	memoryCacheConfig = "cache {\n\t\t\tmax_memory 8MiB\n\t\t\tttl 5m\n\t\t}"
	memoryEntries     = 10_000
	memoryEntryBytes  = 4 << 10 // answers of 4 KiB: unbounded, 10,000 entries hold 40 MiB
)

// 10,000 distinct cacheable reads through the in-memory cache keep the
// process heap within the configured bound (plus slack for everything else
// a request leaves behind), where keeping them all would take five times
// the bound. Caddy runs in this process (the harness), so the heap measured
// is Civigate's.
func TestFaultCacheMemoryBound(t *testing.T) {
	up := newFaultUpstream(t)
	up.readPad = memoryEntryBytes
	sk := "sk-" + randomHex(t, 12)
	inst := faultSite(t, up, sk, memoryCacheConfig)
	read := func(i int64) string {
		return fmt.Sprintf("%s%s?entity=Contact&action=get&json=1&id=%d&key=%s&api_key=%s", inst.URL, externPath, i, sk, up.APIKey)
	}
	if got := do(t, "GET", read(0), "", nil); got.status != 200 {
		t.Fatalf("first read: %d %.300s", got.status, got.body)
	}
	before := heapAfterGC()

	lr := runLoad(context.Background(), 8, 60*time.Second, memoryEntries,
		func(i int64) (*http.Request, error) { return http.NewRequest(http.MethodGet, read(i), nil) },
		func(o outcome) string {
			if o.err == nil && o.status == 200 && strings.HasPrefix(o.body, `{"is_error":0`) {
				return ""
			}
			return o.describe()
		})
	if lr.Failed() > 0 || lr.Requests != memoryEntries {
		t.Fatalf("%d of %d reads failed: %v", lr.Failed(), lr.Requests, lr.Failures)
	}
	misses := up.reads.Load()
	after := heapAfterGC()
	growth := int64(after) - int64(before)
	t.Logf("heap %d KiB before, %d KiB after %d distinct entries (+%d KiB; bound %d KiB); %d upstream reads",
		before>>10, after>>10, memoryEntries, growth>>10, memoryBound>>10, misses)
	// Slack: the verdict store, the usage report, connection buffers and
	// allocator fragmentation; far below the 40 MiB of keeping everything.
	if limit := int64(memoryBound) + 8<<20; growth > limit {
		t.Errorf("heap grew by %d KiB, more than the %d KiB bound plus 8 MiB of slack", growth>>10, memoryBound>>10)
	}

	// The bound evicts, it does not disable: the most recent entries are
	// still answered from memory.
	up.reads.Store(0)
	for i := int64(memoryEntries - 10); i < memoryEntries; i++ {
		if got := do(t, "GET", read(i), "", nil); got.status != 200 {
			t.Fatalf("re-read %d: %d %.300s", i, got.status, got.body)
		}
	}
	if n := up.reads.Load(); n == 10 {
		t.Errorf("none of the 10 most recent entries was a cache hit")
	}
}

func heapAfterGC() uint64 {
	var ms runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}
