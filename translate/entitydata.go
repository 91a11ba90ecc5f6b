package translate

import (
	"slices"
	"strings"
)

// One entity's data under several names. CiviCRM's two API versions name
// some entities differently (APIv3's AclRole is APIv4's ACLEntityRole),
// APIv4 reaches every custom group's values as an entity of its own
// (Custom_<group>, APIv3's CustomValue), and a few entities are views of
// another's rows (APIv4's contact types and RelationshipCache, APIv3's
// ActivityType) or span several (APIv3's Attachment). What a name reaches
// is its EntityData; the policy (authx) and the cache's invalidation meet
// on it, so that neither misses an entity under its other name.

// EntityPart is data a name reaches: all of Entity's, or, with Part set,
// the part of it Part names (a custom group of CustomValue, a contact type
// of Contact). Names compare as SameEntity does.
type EntityPart struct{ Entity, Part string }

// EntityData is what a call of one entity name reads or writes: one or two
// parts. A value type, so that judging a call allocates nothing.
type EntityData struct {
	parts [2]EntityPart
	n     int
}

// entityNames lists the names whose data is not simply their own, each
// from CiviCRM's source:
//   - APIv3 names of APIv4 entities: api/v3/AclRole.php runs
//     CRM_ACL_BAO_ACLEntityRole (_civicrm_api3_get_DAO maps AclRole to it);
//     api/v3/Exception.php, Rule.php and RuleGroup.php create
//     DedupeException, DedupeRule and DedupeRuleGroup;
//   - views of another entity's rows: APIv4's Individual, Organization and
//     Household are Contact (spec §1.3); RelationshipCache is the
//     civicrm_relationship_cache table, each Relationship row seen from
//     both of its contacts; APIv3's ActivityType, CustomSearch and
//     ReportTemplate read and write OptionValue in one option group
//     (api/v3/ActivityType.php: CRM_Core_OptionValue::addOptionValue;
//     CustomSearch.php and ReportTemplate.php: civicrm_api3_option_value_*);
//   - names that span entities: api/v3/Attachment.php reads and writes
//     civicrm_file and civicrm_entity_file (and the file's content), APIv3's
//     Dedupe.get reads PrevNextCache (the cached merge pairs) besides its
//     own actions; Standalone's User (ext/standaloneusers/schema/
//     User.entityType.php) is the table civicrm_uf_match, core's UFMatch
//     (schema/Core/UFMatch.entityType.php), with columns UFMatch lacks
//     (username, hashed_password, password_reset_token…): UFMatch's rows
//     and data of its own, so a rule on UFMatch refuses User and one on
//     User refuses UFMatch, allow User admits UFMatch but allow UFMatch
//     not User; APIv3's User.get (api/v3/User.php) reads the UFMatch row
//     and the CMS user, which in Standalone is that User;
//   - APIv4 class names of another entity (class): Civi\API\Request::create
//     runs the class CoreUtil::getApiClass finds, 'Civi\Api4\'.$entity,
//     whose getEntityName() names the entity its actions run as. Of the
//     classes in civicrm-core (Civi/Api4/*.php, ext/*/Civi/Api4/*.php) only
//     CiviCase's differs from its class name: "Case" is a reserved PHP
//     word, so civicrm/ajax/api4/CiviCase/get (and a chain or batch member
//     naming CiviCase) runs the Case entity's actions, which
//     CiviCase::create, save and update build with 'Case'. The walker
//     names such a call by its entity (API4EntityName), so every table
//     keyed by entity meets it; a rule naming the class covers the entity.
//
// APIv3's Im, Acl and Pcp differ from APIv4's IM, ACL and PCP in case only.
var entityNames = [...]struct {
	name  string
	parts []EntityPart
	class bool
}{
	{"CiviCase", []EntityPart{{Entity: "Case"}}, true},
	{"AclRole", []EntityPart{{Entity: "ACLEntityRole"}}, false},
	{"Exception", []EntityPart{{Entity: "DedupeException"}}, false},
	{"Rule", []EntityPart{{Entity: "DedupeRule"}}, false},
	{"RuleGroup", []EntityPart{{Entity: "DedupeRuleGroup"}}, false},
	{"Individual", []EntityPart{{"Contact", "Individual"}}, false},
	{"Organization", []EntityPart{{"Contact", "Organization"}}, false},
	{"Household", []EntityPart{{"Contact", "Household"}}, false},
	{"RelationshipCache", []EntityPart{{"Relationship", "RelationshipCache"}}, false},
	{"ActivityType", []EntityPart{{"OptionValue", "activity_type"}}, false},
	{"CustomSearch", []EntityPart{{"OptionValue", "custom_search"}}, false},
	{"ReportTemplate", []EntityPart{{"OptionValue", "report_template"}}, false},
	{"Attachment", []EntityPart{{Entity: "File"}, {Entity: "EntityFile"}}, false},
	{"Dedupe", []EntityPart{{Entity: "Dedupe"}, {Entity: "PrevNextCache"}}, false},
	{"User", []EntityPart{{Entity: "UFMatch"}, {Entity: "User"}}, false},
}

// API4EntityName is the entity an APIv4 call of name runs as: the entity
// of an APIv4 class named otherwise (entityNames' class rows: CiviCase is
// Case), else name as given. Names compare as SameEntity does.
func API4EntityName(name string) string {
	for _, e := range entityNames {
		if e.class && SameEntity(e.name, name) {
			return e.parts[0].Entity
		}
	}
	return name
}

// customPrefix starts APIv4's custom-group entities: Civi\API\Request::create
// runs \Civi\Api4\CustomValue::$action(substr($entity, 7)) for them.
const customPrefix = "Custom_"

// EntityDataOf is what a call of the entity name reaches (see entityNames);
// a name not listed reaches its own data.
func EntityDataOf(name string) EntityData {
	var d EntityData
	if len(name) > len(customPrefix) && SameAction(name[:len(customPrefix)], customPrefix) {
		d.parts[0], d.n = EntityPart{"CustomValue", name[len(customPrefix):]}, 1
		return d
	}
	for _, e := range entityNames {
		if SameEntity(e.name, name) {
			d.n = copy(d.parts[:], e.parts)
			return d
		}
	}
	d.parts[0], d.n = EntityPart{Entity: name}, 1
	return d
}

// EntitiesSharingData lists the entity names whose data overlaps name's
// (Overlaps): name itself, the names entityNames lists and the entities
// their data lies in. A rule that keeps reads of one out of the cache
// names them all (UFMatch's keeps Standalone's User out, and User's keeps
// UFMatch out), as a policy deny rule refuses them all.
func EntitiesSharingData(name string) []string {
	d := EntityDataOf(name)
	out := []string{name}
	add := func(n string) {
		if !slices.ContainsFunc(out, func(o string) bool { return SameEntity(o, n) }) && EntityDataOf(n).Overlaps(d) {
			out = append(out, n)
		}
	}
	for _, e := range entityNames {
		add(e.name)
		for _, p := range e.parts {
			add(p.Entity)
		}
	}
	return out
}

// Overlaps reports whether d and o reach some of the same data: a deny
// rule naming one refuses the other.
func (d EntityData) Overlaps(o EntityData) bool {
	for _, a := range d.parts[:d.n] {
		for _, b := range o.parts[:o.n] {
			if SameEntity(a.Entity, b.Entity) && (a.Part == "" || b.Part == "" || SameEntity(a.Part, b.Part)) {
				return true
			}
		}
	}
	return false
}

// Within reports whether all of d's data is o's: an allow rule naming o
// admits d.
func (d EntityData) Within(o EntityData) bool {
	for _, a := range d.parts[:d.n] {
		in := false
		for _, b := range o.parts[:o.n] {
			if SameEntity(a.Entity, b.Entity) && (b.Part == "" || a.Part != "" && SameEntity(a.Part, b.Part)) {
				in = true
				break
			}
		}
		if !in {
			return false
		}
	}
	return true
}

// EntityKey is the one name under which writes to an entity's data and
// reads of it meet, whichever API and name they came through: the first
// entity its data lies in (EntityDataOf), ASCII case and underscores
// ignored. So APIv3's OptionValue, option_value and ActivityType and
// APIv4's OptionValue are one, Custom_<group> is CustomValue, APIv4's
// contact types are Contact, AclRole is ACLEntityRole. Merging names only
// ever makes more meet.
func EntityKey(name string) string {
	return foldedKey(EntityDataOf(name).parts[0].Entity)
}

// EntityKeys is EntityKey for each entity a name's data lies in, second ""
// where it lies in one: a write of the name invalidates, and a read of it
// depends on, every one of them (APIv3's Attachment is File and EntityFile,
// so an Attachment write empties cached APIv4 EntityFile reads too).
func EntityKeys(name string) (first, second string) {
	d := EntityDataOf(name)
	first = foldedKey(d.parts[0].Entity)
	if d.n > 1 {
		second = foldedKey(d.parts[1].Entity)
	}
	return first, second
}

// foldedKey is an entity name in lower case without underscores.
func foldedKey(e string) string {
	b := make([]byte, 0, len(e))
	for i := 0; i < len(e); i++ {
		if e[i] != '_' {
			b = append(b, lowerASCII(e[i]))
		}
	}
	return string(b)
}

// SameEntity compares entity names as CiviCRM finds an APIv3
// implementation and as rules compare them: ASCII case and underscores
// ignored ("option_value" is "OptionValue"), without building folded
// copies.
func SameEntity(a, b string) bool { return sameFolded(a, b, true) }

// SameAction compares action names ignoring ASCII case, as PHP 8's
// strtolower and method lookup do.
func SameAction(a, b string) bool { return sameFolded(a, b, false) }

func sameFolded(a, b string, skipUnderscore bool) bool {
	i, j := 0, 0
	for {
		if skipUnderscore {
			for i < len(a) && a[i] == '_' {
				i++
			}
			for j < len(b) && b[j] == '_' {
				j++
			}
		}
		if i == len(a) || j == len(b) {
			return i == len(a) && j == len(b)
		}
		if lowerASCII(a[i]) != lowerASCII(b[j]) {
			return false
		}
		i++
		j++
	}
}

// coreEntityTypes are the entity types civicrm-core declares, each by its
// schema file (<dir>/<name>.entityType.php: 'name' and 'table'), what
// CRM_Core_DAO_AllCoreTables::getEntityNameForTable looks a table up in,
// exactly. table is set where it is not civicrm_ and the name in snake
// case (as SameEntity compares: case and underscores ignored); the others
// are found by that. Standalone's User shares civicrm_uf_match with
// UFMatch (entityNames): the table is the name whose data is both's.
// Older releases' names for the same tables (schema/ACL/Cache, SMS's
// Provider, Worldregion) compare the same or were renamed with their
// tables kept; an extension's entity (ECK's, CiviSEPA's civicrm_sdd_*) is
// none of these.
var coreEntityTypes = [...]struct{ name, dir, table string }{
	{"ACL", "schema/ACL", ""},
	{"ACLCache", "schema/ACL", ""},
	{"ACLEntityRole", "schema/ACL", ""},
	{"Activity", "schema/Activity", ""},
	{"ActivityContact", "schema/Activity", ""},
	{"Batch", "schema/Batch", ""},
	{"EntityBatch", "schema/Batch", ""},
	{"Campaign", "schema/Campaign", ""},
	{"CampaignGroup", "schema/Campaign", ""},
	{"Survey", "schema/Campaign", ""},
	{"Case", "schema/Case", ""},
	{"CaseActivity", "schema/Case", ""},
	{"CaseContact", "schema/Case", ""},
	{"CaseType", "schema/Case", ""},
	{"ACLContactCache", "schema/Contact", ""},
	{"Contact", "schema/Contact", ""},
	{"ContactType", "schema/Contact", ""},
	{"DashboardContact", "schema/Contact", ""},
	{"Group", "schema/Contact", ""},
	{"GroupContact", "schema/Contact", ""},
	{"GroupContactCache", "schema/Contact", ""},
	{"GroupNesting", "schema/Contact", ""},
	{"GroupOrganization", "schema/Contact", ""},
	{"Relationship", "schema/Contact", ""},
	{"RelationshipCache", "schema/Contact", ""},
	{"RelationshipType", "schema/Contact", ""},
	{"SavedSearch", "schema/Contact", ""},
	{"SubscriptionHistory", "schema/Contact", ""},
	{"Contribution", "schema/Contribute", ""},
	{"ContributionPage", "schema/Contribute", ""},
	{"ContributionProduct", "schema/Contribute", ""},
	{"ContributionRecur", "schema/Contribute", ""},
	{"ContributionSoft", "schema/Contribute", ""},
	{"PaymentCompletionMetadata", "schema/Contribute", ""},
	{"Premium", "schema/Contribute", "civicrm_premiums"},
	{"PremiumsProduct", "schema/Contribute", ""},
	{"Product", "schema/Contribute", ""},
	{"Widget", "schema/Contribute", "civicrm_contribution_widget"},
	{"ActionLog", "schema/Core", ""},
	{"ActionSchedule", "schema/Core", ""},
	{"Address", "schema/Core", ""},
	{"AddressFormat", "schema/Core", ""},
	{"Cache", "schema/Core", ""},
	{"Component", "schema/Core", ""},
	{"Country", "schema/Core", ""},
	{"County", "schema/Core", ""},
	{"CustomField", "schema/Core", ""},
	{"CustomGroup", "schema/Core", ""},
	{"Dashboard", "schema/Core", ""},
	{"Discount", "schema/Core", ""},
	{"Domain", "schema/Core", ""},
	{"Email", "schema/Core", ""},
	{"EntityFile", "schema/Core", ""},
	{"EntityTag", "schema/Core", ""},
	{"Extension", "schema/Core", ""},
	{"File", "schema/Core", ""},
	{"IM", "schema/Core", ""},
	{"ImportTemplateField", "schema/Core", ""},
	{"Job", "schema/Core", ""},
	{"JobLog", "schema/Core", ""},
	{"LocBlock", "schema/Core", ""},
	{"LocationType", "schema/Core", ""},
	{"Log", "schema/Core", ""},
	{"MailSettings", "schema/Core", ""},
	{"Managed", "schema/Core", ""},
	{"Mapping", "schema/Core", ""},
	{"MappingField", "schema/Core", ""},
	{"Menu", "schema/Core", ""},
	{"MessageTemplate", "schema/Core", "civicrm_msg_template"},
	{"Navigation", "schema/Core", ""},
	{"Note", "schema/Core", ""},
	{"OpenID", "schema/Core", ""},
	{"OptionGroup", "schema/Core", ""},
	{"OptionValue", "schema/Core", ""},
	{"Phone", "schema/Core", ""},
	{"PreferencesDate", "schema/Core", ""},
	{"PrevNextCache", "schema/Core", ""},
	{"PrintLabel", "schema/Core", ""},
	{"RecurringEntity", "schema/Core", ""},
	{"Setting", "schema/Core", ""},
	{"SiteEmailAddress", "schema/Core", ""},
	{"SiteToken", "schema/Core", ""},
	{"StateProvince", "schema/Core", ""},
	{"StatusPreference", "schema/Core", "civicrm_status_pref"},
	{"SystemLog", "schema/Core", ""},
	{"Tag", "schema/Core", ""},
	{"Timezone", "schema/Core", ""},
	{"Translation", "schema/Core", ""},
	{"TranslationSource", "schema/Core", ""},
	{"UFField", "schema/Core", ""},
	{"UFGroup", "schema/Core", ""},
	{"UFJoin", "schema/Core", ""},
	{"User", "schema/Core/UFMatch and ext/standaloneusers/schema/User", "civicrm_uf_match"},
	{"UserJob", "schema/Core", ""},
	{"Website", "schema/Core", ""},
	{"WordReplacement", "schema/Core", ""},
	{"WorldRegion", "schema/Core", ""},
	{"Cxn", "schema/Cxn", ""},
	{"DedupeException", "schema/Dedupe", ""},
	{"DedupeRule", "schema/Dedupe", ""},
	{"DedupeRuleGroup", "schema/Dedupe", ""},
	{"Event", "schema/Event", ""},
	{"Participant", "schema/Event", ""},
	{"ParticipantPayment", "schema/Event", ""},
	{"ParticipantStatusType", "schema/Event", ""},
	{"Currency", "schema/Financial", ""},
	{"EntityFinancialAccount", "schema/Financial", ""},
	{"EntityFinancialTrxn", "schema/Financial", ""},
	{"FinancialAccount", "schema/Financial", ""},
	{"FinancialItem", "schema/Financial", ""},
	{"FinancialTrxn", "schema/Financial", ""},
	{"FinancialType", "schema/Financial", ""},
	{"PaymentProcessor", "schema/Financial", ""},
	{"PaymentProcessorType", "schema/Financial", ""},
	{"PaymentToken", "schema/Financial", ""},
	{"PaymentprocessorWebhook", "schema/Financial", ""},
	{"Friend", "schema/Friend", "civicrm_tell_friend"},
	{"BouncePattern", "schema/Mailing", "civicrm_mailing_bounce_pattern"},
	{"BounceType", "schema/Mailing", "civicrm_mailing_bounce_type"},
	{"Mailing", "schema/Mailing", ""},
	{"MailingAB", "schema/Mailing", "civicrm_mailing_abtest"},
	{"MailingComponent", "schema/Mailing", ""},
	{"MailingEventBounce", "schema/Mailing", ""},
	{"MailingEventConfirm", "schema/Mailing", ""},
	{"MailingEventDelivered", "schema/Mailing", ""},
	{"MailingEventForward", "schema/Mailing", ""},
	{"MailingEventOpened", "schema/Mailing", ""},
	{"MailingEventQueue", "schema/Mailing", ""},
	{"MailingEventReply", "schema/Mailing/Event", ""},
	{"MailingEventSubscribe", "schema/Mailing", ""},
	{"MailingEventTrackableURLOpen", "schema/Mailing", ""},
	{"MailingEventUnsubscribe", "schema/Mailing", ""},
	{"MailingGroup", "schema/Mailing", ""},
	{"MailingJob", "schema/Mailing", ""},
	{"MailingRecipients", "schema/Mailing", ""},
	{"MailingTrackableURL", "schema/Mailing", ""},
	{"Spool", "schema/Mailing", "civicrm_mailing_spool"},
	{"Membership", "schema/Member", ""},
	{"MembershipBlock", "schema/Member", ""},
	{"MembershipLog", "schema/Member", ""},
	{"MembershipPayment", "schema/Member", ""},
	{"MembershipStatus", "schema/Member", ""},
	{"MembershipType", "schema/Member", ""},
	{"PCP", "schema/PCP", ""},
	{"PCPBlock", "schema/PCP", ""},
	{"Pledge", "schema/Pledge", ""},
	{"PledgeBlock", "schema/Pledge", ""},
	{"PledgePayment", "schema/Pledge", ""},
	{"LineItem", "schema/Price", ""},
	{"PriceField", "schema/Price", ""},
	{"PriceFieldValue", "schema/Price", ""},
	{"PriceSet", "schema/Price", ""},
	{"PriceSetEntity", "schema/Price", ""},
	{"Queue", "schema/Queue", ""},
	{"QueueItem", "schema/Queue", ""},
	{"ReportInstance", "schema/Report", ""},
	{"SmsProvider", "schema/SMS", ""},
	// Core's extensions (ext/<ext>/schema).
	{"AfformFilterSet", "ext/afform/core/schema", ""},
	{"AfformSubmission", "ext/afform/core/schema", ""},
	{"SearchParamSet", "ext/afform/core/schema", ""},
	{"Grant", "ext/civigrant/schema", ""},
	{"Cart", "ext/eventcart/schema (schema/Event/Cart before)", "civicrm_event_carts"},
	{"EventCartParticipant", "ext/eventcart/schema", ""},
	{"EventInCart", "ext/eventcart/schema (schema/Event/Cart before)", "civicrm_events_in_carts"},
	{"OAuthClient", "ext/oauth-client/schema", ""},
	{"OAuthContactToken", "ext/oauth-client/schema", ""},
	{"OAuthSysToken", "ext/oauth-client/schema", ""},
	{"EmailMessage", "ext/postbox/schema", ""},
	{"RiverleaStream", "ext/riverlea/schema", ""},
	{"SearchDisplay", "ext/search_kit/schema", ""},
	{"SearchSegment", "ext/search_kit/schema", ""},
	{"Role", "ext/standaloneusers/schema", ""},
	{"Session", "ext/standaloneusers/schema", ""},
	{"Totp", "ext/standaloneusers/schema", ""},
	{"UserRole", "ext/standaloneusers/schema", ""},
}

// coreTables maps each of coreEntityTypes' tables to its name: a table
// given exactly, the others by foldedKey of their name (civicrm_ and the
// name in snake case, which foldedKey of the table's rest meets).
var coreTables = func() (m struct{ exact, folded map[string]string }) {
	m.exact, m.folded = map[string]string{}, map[string]string{}
	for _, e := range coreEntityTypes {
		if e.table != "" {
			m.exact[e.table] = e.name
		} else {
			m.folded[foldedKey(e.name)] = e.name
		}
	}
	return m
}()

// EntityForTable is the entity CRM_Core_DAO_AllCoreTables::getEntityNameForTable
// gives an SQL table name: the civicrm-core entity type whose table it is
// (coreEntityTypes; civicrm_contact is Contact, civicrm_status_pref
// StatusPreference). known is false where the edge cannot tell, rather
// than a name guessed from the table: a table no core entity type has (an
// extension's, ECK's civicrm_eck_*, CiviSEPA's civicrm_sdd_mandate, whose
// entity is SepaMandate; a custom group's civicrm_value_*, named by the
// site), one not made of lower-case name characters after civicrm_ (on a
// multilingual site getEntityNameForTable first removes the locale,
// "_en_US", from anywhere in it), or none.
func EntityForTable(table string) (entity string, known bool) {
	if e, ok := coreTables.exact[table]; ok {
		return e, true
	}
	rest, ok := strings.CutPrefix(table, "civicrm_")
	if !ok || rest == "" {
		return "", false
	}
	for i := 0; i < len(rest); i++ {
		if c := rest[i]; !('a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_') {
			return "", false
		}
	}
	e, ok := coreTables.folded[foldedKey(rest)]
	return e, ok
}
