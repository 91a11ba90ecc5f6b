package authx

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
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

// hexMAC returns the first n bytes of the MAC of msg, in hex. It runs on
// every authenticated call, so it allocates only the MAC and the result.
func (k *keyedHash) hexMAC(n int, msg []byte) string {
	m := k.pool.Get().(hash.Hash)
	m.Reset()
	m.Write(msg)
	sum := m.Sum(nil)
	k.pool.Put(m)
	var out [2 * sha256.Size]byte
	hex.Encode(out[:], sum[:n])
	return string(out[:2*n])
}
