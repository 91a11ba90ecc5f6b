package civicrmsim

import (
	"sort"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// The APIv4 kernel: civicrm_api4() and what it runs (Civi\API\Request,
// the action objects, ValidateFieldsSubscriber, ActionObjectProvider's
// chains), independent of the HTTP page (api4page.go).

// v4Ctx is one PHP request's state across the APIv4 calls it makes.
type v4Ctx struct {
	s *Simulator
	p *principal
	// loaded are the entity classes PHP has loaded in this request: an
	// entity name in another case resolves only then (PHP class names are
	// case-insensitive once loaded, the autoloader is not; spec §1.3).
	loaded map[string]bool
}

// v4Result is an APIv4 Result object.
type v4Result struct {
	entity, action string
	values         *arr     // a list of rows, or keyed by index
	extras         [][2]any // public properties of the result class (autocomplete, replace)
	rowCount       *int     // what count() returns instead of the number of values
	countMatched   *int
	debug          any
}

func (r *v4Result) count() int {
	if r.rowCount != nil {
		return *r.rowCount
	}
	return r.values.Len()
}

func intPtr(n int) *int { return &n }

// v4Param is a declared action parameter.
type v4Param struct {
	name, typ string // typ: array, int, bool, string, mixed
	required  bool
}

var commonParams = []v4Param{{"chain", "array", false}, {"checkPermissions", "bool", false}, {"debug", "bool", false},
	{"language", "string", false}}

var listParams = []v4Param{{"select", "array", false}, {"where", "array", false}, {"orderBy", "array", false},
	{"limit", "int", false}, {"offset", "int", false}}

// params lists an action's parameters in declaration order (getActions'
// params; ValidateFieldsSubscriber checks them in this order).
func (e *v4Entity) params(action string) []v4Param {
	var ps []v4Param
	switch action {
	case "get":
		switch {
		case e.name == "Setting":
			ps = []v4Param{{"select", "array", false}, {"domainId", "mixed", false}, {"contactId", "int", false}}
		case e.dao:
			ps = []v4Param{{"select", "array", false}, {"join", "array", false}, {"where", "array", false},
				{"groupBy", "array", false}, {"having", "array", false}, {"orderBy", "array", false},
				{"limit", "int", false}, {"offset", "int", false}, {"translationMode", "string", false}}
		default:
			ps = listParams
		}
	case "getFields":
		ps = append(append([]v4Param{}, listParams...), v4Param{"action", "string", false},
			v4Param{"loadOptions", "mixed", false}, v4Param{"values", "array", false}, v4Param{"includeCustom", "bool", false})
	case "getActions":
		ps = listParams
	case "getLinks":
		ps = append(append([]v4Param{}, listParams...), v4Param{"entityTitle", "mixed", false}, v4Param{"expandMultiple", "bool", false})
	case "create":
		ps = []v4Param{{"values", "array", false}}
	case "update":
		ps = []v4Param{{"values", "array", false}, {"where", "array", false}, {"reload", "mixed", false}}
	case "save":
		ps = []v4Param{{"records", "array", true}, {"defaults", "array", false}, {"match", "array", false},
			{"reload", "mixed", false}}
	case "delete":
		ps = []v4Param{{"where", "array", true}}
		if e.table == "civicrm_contact" {
			ps = append(ps, v4Param{"useTrash", "bool", false})
		}
	case "replace":
		ps = []v4Param{{"where", "array", true}, {"records", "array", true}, {"defaults", "array", false},
			{"reload", "mixed", false}}
	case "autocomplete":
		ps = []v4Param{{"input", "string", false}, {"ids", "array", false}, {"searchField", "string", false},
			{"savedSearch", "mixed", false}, {"display", "mixed", false}, {"formName", "string", false},
			{"fieldName", "string", false}, {"key", "string", false}, {"values", "array", false},
			{"filters", "array", false}, {"exclude", "array", false}, {"quickEdit", "bool", false}}
	case "checkAccess":
		ps = []v4Param{{"action", "string", true}, {"values", "array", true}}
	case "getChecksum":
		ps = []v4Param{{"contactId", "int", true}, {"ttl", "int", false}}
	case "validateChecksum":
		ps = []v4Param{{"contactId", "int", true}, {"checksum", "string", true}}
	case "getDuplicates":
		ps = []v4Param{{"values", "array", false}, {"dedupeRule", "string", false}}
	case "mergeDuplicates":
		ps = []v4Param{{"contactId", "int", true}, {"duplicateId", "int", true}, {"mode", "string", false}}
	case "getMergedFrom", "getMergedTo":
		ps = []v4Param{{"contactId", "int", true}}
	case "set":
		ps = []v4Param{{"values", "array", true}, {"domainId", "mixed", false}, {"contactId", "int", false}}
	case "revert":
		ps = []v4Param{{"select", "array", true}, {"domainId", "mixed", false}, {"contactId", "int", false}}
	}
	return append(append([]v4Param{}, ps...), commonParams...)
}

func (e *v4Entity) declares(action, param string) bool {
	for _, p := range e.params(action) {
		if p.name == param {
			return true
		}
	}
	return false
}

// resolveEntity is CoreUtil::getApiClass: the exact registry name, or any
// case of an entity whose class this request already loaded.
func (c *v4Ctx) resolveEntity(name, action string) (*v4Entity, *v4Err) {
	if e := v4Entities[name]; e != nil {
		return e, nil
	}
	for loaded := range c.loaded {
		if strings.EqualFold(loaded, name) {
			return v4Entities[loaded], nil
		}
	}
	return nil, v4Fail("API (%s, %s) does not exist (or the extension it belongs to is not enabled).", name, action)
}

// resolveAction: actions are static methods of the entity class, so any
// case finds them.
func resolveAction(e *v4Entity, entity, action string) (string, *v4Err) {
	for _, a := range e.actions {
		if strings.EqualFold(a, action) {
			return a, nil
		}
	}
	return "", v4Fail("Api %s %s version 4 does not exist.", entity, action)
}

// stripCheckPermissions drops every key that lower-cases to
// checkpermissions (the page sets its own).
func stripCheckPermissions(params *arr) {
	for _, k := range append([]string{}, params.Keys()...) {
		if strings.ToLower(k) == "checkpermissions" {
			params.Delete(k)
		}
	}
}

// call is civicrm_api4($entity, $action, $params, $index).
func (c *v4Ctx) call(entity, action string, params *arr, index any, top bool) (*v4Result, *v4Err) {
	if entity == "Afform" && (action == "prefill" || action == "submit") {
		c.s.mu.Lock()
		c.s.calls["Afform."+action]++
		c.s.mu.Unlock()
		res, err := c.afformAction(action, params)
		if res != nil {
			res.entity, res.action = entity, action
		}
		return res, err
	}
	e, err := c.resolveEntity(entity, action)
	if err != nil {
		return nil, err
	}
	act, err := resolveAction(e, entity, action)
	if err != nil {
		return nil, err
	}
	c.loaded[e.name] = true
	if top {
		c.s.mu.Lock()
		c.s.calls[e.name+"."+act]++
		c.s.mu.Unlock()
	}
	params = params.Clone()
	params.Delete("version")
	checkPerms := true
	if v, ok := params.Get("checkPermissions"); ok && v == false {
		checkPerms = false
	}
	// An index field the select leaves out is added, and removed again.
	indexField, removeIndex := "", false
	if s, ok := index.(string); ok && s != "" && !isIntString(s) {
		indexField = s
		if sel, ok := params.Get("select"); ok {
			if l, isArr := sel.(*arr); isArr && l.Len() > 0 && e.name != "Setting" && !inList(l, s) {
				l = l.Clone()
				l.Append(s)
				params.Set("select", l)
				removeIndex = true
			}
		}
	}
	for _, k := range params.Keys() {
		if !e.declares(act, k) {
			return nil, v4Fail("Unknown api parameter: %s", k)
		}
	}
	if checkPerms && !e.authorized(c.p, act) {
		return nil, v4Unauthorized()
	}
	for _, p := range e.params(act) {
		v, ok := params.Get(p.name)
		if !ok {
			if p.required {
				return nil, v4Fail("Parameter \"%s\" is required.", p.name)
			}
			continue
		}
		v = castSoftly(v, p.typ)
		params.Set(p.name, v)
		if p.required && (v == nil || v == false || v == "" || isEmptyArr(v)) {
			return nil, v4Fail("Parameter \"%s\" is required.", p.name)
		}
		if !checkType(v, p.typ) {
			return nil, v4Fail("Parameter \"%s\" is not of the correct type. Expecting %s.", p.name, p.typ)
		}
	}
	a := &v4Action{ctx: c, entity: e, name: act, params: params, checkPerms: checkPerms}
	res, err := a.run()
	if err != nil {
		return nil, err
	}
	res.entity, res.action = e.name, act
	if debug, _ := params.Get("debug"); debug == true && c.p.has(permDebug) {
		d := translate.NewArray()
		d.Set("actionClass", a.actionClass())
		if a.sql != "" {
			l := translate.NewArray()
			l.Append(a.sql)
			d.Set("sql", l)
		}
		res.debug = d
	}
	if ch, ok := params.Get("chain"); ok {
		if err := c.chains(ch.(*arr), res, checkPerms); err != nil {
			return nil, err
		}
	}
	switch {
	case indexField != "":
		res.values = indexBy(res.values, indexField, removeIndex)
	case isIntIndex(index):
		n, _ := strconv.Atoi(translate.PHPString(index))
		item := itemAt(res.values, n)
		if item == nil {
			return nil, v4Fail("Index %d not found in api results", n)
		}
		row, ok := item.(*arr)
		if !ok {
			row = translate.NewArray()
		}
		res.values = row
	default:
		if ia, ok := index.(*arr); ok && ia.Len() > 0 {
			res.values = indexColumn(res.values, ia)
		}
	}
	return res, nil
}

// isIntIndex is CRM_Utils_Rule::integer on an index: an int, or a string
// of digits.
func isIntIndex(v any) bool {
	switch x := v.(type) {
	case string:
		return isIntString(x)
	case translate.Number:
		return isIntString(string(x))
	}
	return false
}

func isFalsy(v any) bool {
	return v == nil || v == false || v == "" || v == "0" || v == translate.Number("0")
}

func isIntString(s string) bool {
	if s == "" {
		return false
	}
	_, err := strconv.ParseInt(s, 10, 64)
	return err == nil
}

func isEmptyArr(v any) bool {
	a, ok := v.(*arr)
	return ok && a.Len() == 0
}

func inList(l *arr, s string) bool {
	for i := 0; i < l.Len(); i++ {
		if translate.PHPString(l.Value(i)) == s {
			return true
		}
	}
	return false
}

// castSoftly is ReflectionUtils::castTypeSoftly: numeric strings become
// ints, "true"/"false" and numbers become booleans; anything else is left
// for checkType to refuse.
func castSoftly(v any, typ string) any {
	switch typ {
	case "int":
		if s, ok := v.(string); ok && isIntString(strings.TrimSpace(s)) {
			n, _ := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
			return num(n)
		}
		if n, ok := v.(translate.Number); ok {
			if f, err := strconv.ParseFloat(string(n), 64); err == nil && f == float64(int64(f)) {
				return num(int64(f))
			}
		}
	case "bool":
		switch x := v.(type) {
		case string:
			switch strings.ToLower(x) {
			case "1", "true":
				return true
			case "0", "false", "":
				return false
			}
		case translate.Number:
			f, _ := sqlNumber(x)
			return f != 0
		}
	case "string":
		if n, ok := v.(translate.Number); ok {
			return translate.PHPString(n)
		}
	}
	return v
}

// checkType is ValidateFieldsSubscriber::checkType (NULL always passes).
func checkType(v any, typ string) bool {
	if v == nil || typ == "mixed" {
		return true
	}
	switch typ {
	case "array":
		_, ok := v.(*arr)
		return ok
	case "bool":
		_, ok := v.(bool)
		return ok
	case "string":
		_, ok := v.(string)
		return ok
	case "int":
		n, ok := v.(translate.Number)
		return ok && isIntString(string(n))
	}
	return false
}

// indexBy is Result::indexBy: values keyed by a field of each row.
func indexBy(values *arr, field string, remove bool) *arr {
	out := translate.NewArray()
	for i := 0; i < values.Len(); i++ {
		row, ok := values.Value(i).(*arr)
		if !ok {
			continue
		}
		k, _ := row.Get(field)
		if remove {
			row = row.Clone()
			row.Delete(field)
		}
		out.Set(phpArrayKey(k), row)
	}
	return out
}

// phpArrayKey is the key PHP uses for a value ($a[$v]).
func phpArrayKey(v any) string {
	switch x := v.(type) {
	case bool:
		if x {
			return "1"
		}
		return "0"
	case translate.Number:
		if f, err := strconv.ParseFloat(string(x), 64); err == nil {
			return strconv.FormatInt(int64(f), 10)
		}
	}
	return translate.PHPString(v)
}

// itemAt is Result::itemAt: a negative position counts from the end.
func itemAt(values *arr, n int) any {
	if n < 0 {
		n += values.Len()
	}
	if n < 0 || n >= values.Len() {
		return nil
	}
	return values.Value(n)
}

// indexColumn is civicrm_api4's array index: ["col"] a list of that column,
// {"key": "col"} the column keyed by another.
func indexColumn(values *arr, index *arr) *arr {
	col := translate.PHPString(index.Value(0))
	key := index.Key(0)
	out := translate.NewArray()
	for i := 0; i < values.Len(); i++ {
		row, _ := values.Value(i).(*arr)
		v, _ := row.Get(col)
		if index.IsList() {
			out.Append(v)
			continue
		}
		k, _ := row.Get(key)
		out.Set(phpArrayKey(k), v)
	}
	return out
}

// chains is ActionObjectProvider::handleChains: each chain runs once per
// result row, after $-references in its entity, action and params (the
// whole tree, nested chains included) are replaced by the row's values.
// The first failure fails the whole call; writes already done stay.
func (c *v4Ctx) chains(chain *arr, res *v4Result, checkPerms bool) *v4Err {
	for i := 0; i < chain.Len(); i++ {
		name := chain.Key(i)
		req, ok := chain.Value(i).(*arr)
		if !ok {
			return &v4Err{status: 500, fatal: true, msg: "Unsupported operand types: " + phpType(chain.Value(i)) + " + array"}
		}
		for r := 0; r < res.values.Len(); r++ {
			row, ok := res.values.Value(r).(*arr)
			if !ok {
				continue
			}
			get := func(k string) any { v, _ := req.Get(k); return resolveChainLinks(v, row) }
			entity, action, params, index := get("0"), get("1"), get("2"), get("3")
			p := translate.NewArray()
			switch x := params.(type) {
			case *arr:
				p = x.Clone()
			case nil:
			default:
				return &v4Err{status: 500, fatal: true, msg: "civicrm_api4(): Argument #3 ($params) must be of type array, " + phpType(x) + " given"}
			}
			stripCheckPermissions(p)
			p.Set("checkPermissions", checkPerms)
			es, err := phpStringArg(entity, 1, "entity")
			if err != nil {
				return err
			}
			as, err := phpStringArg(action, 2, "action")
			if err != nil {
				return err
			}
			sub, err := c.call(es, as, p, index, false)
			if err != nil {
				return err
			}
			row.Set(name, sub.values)
		}
	}
	return nil
}

// phpStringArg is PHP's coercion of a scalar to a string parameter.
func phpStringArg(v any, n int, name string) (string, *v4Err) {
	switch v.(type) {
	case string, translate.Number, bool:
		return translate.PHPString(v), nil
	}
	return "", &v4Err{status: 500, fatal: true,
		msg: "civicrm_api4(): Argument #" + strconv.Itoa(n) + " ($" + name + ") must be of type string, " + phpType(v) + " given"}
}

func phpType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "bool"
	case string:
		return "string"
	case translate.Number:
		if strings.ContainsAny(string(x), ".eE") {
			return "float"
		}
		return "int"
	}
	return "array"
}

// resolveChainLinks replaces every string "$key" (more than the "$") by
// the row's value at key (or dot path); a missing or NULL value leaves the
// string as it is.
func resolveChainLinks(v any, row *arr) any {
	switch x := v.(type) {
	case *arr:
		out := translate.NewArray()
		for i := 0; i < x.Len(); i++ {
			out.Set(x.Key(i), resolveChainLinks(x.Value(i), row))
		}
		return out
	case string:
		if len(x) > 1 && x[0] == '$' {
			key := x[1:]
			if got, ok := row.Get(key); ok && got != nil {
				return got
			}
			var cur any = row
			for _, part := range strings.Split(key, ".") {
				a, ok := cur.(*arr)
				if !ok {
					return x
				}
				cur, _ = a.Get(part)
			}
			if cur != nil {
				return cur
			}
		}
	}
	return v
}

// v4Action is one action being run.
type v4Action struct {
	ctx        *v4Ctx
	entity     *v4Entity
	name       string
	params     *arr
	checkPerms bool
	sql        string // the get's SQL, for debug
}

func (a *v4Action) param(k string) any {
	v, _ := a.params.Get(k)
	return v
}

func (a *v4Action) list(k string) *arr {
	l, _ := a.param(k).(*arr)
	return l
}

func (a *v4Action) int(k string) int64 {
	return intOf(a.param(k))
}

// actionClass names the PHP class of the action, for debug output.
func (a *v4Action) actionClass() string {
	generic := map[string]string{"get": "DAOGetAction", "create": "DAOCreateAction", "update": "DAOUpdateAction",
		"save": "DAOSaveAction", "delete": "DAODeleteAction", "replace": "BasicReplaceAction",
		"getFields": "DAOGetFieldsAction", "getActions": "BasicGetActionsAction",
		"autocomplete": "AutocompleteAction", "checkAccess": "CheckAccessAction"}[a.name]
	if generic == "" {
		return `Civi\Api4\Action\` + a.entity.name + `\` + strings.ToUpper(a.name[:1]) + a.name[1:]
	}
	if !a.entity.dao {
		generic = strings.Replace(generic, "DAO", "Basic", 1)
	}
	return `Civi\Api4\Generic\` + generic
}

// run dispatches to the action.
func (a *v4Action) run() (*v4Result, *v4Err) {
	switch a.name {
	case "get":
		if a.entity.name == "Setting" {
			return a.settingGet()
		}
		return a.get()
	case "getFields":
		return a.getFields()
	case "getActions":
		return a.getActions()
	case "autocomplete":
		return a.autocomplete()
	case "checkAccess":
		return a.checkAccess()
	case "create":
		return a.create()
	case "update":
		return a.update()
	case "save":
		return a.save()
	case "delete":
		return a.delete()
	case "replace":
		return a.replace()
	case "getMergedFrom", "getMergedTo":
		// No contact of the simulated site was ever merged.
		return &v4Result{values: translate.NewArray()}, nil
	}
	return nil, v4Fail("civicrmsim: %s.%s is not simulated", a.entity.name, a.name)
}

// visibleRows are the entity's rows the caller may read (all of them
// without permission checks).
func (a *v4Action) visibleRows() []v4Row {
	s := a.ctx.s
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []v4Row
	for _, r := range a.entity.rows(s) {
		if a.entity.where != nil && !a.entity.where(r) {
			continue
		}
		if !a.checkPerms || a.entity.visible(s, a.ctx.p, r) {
			out = append(out, r)
		}
	}
	return out
}

func (a *v4Action) query() *v4Query {
	p := a.ctx.p
	if !a.checkPerms {
		// Without permission checks every field is visible.
		p = &principal{user: &User{perms: adminPerms()}, contactID: a.ctx.p.cid()}
	}
	return &v4Query{s: a.ctx.s, p: p, entity: a.entity}
}

func (a *v4Action) getSpec() v4GetSpec {
	spec := v4GetSpec{join: a.list("join"), where: a.list("where"), groupBy: a.list("groupBy"),
		having: a.list("having"), orderBy: a.list("orderBy"), limit: a.int("limit"), offset: a.int("offset")}
	if sel := a.list("select"); sel != nil {
		for i := 0; i < sel.Len(); i++ {
			spec.sel = append(spec.sel, translate.PHPString(sel.Value(i)))
		}
	}
	return spec
}

// get is DAOGetAction.
func (a *v4Action) get() (*v4Result, *v4Err) {
	rows := a.visibleRows()
	a.ctx.s.mu.Lock()
	got, err := a.query().runGet(a.getSpec(), rows)
	a.ctx.s.mu.Unlock()
	if err != nil {
		return nil, err
	}
	a.sql = got.sql
	res := &v4Result{values: translate.NewArray()}
	for _, r := range got.rows {
		res.values.Append(r)
	}
	if got.rowCount {
		res.rowCount, res.countMatched = intPtr(got.matched), intPtr(got.matched)
	}
	return res, nil
}

// arrayGet is the array-query part of the Basic actions: where, orderBy,
// limit, offset over rows, select keeping each row's own key order; count
// is every match (read-13).
func (a *v4Action) arrayGet(rows []*arr) (*v4Result, *v4Err) {
	fields := map[string]bool{}
	var base []v4Row
	for _, r := range rows {
		m := v4Row{}
		for i := 0; i < r.Len(); i++ {
			m[r.Key(i)] = r.Value(i)
			fields[r.Key(i)] = true
		}
		base = append(base, m)
	}
	var ent v4Entity
	for f := range fields {
		ent.fields = append(ent.fields, fld(f, "String"))
	}
	q := &v4Query{s: a.ctx.s, p: a.ctx.p, entity: &ent, lenient: true}
	spec := a.getSpec()
	if err := q.checkWhere(spec.where, nil); err != nil {
		return nil, err
	}
	var kept []int
	for i, r := range base {
		if spec.where == nil || q.matches(&v4Rec{rows: map[string]v4Row{"": r}}, spec.where) {
			kept = append(kept, i)
		}
	}
	for i := spec.orderBy.Len() - 1; i >= 0; i-- {
		k, desc := spec.orderBy.Key(i), strings.EqualFold(translate.PHPString(spec.orderBy.Value(i)), "DESC")
		sort.SliceStable(kept, func(x, y int) bool {
			c := orderCompare(base[kept[x]][k], base[kept[y]][k])
			return c < 0 != desc && c != 0
		})
	}
	total := len(kept)
	if off := int(spec.offset); off < len(kept) {
		kept = kept[off:]
	} else {
		kept = nil
	}
	if spec.limit > 0 && int(spec.limit) < len(kept) {
		kept = kept[:spec.limit]
	}
	res := &v4Result{values: translate.NewArray(), rowCount: intPtr(total)}
	sel := map[string]bool{}
	for _, s := range spec.sel {
		sel[s] = true
	}
	for _, i := range kept {
		row := rows[i]
		if len(sel) > 0 && !sel["*"] {
			out := translate.NewArray()
			for j := 0; j < row.Len(); j++ {
				if sel[row.Key(j)] {
					out.Set(row.Key(j), row.Value(j))
				}
			}
			row = out
		}
		res.values.Append(row)
	}
	return res, nil
}

// getFields is (DAO)GetFieldsAction: the entity's fields the caller may
// see (custom fields need "access all custom data"), "required" as the
// action given (default get) needs it.
func (a *v4Action) getFields() (*v4Result, *v4Err) {
	forAction := translate.PHPString(a.param("action"))
	if forAction == "" {
		forAction = "get"
	}
	includeCustom := a.param("includeCustom") != false
	loadOptions := a.param("loadOptions")
	var rows []*arr
	for _, f := range a.entity.fields {
		if f.custom && (!includeCustom || a.checkPerms && !a.ctx.p.has(permCustomData)) {
			continue
		}
		req := f.required
		if forAction == "create" {
			req = f.create
		}
		kind := "Field"
		switch {
		case f.custom:
			kind = "Custom"
		case f.calc:
			kind = "Extra"
		}
		r := translate.NewArray()
		r.Set("required", req)
		r.Set("readonly", f.readonly)
		r.Set("name", f.name)
		r.Set("title", strings.ToUpper(f.title[:1])+f.title[1:])
		r.Set("data_type", f.dataType)
		r.Set("type", kind)
		r.Set("entity", a.entity.name)
		r.Set("fk_entity", nilIfEmpty(f.fk))
		r.Set("serialize", boolNum(f.serial))
		var options any = false
		if f.options != nil && !isFalsy(loadOptions) {
			o := translate.NewArray()
			for _, k := range sortedKeys(f.options) {
				o.Set(k, f.options[k])
			}
			options = o
		} else if f.options != nil {
			options = true
		}
		r.Set("options", options)
		rows = append(rows, r)
	}
	return a.arrayGet(rows)
}

func nilIfEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func boolNum(b bool) any {
	if b {
		return num(1)
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// getActions lists the actions the caller is authorized for (all of them
// without permission checks), with their parameters.
func (a *v4Action) getActions() (*v4Result, *v4Err) {
	var rows []*arr
	for _, act := range a.entity.actions {
		if a.checkPerms && act != "checkAccess" && !a.entity.authorized(a.ctx.p, act) {
			continue
		}
		params := translate.NewArray()
		for _, p := range a.entity.params(act) {
			info := translate.NewArray()
			info.Set("name", p.name)
			types := translate.NewArray()
			types.Append(p.typ)
			info.Set("type", types)
			info.Set("required", p.required)
			params.Set(p.name, info)
		}
		r := translate.NewArray()
		r.Set("name", act)
		r.Set("description", nil)
		r.Set("comment", nil)
		r.Set("see", nil)
		r.Set("params", params)
		r.Set("deprecated", false)
		rows = append(rows, r)
	}
	return a.arrayGet(rows)
}

// settingGet returns the selected settings (all without select).
func (a *v4Action) settingGet() (*v4Result, *v4Err) {
	res := &v4Result{values: translate.NewArray()}
	sel := a.list("select")
	for _, r := range a.entity.rows(a.ctx.s) {
		if sel.Len() > 0 && !inList(sel, r["name"].(string)) {
			continue
		}
		row := translate.NewArray()
		row.Set("name", r["name"])
		row.Set("value", r["value"])
		res.values.Append(row)
	}
	return res, nil
}

// autocomplete searches the entity's label field (Contact: sort_name)
// for the input anywhere in it, or an id equal to a numeric input, and
// answers id, label, icon and description rows in label order (read-16).
func (a *v4Action) autocomplete() (*v4Result, *v4Err) {
	input := strings.TrimSpace(translate.PHPString(a.param("input")))
	label := a.entity.label
	if label == "" {
		label = "id"
	}
	var found []v4Row
	for _, r := range a.visibleRows() {
		if input == "" || strings.Contains(foldString(translate.PHPString(r[label])), foldString(input)) ||
			isIntString(input) && translate.PHPString(r["id"]) == input {
			found = append(found, r)
		}
	}
	sort.SliceStable(found, func(i, j int) bool {
		return orderCompare(found[i][label], found[j][label]) < 0
	})
	matched := len(found)
	if len(found) > 10 {
		found = found[:10]
	}
	res := &v4Result{values: translate.NewArray(), countMatched: intPtr(matched)}
	for _, r := range found {
		row := translate.NewArray()
		row.Set("id", r["id"])
		row.Set("label", r[label])
		if t, ok := r["contact_type"].(string); ok && a.entity.table == "civicrm_contact" {
			row.Set("icon", map[string]string{"Individual": "fa-user", "Organization": "fa-building", "Household": "fa-home"}[t])
			desc := translate.NewArray()
			desc.Append("#" + translate.PHPString(r["id"]) + " " + t)
			row.Set("description", desc)
		}
		res.values.Append(row)
	}
	fields := translate.NewArray()
	fields.Append("id")
	fields.Append(label)
	res.extras = [][2]any{{"searchFields", fields}, {"searchField", label}}
	return res, nil
}

// checkAccess answers whether the caller may run an action on a record:
// the action's permission and the record-level check; the id comes back
// only when access is granted (read-45).
func (a *v4Action) checkAccess() (*v4Result, *v4Err) {
	action := translate.PHPString(a.param("action"))
	values := a.list("values")
	id, _ := values.Get("id")
	granted := true
	if action != "checkAccess" {
		granted = a.ctx.checkAccessDelegated(a.entity, action, values)
	}
	row := translate.NewArray()
	row.Set("access", granted)
	if granted {
		row.Set("id", id)
	} else {
		row.Set("id", nil)
	}
	res := &v4Result{values: translate.NewArray()}
	res.values.Append(row)
	return res, nil
}

// checkAccessDelegated is CoreUtil::checkAccessDelegated: the action's
// permission, then for a record with an id the row ACL (reads) or the
// edit check (writes).
func (c *v4Ctx) checkAccessDelegated(e *v4Entity, action string, values *arr) bool {
	act, err := resolveAction(e, e.name, action)
	if err != nil || !e.authorized(c.p, act) {
		return false
	}
	id, hasID := values.Get("id")
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if !hasID {
		if act == "create" && e.editable != nil {
			return e.editable(s, c.p, v4RowFromArr(values))
		}
		return true
	}
	for _, r := range e.rows(s) {
		if translate.PHPString(r["id"]) != translate.PHPString(id) {
			continue
		}
		if strings.HasPrefix(act, "get") || act == "autocomplete" {
			return e.visible(s, c.p, r)
		}
		return e.editable != nil && e.editable(s, c.p, r)
	}
	return false
}

func v4RowFromArr(a *arr) v4Row {
	r := v4Row{}
	for i := 0; i < a.Len(); i++ {
		r[a.Key(i)] = a.Value(i)
	}
	return r
}
