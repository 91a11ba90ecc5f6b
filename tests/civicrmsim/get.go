package civicrmsim

import (
	"regexp"
	"sort"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// get is the generic v3 get: filters on entity fields (equality, or an
// operator array such as {"IN":[…]}, {"LIKE":"A%"}), options
// (limit default 25, 0 = all; offset; sort), return, sequential.
func (s *Simulator) get(p *principal, entity string, def *entityDef, params *arr, debug bool) any {
	limit, offset, sortSpec := getOptions(params)
	s.mu.Lock()
	rows := def.rows(s, p, params)
	s.mu.Unlock()
	var kept []*arr
	for _, row := range rows {
		if matches(p, def, row, params) {
			kept = append(kept, row)
		}
	}
	if sortSpec != "" {
		terms := strings.Split(sortSpec, ",")
		for _, t := range terms {
			t = strings.TrimSpace(t)
			if strings.Contains(strings.ToUpper(t), "SELECT") {
				return apiErr("invalid string in sort options")
			}
			if !sortTerm.MatchString(t) {
				return apiErr("Unknown field specified for sort. Cannot order by '" + t + "'")
			}
		}
		sort.SliceStable(kept, func(i, j int) bool {
			for _, t := range terms {
				f := strings.Fields(t)
				desc := len(f) > 1 && strings.EqualFold(f[1], "desc")
				a, b := fieldOf(kept[i], f[0]), fieldOf(kept[j], f[0])
				if a == b {
					continue
				}
				if less(a, b) != desc {
					return true
				}
				return false
			}
			return false
		})
	}
	if offset > len(kept) {
		offset = len(kept)
	}
	kept = kept[offset:]
	if limit > 0 && limit < len(kept) {
		kept = kept[:limit]
	}
	ret := returnFields(params)
	values := translate.NewArray()
	for _, row := range kept {
		id, _ := row.Get("id")
		if ret != nil {
			row = project(entity, row, ret)
		}
		values.Set(translate.PHPString(id), row)
	}
	return s.success(values, params, debug, entity == "Contact")
}

var sortTerm = regexp.MustCompile(`(?i)^[\w.]+( (asc|desc))?$|^\(1\)$`)

func fieldOf(row *arr, f string) string {
	if f == "(1)" {
		return ""
	}
	return scalarString(row, strings.TrimPrefix(f, "contact_a."))
}

// less orders numbers numerically and strings case-insensitively, as MySQL
// with a _ci collation would.
func less(a, b string) bool {
	x, e1 := strconv.ParseFloat(a, 64)
	y, e2 := strconv.ParseFloat(b, 64)
	if e1 == nil && e2 == nil {
		return x < y
	}
	return strings.ToLower(a) < strings.ToLower(b)
}

// getOptions is _civicrm_api3_get_options_from_params: options.* win over
// the legacy option_*/option.* and rowCount/offset/sort spellings.
func getOptions(params *arr) (limit, offset int, sortSpec string) {
	limit = 25
	pick := func(names ...string) (any, bool) {
		var found any
		ok := false
		for _, n := range names {
			if v, has := params.Get(n); has {
				found, ok = v, true
			}
		}
		if o, has := params.Get("options"); has {
			if oa, isArr := o.(*arr); isArr {
				key := strings.TrimPrefix(names[0], "option_")
				if v, has := oa.Get(key); has {
					found, ok = v, true
				}
			}
		}
		return found, ok
	}
	if v, ok := pick("option_limit", "rowCount", "option.limit"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(translate.PHPString(v))); err == nil {
			limit = n
		}
	}
	if v, ok := pick("option_offset", "offset", "option.offset"); ok {
		if n, err := strconv.Atoi(strings.TrimSpace(translate.PHPString(v))); err == nil {
			offset = n
		}
	}
	if v, ok := pick("option_sort", "sort", "option.sort"); ok {
		if a, isArr := v.(*arr); isArr {
			var parts []string
			for i := 0; i < a.Len(); i++ {
				parts = append(parts, translate.PHPString(a.Value(i)))
			}
			sortSpec = strings.Join(parts, ",")
		} else {
			sortSpec = translate.PHPString(v)
		}
	}
	return limit, offset, sortSpec
}

// returnFields is the requested field list: return as an array (its
// values) or a comma string, plus return.<field> keys; nil means all.
func returnFields(params *arr) map[string]bool {
	var m map[string]bool
	add := func(f string) {
		f = strings.TrimSpace(f)
		if f == "" {
			return
		}
		if m == nil {
			m = map[string]bool{}
		}
		m[f] = true
	}
	if v, ok := params.Get("return"); ok {
		if a, isArr := v.(*arr); isArr {
			for i := 0; i < a.Len(); i++ {
				add(translate.PHPString(a.Value(i)))
			}
		} else {
			for _, f := range strings.Split(translate.PHPString(v), ",") {
				add(f)
			}
		}
	}
	for _, k := range params.Keys() {
		if f, ok := strings.CutPrefix(k, "return."); ok && !empty(params, k) {
			add(f)
		}
	}
	return m
}

// project keeps the requested fields; a Contact row always keeps
// contact_id first and id last, other entities keep id first.
func project(entity string, row *arr, ret map[string]bool) *arr {
	out := translate.NewArray()
	for i := 0; i < row.Len(); i++ {
		k := row.Key(i)
		keep := ret[k] || k == "id" || entity == "Contact" && k == "contact_id"
		if strings.Contains(k, ".") { // chained results
			keep = true
		}
		if keep {
			out.Set(k, row.Value(i))
		}
	}
	return out
}

// matches applies every param naming a filterable field.
func matches(p *principal, def *entityDef, row *arr, params *arr) bool {
	for i := 0; i < params.Len(); i++ {
		k, v := params.Key(i), params.Value(i)
		if k == "contact_is_deleted" || k == "is_deleted" {
			continue
		}
		field := k
		if k == "group" { // Contact: applied by contactRows
			continue
		}
		known := false
		for _, f := range def.fields {
			if f == field {
				known = true
				break
			}
		}
		if !known {
			continue
		}
		if s, isStr := v.(string); isStr && s == "user_contact_id" && (k == "id" || k == "contact_id") && p != nil {
			v = strconv.FormatInt(p.contactID, 10)
		}
		if !matchValue(scalarString(row, field), v) {
			return false
		}
	}
	return true
}

// matchValue compares a row value with a filter: a scalar is SQL equality
// (case-insensitive, as a _ci collation), an array is an operator map or a
// plain list (IN).
func matchValue(have string, want any) bool {
	a, isArr := want.(*arr)
	if !isArr {
		return strings.EqualFold(have, translate.PHPString(want))
	}
	if a.IsList() {
		return in(have, a)
	}
	for i := 0; i < a.Len(); i++ {
		op, v := strings.ToUpper(a.Key(i)), a.Value(i)
		w := translate.PHPString(v)
		var ok bool
		switch op {
		case "=":
			ok = strings.EqualFold(have, w)
		case "!=", "<>":
			ok = !strings.EqualFold(have, w)
		case "IN":
			l, _ := v.(*arr)
			ok = in(have, l)
		case "NOT IN":
			l, _ := v.(*arr)
			ok = !in(have, l)
		case "LIKE", "NOT LIKE":
			ok = like(have, w) == (op == "LIKE")
		case ">", ">=", "<", "<=":
			ok = compare(have, w, op)
		case "IS NULL":
			ok = have == ""
		case "IS NOT NULL":
			ok = have != ""
		default:
			ok = false
		}
		if !ok {
			return false
		}
	}
	return true
}

func in(have string, l *arr) bool {
	for i := 0; i < l.Len(); i++ {
		if strings.EqualFold(have, translate.PHPString(l.Value(i))) {
			return true
		}
	}
	return false
}

func like(have, pattern string) bool {
	re := "(?is)^" + strings.NewReplacer("%", ".*", "_", ".").Replace(regexp.QuoteMeta(pattern)) + "$"
	// QuoteMeta leaves % and _ alone, so the replacer sees them unescaped.
	ok, _ := regexp.MatchString(re, have)
	return ok
}

func compare(have, w, op string) bool {
	switch op {
	case ">":
		return less(w, have)
	case "<":
		return less(have, w)
	case ">=":
		return !less(have, w)
	default:
		return !less(w, have)
	}
}

// matchGroup is Contact.get's group filter over a contact's group ids.
func matchGroup(groups []int64, want any) bool {
	if a, isArr := want.(*arr); isArr && !a.IsList() {
		// {"IN":[…]} or a {id: 1} map as the old API accepted.
		if l, ok := a.Get("IN"); ok {
			want = l
		} else {
			keys := translate.NewArray()
			for _, k := range a.Keys() {
				keys.Append(k)
			}
			want = keys
		}
	}
	for _, g := range groups {
		if matchValue(strconv.FormatInt(g, 10), want) {
			return true
		}
	}
	return false
}
