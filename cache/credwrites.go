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

// jobEntity: APIv3's scheduled jobs (runsBatchMerge).
var jobEntity = entityKey("Job")

// ChangesCredentials reports whether a call may change a credential
// CiviCRM accepts (the verdicts Civigate remembers about credentials are
// then to be forgotten). The rule: a write that
//   - names a credential field at any depth of its parameters or in the
//     records it saves as CiviCRM reads them (translate.WriteRows: setvalue's
//     field, APIv3's unique names), whatever its entity and action
//     (namesCredential: api_key, as a key or as a value; a user's password or
//     hashed_password; a form entity of a credentialEntity, Afform's
//     User1): a Contact create, Afform.submit, SearchDisplay.inlineEdit,
//     an extension's action all carry them the same way;
//   - writes any credentialEntity;
//   - merges contacts (Contact.merge, APIv4 mergeDuplicates, APIv3
//     Job.process_batch_merge and Job.execute, which runs the scheduled
//     batch merge among other jobs);
//   - deletes a contact (a delete or replace of Contact or a contact
//     type, to the trash or for good) or names is_deleted in a contact
//     write, by its unique name contact_is_deleted too, or setvalue's
//     field (which trashes or restores it): AuthX accepts no credential
//     of a contact that is gone or in the trash (Authenticator.php's
//     APIv4 Contact.get check, which leaves out is_deleted rows; a
//     deleted contact's api_key goes with its row);
//   - or whose writes are not known (a chain too deep to inspect, an
//     entity or action only known when CiviCRM runs it, a class name, a
//     contact write whose parameters CiviCRM builds when it runs).
//
// Writes that merely invalidate the whole cache (Contribution, Order,
// Payment, a public form's Afform.submit…) are frequent and name no
// credential: they do not count. Nor do writes of e-mails, which may
// rename a CMS user and so change which passwords CiviCRM accepts, and
// nothing else: RenamesUsers counts them, for the verdicts on passwords
// alone.
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
		case sc.StartedBy != "" && !sc.Truncated:
			// What the client's call runs by the site's configuration (a
			// form's entities, Job.execute's jobs): judged on that call,
			// whose parameters name any credential it sets
			// (namesCredential) and whose entity and action say whether
			// it merges (runsBatchMerge).
		case sc.Truncated || sc.Dynamic():
			changes = true
		case sc.Entity == "":
		case call.API4 != nil && v4ReadsOnly(sc.Action), call.API4 == nil && readsOnly(strings.ToLower(sc.Action)):
		default:
			e := entityKey(sc.Entity)
			// The parameters at any depth, and the records the write
			// saves as CiviCRM reads their fields (translate.WriteRows:
			// APIv3's unique names, setvalue's field).
			rows, _ := translate.WriteRows(sc)
			names := func(f func(*translate.Array) bool) bool {
				if f(sc.Params) {
					return true
				}
				for _, r := range rows {
					if r != sc.Params && f(r) {
						return true
					}
				}
				return false
			}
			changes = credentialEntities[e] || names(func(a *translate.Array) bool { return namesCredential(a, 0) }) ||
				e == contactEntity && (sc.ParamsUnknown || mergesContacts(sc.Action) || deletesRows(sc.Action) ||
					names(func(a *translate.Array) bool { return namesKey(a, "is_deleted", 0) })) ||
				e == jobEntity && runsBatchMerge(sc.Action)
		}
		return !changes
	})
	return changes
}

// namesCredential reports whether a credential field is named anywhere in
// a: api_key as a key or a string value (a value costs at worst a
// forgetting too many; setvalue's field is a key of its WriteRows), password or
// hashed_password (Standalone's User fields: the password it hashes, the
// hash) as a key, or a key naming a form entity of a credentialEntity
// (Afform names a form's entities <Entity><n>: User1).
func namesCredential(a *translate.Array, depth int) bool {
	if a == nil || depth > 64 {
		return a != nil
	}
	for i := 0; i < a.Len(); i++ {
		if k := a.Key(i); isAPIKeyName(k) || isPasswordName(k) || isCredentialFormEntity(k) {
			return true
		}
		switch v := a.Value(i).(type) {
		case string:
			if isAPIKeyName(v) {
				return true
			}
		case *translate.Array:
			if namesCredential(v, depth+1) {
				return true
			}
		}
	}
	return false
}

// namesKey reports whether name (lower case) is a key anywhere in a, in
// any letter case: a field a write sets (APIv3 params, APIv4 values,
// records, defaults), not a value (APIv4 where clauses name fields as
// values, and only read).
func namesKey(a *translate.Array, name string, depth int) bool {
	if a == nil || depth > 64 {
		return a != nil
	}
	for i := 0; i < a.Len(); i++ {
		if strings.EqualFold(a.Key(i), name) {
			return true
		}
		if v, ok := a.Value(i).(*translate.Array); ok && namesKey(v, name, depth+1) {
			return true
		}
	}
	return false
}

func isAPIKeyName(s string) bool { return len(s) == 7 && strings.EqualFold(s, "api_key") }

func isPasswordName(s string) bool {
	return strings.EqualFold(s, "password") || strings.EqualFold(s, "hashed_password")
}

// isCredentialFormEntity reports whether k is Afform's name of a form
// entity (the entity's name and a number: User1) of a credentialEntity.
func isCredentialFormEntity(k string) bool {
	n := len(k)
	for n > 0 && '0' <= k[n-1] && k[n-1] <= '9' {
		n--
	}
	return n > 0 && n < len(k) && n <= len("UserRole") && credentialEntities[entityKey(k[:n])]
}

// RenamesUsers reports whether a call may change which passwords (Basic
// credentials: a user's name and password) CiviCRM accepts, though it
// changes no other credential (the verdicts on passwords are then to be
// forgotten, and no other): a write that may save an e-mail. A save of a
// contact's primary e-mail renames its CMS user (CRM_Core_BAO_Email::
// self_hook_civicrm_post -> CRM_Core_BAO_UFMatch::updateUFName ->
// updateCMSName: WordPress's wp_update_user user_email, Drupal's and
// Joomla's mail, Standalone's User uf_name), and WordPress's login takes
// a user's e-mail as its name (CRM_Utils_System_WordPress::authenticate:
// wp_authenticate, whose default filters include
// wp_authenticate_email_password): old-email:password is then refused.
// The rule is WriteTargets': a write of Email under its own name, chained
// or batched, or saved by another entity's write (a contact's email or
// APIv4 email_primary.email, a LocBlock's inline email, a delete's
// cascades), or a write whose effects are not bounded (Profile.submit,
// Afform.submit, Job.execute…: WriteTargets' all). A primary e-mail's
// save needs no is_primary in the call (an update of the primary row, a
// contact's first e-mail), so every e-mail write counts; each forgets
// the verdicts on passwords only, which few clients use.
func RenamesUsers(call *translate.Call) bool {
	entities, all := WriteTargets(call)
	if all {
		return true
	}
	for _, e := range entities {
		if entityKey(e) == emailEntity {
			return true
		}
	}
	return false
}

// emailEntity is the name an e-mail is written under (entityKey).
var emailEntity = entityKey("Email")

// VerdictTag is the generation counter (of the store holding the cache's
// counters) that numbers the lifetimes of remembered credential verdicts
// of a namespace: bumping it, as an invalidation does, makes every
// instance ask CiviCRM again about every credential (GenWatch).
func VerdictTag(namespace string) string { return "v:" + newTags(namespace).ns }

// PasswordVerdictTag is VerdictTag's counter for the verdicts on
// passwords alone (authx.APIKeyVerifier.PasswordGeneration): bumping it
// makes every instance ask CiviCRM again about every Basic credential,
// after a write that may rename a CMS user (RenamesUsers).
func PasswordVerdictTag(namespace string) string { return "vp:" + newTags(namespace).ns }

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

// runsBatchMerge reports whether a Job action may merge contacts: APIv3's
// process_batch_merge (the batch merge of duplicate contacts) and execute
// (which runs the scheduled jobs, that one among them), in APIv4's
// spelling too.
func runsBatchMerge(action string) bool {
	switch strings.ReplaceAll(translate.NormalAction(action), "_", "") {
	case "processbatchmerge", "execute":
		return true
	}
	return false
}
