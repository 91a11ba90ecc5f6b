package cache

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strconv"

	"github.com/civigate/civigate/translate"
)

// DefaultGroups are the default invalidation groups: a write to any member
// invalidates cached reads of every member. Contact.get carries emails,
// phones, addresses, groups, tags and custom data, so the Contact family
// moves together.
// Case and CaseContact create the case roles' relationships; a
// relationship's create gives related contacts inherited memberships.
// An activity is its row and the rows naming its contacts and its case:
// CRM_Activity_BAO_Activity::create writes a civicrm_activity_contact row
// for the source and each target and assignee, and with a case_id a
// civicrm_case_activity row (api/v3/Activity.php,
// CRM_Case_BAO_Case::processCaseActivity); APIv3's Activity.get always
// returns source_contact_id and, asked, target_contact_id,
// assignee_contact_id and case_id from those rows and filters by them
// (_civicrm_api3_activity_get_formatResult), so ActivityContact and
// CaseActivity writes change Activity reads and Activity writes change
// theirs.
var DefaultGroups = [][]string{{
	"Contact", "Email", "Phone", "Address", "Im", "Website", "OpenID",
	"GroupContact", "Group", "EntityTag", "Tag", "Relationship", "Note",
	"CustomValue", "Case", "CaseContact",
}, {"Relationship", "Membership"}, {"Activity", "ActivityContact", "CaseActivity"}}

// DefaultGlobalWrites are entities whose writes can change answers of any
// entity, so a write to one invalidates the whole namespace:
//
//   - metadata and configuration: custom fields, option values, settings,
//     scheduled jobs, extensions, domains, location types;
//   - who may see what: ACLs (ACL; ACLEntityRole, which APIv3 calls
//     AclRole: entityKey merges the two names),
//     UFMatch (which contact a CMS user is), SavedSearch (smart groups'
//     criteria, ACL groups included) and Standalone's User, Role and
//     UserRole: CiviCRM filters every ACL-limited read by them;
//     GroupContact and GroupNesting, since ACLs are granted through
//     groups both ways: the ACL roles a contact holds are those
//     ACLEntityRole gives a group the contact is in (CRM_ACL_BAO_ACL joins
//     civicrm_acl_entity_role to the caller's civicrm_group_contact rows,
//     status 'Added'), and an ACL's object is a group whose contacts (and
//     their activities, memberships, participations, contributions…) the
//     role may see (CRM_Contact_BAO_Contact_Permission), a nested group's
//     contacts counting as its parent's; and Relationship, whose
//     is_permission_a_b and is_permission_b_a let one contact see and
//     edit another (CRM_Contact_BAO_Contact_Permission::relationshipList),
//     granted and revoked by a relationship's create, update (its
//     permission, is_active, dates) and delete. The edge knows neither
//     which groups an ACL names nor which callers are ACL-limited (a
//     cached answer is keyed by the contact, not by its permissions), nor
//     what a relationship it updates or deletes granted, so each such
//     write invalidates everything: the price of never serving a
//     limited user rows it may no longer see, paid on every group
//     sign-up made through the API;
//   - label sources: the reference entities whose rows are the
//     pseudoconstant labels other entities' answers show (schema
//     'pseudoconstant' => ['table' => …] in civicrm-core's
//     schema/*/*.entityType.php; APIv4's :label and :name suffixes,
//     APIv3's default-returned names: Contact.get's country,
//     state_province_name and world_region, Membership.get's
//     membership_name, Participant.get's participant_status,
//     Contribution.get's financial_type): Country, StateProvince, County,
//     WorldRegion, ContactType, FinancialType, FinancialAccount,
//     MembershipType, MembershipStatus, ParticipantStatusType,
//     RelationshipType, CaseType, Currency, Campaign, ContributionPage,
//     PaymentProcessor; PriceSet (PriceField's and Discount's
//     price_set_id), PriceField and PriceFieldValue (LineItem's
//     price_field_id and price_field_value_id), UFGroup (UFField's and
//     UFJoin's uf_group_id: profiles), PaymentProcessorType
//     (PaymentProcessor's payment_processor_type_id), DedupeRuleGroup,
//     which APIv3 calls RuleGroup (Event's dedupe_rule_group_id),
//     MailingComponent (Mailing's header_id and footer_id),
//     MailingBounceType (MailingEventBounce's bounce_type_id),
//     SmsProvider (ActionSchedule's sms_provider_id, whose options
//     CRM_Core_SelectValues::smsProvider reads from its table), BounceType
//     (schema/Mailing/BounceType.entityType.php's name for
//     MailingBounceType: BouncePattern's bounce_type_id), Component
//     (the component_id of OptionValue, Setting, Menu and Cache, PriceSet's
//     extends through CRM_Price_BAO_PriceSet::getExtendsOptions; no core
//     API writes civicrm_component, there is no api/v3/Component.php nor
//     Civi/Api4/Component.php, so only an extension's entity of that name
//     could) and Product (APIv3
//     Contribution.get's default product_name, sku and product_option,
//     CRM_Contribute_BAO_Query::defaultReturnProperties, the premiums
//     catalogue); and Discount (Participant's discount_id, APIv3's
//     participant_discount_name). WordReplacement and Translation rewrite
//     strings in every answer. All are written by administrators, rarely.
//     LocBlock, MessageTemplate and Survey are no label sources: the
//     schema names them by id only (Event's loc_block_id, Mailing's and
//     ActionSchedule's msg_template_id and sms_template_id are
//     entity_reference without pseudoconstant, so no :label shows them)
//     and no field names a survey; a read showing their fields joins them,
//     which names them (a write invalidates it as any join's);
//   - entities whose plain create/update acts on others (an order or
//     payment completes contributions, which renew memberships and
//     register participants; a contribution's status change does the
//     same; a pledge payment updates its pledge; a form saved in
//     FormBuilder, a mailing, a mailing's subscribe/confirm/unsubscribe
//     events change contacts and group memberships).
//
// Frequently written entities whose labels show elsewhere are a read
// dependency instead (readsThrough): an Event write invalidates
// Participant reads, not everything. Campaign stays global: the
// campaign_id of most records (Activity, Contribution, ContributionRecur,
// Event, Participant, Membership, Mailing, Survey…) shows its title, too
// many readers to list.
var DefaultGlobalWrites = []string{
	"CustomField", "CustomGroup", "OptionGroup", "OptionValue", "Setting",
	"System", "Job", "Extension", "Domain", "LocationType",
	// Who may see what.
	"ACL", "ACLEntityRole", "UFMatch", "SavedSearch", "User", "Role", "UserRole",
	"GroupContact", "GroupNesting", "Relationship",
	// Label sources.
	"Country", "StateProvince", "County", "WorldRegion", "ContactType", "WordReplacement", "Translation",
	"FinancialType", "FinancialAccount", "MembershipType", "MembershipStatus", "ParticipantStatusType",
	"RelationshipType", "CaseType", "Currency", "Campaign", "ContributionPage", "PaymentProcessor",
	"PriceSet", "PriceField", "PriceFieldValue", "UFGroup", "PaymentProcessorType", "DedupeRuleGroup", "RuleGroup",
	"MailingComponent", "MailingBounceType", "BounceType", "SmsProvider", "Component", "Product", "Discount",
	// Writes that act on other entities.
	"Order", "Payment", "Contribution", "PledgePayment", "Afform", "Mailing",
	"MailingEventSubscribe", "MailingEventConfirm", "MailingEventUnsubscribe", "MailingEventResubscribe",
}

// readsThrough lists, by entityKey, the entities a read of an entity shows
// data of without naming them. Such a read depends on them as on a join:
// a write to one invalidates it. They are written too often to be global
// writes:
//
//   - Group: the group_id of ActionSchedule, SubscriptionHistory,
//     GroupOrganization and MailingEventSubscribe has civicrm_group as
//     pseudoconstant table (group_id:label is the group's title;
//     GroupContact, GroupContactCache and Group's own parents and children
//     are in the Contact group or no API entity), and ACL's object_id
//     options (CRM_ACL_BAO_ACL::getObjectIdOptions) are the titles of the
//     groups, profiles, events or custom groups its object_table names;
//   - Event: APIv3's Participant.get returns its event's title, type and
//     dates by default (CRM_Event_BAO_Query::defaultReturnProperties:
//     event_title, event_start_date, event_type…); ACL's object_id
//     (above), ActionSchedule's entity_value
//     (CRM_Core_BAO_ActionSchedule::getEntityValueOptions: the event
//     mapping's value labels are event titles) and CustomGroup's
//     extends_entity_column_value (a ParticipantEventName group's
//     subtypes are event titles);
//   - Batch: EntityBatch's batch_id (civicrm_batch, its title), written
//     by every data entry batch;
//   - PCP: ContributionSoft's pcp_id (civicrm_pcp, its title), pages
//     supporters create from public forms;
//   - Email: a CMS user's uf_name in civicrm_uf_match (UFMatch, and
//     Standalone's User, the same table: entityKey is UFMatch's for both,
//     translate's entityNames) is its contact's primary e-mail, which
//     CRM_Core_BAO_Email::self_hook_civicrm_post copies there after any
//     save of a primary e-mail (CRM_Core_BAO_UFMatch::updateUFName, under
//     the syncCMSEmail setting, which also renames the CMS user through
//     updateCMSName), an e-mail saved by a contact's write too
//     (CRM_Core_BAO_Location, saveLocations). UFMatch and User are global
//     writes because a link moved changes who may see what; a rename moves
//     none, and a side write of them would make every e-mail write empty
//     the cache.
//
// The list follows civicrm-core's schema/*/*.entityType.php and
// ext/*/schema/*.entityType.php: every 'pseudoconstant' => ['table' => …]
// and every pseudoconstant 'callback' that reads a table, whose table is
// neither a global write nor in the reader's invalidation group; and the
// copies a BAO keeps of another entity's data (uf_name).
var readsThrough = map[string][]string{
	"participant":           {"Event"},
	"actionschedule":        {"Group", "Event"},
	"subscriptionhistory":   {"Group"},
	"grouporganization":     {"Group"},
	"mailingeventsubscribe": {"Group"},
	"acl":                   {"Group", "Event"},
	"customgroup":           {"Event"},
	"entitybatch":           {"Batch"},
	"contributionsoft":      {"PCP"},
	"ufmatch":               {"Email"},
}

// copiesOf reports whether a write of entity that a call of from makes by
// itself (translate.Subcall.StartedBy) only keeps entity's copy of from's
// data (readsThrough: a CMS user's uf_name is its contact's primary
// e-mail).
func copiesOf(entity, from string) bool {
	if from == "" {
		return false
	}
	k := entityKey(from)
	for _, e := range readsThrough[entityKey(entity)] {
		if entityKey(e) == k {
			return true
		}
	}
	return false
}

// confinedWrites are the write actions whose effects CiviCRM confines to
// the entity they name: plain CRUD (APIv3's generic create, update,
// delete, replace and setvalue, api/v3/Generic*; APIv4's create, update,
// save, delete and replace) and APIv4's getChecksum, which writes the
// contact's hash. Every other write action (Afform.submit,
// SearchDisplay.inlineEdit, Profile.submit,
// Contribution.completetransaction, Contact.merge, Job.execute, an
// extension's own action…) may change rows of any entity, so it
// invalidates the whole namespace (WriteTargets): a list of the actions
// known to stay within their entity fails safe where a list of known
// carriers would always miss one. Lower case: APIv3 and PHP's method
// lookup (APIv4) ignore the action's case.
var confinedWrites = map[string]bool{
	"create": true, "update": true, "delete": true, "replace": true, "setvalue": true,
	"save": true, "getchecksum": true,
}

// confinedWrite reports whether a write action changes only its own
// entity (confinedWrites).
func confinedWrite(action string) bool { return confinedWrites[translate.NormalAction(action)] }

// tags derives the counter names of one namespace. The namespace appears
// as a short hash so counter names stay bounded whatever the operator
// calls the site.
type tags struct{ ns, allTag string }

func newTags(namespace string) tags {
	sum := sha256.Sum256([]byte("civigate-ns\x00" + namespace))
	ns := hex.EncodeToString(sum[:8])
	return tags{ns: ns, allTag: "n:" + ns}
}

func (t tags) all() string             { return t.allTag }
func (t tags) entity(e string) string  { return t.key(entityKey(e)) }
func (t tags) key(k string) string     { return "e:" + t.ns + ":" + k }
func (t tags) contact(id int64) string { return "p:" + t.ns + ":" + strconv.FormatInt(id, 10) }

// groups maps an entity (by entityKey, so APIv3's and APIv4's names of it
// meet) to every entity its writes invalidate.
type groups struct {
	related map[string][]string
	global  map[string]bool
}

func newGroups(list [][]string, global []string) groups {
	g := groups{related: make(map[string][]string), global: make(map[string]bool)}
	for _, grp := range list {
		norm := make([]string, 0, len(grp))
		for _, e := range grp {
			norm = append(norm, entityKey(e))
		}
		for _, e := range norm {
			g.related[e] = appendUnique(g.related[e], norm...)
		}
	}
	for _, e := range global {
		g.global[entityKey(e)] = true
	}
	return g
}

func appendUnique(dst []string, src ...string) []string {
	for _, s := range src {
		found := false
		for _, d := range dst {
			if d == s {
				found = true
				break
			}
		}
		if !found {
			dst = append(dst, s)
		}
	}
	return dst
}

// invalidationTags lists the counters a write to entities must bump.
func (c *Cache) invalidationTags(entities []string, all bool) []string {
	if all {
		return []string{c.tags.all()}
	}
	var out []string
	for _, name := range entities {
		// Every entity the name's data lies in (APIv3's Attachment writes
		// File and EntityFile).
		first, second := translate.EntityKeys(name)
		for _, e := range [...]string{first, second} {
			if e == "" {
				continue
			}
			if c.groups.global[e] {
				return []string{c.tags.all()}
			}
			out = appendUnique(out, c.tags.key(e))
			for _, r := range c.groups.related[e] {
				out = appendUnique(out, c.tags.entity(r))
			}
		}
	}
	return out
}

// Invalidate is called after a write call was forwarded (whatever its
// outcome: a failed chained call does not roll back earlier writes). It
// invalidates cached reads of every entity the call may write and of their
// groups, on every instance sharing the store. Reads (with no chained
// write) invalidate nothing.
func (c *Cache) Invalidate(ctx context.Context, call *translate.Call) error {
	entities, all := WriteTargets(call)
	return c.InvalidateTargets(ctx, entities, all)
}

// InvalidateTargets is Invalidate for what WriteTargets already worked out
// for a call.
func (c *Cache) InvalidateTargets(ctx context.Context, entities []string, all bool) error {
	t := c.invalidationTags(entities, all)
	if len(t) == 0 {
		return nil
	}
	return c.store.Invalidate(detach(ctx), t...)
}

// InvalidateEntities is Invalidate for entity names the caller already
// knows (normalised as CiviCRM does), with their groups.
func (c *Cache) InvalidateEntities(ctx context.Context, entities ...string) error {
	norm := make([]string, len(entities))
	for i, e := range entities {
		norm[i] = translate.NormalEntity(e)
	}
	return c.store.Invalidate(detach(ctx), c.invalidationTags(norm, false)...)
}

// PurgeAll makes every entry of this namespace a miss.
func (c *Cache) PurgeAll(ctx context.Context) error {
	return c.store.Invalidate(detach(ctx), c.tags.all())
}

// PurgeEntity makes every entry that read entity a miss (that entity only,
// not its group).
func (c *Cache) PurgeEntity(ctx context.Context, entity string) error {
	return c.store.Invalidate(detach(ctx), c.tags.entity(translate.NormalEntity(entity)))
}

// PurgeContact makes every entry bound to contactID a miss. Entries the
// operator marked shared are not bound to anyone and stay.
func (c *Cache) PurgeContact(ctx context.Context, contactID int64) error {
	return c.store.Invalidate(detach(ctx), c.tags.contact(contactID))
}

// detach keeps an invalidation alive when the client that caused it hangs
// up: the write has reached CiviCRM, its invalidation must reach the
// store. The store's own deadline still bounds it.
func detach(ctx context.Context) context.Context { return context.WithoutCancel(ctx) }
