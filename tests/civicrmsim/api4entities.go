package civicrmsim

import (
	"sort"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// APIv4 entities over the simulator's store: the same contacts, emails and
// groups APIv3 reads and writes, seen through APIv4's field names, types
// and permissions, plus notes.

// v4Row is one record as APIv4 types it: translate.Number for integers,
// bool, string, nil for NULL, *translate.Array for serialized lists.
type v4Row map[string]any

// v4Field is one field of an entity, as getFields describes it.
type v4Field struct {
	name     string
	dataType string // Integer, String, Text, Boolean, Date, Timestamp, Money
	title    string
	required bool // getFields' required (the "get" action)
	create   bool // mandatory on create ("Mandatory values missing")
	readonly bool
	fk       string            // entity an implicit join (field.other) reaches
	options  map[string]string // value → label (field:label)
	// optionsFrom is the entity whose rows are the options (a
	// pseudoconstant 'table': key id, name and label columns), read
	// when asked, so a write to it shows.
	optionsFrom string
	perm        string // permission needed to see the field
	custom      bool   // a custom field: not in "*", needs permCustomData
	calc        bool   // calculated: not in "*"
	serial      bool   // serialized list
}

// v4Entity is one APIv4 entity.
type v4Entity struct {
	name    string
	table   string // for debug SQL
	dao     bool   // DAO entity (DAOGetAction, join/groupBy/having)
	fields  []*v4Field
	actions []string // canonical names, sorted (getActions order)
	// perms are the coarse permissions by action (CRM_Core_Permission::
	// getEntityActionPermissions and the entity's own): every entry must
	// hold; a nil list means none. meta covers getActions and getFields,
	// default the rest.
	perms map[string][]string
	// rows lists every record in primary-key order; visible is the
	// row-level ACL for reads, editable for writes. All run with
	// Simulator.mu held.
	rows     func(s *Simulator) []v4Row
	visible  func(s *Simulator, p *principal, r v4Row) bool
	editable func(s *Simulator, p *principal, r v4Row) bool
	label    string // autocomplete's search and label field
	write    *v4Writer
	// where is a filter the entity always applies (contact subtypes).
	where func(r v4Row) bool
}

func (e *v4Entity) field(name string) *v4Field { return fieldIn(e.fields, name) }

func fieldIn(fields []*v4Field, name string) *v4Field {
	for _, f := range fields {
		if f.name == name {
			return f
		}
	}
	return nil
}

// storedField is a field a write stores (not calculated, not custom).
func storedField(fields []*v4Field, name string) *v4Field {
	if f := fieldIn(fields, name); f != nil && !f.calc && !f.custom {
		return f
	}
	return nil
}

// canSeeField is the field-level permission check.
func (f *v4Field) visibleTo(p *principal) bool {
	if f.custom && !p.has(permCustomData) {
		return false
	}
	return f.perm == "" || p.has(f.perm)
}

// has is a permission check for APIv4, where an anonymous caller (nil) has
// none.
func (p *principal) has(perm string) bool { return p != nil && p.user.HasPerm(perm) }

func (p *principal) cid() int64 {
	if p == nil {
		return 0
	}
	return p.contactID
}

// Option lists (pseudoconstants) of the recorded site.
var (
	genderOptions       = map[string]string{"1": "Female", "2": "Male", "3": "Other"}
	locationTypeOptions = map[string]string{"1": "Home", "2": "Work", "3": "Main", "4": "Other", "5": "Billing"}
	contactTypeOptions  = map[string]string{"Individual": "Individual", "Organization": "Organization", "Household": "Household"}
	onHoldOptions       = map[string]string{"0": "No", "1": "On Hold Bounce", "2": "On Hold Opt Out"}
	privacyOptions      = map[string]string{"0": "None", "1": "Author Only"}
	styleOptions        = map[string]string{"1": "Formal", "2": "Familiar"}
	languageOptions     = map[string]string{"en_US": "English (United States)", "en_GB": "English (United Kingdom)", "fr_FR": "French (France)"}
)

func fld(name, dataType string, mods ...func(*v4Field)) *v4Field {
	f := &v4Field{name: name, dataType: dataType, title: strings.ReplaceAll(strings.TrimSuffix(name, "_id"), "_", " ")}
	for _, m := range mods {
		m(f)
	}
	return f
}

func readonly(f *v4Field)       { f.readonly = true }
func required(f *v4Field)       { f.required, f.create = true, true }
func createRequired(f *v4Field) { f.create = true }
func calc(f *v4Field)           { f.calc = true }
func custom(f *v4Field)         { f.custom = true }
func serial(f *v4Field)         { f.serial = true }
func fk(entity string) func(*v4Field) {
	return func(f *v4Field) { f.fk = entity }
}
func optionsFrom(entity string) func(*v4Field) {
	return func(f *v4Field) { f.optionsFrom = entity }
}
func opts(o map[string]string) func(*v4Field) {
	return func(f *v4Field) { f.options = o }
}
func perm(p string) func(*v4Field) {
	return func(f *v4Field) { f.perm = p }
}

// contactFields are Contact's 67 fields (read-13 records the count and the
// first two; the rest follow the 6.17 schema: the civicrm_contact columns,
// the calculated fields, and four custom fields of the sample data, which
// a user without "access all custom data" does not see: 63 for the limited
// user, as the spec says).
var contactFields = []*v4Field{
	fld("id", "Integer", readonly), fld("contact_type", "String", opts(contactTypeOptions), createRequired),
	fld("external_identifier", "String"), fld("display_name", "String", readonly), fld("organization_name", "String"),
	fld("contact_sub_type", "String", serial), fld("first_name", "String"), fld("middle_name", "String"),
	fld("last_name", "String"), fld("do_not_email", "Boolean"), fld("do_not_phone", "Boolean"),
	fld("do_not_mail", "Boolean"), fld("do_not_sms", "Boolean"), fld("do_not_trade", "Boolean"),
	fld("is_opt_out", "Boolean"), fld("legal_identifier", "String"), fld("sort_name", "String", readonly),
	fld("nick_name", "String"), fld("legal_name", "String"), fld("image_URL", "Text"),
	fld("preferred_communication_method", "String", serial), fld("preferred_language", "String", opts(languageOptions)),
	fld("hash", "String", readonly), fld("api_key", "String", perm(permAdminister)), fld("source", "String"),
	fld("prefix_id", "Integer"), fld("suffix_id", "Integer"), fld("formal_title", "String"),
	fld("communication_style_id", "Integer", opts(styleOptions)), fld("email_greeting_id", "Integer"),
	fld("email_greeting_custom", "String"), fld("email_greeting_display", "String", readonly),
	fld("postal_greeting_id", "Integer"), fld("postal_greeting_custom", "String"),
	fld("postal_greeting_display", "String", readonly), fld("addressee_id", "Integer"), fld("addressee_custom", "String"),
	fld("addressee_display", "String", readonly), fld("job_title", "String"), fld("gender_id", "Integer", opts(genderOptions)),
	fld("birth_date", "Date"), fld("is_deceased", "Boolean"), fld("deceased_date", "Date"),
	fld("household_name", "String"), fld("primary_contact_id", "Integer", fk("Contact")), fld("sic_code", "String"),
	fld("user_unique_id", "String"), fld("employer_id", "Integer", fk("Contact")), fld("is_deleted", "Boolean"),
	fld("created_date", "Timestamp", readonly), fld("modified_date", "Timestamp", readonly),
	fld("preferred_mail_format", "String"),
	fld("age_years", "Integer", calc, readonly), fld("groups", "Integer", calc), fld("is_current_user", "Boolean", calc, readonly),
	fld("address_primary", "Integer", calc, readonly), fld("address_billing", "Integer", calc, readonly),
	fld("email_primary", "Integer", calc, readonly, fk("Email")), fld("email_billing", "Integer", calc, readonly, fk("Email")),
	fld("phone_primary", "Integer", calc, readonly), fld("phone_billing", "Integer", calc, readonly),
	fld("im_primary", "Integer", calc, readonly), fld("im_billing", "Integer", calc, readonly),
	fld("Constituent_Information.Most_Important_Issue", "String", custom),
	fld("Constituent_Information.Party_Registration", "String", custom),
	fld("Constituent_Information.Date_of_Last_Interview", "Date", custom),
	fld("Constituent_Information.Marital_Status", "String", custom),
}

var emailFieldsV4 = []*v4Field{
	fld("id", "Integer", readonly), fld("contact_id", "Integer", fk("Contact"), createRequired),
	fld("location_type_id", "Integer", opts(locationTypeOptions)), fld("email", "String", createRequired),
	fld("is_primary", "Boolean"), fld("is_billing", "Boolean"), fld("on_hold", "Integer", opts(onHoldOptions)),
	fld("is_bulkmail", "Boolean"), fld("hold_date", "Timestamp", readonly), fld("reset_date", "Timestamp", readonly),
	fld("signature_text", "Text"), fld("signature_html", "Text"),
}

// noteFields: read-12 records id, entity_id, note and subject.
var noteFields = []*v4Field{
	fld("id", "Integer", readonly), fld("entity_table", "String"), fld("entity_id", "Integer", required, fk("Contact")),
	fld("note", "Text", createRequired), fld("contact_id", "Integer", fk("Contact")), fld("note_date", "Timestamp"),
	fld("created_date", "Timestamp", readonly), fld("modified_date", "Timestamp", readonly),
	fld("subject", "String"), fld("privacy", "String", opts(privacyOptions)),
}

var contributionFields = []*v4Field{
	fld("id", "Integer", readonly), fld("contact_id", "Integer", required, fk("Contact")),
	fld("financial_type_id", "Integer", required), fld("receive_date", "Timestamp"), fld("total_amount", "Money", required),
	fld("currency", "String"), fld("contribution_status_id", "Integer"),
}

// daoActions are the actions of a plain DAO entity (read-15: Note).
var daoActions = []string{"autocomplete", "checkAccess", "create", "delete", "get", "getActions", "getFields",
	"getLinks", "replace", "save", "update"}

// contactActions: read-14.
var contactActions = []string{"autocomplete", "checkAccess", "create", "delete", "get", "getActions", "getChecksum",
	"getDuplicates", "getFields", "getLinks", "getMergedFrom", "getMergedTo", "mergeDuplicates", "replace", "save",
	"update", "validateChecksum"}

// contactPerms: Contact's get and update are open (row ACLs and record
// checks apply), create and delete need their permission.
var contactPerms = map[string][]string{
	"get": nil, "update": nil, "autocomplete": nil, "checkAccess": nil, "getMergedFrom": nil, "getMergedTo": nil,
	"validateChecksum": nil,
	"create":           {permAccessCiviCRM, permAddContacts}, "delete": {permAccessCiviCRM, permDeleteContacts},
	"meta": {permAccessCiviCRM}, "default": {permAdminister},
}

// openPerms: Email and Note leave every action to row ACLs and record
// checks (their permissions are empty, "managed by ACLs").
var openPerms = map[string][]string{"default": nil, "meta": {permAccessCiviCRM}}

var v4Entities = map[string]*v4Entity{}

func init() {
	contact := func(name string, where func(v4Row) bool) *v4Entity {
		return &v4Entity{name: name, table: "civicrm_contact", dao: true, fields: contactFields, actions: contactActions,
			perms: contactPerms, rows: contactV4Rows, visible: contactV4Visible, editable: contactV4Editable,
			label: "sort_name", write: contactWriter, where: where}
	}
	ofType := func(t string) func(v4Row) bool {
		return func(r v4Row) bool { return r["contact_type"] == t }
	}
	for _, e := range []*v4Entity{
		contact("Contact", nil),
		contact("Individual", ofType("Individual")),
		contact("Organization", ofType("Organization")),
		contact("Household", ofType("Household")),
		{name: "Email", table: "civicrm_email", dao: true, fields: emailFieldsV4, actions: daoActions, perms: openPerms,
			rows: emailV4Rows, visible: ownedByVisibleContact, editable: ownedByEditableContact, label: "email", write: emailWriter},
		{name: "Note", table: "civicrm_note", dao: true, fields: noteFields, actions: daoActions, perms: openPerms,
			rows: noteV4Rows, visible: noteVisible, editable: noteEditable, label: "subject", write: noteWriter},
		{name: "Contribution", table: "civicrm_contribution", dao: true, fields: contributionFields, actions: daoActions,
			perms: map[string][]string{"get": {permAccessCiviCRM, "access CiviContribute"},
				"delete":  {permAccessCiviCRM, "access CiviContribute", "delete in CiviContribute"},
				"default": {permAccessCiviCRM, "access CiviContribute", "edit contributions"}, "meta": {permAccessCiviCRM}},
			rows: func(*Simulator) []v4Row { return nil }, visible: ownedByVisibleContact, editable: ownedByEditableContact},
		settingEntity,
	} {
		v4Entities[e.name] = e
	}
}

// permissionsFor is AbstractAction::getPermissions: the action's own
// entry, else its generic one (getActions/getFields → meta, replace →
// delete, save → create), else default.
func (e *v4Entity) permissionsFor(action string) []string {
	if ps, ok := e.perms[action]; ok {
		return ps
	}
	generic := map[string]string{"getActions": "meta", "getFields": "meta", "replace": "delete", "save": "create"}[action]
	if ps, ok := e.perms[generic]; ok && generic != "" {
		return ps
	}
	return e.perms["default"]
}

// authorized is the coarse permission check (403 when it fails).
func (e *v4Entity) authorized(p *principal, action string) bool {
	for _, perm := range e.permissionsFor(action) {
		if !p.has(perm) {
			return false
		}
	}
	return true
}

// typed converts a stored string ("" is NULL) to the field's APIv4 type.
func typed(f *v4Field, raw string) any {
	if raw == "" {
		if f.dataType == "Boolean" {
			return false
		}
		return nil
	}
	switch f.dataType {
	case "Integer":
		if n, err := strconv.ParseInt(raw, 10, 64); err == nil {
			return num(n)
		}
		return nil
	case "Boolean":
		return raw == "1"
	case "Money":
		return translate.Number(raw)
	}
	if f.serial {
		list := translate.NewArray()
		for _, v := range strings.Split(strings.Trim(raw, "\x01"), "\x01") {
			list.Append(v)
		}
		return list
	}
	return raw
}

// storedString is the inverse of typed, for writes.
func storedString(f *v4Field, v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case bool:
		return boolStr(x)
	case *translate.Array:
		if f.serial {
			var parts []string
			for i := 0; i < x.Len(); i++ {
				parts = append(parts, translate.PHPString(x.Value(i)))
			}
			if len(parts) == 0 {
				return ""
			}
			return "\x01" + strings.Join(parts, "\x01") + "\x01"
		}
		return ""
	}
	return translate.PHPString(v)
}

func rowOf(fields []*v4Field, raw func(name string) string) v4Row {
	r := make(v4Row, len(fields))
	for _, f := range fields {
		if f.calc || f.custom {
			continue
		}
		r[f.name] = typed(f, raw(f.name))
	}
	return r
}

func contactV4Row(s *Simulator, c *contact) v4Row {
	r := rowOf(contactFields, func(name string) string {
		switch name {
		case "id":
			return strconv.FormatInt(c.id, 10)
		case "is_deleted":
			return boolStr(c.deleted)
		case "api_key":
			return c.apiKey
		}
		return c.f[name]
	})
	if e := s.primaryEmail(c.id); e != nil {
		r["email_primary"] = num(e.id)
	} else {
		r["email_primary"] = nil
	}
	return r
}

// rowsByID are a table's rows in primary-key order.
func rowsByID[T any](m map[int64]T, row func(T) v4Row) []v4Row {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	rows := make([]v4Row, len(ids))
	for i, id := range ids {
		rows[i] = row(m[id])
	}
	return rows
}

func contactV4Rows(s *Simulator) []v4Row {
	return rowsByID(s.db.contacts, func(c *contact) v4Row { return contactV4Row(s, c) })
}

func emailV4Row(e *email) v4Row {
	return rowOf(emailFieldsV4, func(name string) string { return e.f[name] })
}

func emailV4Rows(s *Simulator) []v4Row { return rowsByID(s.db.emails, emailV4Row) }

func noteV4Rows(s *Simulator) []v4Row {
	return rowsByID(s.db.notes, func(n *note) v4Row { return rowOf(noteFields, func(name string) string { return n.f[name] }) })
}

func rowID(r v4Row) int64 {
	n, _ := strconv.ParseInt(translate.PHPString(r["id"]), 10, 64)
	return n
}

func intOf(v any) int64 {
	n, _ := strconv.ParseInt(translate.PHPString(v), 10, 64)
	return n
}

// contactVisibleTo is APIv4's contact ACL: "view all contacts", the
// caller's own contact with "view my contact", or a member of one of the
// caller's ACL groups; contacts in the trash need "access deleted
// contacts". Anonymous callers and contacts without a CMS user see none.
func (s *Simulator) contactVisibleTo(p *principal, cid int64) bool {
	c := s.db.contacts[cid]
	if c == nil || p == nil || p.user == nil {
		return false
	}
	if c.deleted && !p.has(permDeletedContacts) {
		return false
	}
	if p.has(permViewAll) || p.has(permEditAll) {
		return true
	}
	if cid == p.contactID && (p.has(permViewMine) || p.has(permEditMine)) {
		return true
	}
	for _, g := range p.user.aclGroups {
		for _, m := range s.db.members {
			if m.groupID == g && m.contactID == cid {
				return true
			}
		}
	}
	return false
}

// contactEditableBy: "edit all contacts", or the caller's own contact with
// "edit my contact".
func (s *Simulator) contactEditableBy(p *principal, cid int64) bool {
	if p.has(permEditAll) {
		return true
	}
	return s.db.contacts[cid] != nil && cid == p.cid() && p.has(permEditMine)
}

func contactV4Visible(s *Simulator, p *principal, r v4Row) bool {
	return s.contactVisibleTo(p, rowID(r))
}

// contactV4Editable: a new contact (no id) needs only create's
// permission, checked before.
func contactV4Editable(s *Simulator, p *principal, r v4Row) bool {
	return rowID(r) == 0 || s.contactEditableBy(p, rowID(r))
}
func ownedByVisibleContact(s *Simulator, p *principal, r v4Row) bool {
	return s.contactVisibleTo(p, intOf(r["contact_id"]))
}
func ownedByEditableContact(s *Simulator, p *principal, r v4Row) bool {
	return s.contactEditableBy(p, intOf(r["contact_id"]))
}

// noteVisible: a note on a contact the caller may see; "Author Only"
// notes only to their author unless the caller may view all notes.
func noteVisible(s *Simulator, p *principal, r v4Row) bool {
	if r["privacy"] == "1" && intOf(r["contact_id"]) != p.cid() && !p.has(permViewAll) {
		return false
	}
	if r["entity_table"] != "civicrm_contact" {
		return p.has(permViewAll)
	}
	return s.contactVisibleTo(p, intOf(r["entity_id"]))
}

func noteEditable(s *Simulator, p *principal, r v4Row) bool {
	if t := r["entity_table"]; t != nil && t != "civicrm_contact" {
		return p.has(permEditAll)
	}
	return s.contactEditableBy(p, intOf(r["entity_id"]))
}

// v4RowByID is one record by id, without ACL (implicit joins).
func (s *Simulator) v4RowByID(entity string, id int64) v4Row {
	switch entity {
	case "Contact":
		if c := s.db.contacts[id]; c != nil {
			return contactV4Row(s, c)
		}
	case "Email":
		if e := s.db.emails[id]; e != nil {
			return emailV4Row(e)
		}
	}
	return nil
}

// settingEntity is Setting: not a DAO entity; reading or writing settings
// needs "administer CiviCRM" (read-26, auth-13).
var settingEntity = &v4Entity{
	name: "Setting", fields: []*v4Field{fld("name", "String"), fld("value", "String")},
	actions: []string{"get", "getActions", "getFields", "revert", "set"},
	perms:   map[string][]string{"default": {permAdminister}, "meta": {permAccessCiviCRM}},
	rows: func(*Simulator) []v4Row {
		return []v4Row{{"name": "debug_enabled", "value": false}, {"name": "backtrace", "value": false},
			{"name": "lcMessages", "value": "en_US"}}
	},
	visible: func(*Simulator, *principal, v4Row) bool { return true },
}
