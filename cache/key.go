package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"github.com/civigate/civigate/translate"
)

// keyVersion changes whenever the key derivation changes, so old entries are
// simply never found again.
// v2: entity generations are kept under entityKey names.
// v3: the site (Site, the APIv3 upstream endpoint, an APIv4 call's base
// path) is part of every key.
// v4: so is the request's Accept-Language (Caller.Language).
// v5: APIv4 parameter names that differ only in letter case keep their
// order (appendParamsV4).
const keyVersion = "civigate-cache-key-v5"

// Site is what selects, upstream, the CiviCRM instance a call runs on and
// the domain it runs in. One Caddy site can front several (a CMS
// multisite, CiviCRM's multi-domain setup, a site block matching several
// hosts), in which the same contact id and call mean different data
// (another database, or the domain's own settings, groups, option values,
// navigation and ACLs), so no entry of one site answers another. The path
// a call goes upstream on is the rest of that selection: the Cache binds
// it itself (Config.Endpoint for APIv3, translate.API4Call.Base for APIv4).
type Site struct {
	// Host is the Host header CiviCRM gets, byte for byte. Letter case, a
	// port and a trailing dot are kept: a site's own settings may tell
	// them apart (Drupal's sites/8080.example.org directories, a
	// civicrm.settings.php comparing $_SERVER['HTTP_HOST'] to choose
	// CIVICRM_DOMAIN_ID), and a client spells its host one way.
	Host string
	// TLS: the client's connection was TLS (PHP's HTTPS, the scheme of
	// the URLs CiviCRM writes into answers).
	TLS bool
	// Proxy is what a trusted proxy in front of Caddy said of the host
	// the client asked for (forwarded host headers, as they go on
	// upstream, which a CMS behind a trusted proxy may select its site
	// by); "" when there is none or the client is not trusted (then they
	// must not reach CiviCRM either).
	Proxy string
}

// Tag is the site and a path base under it (as the cache keys its
// entries: appendSite) in one string, every field told apart whatever
// bytes it holds: what other stores bind to the site (the Caddy module's
// remembered credential verdicts and proofs, authx.Request.Site, with
// the civicrm/authx/id URL the credential is asked at as the base).
func (s Site) Tag(base string) string {
	return string(appendSite(make([]byte, 0, len(s.Host)+len(s.Proxy)+len(base)+3*binary.MaxVarintLen64+1), s, base))
}

// appendSite encodes site and the upstream path base.
func appendSite(b []byte, site Site, base string) []byte {
	b = appendField(b, site.Host)
	if site.TLS {
		b = append(b, 't')
	} else {
		b = append(b, 'f')
	}
	b = appendField(b, site.Proxy)
	return appendField(b, base)
}

// Anonymous is the contact id Prepare is given for a caller without a
// principal verified by a stateless credential: no credential at all, or a
// CMS session cookie that only CiviCRM can read. Such callers are not one
// principal: what CiviCRM answers them depends on a session Civigate
// cannot see (a logged-in admin's browser and an attacker look alike), so
// a key for them would hand one's answer to the other. Only calls marked
// shared, whose answer is the same for everyone, are cached for them.
const Anonymous int64 = 0

// ReasonAnonymous: the caller has no verified principal and the call is
// not shared.
const ReasonAnonymous Reason = "anonymous"

var keyBufs = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// Key is the hex SHA-256 of a length-prefixed, type-tagged encoding of:
// the site namespace, the site (upstream Host and what a trusted proxy
// said of it, the scheme) and the upstream route (endpoint) the call runs
// on, the request's language (Caller.Language), the principal (or
// "shared"), the normalised entity and action, and the canonical parameter
// object. It never contains a credential, and it is never shown to
// clients.
//
// Output format (JSON or XML) and the endpoint form are not part of it:
// the entry holds upstream's JSON answer, which translate renders for
// each client. Nor is the client's path: every APIv3 form goes upstream to
// the one endpoint, on the client's Host, so extern/rest.php under any
// prefix and ajax/rest on one host share their entries.
func Key(namespace string, site Site, lang, endpoint string, contactID int64, shared bool, entity, action string, params *translate.Array) string {
	bp := keyBufs.Get().(*[]byte)
	b := (*bp)[:0]
	b = appendField(b, keyVersion)
	b = appendField(b, namespace)
	b = appendSite(b, site, endpoint)
	b = appendField(b, lang)
	if shared {
		b = append(b, 'S')
	} else {
		b = append(b, 'P')
		b = strconv.AppendInt(b, contactID, 10)
		b = append(b, 0)
	}
	b = appendField(b, entity)
	b = appendField(b, action)
	b = appendParams(b, params)
	sum := sha256.Sum256(b)
	*bp = b
	keyBufs.Put(bp)
	return hex.EncodeToString(sum[:])
}

func appendField(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// appendParams encodes the top-level parameter object. "version" is left
// out: Decide admits only absent, 3 and "3", which CiviCRM runs
// identically.
func appendParams(b []byte, a *translate.Array) []byte {
	return appendArray(b, a, 0, "version", false)
}

// orderedParams are parameters whose iteration order CiviCRM observes even
// with string keys: sort terms are imploded in order.
var orderedParams = map[string]bool{"sort": true, "option_sort": true, "option.sort": true, "options.sort": true}

// appendArray writes a PHP array canonically. String keys are sorted, so
// two spellings of the same call share a key regardless of parameter order
// (key-value vs json=, GET vs POST). Integer keys keep their insertion
// order relative to each other: PHP iterates [1=>"b",0=>"a"] as b then a,
// and for sort terms or return lists that order changes the answer. Arrays
// under a sort parameter keep their whole order for the same reason.
func appendArray(b []byte, a *translate.Array, depth int, skip string, ordered bool) []byte {
	n := a.Len()
	b = append(b, 'a')
	idx := make([]int, 0, n)
	for i := 0; i < n; i++ {
		if skip != "" && a.Key(i) == skip {
			continue
		}
		idx = append(idx, i)
	}
	b = binary.AppendUvarint(b, uint64(len(idx)))
	if !ordered {
		slices.SortStableFunc(idx, func(x, y int) int {
			kx, ky := a.Key(x), a.Key(y)
			_, ix := translate.IntKey(kx)
			_, iy := translate.IntKey(ky)
			switch {
			case ix && iy:
				return 0 // stable: insertion order
			case ix:
				return 1
			case iy:
				return -1
			}
			switch {
			case kx < ky:
				return -1
			case kx > ky:
				return 1
			}
			return 0
		})
	}
	for _, i := range idx {
		k := a.Key(i)
		b = appendField(b, k)
		b = appendValue(b, a.Value(i), depth+1, ordered || orderedParams[k])
	}
	return b
}

// appendValue tags every value with its PHP type: the string "1", the
// integer 1 and the float 1.0 are three different calls to CiviCRM (the
// integer 1 can even trigger a chained call).
func appendValue(b []byte, v any, depth int, ordered bool) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, 'z')
	case bool:
		if v {
			return append(b, 't')
		}
		return append(b, 'f')
	case string:
		b = append(b, 's')
		return appendField(b, v)
	case translate.Number:
		b = append(b, 'n')
		return appendField(b, string(v))
	case *translate.Array:
		if v == nil {
			return append(b, 'z')
		}
		return appendArray(b, v, depth, "", ordered)
	}
	// Not a translate value: never equal to anything else.
	b = append(b, '?')
	return appendField(b, fmt.Sprintf("%T %#v", v, v))
}
