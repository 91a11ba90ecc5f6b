package authx

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"sync"
	"time"
)

// JWKS is a KeySource backed by an identity provider's JWKS URL. Keys are
// looked up by kid. An unknown kid triggers a refresh, at most once per
// MinRefreshInterval, so a flood of made-up kids cannot turn us into a
// traffic generator against the IdP. A failed refresh keeps the last good
// set: an IdP outage must not lock out tokens signed with known keys.
type JWKS struct {
	URL    string
	Client *http.Client
	// MinRefreshInterval bounds refreshes caused by unknown kids. Default 1m.
	MinRefreshInterval time.Duration
	// MaxAge refreshes a set this old on the next lookup (rotation without
	// an unknown kid: removed keys go away). Default 1h.
	MaxAge time.Duration
	Now    func() time.Time

	mu          sync.Mutex
	keys        map[string]jwk
	fetched     time.Time // last successful fetch
	lastAttempt time.Time
	inflight    chan struct{} // closed when the running refresh ends
}

type jwk struct {
	key crypto.PublicKey
	alg string // the JWK's "alg", "" when absent
}

func (j *JWKS) now() time.Time {
	if j.Now != nil {
		return j.Now()
	}
	return time.Now()
}

// Key implements KeySource. Known kids are served from memory even while a
// refresh runs; a lookup for an unknown kid waits for a running refresh
// (or starts one when the rate limit allows) and then looks again.
func (j *JWKS) Key(ctx context.Context, kid, alg string) (crypto.PublicKey, error) {
	maxAge := j.MaxAge
	if maxAge <= 0 {
		maxAge = time.Hour
	}
	minRefresh := j.MinRefreshInterval
	if minRefresh <= 0 {
		minRefresh = time.Minute
	}
	j.mu.Lock()
	now := j.now()
	k, ok := j.lookup(kid)
	stale := j.keys == nil || now.Sub(j.fetched) >= maxAge
	wait := j.inflight
	if wait == nil && (!ok || stale) && (j.lastAttempt.IsZero() || now.Sub(j.lastAttempt) >= minRefresh) {
		j.lastAttempt = now
		wait = make(chan struct{})
		j.inflight = wait
		go j.refresh(wait)
	}
	j.mu.Unlock()
	if !ok && wait != nil {
		select {
		case <-wait:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		j.mu.Lock()
		k, ok = j.lookup(kid)
		j.mu.Unlock()
	}
	if !ok {
		return nil, errors.New("unknown kid")
	}
	if k.alg != "" && k.alg != alg {
		return nil, errors.New("token alg differs from the key's alg")
	}
	return k.key, nil
}

// Refresh fetches the set now (e.g. at provisioning, to fail early on a
// wrong URL). A failure keeps the current set.
func (j *JWKS) Refresh(ctx context.Context) error {
	keys, err := j.fetch(ctx)
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lastAttempt = j.now()
	if err != nil {
		return err
	}
	j.keys, j.fetched = keys, j.lastAttempt
	return nil
}

// refresh runs detached from any one request so a client hanging up does
// not abort a fetch others wait for; the HTTP client's timeout bounds it.
func (j *JWKS) refresh(done chan struct{}) {
	keys, err := j.fetch(context.Background())
	j.mu.Lock()
	if err == nil {
		j.keys, j.fetched = keys, j.now()
	}
	j.inflight = nil
	j.mu.Unlock()
	close(done)
}

func (j *JWKS) lookup(kid string) (jwk, bool) {
	if kid == "" {
		// Without a kid only an unambiguous set will do.
		if len(j.keys) == 1 {
			for _, k := range j.keys {
				return k, true
			}
		}
		return jwk{}, false
	}
	k, ok := j.keys[kid]
	return k, ok
}

func (j *JWKS) fetch(ctx context.Context) (map[string]jwk, error) {
	c := j.Client
	if c == nil {
		c = &http.Client{Timeout: 5 * time.Second}
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.URL, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("jwks: status %d", resp.StatusCode)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	return ParseJWKS(body)
}

type rawJWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
}

// ParseJWKS parses a JWK set, keeping the public signature keys it
// understands (RSA, EC P-256/384/521, OKP Ed25519) and skipping others.
// A set with no usable key is an error (so a broken answer never replaces
// a good set).
func ParseJWKS(body []byte) (map[string]jwk, error) {
	var set struct {
		Keys []rawJWK `json:"keys"`
	}
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("jwks: %v", err)
	}
	out := map[string]jwk{}
	for _, r := range set.Keys {
		if r.Use != "" && r.Use != "sig" {
			continue
		}
		k, err := r.publicKey()
		if err != nil {
			continue
		}
		out[r.Kid] = jwk{key: k, alg: r.Alg}
	}
	if len(out) == 0 {
		return nil, errors.New("jwks: no usable keys")
	}
	return out, nil
}

func b64u(s string) ([]byte, error) { return base64.RawURLEncoding.DecodeString(s) }

func (r rawJWK) publicKey() (crypto.PublicKey, error) {
	switch r.Kty {
	case "RSA":
		n, err1 := b64u(r.N)
		e, err2 := b64u(r.E)
		if err1 != nil || err2 != nil || len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("bad RSA key (or under 2048 bits)")
		}
		ev := 0
		for _, b := range e {
			ev = ev<<8 | int(b)
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: ev}, nil
	case "EC":
		var curve elliptic.Curve
		switch r.Crv {
		case "P-256":
			curve = elliptic.P256()
		case "P-384":
			curve = elliptic.P384()
		case "P-521":
			curve = elliptic.P521()
		default:
			return nil, errors.New("unsupported curve")
		}
		x, err1 := b64u(r.X)
		y, err2 := b64u(r.Y)
		size := (curve.Params().BitSize + 7) / 8
		if err1 != nil || err2 != nil || len(x) != size || len(y) != size {
			return nil, errors.New("bad EC key")
		}
		// ParseUncompressedPublicKey checks the point is on the curve.
		return ecdsa.ParseUncompressedPublicKey(curve, append(append([]byte{4}, x...), y...))
	case "OKP":
		x, err := b64u(r.X)
		if r.Crv != "Ed25519" || err != nil || len(x) != ed25519.PublicKeySize {
			return nil, errors.New("bad OKP key")
		}
		return ed25519.PublicKey(x), nil
	}
	return nil, errors.New("unsupported kty")
}

// parsePEMPublicKey reads a PKIX "PUBLIC KEY" PEM block.
func parsePEMPublicKey(text []byte) (crypto.PublicKey, error) {
	b, _ := pem.Decode(text)
	if b == nil || b.Type != "PUBLIC KEY" {
		return nil, errors.New("want a PEM \"PUBLIC KEY\" block")
	}
	k, err := x509.ParsePKIXPublicKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	switch k.(type) {
	case *rsa.PublicKey, *ecdsa.PublicKey, ed25519.PublicKey:
		return k, nil
	}
	return nil, fmt.Errorf("unsupported public key type %T", k)
}
