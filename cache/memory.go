package cache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// MemoryStore is the in-process store: an LRU bounded in bytes (body,
// content type, generations and a fixed per-entry overhead), with per-entry
// expiry. Generations live in a map; they are only coherent within this
// process, which is what memory mode is for (one instance).
type MemoryStore struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	ll       *list.List // front = most recently used
	items    map[string]*list.Element
	gens     map[string]uint64
	now      func() time.Time
	clock    func() time.Time // as given: nil for the real clock (elapsedSince)
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
	clock := now
	if now == nil {
		now = time.Now
	}
	return &MemoryStore{maxBytes: maxBytes, ll: list.New(), items: make(map[string]*list.Element), gens: make(map[string]uint64),
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
			if m.current(it.e.Gens, tags) {
				return it.e, it.e.Gens, nil
			}
		}
	}
	gens := make([]uint64, len(tags))
	for i, t := range tags {
		gens[i] = m.gens[t]
	}
	if !ok {
		return nil, gens, nil
	}
	return el.Value.(*memItem).e, gens, nil
}

// current reports whether gens are the tags' generations now.
func (m *MemoryStore) current(gens []uint64, tags []string) bool {
	if len(gens) != len(tags) {
		return false
	}
	for i, t := range tags {
		if m.gens[t] != gens[i] {
			return false
		}
	}
	return true
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
	m.mu.Lock()
	for _, t := range tags {
		m.gens[t]++
	}
	m.mu.Unlock()
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
