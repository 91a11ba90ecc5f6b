package civicrmsim

import (
	"sort"
	"strconv"

	"github.com/civigate/civigate/translate"
)

// Entity rows, creates and deletes. All run with Simulator.mu held.

// visible is the contact ACL: "view all contacts", or the contact itself,
// or a member of one of the user's ACL groups. A contact without a CMS user
// (JWT) sees only itself.
func (s *Simulator) visible(p *principal, cid int64) bool {
	if p == nil || p.user.HasPerm(permViewAll) || p.contactID == cid {
		return true
	}
	if p.user == nil {
		return false
	}
	for _, m := range s.db.members {
		if m.contactID != cid {
			continue
		}
		for _, g := range p.user.aclGroups {
			if m.groupID == g {
				return true
			}
		}
	}
	return false
}

func (s *Simulator) groupsOf(cid int64) []int64 {
	var gs []int64
	for _, m := range s.db.members {
		if m.contactID == cid {
			gs = append(gs, m.groupID)
		}
	}
	return gs
}

func (s *Simulator) primaryEmail(cid int64) *email {
	var best *email
	for _, e := range s.db.emails {
		if e.contactID == cid && e.f["is_primary"] == "1" && (best == nil || e.id < best.id) {
			best = e
		}
	}
	return best
}

func (s *Simulator) primaryPhone(cid int64) *phone {
	var best *phone
	for _, ph := range s.db.phones {
		if ph.contactID == cid && ph.f["is_primary"] == "1" && (best == nil || ph.id < best.id) {
			best = ph
		}
	}
	return best
}

// contactRows are the Contact.get rows the caller may see, in the order
// the recorded MySQL plan gave them without a sort: contacts joined to a
// primary email first (by email id), then the others by contact id.
func contactRows(s *Simulator, p *principal, params *arr) []*arr {
	wantDeleted := !empty(params, "is_deleted") || !empty(params, "contact_is_deleted")
	type keyed struct {
		emailID, id int64
		row         *arr
	}
	var ks []keyed
	groupFilter, hasGroup := params.Get("group")
	for _, c := range s.db.contacts {
		if c.deleted != wantDeleted || !s.visible(p, c.id) {
			continue
		}
		if hasGroup && !matchGroup(s.groupsOf(c.id), groupFilter) {
			continue
		}
		e := s.primaryEmail(c.id)
		k := keyed{emailID: 1 << 62, id: c.id, row: s.contactRow(c, e)}
		if e != nil {
			k.emailID = e.id
		}
		ks = append(ks, k)
	}
	sort.Slice(ks, func(i, j int) bool {
		if ks[i].emailID != ks[j].emailID {
			return ks[i].emailID < ks[j].emailID
		}
		return ks[i].id < ks[j].id
	})
	rows := make([]*arr, len(ks))
	for i, k := range ks {
		rows[i] = k.row
	}
	return rows
}

var (
	languageLabels = map[string]string{"en_US": "English (United States)", "en_GB": "English (United Kingdom)", "fr_FR": "French (France)"}
	styleLabels    = map[string]string{"1": "Formal", "2": "Familiar"}
)

// contactRow builds the Contact.get row (recorded field list and order).
func (s *Simulator) contactRow(c *contact, e *email) *arr {
	ph := s.primaryPhone(c.id)
	row := translate.NewArray()
	id := strconv.FormatInt(c.id, 10)
	for _, f := range contactGetFields {
		var v string
		switch f {
		case "contact_id", "id":
			v = id
		case "contact_source":
			v = c.f["source"]
		case "contact_is_deleted":
			v = boolStr(c.deleted)
		case "email_id", "email", "on_hold":
			if e != nil {
				v = map[string]string{"email_id": e.f["id"], "email": e.f["email"], "on_hold": e.f["on_hold"]}[f]
			}
		case "phone_id", "phone", "phone_type_id":
			if ph != nil {
				v = map[string]string{"phone_id": ph.f["id"], "phone": ph.f["phone"], "phone_type_id": ph.f["phone_type_id"]}[f]
			}
		case "languages":
			v = languageLabels[c.f["preferred_language"]]
		case "communication_style":
			v = styleLabels[c.f["communication_style_id"]]
		default:
			v = c.f[f]
		}
		row.Set(f, v)
	}
	return row
}

func contactCreate(s *Simulator, p *principal, params *arr) any {
	set := map[string]string{}
	for i := 0; i < params.Len(); i++ {
		k := params.Key(i)
		if _, isArr := params.Value(i).(*arr); isArr || optionKey(k) || k == "id" {
			continue
		}
		if _, ok := newContactFields("")[k]; ok && k != "hash" && k != "api_key" {
			set[k] = translate.PHPString(params.Value(i))
		}
	}
	var c *contact
	if id, ok := intParam(params, "id"); ok {
		c = s.db.contacts[id]
		if c == nil {
			return apiErr("Invalid Contact Id")
		}
		for k, v := range set {
			c.f[k] = v
		}
		computeNames(c.f)
	} else {
		id := s.db.take("contact")
		c = s.db.addContact(id, set["contact_type"], set)
		c.f["hash"] = md5hex(randomHex(16))
		now := s.db.createdAt()
		c.f["created_date"], c.f["modified_date"] = now, now
	}
	if addr, ok := params.Get("email"); ok && translate.PHPString(addr) != "" {
		if _, isArr := addr.(*arr); !isArr {
			s.contactEmail(c, translate.PHPString(addr))
		}
	}
	values := translate.NewArray()
	row := translate.NewArray()
	for _, f := range contactDAOFields {
		row.Set(f, c.f[f])
	}
	values.Set(strconv.FormatInt(c.id, 10), row)
	return values
}

// contactEmail is what APIv3 Contact.create does with an email string:
// civicrm_api3_contact_create makes it the primary e-mail of the default
// location type, which CRM_Core_BAO_Block::create saves over the
// contact's e-mail of that location type when it has one (else a new one),
// through the e-mail's BAO (emailSaved).
func (s *Simulator) contactEmail(c *contact, addr string) {
	var e *email
	for _, o := range s.db.emails {
		if o.contactID == c.id && o.f["location_type_id"] == "1" && (e == nil || o.id < e.id) {
			e = o
		}
	}
	if e == nil {
		e = s.db.addEmail(s.db.take("email"), c.id, addr, true)
	}
	e.f["email"], e.f["is_primary"] = addr, "1"
	s.emailSaved(e)
}

func contactDelete(s *Simulator, id int64) bool {
	c := s.db.contacts[id]
	if c == nil || c.deleted {
		return false
	}
	c.deleted = true
	return true
}

// visibleRows filters rows of a contact-owned entity by the contact ACL.
func visibleRows[T any](s *Simulator, p *principal, m map[int64]T, cid func(T) int64, row func(T) *arr) []*arr {
	ids := make([]int64, 0, len(m))
	for id := range m {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	var rows []*arr
	for _, id := range ids {
		if c := s.db.contacts[cid(m[id])]; c != nil && !c.deleted && s.visible(p, c.id) {
			rows = append(rows, row(m[id]))
		}
	}
	return rows
}

// daoRow is a DAO get row: fields in order, NULL ("") ones left out.
func daoRow(fields []string, f map[string]string) *arr {
	row := translate.NewArray()
	for _, k := range fields {
		if v := f[k]; v != "" {
			row.Set(k, v)
		}
	}
	return row
}

func emailRows(s *Simulator, p *principal, _ *arr) []*arr {
	return visibleRows(s, p, s.db.emails, func(e *email) int64 { return e.contactID },
		func(e *email) *arr { return daoRow(emailFields, e.f) })
}

func phoneRows(s *Simulator, p *principal, _ *arr) []*arr {
	return visibleRows(s, p, s.db.phones, func(e *phone) int64 { return e.contactID },
		func(e *phone) *arr { return daoRow(phoneFields, e.f) })
}

func groupRows(s *Simulator, _ *principal, _ *arr) []*arr {
	ids := make([]int64, 0, len(s.db.groups))
	for id := range s.db.groups {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	rows := make([]*arr, len(ids))
	for i, id := range ids {
		g := s.db.groups[id]
		rows[i] = daoRow([]string{"id", "name", "title", "is_active"}, map[string]string{
			"id": strconv.FormatInt(g.id, 10), "name": g.name, "title": g.title, "is_active": "1"})
	}
	return rows
}

func groupContactRows(s *Simulator, p *principal, _ *arr) []*arr {
	return visibleRows(s, p, s.db.members, func(m *groupContact) int64 { return m.contactID }, func(m *groupContact) *arr {
		return daoRow([]string{"id", "group_id", "contact_id", "status"}, map[string]string{
			"id": strconv.FormatInt(m.id, 10), "group_id": strconv.FormatInt(m.groupID, 10),
			"contact_id": strconv.FormatInt(m.contactID, 10), "status": "Added"})
	})
}

// createRow is what a DAO create returns: every field, "" for NULL, the
// values given taking the place of defaults.
func createRow(fields []string, stored map[string]string, params *arr) *arr {
	row := translate.NewArray()
	for _, k := range fields {
		v := stored[k]
		if k == "is_billing" || k == "is_bulkmail" { // not defaulted in the create answer (recorded)
			v = ""
			if params.Has(k) {
				v = stored[k]
			}
		}
		row.Set(k, v)
	}
	return row
}

// emailCreate is APIv3 Email.create: an update of the e-mail id names,
// else a new one (primary when the contact has none); either way saved
// through the BAO (emailSaved).
func emailCreate(s *Simulator, _ *principal, params *arr) any {
	var e *email
	if id, ok := intParam(params, "id"); ok {
		if e = s.db.emails[id]; e == nil {
			return apiErr("Invalid Email Id")
		}
		if params.Has("email") {
			e.f["email"] = scalarString(params, "email")
		}
	} else {
		cid, _ := intParam(params, "contact_id")
		if s.db.contacts[cid] == nil {
			return apiErr("contact_id is not valid : " + strconv.FormatInt(cid, 10))
		}
		primary := s.primaryEmail(cid) == nil
		e = s.db.addEmail(s.db.take("email"), cid, scalarString(params, "email"), primary)
	}
	for _, k := range []string{"location_type_id", "is_primary", "on_hold", "is_billing", "is_bulkmail", "signature_text", "signature_html"} {
		if params.Has(k) {
			e.f[k] = scalarString(params, k)
		}
	}
	s.emailSaved(e)
	values := translate.NewArray()
	values.Set(e.f["id"], createRow(emailFields, e.f, params))
	return values
}

// emailSaved is what CiviCRM does after it saved an e-mail through its
// BAO: a primary one becomes the contact's only primary e-mail
// (CRM_Core_BAO_Block::handlePrimary) and renames the contact's CMS user
// (CRM_Core_BAO_Email::self_hook_civicrm_post -> CRM_Core_BAO_UFMatch::
// updateUFName: uf_match.uf_name, then the CMS's updateCMSName, which on
// WordPress is wp_update_user's user_email), unless another user already
// has that name (CRM-6928). Runs with Simulator.mu held.
func (s *Simulator) emailSaved(e *email) {
	if e.f["is_primary"] != "1" || e.contactID == 0 {
		return
	}
	for _, o := range s.db.emails {
		if o != e && o.contactID == e.contactID {
			o.f["is_primary"] = "0"
		}
	}
	var user *User
	for _, u := range s.users {
		if u.ContactID == e.contactID && u.UserID != 0 {
			user = u
		}
	}
	name := e.f["email"]
	if user == nil || name == "" || user.email == name {
		return
	}
	for _, u := range s.users {
		if u != user && u.UserID != 0 && u.email == name {
			return
		}
	}
	user.email = name
}

func emailDelete(s *Simulator, id int64) bool {
	if s.db.emails[id] == nil {
		return false
	}
	delete(s.db.emails, id)
	return true
}

func phoneCreate(s *Simulator, _ *principal, params *arr) any {
	cid, _ := intParam(params, "contact_id")
	if s.db.contacts[cid] == nil {
		return apiErr("contact_id is not valid : " + strconv.FormatInt(cid, 10))
	}
	ph := s.db.addPhone(s.db.take("phone"), cid, scalarString(params, "phone"))
	if s.primaryPhone(cid) != ph {
		ph.f["is_primary"] = "0"
	}
	values := translate.NewArray()
	values.Set(ph.f["id"], createRow(phoneFields, ph.f, params))
	return values
}

func phoneDelete(s *Simulator, id int64) bool {
	if s.db.phones[id] == nil {
		return false
	}
	delete(s.db.phones, id)
	return true
}

func groupContactCreate(s *Simulator, _ *principal, params *arr) any {
	gid, _ := intParam(params, "group_id")
	cid, _ := intParam(params, "contact_id")
	if s.db.groups[gid] == nil || s.db.contacts[cid] == nil {
		return apiErr("Invalid group or contact id")
	}
	s.db.addMember(gid, cid)
	id := s.db.nextID["group_contact"] - 1
	values := translate.NewArray()
	values.Set(strconv.FormatInt(id, 10), daoRow([]string{"id", "group_id", "contact_id", "status"}, map[string]string{
		"id": strconv.FormatInt(id, 10), "group_id": strconv.FormatInt(gid, 10), "contact_id": strconv.FormatInt(cid, 10), "status": "Added"}))
	return values
}
