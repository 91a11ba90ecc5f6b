package authx

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/rsa"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// KeySource finds an identity provider's public key for a token.
type KeySource interface {
	// Key returns the key with this kid usable with alg. kid may be empty
	// when the token has none; a source with a single key may then use it.
	Key(ctx context.Context, kid, alg string) (crypto.PublicKey, error)
}

// ExternalJWT verifies JWTs issued by an identity provider and maps one of
// their claims to a CiviCRM contact id. Civigate then forwards a CiviCRM JWT
// it mints for that contact: the IdP token never goes upstream.
type ExternalJWT struct {
	Keys KeySource
	// Algorithms allowed, e.g. ["RS256"], ["ES256"], ["EdDSA"]. Required;
	// HMAC algorithms are refused (a public key must never become an HMAC
	// secret).
	Algorithms []string
	Issuer     string   // required iss
	Audience   []string // aud must contain one of these (required)
	// ContactClaim names the claim holding the contact id: a number, a
	// decimal string or "cid:N". With ContactMap, the claim's string value is
	// looked up there instead (e.g. an email or subject → contact id).
	ContactClaim string
	ContactMap   map[string]int64
	Leeway       time.Duration
}

// Validate checks the configuration.
func (e *ExternalJWT) Validate() error {
	if e.Keys == nil {
		return errors.New("external jwt: no key source")
	}
	if len(e.Algorithms) == 0 {
		return errors.New("external jwt: algorithms must be configured")
	}
	for _, a := range e.Algorithms {
		switch a {
		case "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA":
		default:
			return fmt.Errorf("external jwt: algorithm %q not allowed", a)
		}
	}
	if e.Issuer == "" || len(e.Audience) == 0 {
		return errors.New("external jwt: issuer and audience are required")
	}
	if e.ContactClaim == "" {
		return errors.New("external jwt: contact claim is required")
	}
	return nil
}

// Verify checks signature, algorithm, iss, aud, exp (required), nbf, iat
// and returns the contact id. Errors are *Rejection.
func (e *ExternalJWT) Verify(ctx context.Context, tok string, now time.Time) (int64, error) {
	if len(tok) > MaxTokenBytes {
		return 0, invalidCredential("token too large")
	}
	p := jwt.NewParser(
		jwt.WithValidMethods(e.Algorithms),
		jwt.WithIssuer(e.Issuer),
		jwt.WithAudience(e.Audience...),
		jwt.WithLeeway(e.Leeway),
		jwt.WithTimeFunc(func() time.Time { return now }),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	claims := jwt.MapClaims{}
	_, err := p.ParseWithClaims(tok, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		alg := t.Method.Alg()
		k, err := e.Keys.Key(ctx, kid, alg)
		if err != nil {
			return nil, err
		}
		if !keyFitsAlg(k, alg) {
			return nil, errors.New("key type does not match alg")
		}
		return k, nil
	})
	if err != nil {
		if errors.Is(err, jwt.ErrTokenExpired) {
			return 0, &Rejection{Reason: ReasonExpired, Message: MsgExpiredToken, BearerError: "invalid_token", Detail: "external jwt expired"}
		}
		return 0, invalidCredential("external jwt: " + err.Error())
	}
	cid, ok := e.contact(claims[e.ContactClaim])
	if !ok {
		return 0, &Rejection{Reason: ReasonInvalid, Message: MsgMalformedJWT, BearerError: "invalid_token", Detail: "external jwt: no usable contact claim"}
	}
	return cid, nil
}

func (e *ExternalJWT) contact(v any) (int64, bool) {
	if e.ContactMap != nil {
		s, ok := v.(string)
		if !ok {
			return 0, false
		}
		id, ok := e.ContactMap[s]
		return id, ok && id > 0
	}
	switch x := v.(type) {
	case float64:
		// JSON numbers arrive as float64: only exact integers count.
		if x >= 1 && x < 1<<53 && x == math.Trunc(x) {
			return int64(x), true
		}
	case string:
		x = strings.TrimPrefix(x, "cid:")
		id, err := parseContactID(x)
		return id, err == nil
	}
	return 0, false
}

// keyFitsAlg pins the key type to the algorithm family, so an RSA key can't
// be used for an ES token and so on (golang-jwt checks too; this is a
// second, explicit line).
func keyFitsAlg(k crypto.PublicKey, alg string) bool {
	switch k.(type) {
	case *rsa.PublicKey:
		return strings.HasPrefix(alg, "RS") || strings.HasPrefix(alg, "PS")
	case *ecdsa.PublicKey:
		return strings.HasPrefix(alg, "ES")
	case ed25519.PublicKey:
		return alg == "EdDSA"
	}
	return false
}

// StaticKeys is a KeySource from PEM files: kid → key. A token without a
// kid is accepted only when there is exactly one key.
type StaticKeys struct {
	keys map[string]staticKey
}

type staticKey struct {
	key crypto.PublicKey
	alg string // "" any configured alg of the right family
}

// NewStaticKeys parses PEM public keys, PKIX "PUBLIC KEY" blocks only (for a
// certificate, extract its public key first). kids maps kid → PEM text; use
// the kid "" for a single key that tokens carry no kid for.
func NewStaticKeys(kids map[string][]byte) (*StaticKeys, error) {
	s := &StaticKeys{keys: map[string]staticKey{}}
	for kid, pemText := range kids {
		k, err := parsePEMPublicKey(pemText)
		if err != nil {
			return nil, fmt.Errorf("key %q: %v", kid, err)
		}
		s.keys[kid] = staticKey{key: k}
	}
	return s, nil
}

// Key implements KeySource.
func (s *StaticKeys) Key(_ context.Context, kid, alg string) (crypto.PublicKey, error) {
	if k, ok := s.keys[kid]; ok {
		return k.key, nil
	}
	if kid == "" && len(s.keys) == 1 {
		for _, k := range s.keys {
			return k.key, nil
		}
	}
	return nil, errors.New("unknown kid")
}
