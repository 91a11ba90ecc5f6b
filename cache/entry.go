package cache

import (
	"encoding/binary"
	"errors"
	"time"
)

// Entry is one stored upstream answer. Body is upstream's JSON exactly as
// received; rendering (JSON or XML, the client's Content-Type) is
// translate's job, so one entry serves every client format. Entries are
// immutable once stored: callers must not modify Body.
type Entry struct {
	ContentType string
	Body        []byte
	StoredAt    time.Time
	FreshUntil  time.Time
	// Gens are the generations of the request's tags when its lookup ran;
	// the entry is valid only while they are still current.
	Gens []uint64
}

// Size is what the entry costs in a byte-bounded store.
func (e *Entry) Size() int {
	return len(e.ContentType) + len(e.Body) + 8*len(e.Gens) + entryOverhead
}

// entryOverhead approximates the struct, list node and map slot.
const entryOverhead = 160

const entryMagic = 0xC1

var errBadEntry = errors.New("cache: malformed entry")

// encode lays the entry out as a small binary header followed by the body,
// so reading a hit back is slicing, never parsing the upstream JSON.
func (e *Entry) encode() []byte {
	b := make([]byte, 0, 32+len(e.ContentType)+len(e.Body)+8*len(e.Gens))
	b = append(b, entryMagic)
	b = binary.BigEndian.AppendUint64(b, uint64(e.StoredAt.UnixMilli()))
	b = binary.BigEndian.AppendUint64(b, uint64(e.FreshUntil.UnixMilli()))
	b = binary.AppendUvarint(b, uint64(len(e.Gens)))
	for _, g := range e.Gens {
		b = binary.AppendUvarint(b, g)
	}
	b = binary.AppendUvarint(b, uint64(len(e.ContentType)))
	b = append(b, e.ContentType...)
	return append(b, e.Body...)
}

// decodeEntry is encode's inverse. Body aliases b.
func decodeEntry(b []byte) (*Entry, error) {
	if len(b) < 17 || b[0] != entryMagic {
		return nil, errBadEntry
	}
	e := &Entry{
		StoredAt:   time.UnixMilli(int64(binary.BigEndian.Uint64(b[1:9]))),
		FreshUntil: time.UnixMilli(int64(binary.BigEndian.Uint64(b[9:17]))),
	}
	b = b[17:]
	n, w := binary.Uvarint(b)
	if w <= 0 || n > 1024 {
		return nil, errBadEntry
	}
	b = b[w:]
	e.Gens = make([]uint64, n)
	for i := range e.Gens {
		g, w := binary.Uvarint(b)
		if w <= 0 {
			return nil, errBadEntry
		}
		e.Gens[i] = g
		b = b[w:]
	}
	l, w := binary.Uvarint(b)
	if w <= 0 || l > uint64(len(b)-w) {
		return nil, errBadEntry
	}
	e.ContentType = string(b[w : w+int(l)])
	e.Body = b[w+int(l):]
	return e, nil
}
