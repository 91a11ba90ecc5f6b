package caddymodule

import (
	"crypto/sha256"
	"encoding/hex"

	"github.com/caddyserver/caddy/v2"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/cache"
)

// Site blocks of one process in front of the same CiviCRM. Several site
// blocks (a public host and an internal listener for integrations, two
// host names kept apart) may front one CiviCRM: the same namespace (the
// cache's namespace, else the site key; siteIdentity). With Redis they
// share its generation counters, and so each other's invalidations and
// forgets. Without it, they share a memoryShare: the memory cache's
// generation counters (cache.MemoryGenerations; each block keeps its own
// entries and max_memory) and the credential verdicts' generations, so a
// write through one block invalidates what the others cached and, when it
// may change credentials, makes them forget their verdicts, as it does on
// every instance sharing Redis. Blocks of other namespaces never share one.
//
// The shares live in memoryShares under the site's identity, counted:
// a config reload's new handlers take the share over before the old ones
// let it go (Caddy provisions the new config before cleaning up the old),
// so what either config's blocks write invalidates the other's entries
// while both run; it is dropped when the last handler holding it is
// cleaned up, and counters only grow, so a share kept or made afresh
// never revives an entry.
var memoryShares = caddy.NewUsagePool()

// memoryShare is what the handlers of one namespace share in memory mode.
type memoryShare struct {
	gens             *cache.MemoryGenerations
	verdicts         *authx.MemoryGeneration
	passwordVerdicts *authx.MemoryGeneration
}

// Destruct implements caddy.Destructor: nothing to release.
func (*memoryShare) Destruct() error { return nil }

// siteIdentity is a fingerprint of the site's identity: the cache
// namespace when the operator set one, else the site key (the secret
// itself is kept nowhere else); false when the site has none.
func siteIdentity(namespace, siteKey string) ([sha256.Size]byte, bool) {
	kind, id := "namespace", namespace
	if id == "" {
		kind, id = "site_key", siteKey
	}
	if id == "" {
		return [sha256.Size]byte{}, false
	}
	return sha256.Sum256([]byte("civigate-site\x00" + kind + "\x00" + id)), true
}

// sharedMemory is the share of h's namespace, acquired on first use and
// released in Cleanup; a site with no identity gets one of its own.
func (h *Handler) sharedMemory() *memoryShare {
	if h.memShare != nil {
		return h.memShare
	}
	newShare := func() (caddy.Destructor, error) {
		return &memoryShare{gens: cache.NewMemoryGenerations(), verdicts: new(authx.MemoryGeneration),
			passwordVerdicts: new(authx.MemoryGeneration)}, nil
	}
	ns := ""
	if h.Cache != nil {
		ns = h.Cache.Namespace
	}
	sum, ok := siteIdentity(ns, h.siteKey)
	if !ok {
		d, _ := newShare()
		h.memShare = d.(*memoryShare)
		return h.memShare
	}
	key := "memory:" + hex.EncodeToString(sum[:])
	d, _, _ := memoryShares.LoadOrNew(key, newShare)
	h.memShare = d.(*memoryShare)
	h.closers = append(h.closers, func() error {
		_, err := memoryShares.Delete(key)
		return err
	})
	return h.memShare
}
