package cache

import (
	"strconv"
	"strings"
)

// CacheName is the cache's identifier in Cache-Status.
const CacheName = "Civigate"

// Fwd values (RFC 9211 §2.2).
const (
	FwdBypass = "bypass" // not cacheable (detail says why)
	FwdMiss   = "miss"   // not in the cache, or invalidated
	FwdStale  = "stale"  // had a stale entry and went upstream
)

// Details beyond the bypass Reasons.
const (
	DetailStoreDown      = "store-down" // the store could not be asked or written
	DetailStaleRevalid   = "stale-while-revalidate"
	DetailStaleIfError   = "stale-if-error"
	DetailTooLarge       = "too-large"
	DetailNotStorable    = "not-storable" // error body, non-200
	DetailUpstreamFailed = "upstream-error"
	// DetailBehind: a write's invalidation of what the call reads is not
	// recorded in Redis yet (it refuses writes), so no entry is trusted
	// nor stored (ErrBehind).
	DetailBehind = "invalidation-pending"
)

// Status is one Cache-Status member. It never carries the key (RFC 9211
// §2.7 allows it; Civigate's key binds a principal and stays private).
type Status struct {
	Hit       bool
	Fwd       string // "" for a hit
	FwdStatus int    // upstream status when forwarded (0: not sent)
	Stored    bool
	Collapsed bool
	TTL       *int // remaining freshness in seconds; negative when stale
	Detail    string
}

// String renders e.g. `Civigate; hit`, `Civigate; fwd=miss; stored`,
// `Civigate; fwd=bypass; detail=write`.
func (s Status) String() string {
	if s == hit {
		return hitString // every fresh hit: no allocation
	}
	var b strings.Builder
	b.Grow(64)
	b.WriteString(CacheName)
	if s.Hit {
		b.WriteString("; hit")
	}
	if s.Fwd != "" {
		b.WriteString("; fwd=")
		b.WriteString(s.Fwd)
	}
	if s.FwdStatus != 0 {
		b.WriteString("; fwd-status=")
		b.WriteString(strconv.Itoa(s.FwdStatus))
	}
	if s.TTL != nil {
		b.WriteString("; ttl=")
		b.WriteString(strconv.Itoa(*s.TTL))
	}
	if s.Stored {
		b.WriteString("; stored")
	}
	if s.Collapsed {
		b.WriteString("; collapsed")
	}
	if s.Detail != "" {
		b.WriteString("; detail=")
		b.WriteString(s.Detail) // all details are sf-tokens
	}
	return b.String()
}

// Bypass is the status of a call that is not cacheable.
func Bypass(r Reason) Status { return Status{Fwd: FwdBypass, Detail: string(r)} }

// Hit is the status of a fresh hit.
func Hit() Status { return hit }

var (
	hit       = Status{Hit: true}
	hitString = CacheName + "; hit"
)
