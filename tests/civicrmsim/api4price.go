package civicrmsim

import "strconv"

// Price sets, as far as a line item's labels go: PriceField rows and
// LineItem rows whose price_field_id has civicrm_price_field as its
// pseudoconstant table (schema/Price/LineItem.entityType.php: key id,
// name_column name, label_column label), so LineItem's
// price_field_id:label is the price field's label as it is now, and a
// PriceField.update changes it.

var priceFieldFields = []*v4Field{
	fld("id", "Integer", readonly), fld("price_set_id", "Integer", required), fld("name", "String", required),
	fld("label", "String", required), fld("html_type", "String"), fld("is_active", "Boolean"),
}

var lineItemFields = []*v4Field{
	fld("id", "Integer", readonly), fld("entity_table", "String", required), fld("entity_id", "Integer", required),
	fld("contribution_id", "Integer"), fld("price_field_id", "Integer", optionsFrom("PriceField")),
	fld("label", "String"), fld("qty", "Money", required), fld("unit_price", "Money", required),
	fld("line_total", "Money", required),
}

// pricePerms: CiviCRM's price entities need "access CiviCRM" to read and
// "administer CiviCRM" to write (financial ACLs off).
var pricePerms = map[string][]string{"get": {permAccessCiviCRM}, "meta": {permAccessCiviCRM}, "default": {permAdminister}}

func init() {
	anyone := func(*Simulator, *principal, v4Row) bool { return true }
	for _, e := range []*v4Entity{
		{name: "PriceField", table: "civicrm_price_field", dao: true, fields: priceFieldFields, actions: daoActions,
			perms: pricePerms, rows: func(s *Simulator) []v4Row { return recordRows(s.db.priceFields, priceFieldFields) },
			visible: anyone, editable: anyone, label: "label", write: recordWriter(func(s *store) map[int64]*note { return s.priceFields }, "price_field", priceFieldFields)},
		{name: "LineItem", table: "civicrm_line_item", dao: true, fields: lineItemFields, actions: daoActions,
			perms: pricePerms, rows: func(s *Simulator) []v4Row { return recordRows(s.db.lineItems, lineItemFields) },
			visible: anyone, editable: anyone, label: "label", write: recordWriter(func(s *store) map[int64]*note { return s.lineItems }, "line_item", lineItemFields)},
	} {
		v4Entities[e.name] = e
	}
}

// seedPrice adds one price field (the default contribution amount's, as a
// new site has) and one line item of it.
func seedPrice(s *store) {
	s.priceFields[1] = &note{id: 1, f: map[string]string{"id": "1", "price_set_id": "1", "name": "contribution_amount",
		"label": "Contribution Amount", "html_type": "Text", "is_active": "1"}}
	s.lineItems[1] = &note{id: 1, f: map[string]string{"id": "1", "entity_table": "civicrm_contribution", "entity_id": "1",
		"contribution_id": "1", "price_field_id": "1", "label": "Contribution Amount", "qty": "1.00",
		"unit_price": "10.00", "line_total": "10.00"}}
	s.bump("price_field", 1)
	s.bump("line_item", 1)
}

// recordRows are a table's records as APIv4 rows, by id.
func recordRows(m map[int64]*note, fields []*v4Field) []v4Row {
	return rowsByID(m, func(r *note) v4Row { return rowOf(fields, func(name string) string { return r.f[name] }) })
}

// recordWriter is plain DAO CRUD on a table of records.
func recordWriter(table func(*store) map[int64]*note, name string, fields []*v4Field) *v4Writer {
	return &v4Writer{
		insert: func(s *Simulator, _ *principal, vals map[string]any) (int64, map[string]any, *v4Err) {
			id := s.db.take(name)
			r := &note{id: id, f: map[string]string{"id": strconv.FormatInt(id, 10)}}
			bao := map[string]any{"id": num(id)}
			for k, v := range vals {
				r.f[k] = storedString(fieldIn(fields, k), v)
				bao[k] = v
			}
			table(s.db)[id] = r
			return id, bao, nil
		},
		update: func(s *Simulator, id int64, vals map[string]any) {
			if r := table(s.db)[id]; r != nil {
				for k, v := range vals {
					r.f[k] = storedString(fieldIn(fields, k), v)
				}
			}
		},
		remove: func(s *Simulator, id int64, _ bool) { delete(table(s.db), id) },
	}
}
