package caddymodule

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/caddyserver/caddy/v2"

	"github.com/civigate/civigate/cache"
)

// TestMemorySharedByNamespace: in memory mode the site blocks of one
// namespace (same site key, or the same cache namespace) share the cache's
// generations and the verdicts' generation, across a config reload too;
// other namespaces never do, and the share goes with its last handler.
func TestMemorySharedByNamespace(t *testing.T) {
	provision := func(js string) *Handler {
		t.Helper()
		var h Handler
		if err := json.Unmarshal([]byte(js), &h); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
		t.Cleanup(cancel)
		if err := h.Provision(ctx); err != nil {
			t.Fatal(err)
		}
		return &h
	}
	const a, b = `{"site_key":"site-key-A-0001"}`, `{"site_key":"site-key-B-0002"}`
	const nsA, nsB = `{"site_key":"site-key-C-0003","cache":{"namespace":"one"}}`, `{"site_key":"site-key-D-0004","cache":{"namespace":"one"}}`
	a1, a2, b1 := provision(a), provision(a), provision(b)
	n1, n2 := provision(nsA), provision(nsB)
	defer func() {
		for _, h := range []*Handler{b1, n1, n2} {
			_ = h.Cleanup()
		}
	}()
	for _, h := range []*Handler{a1, a2, b1, n1, n2} {
		if h.memShare == nil || h.cache == nil {
			t.Fatal("precondition: a memory cache with its namespace's share")
		}
	}
	if a1.memShare != a2.memShare || n1.memShare != n2.memShare {
		t.Error("two blocks of one namespace (one site key, or one cache namespace) do not share their generations")
	}
	if a1.memShare == b1.memShare || a1.memShare == n1.memShare {
		t.Error("blocks of different namespaces share their generations")
	}

	// A write through one block invalidates the other's entries and
	// forgets its verdicts; not those of another namespace.
	ctx := context.Background()
	tags := []string{"t"}
	gensOf := func(h *Handler) uint64 {
		_, g, _ := cache.NewSharedMemoryStore(1<<20, h.memShare.gens, nil).Get(ctx, "k", tags)
		return g[0]
	}
	_ = cache.NewSharedMemoryStore(1<<20, a1.memShare.gens, nil).Invalidate(ctx, tags...)
	if gensOf(a2) != 1 || gensOf(b1) != 0 {
		t.Errorf("after an invalidation through one block: its sibling's generation %d (want 1), another namespace's %d (want 0)", gensOf(a2), gensOf(b1))
	}
	_ = a1.memShare.verdicts.Forget(ctx)
	if g, _ := a2.memShare.verdicts.Known(); g != 1 {
		t.Errorf("a forget through one block: its sibling's verdict generation is %d, want 1", g)
	}

	// A reload: the new config's handler takes the share over before the
	// old ones let go, and keeps it.
	a3 := provision(a)
	_ = a1.Cleanup()
	_ = a2.Cleanup()
	if a3.memShare != a1.memShare || gensOf(a3) != 1 {
		t.Error("a reload's handler did not take over its namespace's generations")
	}
	_ = a3.Cleanup()
	// The last handler gone, the share goes with it.
	a4 := provision(a)
	defer func() { _ = a4.Cleanup() }()
	if a4.memShare == a1.memShare {
		t.Error("a namespace's share outlived its last handler")
	}
}
