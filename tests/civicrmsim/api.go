package civicrmsim

import (
	"crypto/md5"
	"encoding/hex"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

type arr = translate.Array

func num(n int64) translate.Number { return translate.Number(strconv.FormatInt(n, 10)) }

// apiErr is civicrm_api3_create_error($msg, $data): data first, then
// is_error and error_message.
func apiErr(msg string, kv ...any) *arr {
	e := translate.NewArray()
	for i := 0; i+1 < len(kv); i += 2 {
		e.Set(kv[i].(string), kv[i+1])
	}
	e.Set("is_error", translate.Number("1"))
	e.Set("error_message", msg)
	return e
}

// kernelErr is the API kernel's formatting of an exception with a code:
// {extra…, error_code, entity, action, is_error, error_message}.
func kernelErr(code, entity, action, msg string, extra ...any) *arr {
	kv := append(extra, "error_code", code, "entity", entity, "action", action)
	return apiErr(msg, kv...)
}

func isErr(v any) bool {
	a, ok := v.(*arr)
	if !ok {
		return false
	}
	e, _ := a.Get("is_error")
	return e == translate.Number("1")
}

// entityDef is one simulated API entity.
type entityDef struct {
	rows    func(s *Simulator, p *principal, params *arr) []*arr // visible rows, default order
	fields  []string                                             // filterable fields
	create  func(s *Simulator, p *principal, params *arr) any
	delete  func(s *Simulator, id int64) bool
	mandate []string // mandatory on create without id
}

var entities map[string]*entityDef

func init() {
	entities = map[string]*entityDef{
		"Contact":      {rows: contactRows, fields: contactGetFields, create: contactCreate, delete: contactDelete, mandate: []string{"contact_type"}},
		"Email":        {rows: emailRows, fields: emailFields, create: emailCreate, delete: emailDelete, mandate: []string{"contact_id", "email"}},
		"Phone":        {rows: phoneRows, fields: phoneFields, create: phoneCreate, delete: phoneDelete, mandate: []string{"contact_id", "phone"}},
		"Group":        {rows: groupRows, fields: []string{"id", "name", "title", "is_active"}},
		"GroupContact": {rows: groupContactRows, fields: []string{"id", "group_id", "contact_id", "status"}, create: groupContactCreate, mandate: []string{"group_id", "contact_id"}},
	}
}

// api is civicrm_api3(): kernel resolution, the action, chaining,
// debug. top counts the call for Calls.
func (s *Simulator) api(p *principal, entity, action string, params *arr, top bool) any {
	// Request::create munges both again: an empty one becomes a random name.
	entity, action = translate.NormalEntity(translate.Munge(entity)), translate.NormalAction(translate.Munge(action))
	switch requestVersion(params) {
	case 3:
	case 4:
		// Request::create builds an APIv4 action and calls a setter per
		// parameter; REST's check_permissions has none (recorded, v3v4-1…4).
		return apiErr("Unknown api parameter: check_permissions", "error_code", translate.Number("0"), "entity", nil, "action", nil)
	default:
		// NotImplementedException, thrown before the request has names (code).
		return apiErr("Unknown api version", "error_code", "not-found", "entity", nil, "action", nil)
	}
	if top {
		s.mu.Lock()
		s.calls[entity+"."+action]++
		s.mu.Unlock()
	}
	def := entities[entity]
	notFound := func() any {
		return kernelErr("not-found", entity, action, "API ("+entity+", "+action+") does not exist (join the API team and implement it!)")
	}
	if def == nil {
		return notFound()
	}
	debug := !empty(params, "debug")
	var res any
	switch action {
	case "get":
		res = s.get(p, entity, def, params, debug)
	case "getsingle", "getvalue", "getcount":
		gp := params.Clone()
		if action == "getcount" {
			opts := translate.NewArray()
			opts.Set("limit", translate.Number("0"))
			gp.Set("options", opts)
		}
		g := s.get(p, entity, def, gp, false)
		if isErr(g) {
			return g
		}
		ga := g.(*arr)
		if action == "getsingle" {
			// civicrm_api3_generic_getsingle runs a full get, chains included.
			if err := s.chain(p, entity, "get", gp, ga); err != nil {
				return err
			}
		}
		cnt, _ := ga.Get("count")
		n, _ := strconv.ParseInt(translate.PHPString(cnt), 10, 64)
		switch action {
		case "getcount":
			return num(n)
		case "getvalue":
			ret := scalarString(params, "return")
			if ret == "" {
				return apiErr("missing param return=field you want to read the value of", "error_type", "mandatory_missing", "missing_param", "return")
			}
			if n != 1 {
				return apiErr("Expected one "+entity+" but found "+strconv.FormatInt(n, 10), "count", num(n))
			}
			row := firstRow(ga)
			v, ok := row.Get(ret)
			if !ok || v == nil {
				return apiErr("field "+ret+" unset or not existing", "invalid_field", ret)
			}
			return v
		default:
			if n != 1 {
				return apiErr("Expected one "+entity+" but found "+strconv.FormatInt(n, 10), "count", num(n))
			}
			return firstRow(ga)
		}
	case "create":
		if def.create == nil {
			return notFound()
		}
		if !params.Has("id") {
			var missing []any
			for _, f := range def.mandate {
				if empty(params, f) {
					missing = append(missing, f)
				}
			}
			if len(missing) > 0 {
				names := make([]string, len(missing))
				fl := translate.NewArray()
				for i, m := range missing {
					names[i] = m.(string)
					fl.Append(m)
				}
				return kernelErr("mandatory_missing", entity, action, "Mandatory key(s) missing from params array: "+strings.Join(names, ", "), "fields", fl)
			}
		}
		s.mu.Lock()
		res = def.create(s, p, params)
		s.mu.Unlock()
		if !isErr(res) {
			res = s.success(res.(*arr), params, false, false)
		}
	case "delete":
		if def.delete == nil {
			return notFound()
		}
		id, ok := intParam(params, "id")
		if !ok {
			fl := translate.NewArray()
			fl.Append("id")
			return kernelErr("mandatory_missing", entity, action, "Mandatory key(s) missing from params array: id", "fields", fl)
		}
		s.mu.Lock()
		done := def.delete(s, id)
		s.mu.Unlock()
		if !done {
			return apiErr("Could not delete entity id " + strconv.FormatInt(id, 10))
		}
		r := translate.NewArray()
		r.Set("is_error", translate.Number("0"))
		r.Set("version", translate.Number("3"))
		r.Set("count", translate.Number("1"))
		r.Set("values", translate.Number("1"))
		return r
	default:
		return notFound()
	}
	if ra, ok := res.(*arr); ok && !isErr(ra) {
		if err := s.chain(p, entity, action, params, ra); err != nil {
			return err
		}
		if debug {
			ra.Set("xdebug", translate.NewArray())
		}
	}
	return res
}

// requestVersion is Request::create's `switch ($params['version'])`: a
// loose comparison with 3, then 4.
func requestVersion(params *arr) int {
	v, ok := params.Get("version")
	if !ok {
		return 3
	}
	switch x := v.(type) {
	case bool:
		if x {
			return 3
		}
		return 0
	case string, translate.Number:
		f, err := strconv.ParseFloat(strings.Trim(translate.PHPString(x), " \t\n\r\v\f"), 64)
		if err == nil && (f == 3 || f == 4) {
			return int(f)
		}
	}
	return 0
}

func firstRow(res *arr) *arr {
	v, _ := res.Get("values")
	vals, _ := v.(*arr)
	if vals.Len() == 0 {
		return translate.NewArray()
	}
	row, _ := vals.Value(0).(*arr)
	return row
}

func intParam(params *arr, k string) (int64, bool) {
	v, ok := params.Get(k)
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(strings.TrimSpace(translate.PHPString(v)), 10, 64)
	return n, err == nil
}

// success is civicrm_api3_create_success over rows keyed by id: is_error,
// [undefined_fields], version, count, [id], values (a list if
// sequential).
func (s *Simulator) success(values *arr, params *arr, debug bool, undefined bool) *arr {
	r := translate.NewArray()
	r.Set("is_error", translate.Number("0"))
	if debug && undefined {
		u := translate.NewArray()
		for _, k := range params.Keys() {
			if undefinedField(k) {
				u.Append(k)
			}
		}
		r.Set("undefined_fields", u)
	}
	r.Set("version", translate.Number("3"))
	r.Set("count", num(int64(values.Len())))
	if values.Len() == 1 {
		if id, ok := translate.IntKey(values.Key(0)); ok {
			r.Set("id", num(id))
		}
	}
	if sequential(params) {
		list := translate.NewArray()
		for i := 0; i < values.Len(); i++ {
			list.Append(values.Value(i))
		}
		values = list
	}
	r.Set("values", values)
	return r
}

// sequential is $params['sequential'] == 1 (PHP 8 loose comparison).
func sequential(params *arr) bool {
	v, ok := params.Get("sequential")
	if !ok {
		return false
	}
	switch x := v.(type) {
	case bool:
		return x
	case string, translate.Number:
		f, err := strconv.ParseFloat(strings.TrimSpace(translate.PHPString(x)), 64)
		return err == nil && f == 1
	}
	return false
}

// optionKeys are params the get machinery consumes; anything else that is
// not a field of the entity is an "undefined field" under debug.
func optionKey(k string) bool {
	switch k {
	case "sequential", "debug", "return", "options", "version", "check_permissions", "prettyprint",
		"rowCount", "offset", "sort", "json", "is_deleted":
		return true
	}
	return strings.HasPrefix(k, "option") || strings.HasPrefix(k, "return.") || strings.HasPrefix(k, "return_") ||
		strings.HasPrefix(k, "api.") || strings.HasPrefix(k, "api_")
}

// undefinedField mirrors Contact.get's query object: "id" is not one of
// its fields (contact_id is), which is why debug lists it (recorded).
func undefinedField(k string) bool {
	if optionKey(k) {
		return false
	}
	for _, f := range contactGetFields {
		if f == k && k != "id" {
			return false
		}
	}
	return k != "group"
}

// md5hex makes a contact hash.
func md5hex(s string) string {
	h := md5.Sum([]byte(s))
	return hex.EncodeToString(h[:])
}
