package cache

import (
	"strings"

	"github.com/civigate/civigate/translate"
)

// credentialEntities are the entities whose every write may change which
// credentials CiviCRM accepts or whom one stands for: Standalone's User
// (passwords: Basic credentials) and its roles (the "authenticate with api
// key" permission AuthX's guards ask for), UFMatch (which CMS user a
// contact is), Setting (the authx_* settings decide which credential kinds
// and flows CiviCRM accepts). All are rare writes, so any write to them
// counts, whatever it sets.
var credentialEntities = map[string]bool{
	entityKey("User"): true, entityKey("UFMatch"): true, entityKey("Setting"): true,
	entityKey("Role"): true, entityKey("UserRole"): true,
}

// contactEntity is the name a contact is written under (entityKey: APIv4's
// contact-type entities too); a write to one changes credentials only
// when it sets api_key (or merges contacts).
var contactEntity = entityKey("Contact")

// ChangesCredentials reports whether a call may change a credential
// CiviCRM accepts (the verdicts Civigate remembers about credentials are
// then to be forgotten): a write to a contact whose parameters name
// api_key at any depth (APIv3 params, APIv4 values, records, defaults,
// setvalue's field, chained calls included), a contact merge, any write to
// credentialEntities, and a call whose writes are not known (a chain too
// deep to inspect, an entity or action only known when CiviCRM runs it, a
// class name). Writes that merely invalidate the whole cache
// (Contribution, Order, Payment, Job.execute…) are frequent and change no
// credential: they do not count.
func ChangesCredentials(call *translate.Call) bool {
	if call == nil {
		return false
	}
	if call.HasClassName || call.ClassName != "" {
		return true
	}
	if !call.Batch && (call.Refusal != nil || call.Ping || call.Entity == "") {
		return false
	}
	changes := false
	translate.Walk(call, func(sc translate.Subcall) bool {
		switch {
		case sc.Via != "":
			// A read through a join or carrier writes nothing.
		case sc.Truncated || sc.Dynamic():
			changes = true
		case sc.Entity == "":
		case call.API4 != nil && v4ReadsOnly(sc.Action), call.API4 == nil && readsOnly(strings.ToLower(sc.Action)):
		default:
			e := entityKey(sc.Entity)
			switch {
			case credentialEntities[e]:
				changes = true
			case e == contactEntity:
				changes = sc.ParamsUnknown || mergesContacts(sc.Action) || namesAPIKey(sc.Params, 0)
			}
		}
		return !changes
	})
	return changes
}

// namesAPIKey reports whether api_key is a key or a string value anywhere
// in a (a value covers setvalue's field=api_key, and costs at worst a
// forgetting too many).
func namesAPIKey(a *translate.Array, depth int) bool {
	if a == nil || depth > 64 {
		return a != nil
	}
	for i := 0; i < a.Len(); i++ {
		if isAPIKeyName(a.Key(i)) {
			return true
		}
		switch v := a.Value(i).(type) {
		case string:
			if isAPIKeyName(v) {
				return true
			}
		case *translate.Array:
			if namesAPIKey(v, depth+1) {
				return true
			}
		}
	}
	return false
}

func isAPIKeyName(s string) bool { return len(s) == 7 && strings.EqualFold(s, "api_key") }

// VerdictTag is the generation counter (of the store holding the cache's
// counters) that numbers the lifetimes of remembered credential verdicts
// of a namespace: bumping it, as an invalidation does, makes every
// instance ask CiviCRM again about every credential (GenWatch).
func VerdictTag(namespace string) string { return "v:" + newTags(namespace).ns }

// mergesContacts reports whether a contact action merges contacts (APIv3
// merge, APIv4 mergeDuplicates): a merged contact's key may move to, or
// go with, the other.
func mergesContacts(action string) bool {
	switch translate.NormalAction(action) {
	case "merge", "mergeduplicates":
		return true
	}
	return false
}
