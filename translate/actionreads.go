package translate

import (
	"slices"
	"strings"
)

// Actions that read rows without being named get: each runs a get of its
// own entity (reported as runs.go reports the calls an action runs under
// its own name, so a rule on get covers it) and reads other entities'
// rows, reported one level below the call as a join's read is (Via set to
// what names them), each from CiviCRM's code for it:
//
//   - APIv3 Contact.duplicatecheck (api/v3/Contact.php): getDuplicateContacts
//     on `match`, which matches the dedupe rule's fields in the tables
//     CRM_Dedupe_BAO_DedupeRuleGroup::supportedFields names (Address,
//     Email, Phone, Website, OpenID, IM, Note, the contact's custom
//     groups), then Contact.get of the matches with `return`; which of those
//     tables a rule reads is the site's configuration, so all of them are
//     reported;
//   - APIv3 Contact.proximity: civicrm_contact joined to civicrm_address,
//     filtered by the address's coordinates;
//   - Contact's getmergedto and getmergedfrom (APIv3, and APIv4's
//     getMergedTo and getMergedFrom): ActivityContact.get and Activity.get
//     of the merge activities, answered with contact ids;
//   - APIv4 getDuplicates of a contact entity (GetDuplicates.php):
//     findDuplicates with `values` sorted by table (formatDedupeParams:
//     email_primary., phone_primary., address_primary. and im_primary. are
//     that entity's fields, <Group>.<field> a custom group's, the rest
//     civicrm_contact's), the dedupe rule group read by DedupeRuleGroup.get;
//   - APIv4 export (ExportAction): get of the record with its foreign keys'
//     names, then of every managed record that references it (what those
//     are, the edge cannot tell);
//   - APIv3 getoptions of a field whose options are another entity's rows
//     (campaign_id's from Campaign.get, civicrm_api3_generic_getoptions;
//     the others' from the BAO's pseudoconstant table), under any name
//     _civicrm_api3_api_resolve_alias resolves to it (v3OptionsTarget), and
//     getfields and getfield loading its options: the entities APIv4's
//     getFields with loadOptions reports for the same field;
//   - APIv3 Profile.get (and its get* wrappers) and APIv4 Afform.prefill:
//     the fields of the profile or the entities of the form the client
//     names, which the site configures: a read the edge cannot name;
//   - APIv3 Contact.getquick, and Contact.quicksearch, which runs it
//     (api/v3/Contact.php): a search of contacts that reads the primary
//     e-mail, phone and address by the site's settings (autocomplete.go);
//   - APIv3 Mailing.clone (getsingle, then create of the copy) and
//     Mailing.submit (create with the id and options.reload);
//   - a contact merge (APIv3 Contact.merge, APIv4 mergeDuplicates; APIv3
//     Job.process_batch_merge, whose merges are writes of Contact):
//     CRM_Dedupe_Merger's get, update and delete of the contacts and what
//     it does to others (merges); Job.execute runs whatever scheduled jobs
//     are due, calls the edge cannot name;
//   - APIv4 revert of a managed entity (a BasicBatchAction): get on where,
//     then update of each row;
//   - form submissions (APIv4 Afform.submit and its siblings, APIv3
//     Profile.submit): writes of the entities the site's form declares
//     (formsubmits.go);
//   - calls that run another entity's action as their own, judged as that
//     call: APIv3 Case.activity_create (Activity.create), and Order.create
//     of either version (Contribution.create with the order's contribution
//     values, after the writes its line items name: v3OrderLines, v4OrderLines,
//     and APIv4's recurring contribution: v4OrderRecur).
//
// APIv3's other get* actions are get already (genericAction). APIv4's
// checkAccess and getLinks read no rows (an access check of the caller's
// values, link metadata); actions not listed keep their treatment.

// dedupeEntities are the entities whose tables a dedupe rule may match
// (supportedFields), CustomValue for the contact's custom groups.
var dedupeEntities = [...]string{"Address", "Email", "Phone", "Website", "OpenID", "IM", "Note", "CustomValue"}

// mergeActivities are what getmergedto and getmergedfrom read.
var mergeActivities = [...]string{"ActivityContact", "Activity"}

// v3ActionReads reports what an APIv3 action listed above runs; handled
// is false for the others.
func (w *walker) v3ActionReads(sc, child Subcall) (ok, handled bool) {
	s := &joinScan{w: w, parent: sc, ok: true, v3: true}
	switch {
	case sc.Action == "getoptions":
		// civicrm_api3_generic_getoptions: the options of the field
		// _civicrm_api3_api_resolve_alias makes of `field` (campaign_id's
		// from Campaign.get, the others' from the BAO's pseudoconstant).
		if name, ok := item(sc.Params, "field").(string); ok {
			if t, f := v3OptionsTarget(sc.Entity, name); t != "" {
				s.carried(t, false, f, nil)
			}
		}
		return s.ok, true
	case sc.Action == "getfields":
		for _, t := range v3GetOptionsTargets(sc.Entity, sc.Params) {
			if !s.carried(t, false, "get_options", nil) {
				break
			}
		}
		return s.ok, true
	case sc.Action == "getfield":
		// civicrm_api3_generic_getfield resolves `name` as getoptions
		// resolves `field`, and with get_options isset runs getfields
		// loading that field's options.
		name, _ := item(sc.Params, "name").(string)
		if v, ok := sc.Params.Get("get_options"); ok && v != nil {
			if t, _ := v3OptionsTarget(sc.Entity, name); t != "" {
				s.carried(t, false, "get_options", nil)
			}
		}
		return s.ok, true
	case SameEntity(sc.Entity, "Mailing") && sc.Action == "clone":
		// civicrm_api3_mailing_clone: Mailing.getsingle of the id, its
		// MailingGroup rows, then Mailing.create of the copy, which
		// writes the copy's MailingGroup rows.
		return w.implied(sc, child, "get") && s.carried("MailingGroup", false, "clone", nil) &&
			w.implied(sc, child, "create") && s.wrote("MailingGroup", false, "create"), true
	case SameEntity(sc.Entity, "Mailing") && sc.Action == "submit":
		// civicrm_api3_mailing_submit: Mailing.create with the id and
		// options.reload, an update and a get.
		return w.implied(sc, child, "update") && w.implied(sc, child, "get"), true
	case SameEntity(sc.Entity, "Contact") && sc.Action == "merge":
		return w.implied(sc, child, "get") && w.implied(sc, child, "update") &&
			w.implied(sc, child, "delete") && s.merges(false), true
	case SameEntity(sc.Entity, "Job") && strings.ReplaceAll(sc.Action, "_", "") == "processbatchmerge":
		return s.carried("DedupeRuleGroup", false, "rule_group_id", nil) && s.merges(true), true
	case SameEntity(sc.Entity, "Job") && sc.Action == "execute":
		return s.scheduledJobs(), true
	case SameEntity(sc.Entity, "Profile") && (sc.Action == "submit" || sc.Action == "set"):
		// civicrm_api3_profile_set is the deprecated name of submit: it
		// returns civicrm_api3('profile', 'submit', $params).
		return s.formWrites(), true // formsubmits.go
	case SameEntity(sc.Entity, "Case") && sc.Action == "activity_create":
		// civicrm_api3_case_activity_create is the deprecated name of
		// Activity.create: it returns civicrm_api3_activity_create($params).
		// Judged as that call with the same parameters (not as something
		// Case.activity_create starts: an allow rule on Case does not admit
		// it), its activity contacts and case link included; the chains
		// are the client's call's, walked there.
		c := child
		c.Entity, c.Action, c.Implied = "Activity", "create", ""
		c.Params, c.ChecksOff, c.chainParent = withoutChains(sc.Params), sc.ChecksOff, sc.chainParent
		return w.call(c, true), true
	case SameEntity(sc.Entity, "Order") && sc.Action == "create":
		// civicrm_api3_order_create first saves the participants and
		// memberships its line items' params name (v3OrderLines), then
		// the order's contribution with civicrm_api3('Contribution',
		// 'create', $params), its parameters but the api* keys. Judged
		// as that call, as Case.activity_create is, so what a
		// contribution's fields write (fieldwrites.go) is what an
		// order's write; the chains are the order's own, walked there.
		if !w.v3OrderLines(sc, child) {
			return false, true
		}
		c := child
		c.Entity, c.Action, c.Implied = "Contribution", "create", ""
		c.Params, c.ChecksOff, c.chainParent = withoutChains(sc.Params), sc.ChecksOff, sc.chainParent
		return w.call(c, true), true
	case SameEntity(sc.Entity, "Profile") && genericAction(sc.Action) == "get":
		// civicrm_api3_profile_get answers the fields of the profiles
		// profile_id names, of whatever entities the site configured
		// them on (the contact's, its location blocks', a component's,
		// custom groups'): one read the edge cannot name, the call's own
		// answer (getsingle and the other get* wrappers run this get).
		if sc.Action != "get" && !w.implied(sc, child, "get") {
			return false, true
		}
		s.ownAnswer = true
		return s.carried("", true, "profile_id", nil), true
	case !SameEntity(sc.Entity, "Contact"):
		return true, false
	}
	switch sc.Action {
	case "duplicatecheck":
		if _, isArr := arrayParam(sc.Params, "match"); !isArr {
			return true, true // an exception before anything runs
		}
		if !w.implied(sc, child, "get") {
			return false, true
		}
		for _, e := range dedupeEntities {
			s.carried(e, false, "match", nil)
		}
	case "getquick", "quicksearch":
		// civicrm_api3_contact_quicksearch runs getquick, a search of
		// contacts (autocomplete.go's quickSearch).
		if sc.Action == "quicksearch" && !w.implied(sc, child, "getquick") {
			return false, true
		}
		if !w.implied(sc, child, "get") {
			return false, true
		}
		s.quickSearch(sc.Params)
	case "proximity":
		if !w.implied(sc, child, "get") {
			return false, true
		}
		s.carried("Address", false, "proximity", nil)
	case "getmergedto", "getmergedfrom":
		if !w.implied(sc, child, "get") {
			return false, true
		}
		for _, e := range mergeActivities {
			s.carried(e, false, sc.Action, nil)
		}
	default:
		return true, false
	}
	return s.ok, true
}

// v4ActionReads is v3ActionReads for APIv4.
func (w *walker) v4ActionReads(sc, child Subcall) (ok, handled bool) {
	action := NormalAction(sc.Action)
	contact := false
	for _, e := range contactEntities {
		contact = contact || sameEntityName(sc.Entity, e)
	}
	s := &joinScan{w: w, parent: sc, ok: true}
	if ok, handled := s.v4FormSubmit(sc); handled {
		return ok, true // formsubmits.go
	}
	switch {
	case action == "getduplicates" && contact:
		if !w.implied(sc, child, "get") {
			return false, true
		}
		s.carried("DedupeRuleGroup", false, "dedupeRule", nil)
		if values, isArr := arrayParam(sc.Params, "values"); isArr {
			s.dedupeValues(values)
		}
	case (action == "getmergedto" || action == "getmergedfrom") && contact:
		if !w.implied(sc, child, "get") {
			return false, true
		}
		for _, e := range mergeActivities {
			s.carried(e, false, sc.Action, nil)
		}
	case action == "mergeduplicates" && contact:
		return w.implied(sc, child, "get") && w.implied(sc, child, "update") &&
			w.implied(sc, child, "delete") && s.merges(false), true
	case action == "export":
		if !w.implied(sc, child, "get") {
			return false, true
		}
		s.carried("", true, "export", nil)
	case action == "prefill" && sameEntityName(sc.Entity, "Afform"):
		// Afform's Prefill: the entities the form named by `name`
		// declares, loaded with its own permission model; which, the
		// site's configuration says: one read the edge cannot name, the
		// call's own answer.
		s.ownAnswer = true
		s.carried("", true, "name", nil)
	case action == "create" && sameEntityName(sc.Entity, "Order"):
		// Civi\Api4\Action\Order\Create: CRM_Financial_BAO_Order::save
		// creates the recurring contribution contributionRecurValues
		// describe (v4OrderRecur), saves what each line item names
		// (v4OrderLines), then runs Contribution::create() (permission
		// checks on) with the contributionValues, as APIv3's Order.create
		// runs Contribution.create: judged as that call, linked to the
		// recurring contribution where there is one.
		values, isArr := arrayParam(sc.Params, "contributionValues")
		recur := w.v4OrderRecur(sc, child)
		if recur == recurRefused || !w.v4OrderLines(sc, child, values, recur == recurCreated) {
			return false, true
		}
		c := child
		c.Entity, c.Action, c.Implied = "Contribution", "create", ""
		c.Params = NewArray()
		if recur == recurCreated {
			values = linkedToRecur(values)
			isArr = true
		}
		if isArr {
			c.Params.Set("values", values)
		}
		return w.call(c, false), true
	case action == "revert":
		// ManagedEntity::revert, a BasicBatchAction: get on where, then
		// each row rewritten from its managed declaration.
		return w.implied(sc, child, "get") && w.implied(sc, child, "update"), true
	default:
		return true, false
	}
	return s.ok, true
}

// dedupeValues reports the tables formatDedupeParams files getDuplicates'
// values under: a location prefix's entity, and the custom group of a
// <Group>.<field> key (getCustomFieldInfo, a ":suffix" aside), also after
// a prefix; custom_N is some custom group's. Other keys are the contact's
// own (a foreign key's path is no custom field and matches no column).
func (s *joinScan) dedupeValues(values *Array) {
	seen := map[string]bool{}
	read := func(entity string) {
		if seen[entity] {
			return
		}
		seen[entity] = true
		if !entityName(entity) {
			s.carried("", true, "values", nil)
			return
		}
		s.carried(entity, false, "values", nil)
	}
	for i := 0; i < values.Len() && s.ok; i++ {
		key, _, _ := strings.Cut(values.Key(i), ":")
		if isCustomN(key) {
			read("CustomValue")
			continue
		}
		first, rest, dotted := strings.Cut(key, ".")
		if !dotted {
			continue
		}
		if e, ok := dedupeLocations[first]; ok {
			read(e)
			first, _, dotted = strings.Cut(rest, ".")
			if !dotted {
				continue
			}
		} else if _, fk := fkTargets[first]; fk {
			continue
		}
		if first != "" {
			read(customPrefix + first)
		}
	}
}

// dedupeLocations are formatDedupeParams' prefixes (primary records only).
var dedupeLocations = map[string]string{
	"email_primary": "Email", "phone_primary": "Phone", "address_primary": "Address", "im_primary": "IM",
}

// mergeLocations are the location blocks CRM_Dedupe_Merger reads through
// the API (getRowsElementsAndInfo: civicrm_api3($block, 'get') of both
// contacts) and moves or deletes (mergeLocations, with DAOs).
var mergeLocations = [...]string{"Address", "Email", "IM", "Phone", "Website"}

// merges reports what CRM_Dedupe_Merger::merge does to other entities
// than the merged contacts' own get, update and delete (reported by the
// caller: for a Contact action under its own name, for a Job's batch
// merge as writes of Contact, batch set): the location blocks read and
// moved or deleted, the custom values read and copied
// (CustomValueTable, moveContactBelongings' custom tables) and the two
// merge activities created (createMergeActivities, civicrm_api3('activity',
// 'create')). Its other writes are SQL over every table that references
// the deleted contact (moveContactBelongings), which the edge cannot list.
func (s *joinScan) merges(batch bool) bool {
	if batch {
		s.carried("Contact", false, "merge", nil)
		for _, a := range [...]string{"update", "delete"} {
			s.wrote("Contact", false, a)
		}
	}
	for _, e := range mergeLocations {
		s.carried(e, false, "merge", nil)
		s.wrote(e, false, "update")
		s.wrote(e, false, "delete")
	}
	s.carried("CustomValue", false, "merge", nil)
	for _, a := range [...]string{"create", "update", "delete"} {
		s.wrote("CustomValue", false, a)
	}
	return s.wrote("Activity", false, "create")
}

// scheduledJobs reports what APIv3 Job.execute runs: every scheduled job
// that is due (CRM_Core_JobManager::execute), each an API call the site
// configures (the batch merge, mailings, membership updates, clean-ups…),
// which the edge cannot name: one call of unknown entity and action.
func (s *joinScan) scheduledJobs() bool {
	p := s.parent
	sc := Subcall{Version: 3, EntityDynamic: true, ActionDynamic: true, ParamsUnknown: true,
		Depth: p.Depth + 1, InBatch: p.InBatch, Member: p.Member, StartedBy: p.Entity, StartedByAction: impliedBy(p)}
	sc.Truncated = sc.Depth > MaxSubcallDepth
	s.ok = s.ok && s.w.visit(sc)
	return s.ok
}

// v3GetOptionsTargets are the entities whose rows an APIv3 getfields
// loads as options: options.get_options names the fields whose options it
// loads (civicrm_api3_generic_getfields runs getoptions for each, a list or
// a comma-separated string), "all" every field with options, as APIv4's
// getFields with loadOptions lists them (tableOptions). Each entity
// once, in order.
func v3GetOptionsTargets(entity string, params *Array) []string {
	options, ok := arrayParam(params, "options")
	if !ok {
		return nil
	}
	var names []string
	switch x := item(options, "get_options").(type) {
	case string:
		names = strings.Split(x, ",")
	case *Array:
		for i := 0; i < x.Len(); i++ {
			if f, ok := x.Value(i).(string); ok {
				names = append(names, f)
			}
		}
	}
	var out []string
	add := func(t string) {
		if t != "" && !slices.Contains(out, t) {
			out = append(out, t)
		}
	}
	for _, n := range names {
		if n = strings.TrimSpace(n); n == "all" {
			for _, o := range tableOptions[entityFieldKey(entity)] {
				add(o.entity)
			}
			continue
		}
		t, _ := v3OptionsTarget(entity, n)
		add(t)
	}
	return out
}

// withoutChains is params without its APIv3 chains (api.* and api_* keys,
// v3Chains): a copy, or params itself when it has none.
func withoutChains(params *Array) *Array {
	chain := func(k string) bool { return len(k) >= 4 && k[:3] == "api" && (k[3] == '.' || k[3] == '_') }
	if !slices.ContainsFunc(params.Keys(), chain) {
		return params
	}
	out := NewArray()
	for i := 0; i < params.Len(); i++ {
		if k := params.Key(i); !chain(k) {
			out.Set(k, params.Value(i))
		}
	}
	return out
}

// Order.create's line items save other entities before the contribution,
// each a call CiviCRM makes with what the client gave, judged as that call
// (not as something the order starts: an allow rule on Order does not
// admit it), its chains, field writes, lookups and cache invalidation
// included.
//
// Which entity a line is for: CRM_Financial_BAO_Order::setLineItem makes
// a line with a non-empty membership_type_id a civicrm_membership line
// whatever its entity_table says, and gives a line that does not set
// membership_type_id (isset) the membership type of its
// price_field_value_id, which the edge cannot see: such a line may be a
// membership's too (orderLineMembership).

// v3OrderLines reports what civicrm_api3_order_create saves for
// line_items: each element with non-empty `params` whose line_item
// names a participant or a membership line (getLineItemEntity:
// entity_table with every "civicrm_" removed, or a membership line as
// above) creates it with those params: civicrm_api3('Participant',
// 'create', $params), and for a membership Membership::save on 6.x
// (civicrm_api3('Membership', 'create', $params) before), as Order's
// own call (its check_permissions). Judged as the APIv3 create of the
// entity with the params, chains included: civicrm_api3() runs the
// kernel, whose ChainSubscriber runs them (the APIv4 save of 6.x runs
// none: the older releases' reading is the wider one). The entity is
// the one of the element's last line on 6.x (addLineItemToEntityParameters)
// and of its first before: every line's counts.
func (w *walker) v3OrderLines(sc, child Subcall) bool {
	groups, _ := arrayParam(sc.Params, "line_items")
	for i := 0; i < groups.Len(); i++ {
		g, _ := groups.Value(i).(*Array)
		params, isArr := arrayParam(g, "params")
		if !isArr || params.Len() == 0 {
			continue // !empty($lineItems['params'])
		}
		lines, _ := arrayParam(g, "line_item")
		participant, membership := false, false
		for j := 0; j < lines.Len(); j++ {
			line, _ := lines.Value(j).(*Array)
			table, _ := item(line, "entity_table").(string)
			switch strings.ReplaceAll(table, "civicrm_", "") {
			case "participant":
				participant = true
			case "membership":
				membership = true
			}
			membership = membership || orderLineMembership(line)
		}
		for _, e := range [...]struct {
			name string
			on   bool
		}{{"Participant", participant}, {"Membership", membership}} {
			if !e.on {
				continue
			}
			c := child
			c.Entity, c.Action, c.Implied = e.name, "create", ""
			c.Params, c.ChecksOff = params, v3ChecksOff(params)
			if !w.call(c, true) {
				return false
			}
		}
	}
	return true
}

// orderLineMembership: a line CRM_Financial_BAO_Order::setLineItem may
// make a membership's: a non-empty membership_type_id, or none set and a
// non-empty price_field_value_id (the price option's membership type).
func orderLineMembership(line *Array) bool {
	mt, ok := line.Get("membership_type_id")
	if ok && mt != nil {
		return !PHPEmpty(mt)
	}
	return !PHPEmpty(item(line, "price_field_value_id"))
}

// What an APIv4 Order.create's contributionRecurValues made of it
// (v4OrderRecur).
const (
	recurNone = iota
	recurCreated
	recurRefused
)

// v4OrderRecur reports the recurring contribution an APIv4 Order.create
// creates: Civi\Api4\Action\Order\Create::getContributionRecurValues
// gives a non-empty contributionRecurValues array (an empty one, or none,
// is no recurring contribution; the property is ?array, so anything else
// fails the call) to CRM_Financial_BAO_Order::setContributionRecurValues,
// formatted as the values of a ContributionRecur create
// (formatWriteValues($values, 'ContributionRecur', 'create')), and save()
// creates it before the contribution and links the contribution and the
// order's membership to it (their contribution_recur_id: linkedToRecur).
// Judged as the APIv4 ContributionRecur.create with those values (what its
// fields write and look up included), the order's own call, as its line
// items' saves are.
func (w *walker) v4OrderRecur(sc, child Subcall) int {
	values, isArr := arrayParam(sc.Params, "contributionRecurValues")
	if !isArr || values.Len() == 0 {
		return recurNone
	}
	c := child
	c.Entity, c.Action, c.Implied = "ContributionRecur", "create", ""
	c.Params = NewArray()
	c.Params.Set("values", values)
	if !w.call(c, false) {
		return recurRefused
	}
	return recurCreated
}

// newRecurID stands for the id of the recurring contribution an order
// creates, which the edge cannot see: some positive integer.
const newRecurID = Number("1")

// linkedToRecur is a copy of a record CRM_Financial_BAO_Order::save saves
// linked to the recurring contribution it created: contribution_recur_id
// set (on a contribution, CRM_Contribute_BAO_Contribution::add then
// updates the recurring contribution: fieldwrites.go).
func linkedToRecur(record *Array) *Array {
	out := NewArray()
	if record != nil {
		out = record.Clone()
	}
	out.Set("contribution_recur_id", newRecurID)
	return out
}

// v4OrderLines reports what CRM_Financial_BAO_Order::save saves for the
// lineItems of an APIv4 Order.create: for each line whose entity_table is
// not civicrm_contribution, saveLineItemEntity runs civicrm_api4($entity,
// 'save', ['records' => [$entityValues]]) (permission checks on), the
// entity getEntityNameForTable gives entity_table (EntityForTable; one
// the edge cannot tell is a save of an entity it cannot name), and for a
// membership line (orderLineMembership) Membership. The record: id from
// a non-empty entity_id, each entity_id.<field> of the line as <field>,
// a membership's membership_type_id, and, with no id, every
// contributionValues key the record does not set (CiviCRM keeps those
// that are the entity's fields, the edge does not know which: id among
// them makes it an update); nothing is saved when id is all it holds.
// With a recurring contribution (recur: v4OrderRecur) a membership's
// record is linked to it (linkedToRecur), so a membership line with only
// an id updates that membership. Judged as that save (runs.go: a create,
// or an update of the row).
func (w *walker) v4OrderLines(sc, child Subcall, contribution *Array, recur bool) bool {
	lines, _ := arrayParam(sc.Params, "lineItems")
	for i := 0; i < lines.Len(); i++ {
		line, isArr := lines.Value(i).(*Array)
		if !isArr {
			continue // a TypeError in setLineItem: nothing is saved
		}
		type target struct {
			entity  string
			dynamic bool
		}
		var targets []target
		if mt := item(line, "membership_type_id"); PHPEmpty(mt) {
			// entity_table stays the line's (a :suffix key is resolved
			// by formatWriteValues to a table the edge cannot tell).
			table, isStr := item(line, "entity_table").(string)
			switch {
			case slices.ContainsFunc(line.Keys(), func(k string) bool { return strings.HasPrefix(k, "entity_table:") }):
				targets = append(targets, target{dynamic: true})
			case !isStr || table == "civicrm_contribution":
			default:
				e, known := EntityForTable(table)
				targets = append(targets, target{e, !known})
			}
		}
		if orderLineMembership(line) {
			targets = append(targets, target{entity: "Membership"})
		}
		for _, t := range targets {
			record := NewArray()
			if id := item(line, "entity_id"); !PHPEmpty(id) {
				record.Set("id", id)
			}
			for j := 0; j < line.Len(); j++ {
				k := line.Key(j)
				if f, ok := strings.CutPrefix(k, "entity_id."); ok {
					record.Set(f, line.Value(j))
				}
				if k == "membership_type_id" && t.entity == "Membership" {
					record.Set(k, line.Value(j))
				}
			}
			if PHPEmpty(item(record, "id")) {
				for j := 0; j < contribution.Len(); j++ {
					if k := contribution.Key(j); !record.Has(k) {
						record.Set(k, contribution.Value(j))
					}
				}
			}
			if recur && t.entity == "Membership" {
				record = linkedToRecur(record)
			}
			if record.Len() == 1 && record.Has("id") {
				continue // "Nothing to save."
			}
			records := NewArray()
			records.Set("0", record)
			c := child
			c.Entity, c.EntityDynamic, c.Action, c.Implied = t.entity, t.dynamic, "save", ""
			c.Params = NewArray()
			c.Params.Set("records", records)
			if !w.call(c, false) {
				return false
			}
		}
	}
	return true
}
