package authx

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// HashAPIKey is how an API key is written in a key file: "sha256:<hex>".
// A plain digest is enough here: API keys are long random strings, not
// passwords, so there is nothing for a salt or a slow hash to protect, and a
// digest lets the lookup be a single map access. The CLI's hash-key command
// prints this.
func HashAPIKey(key string) string {
	s := sha256.Sum256([]byte(key))
	return "sha256:" + hex.EncodeToString(s[:])
}

// KeyEntry is one key file line: the contact a hashed key stands for and
// what Civigate sends upstream in its place.
type KeyEntry struct {
	ContactID int64
	UserID    *int64 // user=N; nil when not given
	NoUser    bool   // nouser: the contact has no CMS user (legacy forms refuse it)
	// Forward says what goes upstream: "" sends the client's key itself (it
	// is a real CiviCRM key; the file only spares the authx/id round trip),
	// "jwt" mints a CiviCRM JWT for the contact, otherwise it holds the real
	// CiviCRM key resolved from forward=env:NAME or forward=file:PATH, so
	// clients only ever hold an external key.
	Forward string
	// Fingerprint of the hash, for logs and rules.
	Fingerprint string
}

// KeyFile maps hashed API keys to contacts.
type KeyFile struct {
	entries map[string]KeyEntry // by HashAPIKey
	// Exclusive: keys not in the file are refused instead of being asked of
	// CiviCRM.
	Exclusive bool
}

// Len is the number of keys.
func (k *KeyFile) Len() int { return len(k.entries) }

// Lookup returns the entry for a client key.
func (k *KeyFile) Lookup(key string) (KeyEntry, bool) {
	if k == nil {
		return KeyEntry{}, false
	}
	e, ok := k.entries[HashAPIKey(key)]
	return e, ok
}

// LoadKeyFile reads a key file from disk; see ParseKeyFile.
func LoadKeyFile(path string) (*KeyFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseKeyFile(f, nil)
}

// ParseKeyFile parses the key file format, one key a line:
//
//	# comment
//	sha256:<64 hex> <contact id> [user=<uid>|nouser] [forward=jwt|env:NAME|file:PATH]
//
// The hash is HashAPIKey(client key). secret resolves forward=env:/file:
// references (nil: environment variables and files); the real keys are
// read once here and never appear in errors. Errors name the line number,
// never a secret.
func ParseKeyFile(r io.Reader, secret func(ref string) (string, error)) (*KeyFile, error) {
	if secret == nil {
		secret = readSecretRef
	}
	kf := &KeyFile{entries: map[string]KeyEntry{}}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		f := strings.Fields(line)
		if len(f) < 2 {
			return nil, fmt.Errorf("key file line %d: want 'sha256:<hex> <contact id> [options]'", n)
		}
		h, ok := strings.CutPrefix(f[0], "sha256:")
		if b, err := hex.DecodeString(h); !ok || err != nil || len(b) != sha256.Size {
			return nil, fmt.Errorf("key file line %d: first field must be sha256:<64 hex digits> (see hash-key)", n)
		}
		h = "sha256:" + strings.ToLower(h)
		cid, err := parseContactID(f[1])
		if err != nil {
			return nil, fmt.Errorf("key file line %d: bad contact id", n)
		}
		e := KeyEntry{ContactID: cid, Fingerprint: h[7:15]}
		for _, opt := range f[2:] {
			switch {
			case opt == "nouser":
				e.NoUser = true
			case strings.HasPrefix(opt, "user="):
				u, err := strconv.ParseInt(opt[5:], 10, 64)
				if err != nil || u <= 0 {
					return nil, fmt.Errorf("key file line %d: bad user id", n)
				}
				e.UserID = &u
			case opt == "forward=jwt":
				e.Forward = "jwt"
			case strings.HasPrefix(opt, "forward=env:"), strings.HasPrefix(opt, "forward=file:"):
				v, err := secret(opt[len("forward="):])
				if err != nil {
					return nil, fmt.Errorf("key file line %d: %v", n, err)
				}
				if v == "" || v == "jwt" {
					return nil, fmt.Errorf("key file line %d: forwarded key is empty", n)
				}
				e.Forward = v
			default:
				return nil, fmt.Errorf("key file line %d: unknown option %q", n, strings.SplitN(opt, "=", 2)[0])
			}
		}
		if e.NoUser && e.UserID != nil {
			return nil, fmt.Errorf("key file line %d: user= and nouser together", n)
		}
		if _, dup := kf.entries[h]; dup {
			return nil, fmt.Errorf("key file line %d: duplicate key hash", n)
		}
		kf.entries[h] = e
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return kf, nil
}

func readSecretRef(ref string) (string, error) {
	kind, name, _ := strings.Cut(ref, ":")
	switch kind {
	case "env":
		v, ok := os.LookupEnv(name)
		if !ok {
			return "", fmt.Errorf("environment variable %s is not set", name)
		}
		return strings.TrimSpace(v), nil
	case "file":
		b, err := os.ReadFile(name)
		if err != nil {
			return "", fmt.Errorf("reading forwarded key file: %v", err)
		}
		return strings.TrimSpace(string(b)), nil
	}
	return "", fmt.Errorf("unknown secret reference kind %q", kind)
}

func (k *KeyFile) all() []KeyEntry {
	if k == nil {
		return nil
	}
	out := make([]KeyEntry, 0, len(k.entries))
	for _, e := range k.entries {
		out = append(out, e)
	}
	return out
}
