package authx

import (
	"crypto/hmac"
	"crypto/sha256"
	"hash"
	"sync"
)

// keyedHash is HMAC-SHA256 under one secret. It keeps keyed hashers for
// reuse: hmac.New derives the inner and outer key pads on every call, which
// on the request path costs as much as the hashing itself.
type keyedHash struct{ pool sync.Pool }

func newKeyedHash(secret []byte) *keyedHash {
	k := &keyedHash{}
	k.pool.New = func() any { return hmac.New(sha256.New, secret) }
	return k
}

// sum returns the MAC of what write writes.
func (k *keyedHash) sum(write func(h hash.Hash)) []byte {
	m := k.pool.Get().(hash.Hash)
	m.Reset()
	write(m)
	out := m.Sum(nil)
	k.pool.Put(m)
	return out
}
