package civicrmsim

import (
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// The APIv4 get engine: what Api4SelectQuery turns into SQL (DAO
// entities) and ArrayQueryActionTrait does in PHP (getFields, getActions,
// Setting), over v4Rows.

// v4Err is an exception thrown inside the API: status 403 for an
// UnauthorizedException, else 500. A fatal one escapes the page's try
// block and becomes the HTML error page.
type v4Err struct {
	status int
	msg    string
	fatal  bool
}

func (e *v4Err) Error() string { return e.msg }

func v4Fail(format string, args ...any) *v4Err {
	return &v4Err{status: 500, msg: fmt.Sprintf(format, args...)}
}

func v4Unauthorized() *v4Err { return &v4Err{status: 403, msg: "Authorization failed"} }

// v4Operators are CoreUtil::getOperators (case-sensitive).
var v4Operators = map[string]bool{"=": true, "<=": true, ">=": true, ">": true, "<": true, "LIKE": true,
	"REGEXP": true, "REGEXP BINARY": true, "<>": true, "!=": true, "NOT LIKE": true, "NOT REGEXP": true,
	"NOT REGEXP BINARY": true, "IN": true, "NOT IN": true, "BETWEEN": true, "NOT BETWEEN": true,
	"IS NOT NULL": true, "IS NULL": true, "CONTAINS": true, "NOT CONTAINS": true, "CONTAINS ONE OF": true,
	"NOT CONTAINS ONE OF": true, "IS EMPTY": true, "IS NOT EMPTY": true}

// v4Query evaluates field expressions, filters and sorts for one call.
type v4Query struct {
	s      *Simulator
	p      *principal
	entity *v4Entity
	joins  []*v4Join
	// lenient: an unknown field is NULL instead of an error (the array
	// actions).
	lenient bool
}

type v4Join struct {
	alias  string
	entity *v4Entity
	kind   string // LEFT, INNER, EXCLUDE
	conds  []any
}

// v4Rec is one row being queried: the entity's row under "", joined rows
// under their alias, aggregate results by output key.
type v4Rec struct {
	rows map[string]v4Row
	agg  map[string]any
}

func (q *v4Query) join(alias string) *v4Join {
	for _, j := range q.joins {
		if j.alias == alias {
			return j
		}
	}
	return nil
}

// resolve is the value of a field expression in rec: a field, an alias of
// an explicit join ("e.email"), an implicit join through a foreign key
// ("contact_id.display_name"), each with an optional pseudoconstant suffix
// ("location_type_id:label"). ok is false for an unknown field.
func (q *v4Query) resolve(rec *v4Rec, expr string) (any, bool) {
	if v, ok := rec.agg[expr]; ok {
		return v, true
	}
	ent, row, name := q.entity, rec.rows[""], expr
	if alias, rest, ok := strings.Cut(expr, "."); ok {
		if j := q.join(alias); j != nil {
			ent, row, name = j.entity, rec.rows[alias], rest
		}
	}
	name, suffix, _ := strings.Cut(name, ":")
	return q.fieldValue(ent, row, name, suffix, 0)
}

func (q *v4Query) fieldValue(ent *v4Entity, row v4Row, name, suffix string, depth int) (any, bool) {
	if f := ent.field(name); f != nil {
		if !f.visibleTo(q.p) {
			return nil, false
		}
		var v any
		if row != nil {
			v = row[name]
		}
		switch suffix {
		case "":
			return v, true
		case "label", "name", "title":
			options := q.s.optionsOf(f, suffix)
			if options == nil {
				return nil, false
			}
			if v == nil {
				return nil, true
			}
			if l, ok := options[translate.PHPString(v)]; ok {
				return l, true
			}
			return nil, true
		case "id", "value":
			return v, f.options != nil || f.optionsFrom != ""
		}
		return nil, false
	}
	head, rest, ok := strings.Cut(name, ".")
	if !ok || depth > 3 {
		return nil, false
	}
	f := ent.field(head)
	if f == nil || f.fk == "" || !f.visibleTo(q.p) {
		return nil, false
	}
	var target v4Row
	if row != nil && row[head] != nil {
		target = q.s.v4RowByID(f.fk, intOf(row[head]))
	}
	return q.fieldValue(v4Entities[f.fk], target, rest, suffix, depth+1)
}

// known reports whether expr names a field (for where and orderBy checks).
func (q *v4Query) known(expr string, aliases map[string]bool) bool {
	if aliases[expr] {
		return true
	}
	_, ok := q.resolve(&v4Rec{rows: map[string]v4Row{}}, expr)
	return ok
}

// checkWhere validates a where or having clause list before any row is
// read, as building the SQL does: "Illegal operator" before "Invalid
// field".
func (q *v4Query) checkWhere(clauses any, aliases map[string]bool) *v4Err {
	list, ok := clauses.(*arr)
	if clauses == nil {
		return nil
	}
	if !ok {
		return v4Fail("Invalid where clause")
	}
	for i := 0; i < list.Len(); i++ {
		c, ok := list.Value(i).(*arr)
		if !ok || c.Len() == 0 {
			return v4Fail("Invalid where clause")
		}
		first, _ := c.Get("0")
		if conj, isStr := first.(string); isStr && (conj == "AND" || conj == "OR" || conj == "NOT") {
			sub, _ := c.Get("1")
			if _, isArr := sub.(*arr); isArr {
				if err := q.checkWhere(sub, aliases); err != nil {
					return err
				}
				continue
			}
		}
		op, _ := c.Get("1")
		if ops, isStr := op.(string); !isStr || !v4Operators[ops] {
			return v4Fail("Illegal operator")
		}
		expr := translate.PHPString(first)
		if !q.lenient && !q.known(expr, aliases) {
			return v4Fail("Invalid field '%s'", expr)
		}
	}
	return nil
}

// matches evaluates a checked clause list (AND of its clauses).
func (q *v4Query) matches(rec *v4Rec, clauses any) bool {
	list, _ := clauses.(*arr)
	for i := 0; i < list.Len(); i++ {
		if !q.matchClause(rec, list.Value(i).(*arr)) {
			return false
		}
	}
	return true
}

func (q *v4Query) matchClause(rec *v4Rec, c *arr) bool {
	first, _ := c.Get("0")
	if conj, isStr := first.(string); isStr && (conj == "AND" || conj == "OR" || conj == "NOT") {
		if sub, isArr := c.Value(1).(*arr); isArr {
			switch conj {
			case "AND":
				return q.matches(rec, sub)
			case "NOT":
				return !q.matches(rec, sub)
			}
			for i := 0; i < sub.Len(); i++ {
				if cl, ok := sub.Value(i).(*arr); ok && q.matchClause(rec, cl) {
					return true
				}
			}
			return false
		}
	}
	have, _ := q.resolve(rec, translate.PHPString(first))
	op := c.Value(1).(string)
	want, _ := c.Get("2")
	if isExpr, _ := c.Get("3"); isExpr == true {
		if ws, ok := want.(string); ok {
			want, _ = q.resolve(rec, ws)
		}
	}
	return compareOp(have, op, want)
}

// compareOp applies one operator with SQL's NULL semantics.
func compareOp(have any, op string, want any) bool {
	switch op {
	case "IS NULL":
		return have == nil
	case "IS NOT NULL":
		return have != nil
	case "IS EMPTY":
		return isEmptyValue(have)
	case "IS NOT EMPTY":
		return !isEmptyValue(have)
	}
	if have == nil {
		return false
	}
	list := func() []any {
		var out []any
		if a, ok := want.(*arr); ok {
			for i := 0; i < a.Len(); i++ {
				out = append(out, a.Value(i))
			}
		} else if want != nil {
			out = append(out, want)
		}
		return out
	}
	eq := func(a, b any) bool {
		if _, isArr := b.(*arr); isArr || b == nil {
			return false
		}
		return sqlCompare(a, b) == 0
	}
	switch op {
	case "=":
		return eq(have, want)
	case "!=", "<>":
		return want != nil && !eq(have, want)
	case "<", ">", "<=", ">=":
		if want == nil {
			return false
		}
		c := sqlCompare(have, want)
		return op == "<" && c < 0 || op == ">" && c > 0 || op == "<=" && c <= 0 || op == ">=" && c >= 0
	case "LIKE", "NOT LIKE":
		return want != nil && sqlLike(translate.PHPString(have), translate.PHPString(want)) == (op == "LIKE")
	case "IN", "NOT IN":
		found := false
		for _, w := range list() {
			found = found || eq(have, w)
		}
		return found == (op == "IN")
	case "BETWEEN", "NOT BETWEEN":
		l := list()
		if len(l) != 2 {
			return false
		}
		in := sqlCompare(have, l[0]) >= 0 && sqlCompare(have, l[1]) <= 0
		return in == (op == "BETWEEN")
	case "CONTAINS", "NOT CONTAINS", "CONTAINS ONE OF", "NOT CONTAINS ONE OF":
		needles := []any{want}
		if strings.Contains(op, "ONE OF") {
			needles = list()
		}
		found := false
		for _, n := range needles {
			if a, ok := have.(*arr); ok {
				for i := 0; i < a.Len(); i++ {
					found = found || eq(a.Value(i), n)
				}
			} else {
				found = found || strings.Contains(foldString(translate.PHPString(have)), foldString(translate.PHPString(n)))
			}
		}
		return found == !strings.HasPrefix(op, "NOT")
	case "REGEXP", "NOT REGEXP", "REGEXP BINARY", "NOT REGEXP BINARY":
		pattern := translate.PHPString(want)
		subject := translate.PHPString(have)
		if !strings.HasSuffix(op, "BINARY") {
			pattern, subject = "(?i)"+pattern, foldString(subject)
		}
		re, err := regexp.Compile(pattern)
		return err == nil && re.MatchString(subject) == !strings.HasPrefix(op, "NOT")
	}
	return false
}

func isEmptyValue(v any) bool {
	switch x := v.(type) {
	case nil:
		return true
	case string:
		return x == ""
	case bool:
		return !x
	case translate.Number:
		f, _ := sqlNumber(x)
		return f == 0
	case *arr:
		return x.Len() == 0
	}
	return false
}

// v4Select is one item of a select list.
type v4Select struct {
	key      string // output key
	expr     string // field expression (plain fields and function argument)
	fn       string // aggregate function, "" for a field
	distinct bool
}

var selectFunction = regexp.MustCompile(`^([A-Za-z_]+)\((DISTINCT )?([^()]*)\)(?: AS ([A-Za-z_][A-Za-z0-9_]*))?$`)

// v4GetSpec is a get's query parameters.
type v4GetSpec struct {
	sel                                   []string
	join, where, groupBy, having, orderBy *arr
	limit, offset                         int64
}

// v4GetResult is what a get found.
type v4GetResult struct {
	rows     []*arr
	matched  int  // rows matching, before limit and offset
	rowCount bool // row_count was selected: count is matched
	sql      string
}

// parseJoins reads join: [["Entity AS alias", type, cond…], …].
func (q *v4Query) parseJoins(joins *arr) *v4Err {
	for i := 0; i < joins.Len(); i++ {
		j, ok := joins.Value(i).(*arr)
		if !ok || j.Len() == 0 {
			return v4Fail("Invalid join parameter")
		}
		spec := translate.PHPString(j.Value(0))
		name, alias, _ := strings.Cut(spec, " AS ")
		ent := v4Entities[strings.TrimSpace(name)]
		if ent == nil || !ent.dao {
			return v4Fail("Illegal join: %s", spec)
		}
		if alias == "" {
			alias = strings.ToLower(strings.TrimSpace(name))
		}
		kind := "LEFT"
		var conds []any
		if j.Len() > 1 {
			switch t := j.Value(1).(type) {
			case bool:
				if t {
					kind = "INNER"
				}
			case string:
				kind = strings.ToUpper(t)
			}
			for k := 2; k < j.Len(); k++ {
				if _, isStr := j.Value(k).(string); isStr {
					return v4Fail("civicrmsim: bridge joins are not simulated")
				}
				conds = append(conds, j.Value(k))
			}
		}
		q.joins = append(q.joins, &v4Join{alias: strings.TrimSpace(alias), entity: ent, kind: kind, conds: conds})
	}
	return nil
}

// joinValue is one side of a join condition: a field expression, else a
// literal (a quoted string loses its quotes).
func (q *v4Query) joinValue(rec *v4Rec, v any) any {
	s, ok := v.(string)
	if !ok {
		return v
	}
	if got, ok := q.resolve(rec, s); ok {
		return got
	}
	return strings.Trim(s, `'"`)
}

// expandSelect turns the select list into items: "*" is every core field
// the caller may see, "alias.*" every field of a joined entity; unknown
// fields are dropped silently (read-33), as are fields the caller may not
// see (api_key, read-27).
func (q *v4Query) expandSelect(sel []string) ([]v4Select, bool) {
	var out []v4Select
	seen := map[string]bool{}
	add := func(it v4Select) {
		if !seen[it.key] {
			seen[it.key] = true
			out = append(out, it)
		}
	}
	rowCount := false
	for _, s := range sel {
		switch {
		case s == "row_count":
			rowCount = true
		case s == "*":
			for _, f := range q.entity.fields {
				if !f.calc && !f.custom && f.visibleTo(q.p) {
					add(v4Select{key: f.name, expr: f.name})
				}
			}
		case strings.HasSuffix(s, ".*"):
			if j := q.join(strings.TrimSuffix(s, ".*")); j != nil {
				for _, f := range j.entity.fields {
					if !f.calc && !f.custom && f.visibleTo(q.p) {
						add(v4Select{key: j.alias + "." + f.name, expr: j.alias + "." + f.name})
					}
				}
			}
		default:
			if m := selectFunction.FindStringSubmatch(s); m != nil {
				fn := strings.ToUpper(m[1])
				key := m[4]
				if key == "" {
					key = fn + ":" + m[3]
				}
				if m[3] == "*" || q.known(m[3], nil) {
					add(v4Select{key: key, expr: m[3], fn: fn, distinct: m[2] != ""})
				}
				continue
			}
			if q.known(s, nil) {
				add(v4Select{key: s, expr: s})
			}
		}
	}
	return out, rowCount
}

// runGet runs a DAO get (or, lenient, an array get over rows).
func (q *v4Query) runGet(spec v4GetSpec, base []v4Row) (*v4GetResult, *v4Err) {
	if spec.join != nil {
		if err := q.parseJoins(spec.join); err != nil {
			return nil, err
		}
	}
	sel := spec.sel
	if len(sel) == 0 {
		sel = []string{"*"}
	}
	items, rowCount := q.expandSelect(sel)
	aggregate := spec.groupBy.Len() > 0
	for _, it := range items {
		aggregate = aggregate || it.fn != ""
	}
	// The id comes first unless the query aggregates (Api4SelectQuery).
	if !aggregate && !q.lenient && q.entity.field("id") != nil {
		items = append([]v4Select{{key: "id", expr: "id"}}, items...)
		for i := 1; i < len(items); i++ {
			if items[i].key == "id" {
				items = append(items[:i], items[i+1:]...)
				break
			}
		}
	}
	aliases := map[string]bool{}
	for _, it := range items {
		aliases[it.key] = true
	}
	if err := q.checkWhere(spec.where, nil); err != nil {
		return nil, err
	}
	if err := q.checkWhere(spec.having, aliases); err != nil {
		return nil, err
	}
	var order [][2]string
	for i := 0; i < spec.orderBy.Len(); i++ {
		dir := strings.ToUpper(translate.PHPString(spec.orderBy.Value(i)))
		if dir != "ASC" && dir != "DESC" {
			return nil, v4Fail("Invalid sort direction. Cannot order by %s %s", spec.orderBy.Key(i), translate.PHPString(spec.orderBy.Value(i)))
		}
		if !q.lenient && !q.known(spec.orderBy.Key(i), aliases) {
			return nil, v4Fail("Invalid field '%s'", spec.orderBy.Key(i))
		}
		order = append(order, [2]string{spec.orderBy.Key(i), dir})
	}

	var recs []*v4Rec
	for _, r := range base {
		recs = append(recs, &v4Rec{rows: map[string]v4Row{"": r}})
	}
	for _, j := range q.joins {
		recs = q.applyJoin(j, recs)
	}
	kept := recs[:0]
	for _, rec := range recs {
		if spec.where == nil || q.matches(rec, spec.where) {
			kept = append(kept, rec)
		}
	}
	recs = kept
	if aggregate {
		recs = q.aggregate(recs, items, spec.groupBy)
		if spec.having != nil {
			kept := recs[:0]
			for _, rec := range recs {
				if q.matches(rec, spec.having) {
					kept = append(kept, rec)
				}
			}
			recs = kept
		}
	}
	switch {
	case len(order) > 0:
		sort.SliceStable(recs, func(i, j int) bool {
			for _, o := range order {
				a, _ := q.resolve(recs[i], o[0])
				b, _ := q.resolve(recs[j], o[0])
				if c := orderCompare(a, b); c != 0 {
					return c < 0 == (o[1] == "ASC")
				}
			}
			return false
		})
	case q.indexOnly(items, spec, aggregate):
		// MariaDB answers from the (is_deleted, sort_name, id) index:
		// rows come in sort_name order (read-39; read-40 selects more and
		// gets id order).
		sort.SliceStable(recs, func(i, j int) bool {
			a, b := recs[i].rows[""], recs[j].rows[""]
			if c := collate(translate.PHPString(a["sort_name"]), translate.PHPString(b["sort_name"])); c != 0 {
				return c < 0
			}
			return rowID(a) < rowID(b)
		})
	}
	res := &v4GetResult{matched: len(recs), rowCount: rowCount}
	if rowCount && !hasField(sel) {
		// Only row_count: a COUNT query, no rows.
		res.sql = q.debugSQL(items, spec, rowCount)
		return res, nil
	}
	off := int(spec.offset)
	if off > len(recs) {
		off = len(recs)
	}
	recs = recs[off:]
	if spec.limit > 0 && int(spec.limit) < len(recs) {
		recs = recs[:spec.limit]
	}
	for _, rec := range recs {
		row := translate.NewArray()
		for _, it := range items {
			v, _ := q.resolve(rec, it.key)
			if it.fn == "" {
				v, _ = q.resolve(rec, it.expr)
			}
			row.Set(it.key, v)
		}
		res.rows = append(res.rows, row)
	}
	res.sql = q.debugSQL(items, spec, rowCount)
	return res, nil
}

// hasField reports whether a select list names anything besides
// row_count.
func hasField(sel []string) bool {
	for _, s := range sel {
		if s != "row_count" {
			return true
		}
	}
	return false
}

// indexOnly: a contact query without sort, join or grouping whose select
// and filters use only id, sort_name and is_deleted.
func (q *v4Query) indexOnly(items []v4Select, spec v4GetSpec, aggregate bool) bool {
	if q.lenient || aggregate || len(q.joins) > 0 || q.entity.table != "civicrm_contact" || q.entity.where != nil {
		return false
	}
	inIndex := func(f string) bool { return f == "id" || f == "sort_name" || f == "is_deleted" }
	for _, it := range items {
		if !inIndex(it.expr) {
			return false
		}
	}
	ok := true
	var walk func(c any)
	walk = func(c any) {
		list, _ := c.(*arr)
		for i := 0; i < list.Len(); i++ {
			cl, _ := list.Value(i).(*arr)
			first, _ := cl.Get("0")
			if sub, isArr := cl.Value(1).(*arr); isArr && (first == "AND" || first == "OR" || first == "NOT") {
				walk(sub)
				continue
			}
			ok = ok && inIndex(translate.PHPString(first))
		}
	}
	walk(spec.where)
	return ok
}

func (q *v4Query) applyJoin(j *v4Join, recs []*v4Rec) []*v4Rec {
	cands := j.entity.rows(q.s)
	var out []*v4Rec
	for _, rec := range recs {
		var matched []v4Row
		for _, c := range cands {
			if !j.entity.visible(q.s, q.p, c) {
				continue
			}
			try := &v4Rec{rows: map[string]v4Row{}}
			for k, v := range rec.rows {
				try.rows[k] = v
			}
			try.rows[j.alias] = c
			ok := true
			for _, cond := range j.conds {
				cl, isArr := cond.(*arr)
				if !isArr || cl.Len() < 2 {
					continue
				}
				left := q.joinValue(try, cl.Value(0))
				right, _ := cl.Get("2")
				ok = ok && compareOp(left, translate.PHPString(cl.Value(1)), q.joinValue(try, right))
			}
			if ok {
				matched = append(matched, c)
			}
		}
		switch {
		case j.kind == "EXCLUDE":
			if len(matched) == 0 {
				out = append(out, rec)
			}
		case len(matched) == 0:
			if j.kind != "INNER" {
				out = append(out, rec)
			}
		default:
			for _, m := range matched {
				n := &v4Rec{rows: map[string]v4Row{}}
				for k, v := range rec.rows {
					n.rows[k] = v
				}
				n.rows[j.alias] = m
				out = append(out, n)
			}
		}
	}
	return out
}

// aggregate groups recs by the groupBy expressions (MariaDB sorts the
// groups) and computes the select's functions for each group.
func (q *v4Query) aggregate(recs []*v4Rec, items []v4Select, groupBy *arr) []*v4Rec {
	type group struct {
		key  []any
		recs []*v4Rec
	}
	var groups []*group
	index := map[string]*group{}
	for _, rec := range recs {
		var key []any
		var ks strings.Builder
		for i := 0; i < groupBy.Len(); i++ {
			v, _ := q.resolve(rec, translate.PHPString(groupBy.Value(i)))
			key = append(key, v)
			fmt.Fprintf(&ks, "%T:%v|", v, foldString(translate.PHPString(v)))
		}
		g := index[ks.String()]
		if g == nil {
			g = &group{key: key}
			index[ks.String()] = g
			groups = append(groups, g)
		}
		g.recs = append(g.recs, rec)
	}
	if groupBy.Len() == 0 && len(groups) == 0 {
		groups = append(groups, &group{})
	}
	sort.SliceStable(groups, func(i, j int) bool {
		for k := range groups[i].key {
			if c := orderCompare(groups[i].key[k], groups[j].key[k]); c != 0 {
				return c < 0
			}
		}
		return false
	})
	out := make([]*v4Rec, 0, len(groups))
	for _, g := range groups {
		rec := &v4Rec{rows: map[string]v4Row{}, agg: map[string]any{}}
		if len(g.recs) > 0 {
			rec.rows = g.recs[0].rows
		}
		for _, it := range items {
			if it.fn == "" {
				v, _ := q.resolve(rec, it.expr)
				rec.agg[it.key] = v
				continue
			}
			rec.agg[it.key] = q.aggregateValue(it, g.recs)
		}
		out = append(out, rec)
	}
	return out
}

func (q *v4Query) aggregateValue(it v4Select, recs []*v4Rec) any {
	var vals []any
	seen := map[string]bool{}
	for _, rec := range recs {
		var v any = true
		if it.expr != "*" {
			v, _ = q.resolve(rec, it.expr)
		}
		if v == nil {
			continue
		}
		if it.distinct {
			k := foldString(translate.PHPString(v))
			if seen[k] {
				continue
			}
			seen[k] = true
		}
		vals = append(vals, v)
	}
	switch it.fn {
	case "COUNT":
		return num(int64(len(vals)))
	case "MIN", "MAX":
		var best any
		for _, v := range vals {
			if best == nil || (sqlCompare(v, best) < 0) == (it.fn == "MIN") {
				best = v
			}
		}
		return best
	case "SUM", "AVG":
		if len(vals) == 0 {
			return nil
		}
		total := 0.0
		for _, v := range vals {
			f, _ := sqlNumber(v)
			total += f
		}
		if it.fn == "AVG" {
			total /= float64(len(vals))
		}
		return jsonNumber(total)
	case "GROUP_CONCAT":
		list := translate.NewArray()
		for _, v := range vals {
			list.Append(v)
		}
		return list
	}
	return nil
}

// debugSQL is the SQL Api4SelectQuery would run, for debug output
// (read-29): backquoted columns of table alias a, values as quoted
// strings.
func (q *v4Query) debugSQL(items []v4Select, spec v4GetSpec, rowCount bool) string {
	var b strings.Builder
	b.WriteString("SELECT\n")
	var cols []string
	for _, it := range items {
		col := "`a`.`" + it.expr + "`"
		if it.fn != "" {
			col = it.fn + "(" + col + ")"
		}
		cols = append(cols, "  "+col+" AS `"+it.key+"`")
	}
	if rowCount {
		cols = append(cols, "  COUNT(*) AS `row_count`")
	}
	b.WriteString(strings.Join(cols, ",\n"))
	b.WriteString("\nFROM `" + q.entity.table + "` a\n")
	var conds []string
	for i := 0; i < spec.where.Len(); i++ {
		if c, ok := spec.where.Value(i).(*arr); ok {
			conds = append(conds, "("+sqlClause(c)+")")
		}
	}
	if len(conds) > 0 {
		b.WriteString("WHERE " + strings.Join(conds, " AND ") + "\n")
	}
	if spec.groupBy.Len() > 0 {
		var gs []string
		for i := 0; i < spec.groupBy.Len(); i++ {
			gs = append(gs, "`a`.`"+translate.PHPString(spec.groupBy.Value(i))+"`")
		}
		b.WriteString("GROUP BY " + strings.Join(gs, ", ") + "\n")
	}
	if spec.orderBy.Len() > 0 {
		var os []string
		for i := 0; i < spec.orderBy.Len(); i++ {
			os = append(os, "`a`.`"+spec.orderBy.Key(i)+"` "+strings.ToUpper(translate.PHPString(spec.orderBy.Value(i))))
		}
		b.WriteString("ORDER BY " + strings.Join(os, ", ") + "\n")
	}
	if spec.limit > 0 {
		b.WriteString("LIMIT " + strconv.FormatInt(spec.limit, 10) + " OFFSET " + strconv.FormatInt(spec.offset, 10) + "\n")
	}
	return b.String()
}

func sqlClause(c *arr) string {
	field := translate.PHPString(c.Value(0))
	if c.Len() < 2 {
		return "`a`.`" + field + "`"
	}
	op := translate.PHPString(c.Value(1))
	v, ok := c.Get("2")
	if !ok {
		return "`a`.`" + field + "` " + op
	}
	quote := func(x any) string { return `"` + strings.ReplaceAll(translate.PHPString(x), `"`, `\"`) + `"` }
	if l, isArr := v.(*arr); isArr {
		var parts []string
		for i := 0; i < l.Len(); i++ {
			parts = append(parts, quote(l.Value(i)))
		}
		return "`a`.`" + field + "` " + op + " (" + strings.Join(parts, ", ") + ")"
	}
	return "`a`.`" + field + "` " + op + " " + quote(v)
}

// optionsOf is a field's options as suffix shows them: its own list, or
// the id → name or label column of the rows of its pseudoconstant table
// as they are now (a table's title suffix is its label).
func (s *Simulator) optionsOf(f *v4Field, suffix string) map[string]string {
	if f.optionsFrom == "" {
		return f.options
	}
	col := "label"
	if suffix == "name" {
		col = "name"
	}
	options := map[string]string{}
	for _, r := range v4Entities[f.optionsFrom].rows(s) {
		options[translate.PHPString(r["id"])] = translate.PHPString(r[col])
	}
	return options
}
