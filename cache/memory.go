package cache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// MemoryStore is the in-process store: an LRU bounded in bytes (body,
// content type, generations and a fixed per-entry overhead), with per-entry
// expiry. Generations live in a MemoryGenerations; they are only coherent
// within this process, which is what memory mode is for (one instance),
// and may be shared by several stores of the process (NewSharedMemoryStore).
type MemoryStore struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	ll       *list.List // front = most recently used
	items    map[string]*list.Element
	gens     *MemoryGenerations
	now      func() time.Time
	clock    func() time.Time // as given: nil for the real clock (elapsedSince)
}

// MemoryGenerations are the generation counters of memory stores. Stores
// that share them (NewSharedMemoryStore) keep their own entries but see
// each other's invalidations: the stores of two site blocks of one process
// in front of the same CiviCRM, where a write through either block changes
// what both have cached. Counters only ever grow, so sharing them never
// revives an entry.
type MemoryGenerations struct {
	mu sync.RWMutex
	m  map[string]uint64
}

// NewMemoryGenerations returns counters at zero.
func NewMemoryGenerations() *MemoryGenerations {
	return &MemoryGenerations{m: make(map[string]uint64)}
}

// bump moves every tag's counter on.
func (g *MemoryGenerations) bump(tags []string) {
	g.mu.Lock()
	for _, t := range tags {
		g.m[t]++
	}
	g.mu.Unlock()
}

// read fills gens with the tags' counters; with match, it only reports
// whether they are those of gens, and writes nothing.
func (g *MemoryGenerations) read(tags []string, gens []uint64, match bool) bool {
	if len(gens) != len(tags) {
		return false
	}
	g.mu.RLock()
	defer g.mu.RUnlock()
	for i, t := range tags {
		switch {
		case !match:
			gens[i] = g.m[t]
		case g.m[t] != gens[i]:
			return false
		}
	}
	return true
}

type memItem struct {
	key     string
	e       *Entry
	size    int64
	expires time.Time
}

// NewMemoryStore returns a store holding at most maxBytes. now is the
// clock for expiry (nil: time.Now).
func NewMemoryStore(maxBytes int64, now func() time.Time) *MemoryStore {
	return NewSharedMemoryStore(maxBytes, NewMemoryGenerations(), now)
}

// NewSharedMemoryStore is NewMemoryStore with the generation counters gens,
// which other stores may share (MemoryGenerations).
func NewSharedMemoryStore(maxBytes int64, gens *MemoryGenerations, now func() time.Time) *MemoryStore {
	clock := now
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{maxBytes: maxBytes, ll: list.New(), items: make(map[string]*list.Element), gens: gens,
		now: now, clock: clock}
}

// Get implements Store. When the entry's generations are the current
// ones (every hit), they are what it returns: nothing is allocated.
func (m *MemoryStore) Get(_ context.Context, key string, tags []string) (*Entry, []uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	el, ok := m.items[key]
	if ok {
		it := el.Value.(*memItem)
		if elapsedSince(m.clock, it.expires) >= 0 {
			m.remove(el)
			ok = false
		} else {
			m.ll.MoveToFront(el)
			if m.gens.read(tags, it.e.Gens, true) {
				return it.e, it.e.Gens, nil
			}
		}
	}
	gens := make([]uint64, len(tags))
	m.gens.read(tags, gens, false)
	if !ok {
		return nil, gens, nil
	}
	return el.Value.(*memItem).e, gens, nil
}

// Set implements Store. An entry larger than the whole store is dropped.
func (m *MemoryStore) Set(_ context.Context, key string, e *Entry, ttl time.Duration) error {
	size := int64(e.Size() + len(key))
	if size > m.maxBytes || ttl <= 0 {
		return nil
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if el, ok := m.items[key]; ok {
		m.remove(el)
	}
	it := &memItem{key: key, e: e, size: size, expires: m.now().Add(ttl)}
	m.items[key] = m.ll.PushFront(it)
	m.bytes += size
	for m.bytes > m.maxBytes {
		m.remove(m.ll.Back())
	}
	return nil
}

func (m *MemoryStore) remove(el *list.Element) {
	it := m.ll.Remove(el).(*memItem)
	delete(m.items, it.key)
	m.bytes -= it.size
}

// Invalidate implements Store.
func (m *MemoryStore) Invalidate(_ context.Context, tags ...string) error {
	m.gens.bump(tags)
	return nil
}

// Purge implements Store.
func (m *MemoryStore) Purge(context.Context) error {
	m.mu.Lock()
	m.ll.Init()
	clear(m.items)
	m.bytes = 0
	m.mu.Unlock()
	return nil
}

// Stats reports the number of entries and their accounted bytes.
func (m *MemoryStore) Stats() (entries int, bytes int64) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.items), m.bytes
}
