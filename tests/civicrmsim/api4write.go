package civicrmsim

import (
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// APIv4 writes (create, update, save, replace, delete) on the store APIv3
// uses too, so a write through one API version is visible to the other.

// v4Writer stores an entity's records. Its functions run with
// Simulator.mu held; vals are formatted input values by field name.
type v4Writer struct {
	// insert adds a record and returns its id and the values the BAO
	// holds afterwards (what create answers).
	insert func(s *Simulator, p *principal, vals map[string]any) (int64, map[string]any, *v4Err)
	update func(s *Simulator, id int64, vals map[string]any)
	remove func(s *Simulator, id int64, trash bool)
}

// formatInput is FormattingUtil::formatInputValue: a value cast to the
// field's type (an Integer field takes PHP's (int) of a string: "abc" is 0,
// write-11).
func formatInput(f *v4Field, v any) any {
	if v == nil {
		return nil
	}
	if f.serial {
		if _, ok := v.(*arr); ok {
			return v
		}
	}
	switch f.dataType {
	case "Integer":
		switch x := v.(type) {
		case bool:
			if x {
				return num(1)
			}
			return num(0)
		case translate.Number:
			fv, _ := sqlNumber(x)
			return num(int64(fv))
		}
		m := leadingInt.FindString(strings.TrimSpace(translate.PHPString(v)))
		n, _ := strconv.ParseInt(m, 10, 64)
		return num(n)
	case "Boolean":
		switch x := v.(type) {
		case bool:
			return x
		case translate.Number:
			fv, _ := sqlNumber(x)
			return fv != 0
		}
		s := translate.PHPString(v)
		return s != "" && s != "0"
	}
	if _, ok := v.(*arr); ok {
		return v
	}
	return translate.PHPString(v)
}

var leadingInt = regexp.MustCompile(`^[-+]?\d+`)

// writeValues formats a record's values: entity fields by type, anything
// else dropped (it still shows, NULL, in the answer).
func (a *v4Action) writeValues(record *arr) map[string]any {
	vals := map[string]any{}
	for i := 0; i < record.Len(); i++ {
		if f := storedField(a.entity.fields, record.Key(i)); f != nil {
			vals[f.name] = formatInput(f, record.Value(i))
		}
	}
	return vals
}

// baoToArray is the answer row of a write: every field the BAO holds a
// value for or the input named, in field order, then the other input keys,
// then custom and check_permissions (both NULL).
func (e *v4Entity) baoToArray(bao map[string]any, input *arr) *arr {
	row := translate.NewArray()
	for _, f := range e.fields {
		if f.calc || f.custom {
			continue
		}
		if v, ok := bao[f.name]; ok && v != nil || input.Has(f.name) {
			row.Set(f.name, bao[f.name])
		}
	}
	for _, k := range input.Keys() {
		if !row.Has(k) {
			row.Set(k, nil)
		}
	}
	row.Set("custom", nil)
	row.Set("check_permissions", nil)
	return row
}

// missingMandatory lists the fields create needs that vals lacks.
func (e *v4Entity) missingMandatory(vals map[string]any) []string {
	var missing []string
	for _, f := range e.fields {
		if f.create && (vals[f.name] == nil || vals[f.name] == "") {
			missing = append(missing, f.name)
		}
	}
	return missing
}

// createOne creates one record (create, and save or replace without id).
func (a *v4Action) createOne(record *arr) (*arr, *v4Err) {
	w := a.entity.write
	if w == nil {
		return nil, v4Fail("civicrmsim: %s.%s is not simulated", a.entity.name, a.name)
	}
	vals := a.writeValues(record)
	if missing := a.entity.missingMandatory(vals); len(missing) > 0 {
		return nil, v4Fail("Mandatory values missing from Api4 %s::%s: %s", a.entity.name, a.name, strings.Join(missing, ", "))
	}
	s := a.ctx.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.checkPerms && a.entity.editable != nil && !a.entity.editable(s, a.ctx.p, v4Row(vals)) {
		return nil, v4Unauthorized()
	}
	_, bao, err := w.insert(s, a.ctx.p, vals)
	if err != nil {
		return nil, err
	}
	return a.entity.baoToArray(bao, record), nil
}

// rowsWhere are the ids of the rows a where selects, as the write's
// permission check lets it see them.
func (a *v4Action) rowsWhere(where *arr) ([]v4Row, *v4Err) {
	rows := a.visibleRows()
	q := a.query()
	if err := q.checkWhere(where, nil); err != nil {
		return nil, err
	}
	a.ctx.s.mu.Lock()
	defer a.ctx.s.mu.Unlock()
	var out []v4Row
	for _, r := range rows {
		if q.matches(&v4Rec{rows: map[string]v4Row{"": r}}, where) {
			out = append(out, r)
		}
	}
	return out, nil
}

// updateOne updates a record the caller may edit.
func (a *v4Action) updateOne(row v4Row, record *arr) (*arr, *v4Err) {
	w := a.entity.write
	if w == nil {
		return nil, v4Fail("civicrmsim: %s.%s is not simulated", a.entity.name, a.name)
	}
	vals := a.writeValues(record)
	delete(vals, "id")
	s := a.ctx.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if a.checkPerms && a.entity.editable != nil && !a.entity.editable(s, a.ctx.p, row) {
		return nil, v4Unauthorized()
	}
	w.update(s, rowID(row), vals)
	vals["id"] = row["id"]
	input := translate.NewArray()
	input.Set("id", row["id"])
	for _, k := range record.Keys() {
		input.Set(k, true)
	}
	return a.entity.baoToArray(vals, input), nil
}

func (a *v4Action) create() (*v4Result, *v4Err) {
	values := a.list("values")
	if values == nil {
		values = translate.NewArray()
	}
	row, err := a.createOne(values)
	if err != nil {
		return nil, err
	}
	res := &v4Result{values: translate.NewArray()}
	res.values.Append(row)
	return res, nil
}

func (a *v4Action) update() (*v4Result, *v4Err) {
	values := a.list("values")
	if values == nil {
		values = translate.NewArray()
	}
	where := a.list("where")
	if where.Len() == 0 {
		id, ok := values.Get("id")
		if !ok {
			return nil, v4Fail("Parameter \"where\" is required.")
		}
		where = idWhere(id)
	}
	rows, err := a.rowsWhere(where)
	if err != nil {
		return nil, err
	}
	res := &v4Result{values: translate.NewArray()}
	for _, r := range rows {
		out, err := a.updateOne(r, values)
		if err != nil {
			return nil, err
		}
		res.values.Append(out)
	}
	return a.reload(res)
}

// where builds a where list of [field, op, value] clauses.
func where(clauses ...[3]any) *arr {
	w := translate.NewArray()
	for _, c := range clauses {
		cl := translate.NewArray()
		for _, v := range c {
			cl.Append(v)
		}
		w.Append(cl)
	}
	return w
}

func idWhere(id any) *arr { return where([3]any{"id", "=", id}) }

// reload re-reads the written rows with the fields reload names (true:
// every field), as get types them (write-4: privacy "1").
func (a *v4Action) reload(res *v4Result) (*v4Result, *v4Err) {
	reload := a.param("reload")
	if isFalsy(reload) || res.values.Len() == 0 {
		return res, nil
	}
	ids := translate.NewArray()
	for i := 0; i < res.values.Len(); i++ {
		row, _ := res.values.Value(i).(*arr)
		id, _ := row.Get("id")
		ids.Append(id)
	}
	get := &v4Action{ctx: a.ctx, entity: a.entity, name: "get", params: translate.NewArray(), checkPerms: a.checkPerms}
	get.params.Set("where", where([3]any{"id", "IN", ids}))
	if l, ok := reload.(*arr); ok {
		get.params.Set("select", l)
	}
	again, err := get.get()
	if err != nil {
		return nil, err
	}
	res.values = again.values
	return res, nil
}

// saveRecords is SaveAction: each record with the defaults it lacks;
// records with an id (or matched by the match fields) are updates, the
// others creates. countMatched counts the updates.
func (a *v4Action) saveRecords(records, defaults *arr) (*v4Result, *v4Err) {
	res := &v4Result{values: translate.NewArray()}
	matched := 0
	match := a.list("match")
	for i := 0; i < records.Len(); i++ {
		rec, ok := records.Value(i).(*arr)
		if !ok {
			return nil, v4Fail("Invalid record")
		}
		item := rec.Clone()
		for j := 0; j < defaults.Len(); j++ {
			if !item.Has(defaults.Key(j)) {
				item.Set(defaults.Key(j), defaults.Value(j))
			}
		}
		if !item.Has("id") && match.Len() > 0 {
			var clauses [][3]any
			for j := 0; j < match.Len(); j++ {
				f := translate.PHPString(match.Value(j))
				v, _ := item.Get(f)
				clauses = append(clauses, [3]any{f, "=", v})
			}
			if found, err := a.rowsWhere(where(clauses...)); err == nil && len(found) == 1 {
				item.Set("id", found[0]["id"])
			}
		}
		var out *arr
		var err *v4Err
		if id, ok := item.Get("id"); ok && id != nil {
			found, ferr := a.rowsWhere(idWhere(id))
			if ferr != nil {
				return nil, ferr
			}
			if len(found) == 0 {
				return nil, v4Fail("Unable to update %s %s", a.entity.name, translate.PHPString(id))
			}
			matched++
			out, err = a.updateOne(found[0], item)
		} else {
			out, err = a.createOne(item)
		}
		if err != nil {
			return nil, err
		}
		res.values.Append(out)
	}
	res.countMatched = intPtr(matched)
	return a.reload(res)
}

func (a *v4Action) save() (*v4Result, *v4Err) {
	return a.saveRecords(a.list("records"), a.list("defaults"))
}

// replace saves the records and deletes the rows the where selected that
// are not among them; their ids come back as strings under "deleted"
// (write-6).
func (a *v4Action) replace() (*v4Result, *v4Err) {
	existing, err := a.rowsWhere(a.list("where"))
	if err != nil {
		return nil, err
	}
	res, err := a.saveRecords(a.list("records"), a.list("defaults"))
	if err != nil {
		return nil, err
	}
	kept := map[string]bool{}
	for i := 0; i < res.values.Len(); i++ {
		row, _ := res.values.Value(i).(*arr)
		id, _ := row.Get("id")
		kept[translate.PHPString(id)] = true
	}
	var gone []v4Row
	for _, r := range existing {
		if !kept[translate.PHPString(r["id"])] {
			gone = append(gone, r)
		}
	}
	deleted, err := a.deleteRows(gone, false)
	if err != nil {
		return nil, err
	}
	res.extras = [][2]any{{"deleted", deleted}}
	return res, nil
}

// deleteRows deletes rows the caller may edit; the answer lists their
// ids as the strings the DAO reads (write-8).
func (a *v4Action) deleteRows(rows []v4Row, trash bool) (*arr, *v4Err) {
	w := a.entity.write
	if w == nil {
		return nil, v4Fail("civicrmsim: %s.%s is not simulated", a.entity.name, a.name)
	}
	s := a.ctx.s
	s.mu.Lock()
	defer s.mu.Unlock()
	out := translate.NewArray()
	for _, r := range rows {
		if a.checkPerms && a.entity.editable != nil && !a.entity.editable(s, a.ctx.p, r) {
			return nil, v4Unauthorized()
		}
	}
	for _, r := range rows {
		w.remove(s, rowID(r), trash)
		row := translate.NewArray()
		row.Set("id", translate.PHPString(r["id"]))
		out.Append(row)
	}
	return out, nil
}

func (a *v4Action) delete() (*v4Result, *v4Err) {
	rows, err := a.rowsWhere(a.list("where"))
	if err != nil {
		return nil, err
	}
	deleted, err := a.deleteRows(rows, a.param("useTrash") != false)
	if err != nil {
		return nil, err
	}
	return &v4Result{values: deleted}, nil
}

// Timestamps as CiviCRM stores them, and as a create answers them.
const (
	sqlDateTime  = "2006-01-02 15:04:05"
	baoTimestamp = "20060102150405"
)

var noteWriter = &v4Writer{
	insert: func(s *Simulator, p *principal, vals map[string]any) (int64, map[string]any, *v4Err) {
		now := s.opts.Now()
		bao := map[string]any{}
		for k, v := range vals {
			bao[k] = v
		}
		id := s.db.take("note")
		bao["id"] = num(id)
		if bao["entity_table"] == nil {
			bao["entity_table"] = "civicrm_contact"
		}
		if bao["contact_id"] == nil && p.cid() != 0 {
			bao["contact_id"] = num(p.cid())
		}
		if bao["privacy"] == nil {
			bao["privacy"] = num(0)
		}
		for _, k := range []string{"note_date", "created_date", "modified_date"} {
			if bao[k] == nil {
				bao[k] = now.Format(baoTimestamp)
			}
		}
		n := &note{id: id, f: map[string]string{}}
		for _, f := range noteFields {
			n.f[f.name] = storedString(f, bao[f.name])
			if f.dataType == "Timestamp" {
				n.f[f.name] = sqlTimestamp(n.f[f.name])
			}
		}
		s.db.notes[id] = n
		return id, bao, nil
	},
	update: func(s *Simulator, id int64, vals map[string]any) {
		if n := s.db.notes[id]; n != nil {
			for k, v := range vals {
				n.f[k] = storedString(fieldIn(noteFields, k), v)
			}
		}
	},
	remove: func(s *Simulator, id int64, _ bool) { delete(s.db.notes, id) },
}

// sqlTimestamp turns YmdHis into the stored "Y-m-d H:i:s".
func sqlTimestamp(v string) string {
	if t, err := time.Parse(baoTimestamp, v); err == nil {
		return t.Format(sqlDateTime)
	}
	return v
}

var emailWriter = &v4Writer{
	insert: func(s *Simulator, _ *principal, vals map[string]any) (int64, map[string]any, *v4Err) {
		cid := intOf(vals["contact_id"])
		if s.db.contacts[cid] == nil {
			return 0, nil, v4Fail("DB Error: constraint violation")
		}
		id := s.db.take("email")
		e := s.db.addEmail(id, cid, translate.PHPString(vals["email"]), s.primaryEmail(cid) == nil)
		bao := map[string]any{"id": num(id), "contact_id": num(cid), "on_hold": num(0)}
		if vals["location_type_id"] == nil {
			bao["location_type_id"] = num(1)
		}
		for k, v := range vals {
			bao[k] = v
			if f := storedField(emailFieldsV4, k); f != nil && k != "id" {
				e.f[k] = storedString(f, v)
			}
		}
		s.emailSaved(e)
		return id, bao, nil
	},
	update: func(s *Simulator, id int64, vals map[string]any) {
		if e := s.db.emails[id]; e != nil {
			for k, v := range vals {
				e.f[k] = storedString(fieldIn(emailFieldsV4, k), v)
				if k == "contact_id" {
					e.contactID = intOf(v)
				}
			}
			s.emailSaved(e)
		}
	},
	remove: func(s *Simulator, id int64, _ bool) { delete(s.db.emails, id) },
}

var contactWriter = &v4Writer{
	insert: func(s *Simulator, _ *principal, vals map[string]any) (int64, map[string]any, *v4Err) {
		t := translate.PHPString(vals["contact_type"])
		if contactTypeOptions[t] == "" {
			return 0, nil, v4Fail("Invalid contact_type: %s", t)
		}
		set := map[string]string{}
		for k, v := range vals {
			if f := storedField(contactFields, k); f != nil && !f.readonly {
				set[k] = storedString(f, v)
			}
		}
		id := s.db.take("contact")
		c := s.db.addContact(id, t, set)
		now := s.opts.Now().Format(sqlDateTime)
		c.f["hash"] = md5hex(randomHex(16))
		c.f["created_date"], c.f["modified_date"] = now, now
		bao := map[string]any{}
		for k, v := range contactV4Row(s, c) {
			if v != nil && v != false {
				bao[k] = v
			}
		}
		delete(bao, "email_primary")
		return id, bao, nil
	},
	update: func(s *Simulator, id int64, vals map[string]any) {
		c := s.db.contacts[id]
		if c == nil {
			return
		}
		for k, v := range vals {
			if f := storedField(contactFields, k); f != nil && !f.readonly {
				c.f[k] = storedString(f, v)
			}
		}
		computeNames(c.f)
		c.f["modified_date"] = s.opts.Now().Format(sqlDateTime)
	},
	remove: func(s *Simulator, id int64, trash bool) {
		if trash {
			contactDelete(s, id)
			return
		}
		delete(s.db.contacts, id)
	},
}
