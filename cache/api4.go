package cache

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"slices"
	"strings"

	"github.com/civigate/civigate/translate"
)

// APIv4 (civicrm/ajax/api4) is cached by the same rules as APIv3, judged
// on what CiviCRM's APIv4 page runs (translate.API4Call, walked by
// translate.Walk): reads only, by name against an allowlist (getActions
// has no read-only flag, spec §3.2); never a call with a write anywhere in
// its chains, a `$`-named chain, debug output, a batch, an answer other
// than a 200 success. Keys hold the principal like APIv3's; invalidation
// is shared with APIv3 through entityKey.

// v4ReadActions are the APIv4 actions cached: pure reads by name (spec
// §3.2), compared ignoring case as PHP finds the static action methods.
// Other get* actions are reads for invalidation but never cached: some
// write (getChecksum), call out (getCoordinates) or depend on the time.
var v4ReadActions = []string{"get", "getFields", "getActions", "getLinks", "autocomplete"}

func isV4ReadAction(action string) bool {
	return slices.ContainsFunc(v4ReadActions, func(r string) bool { return strings.EqualFold(r, action) })
}

// v4ReadsOnly is the invalidation side's notion of an APIv4 read: what
// readsOnly says for APIv3, plus the read-like actions APIv4 adds (spec
// §3.2), less getChecksum, which may write the contact's hash.
func v4ReadsOnly(action string) bool {
	a := strings.ToLower(action)
	switch a {
	case "getchecksum":
		return false
	case "autocomplete", "checkaccess", "validatechecksum":
		return true
	}
	return readsOnly(a)
}

// decideV4 is Decide for an APIv4 call. Entity and Action stay as the
// client spelled them: CiviCRM resolves `contact/GET` only when the
// Contact class happens to be loaded (spec §1.3), so an entry must never
// answer a spelling CiviCRM might refuse. Rules (deny, shared, ttl) match
// the names as APIv3's do.
func (p *policy) decideV4(call *translate.Call) Decision {
	a := call.API4
	d := Decision{Entity: a.Entity, Action: a.Action, V4: true}
	switch {
	case a.Batch:
		d.Reason = ReasonBatch
		return d
	case a.Params == nil:
		d.Reason = ReasonUncacheable // CiviCRM runs nothing (a 500 page)
		return d
	case call.Method != http.MethodGet && call.Method != http.MethodPost:
		d.Reason = ReasonUncacheable
		return d
	case call.Method == http.MethodGet && !translate.API4GetAllowed(a.Action):
		d.Reason = ReasonWrite // CiviCRM's 405, or a write
		return d
	}
	w := readWalk{p: p, ttl: -1, v4: true}
	translate.Walk(call, w.visit)
	return w.decision(d)
}

// judgeV4 is readWalk.judge for one APIv4 subcall.
func (w *readWalk) judgeV4(sc translate.Subcall) Reason {
	entity, action := translate.NormalEntity(sc.Entity), translate.NormalAction(sc.Action)
	switch {
	case sc.Version != 4:
		return ReasonVersion
	case w.p.deny.match(entity, action):
		return ReasonDenied
	case !isV4ReadAction(sc.Action):
		switch {
		case sc.Depth > 0:
			return ReasonChainedWrite
		case v4ReadsOnly(sc.Action):
			return ReasonUncacheable // a read, but not a pure one
		}
		return ReasonWrite
	}
	if v, ok := sc.Params.Get("debug"); ok && !translate.PHPEmpty(v) {
		return ReasonDebug
	}
	if t := w.p.ttl.lookup(entity, action); w.ttl < 0 || t < w.ttl {
		w.ttl = t
	}
	// Joined and carried entities are subcalls of their own (Via).
	w.reads = append(w.reads, sc.Entity)
	return ""
}

// entityKey is the name under which writes to an entity and reads of it
// meet, whichever API and name they came through: translate.EntityKey
// (APIv3's OptionValue, option_value and APIv4's OptionValue are one,
// APIv4's contact types are Contact, Custom_<name> is APIv3's CustomValue,
// AclRole is ACLEntityRole). Merging names only ever invalidates more.
func entityKey(name string) string { return translate.EntityKey(name) }

// keyV4 is Key for an APIv4 call: a separate dialect (an APIv3 and an
// APIv4 call never share an entry: their answers differ), the URL shape
// (a CMS's verbose URL may encode the answer its own way), the site and
// the path the call came in under (it goes upstream on it: a CMS
// multisite's subdirectory or a language prefix), the request's language
// (Caller.Language), the names as spelled, the params canonically (see
// appendParamsV4), `index`, which changes the answer's shape, and
// lcMessages from the query or the form body, which changes its language. A shared entry also records whether
// the caller authenticated: CiviCRM resolves a miscased entity only after
// AuthX loaded its class (spec §1.3), so an anonymous caller's answer may
// differ.
func keyV4(namespace string, site Site, lang string, contactID int64, shared bool, entity, action string, a *translate.API4Call) string {
	bp := keyBufs.Get().(*[]byte)
	b := (*bp)[:0]
	b = appendField(b, keyVersion)
	b = appendField(b, "api4")
	b = appendField(b, a.Variant)
	b = appendField(b, namespace)
	b = appendSite(b, site, a.Base)
	b = appendField(b, lang)
	switch {
	case !shared:
		b = append(b, 'P')
		b = binary.AppendVarint(b, contactID)
	case contactID > Anonymous:
		b = append(b, 'S', 'a')
	default:
		b = append(b, 'S', 'n')
	}
	b = appendField(b, entity)
	b = appendField(b, action)
	b = appendParamsV4(b, a.Params)
	if a.HasIndex {
		b = append(b, 'i')
		b = appendValue(b, a.Index, 1, true) // a string, or index[field]=column
	}
	if a.HasLocale {
		// lcMessages from $_REQUEST, the form body's over the query's:
		// the answer's language (translate.API4Call.Locale).
		b = append(b, 'l')
		b = appendValue(b, a.Locale, 1, true)
	}
	sum := sha256.Sum256(b)
	*bp = b
	keyBufs.Put(bp)
	return hex.EncodeToString(sum[:])
}

// appendParamsV4 encodes APIv4 params as the client spelled them:
// top-level keys sorted (CiviCRM sets each on the action; their order
// changes nothing) but for keys that differ only in letter case, which
// keep theirs (each may set the same parameter, and the last one set
// decides: translate/v4params.go), `version` and checkPermissions left
// out (ignored and removed by CiviCRM, spec §2.2), everything below in its
// order, which APIv4 observes (orderBy's keys, the order of chain names in
// each row). Spellings stay apart: CiviCRM 6.17.2 refuses a key not
// spelled exactly, where other releases run it.
func appendParamsV4(b []byte, a *translate.Array) []byte {
	idx := make([]int, 0, a.Len())
	for i := 0; i < a.Len(); i++ {
		if k := a.Key(i); k != "version" && !strings.EqualFold(k, "checkPermissions") {
			idx = append(idx, i)
		}
	}
	slices.SortStableFunc(idx, func(x, y int) int { return compareFoldASCII(a.Key(x), a.Key(y)) })
	b = append(b, 'a')
	b = binary.AppendUvarint(b, uint64(len(idx)))
	for _, i := range idx {
		b = appendField(b, a.Key(i))
		b = appendValue(b, a.Value(i), 1, true)
	}
	return b
}

// compareFoldASCII compares s and t with ASCII letters folded to lower
// case: 0 for names that differ only in letter case.
func compareFoldASCII(s, t string) int {
	for i := 0; i < len(s) && i < len(t); i++ {
		c, d := s[i], t[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if 'A' <= d && d <= 'Z' {
			d += 'a' - 'A'
		}
		if c != d {
			return int(c) - int(d)
		}
	}
	return len(s) - len(t)
}

// apiV4Success reports whether an APIv4 answer is a success worth storing:
// a JSON object with `values` and no error (CiviCRM answers errors with a
// non-200 status, except inside batches, which are never cached).
func apiV4Success(body []byte) bool {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return false
	}
	var top map[string]json.RawMessage
	if json.Unmarshal(body, &top) != nil {
		return false
	}
	_, values := top["values"]
	_, failed := top["error_message"]
	return values && !failed
}

// writeTargetV4 is WriteTargets' judgement of one APIv4 subcall: the
// entity it may write, if any.
func writeTargetV4(sc translate.Subcall) (string, bool) {
	if sc.Entity == "" || v4ReadsOnly(sc.Action) {
		return "", false
	}
	return sc.Entity, true
}
