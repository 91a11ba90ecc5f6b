package civicrmsim

import (
	"strings"

	"github.com/civigate/civigate/translate"
)

// chain is ChainSubscriber: every param whose key starts with "api" and has
// '.' or '_' as 4th character, and whose value is an array or the integer
// 1 (strictly: the string "1" is no chain), runs once per result row
// (once per element for a list), with the parent's id passed down. Writes
// inside a get run too: the GET rule only looked at the top-level action.
// A failing chained call fails the whole request; earlier writes stay.
func (s *Simulator) chain(p *principal, entity, action string, params *arr, res *arr) *arr {
	if action == "getfields" || action == "getfield" || action == "getoptions" {
		return nil
	}
	vals, _ := res.Get("values")
	rows, ok := vals.(*arr)
	if !ok {
		return nil
	}
	for i := 0; i < params.Len(); i++ {
		key, v := params.Key(i), params.Value(i)
		if len(key) < 5 || !strings.HasPrefix(key, "api") || key[3] != '.' && key[3] != '_' ||
			key == "api.has_parent" || key == "api_params" {
			continue
		}
		sub, isArr := v.(*arr)
		if !isArr && v != translate.Number("1") {
			continue
		}
		if sub == nil {
			sub = translate.NewArray()
		}
		parts := strings.Split(key, key[3:4])
		if len(parts) < 2 || parts[1] == "" {
			continue
		}
		subEntity := translate.NormalEntity(parts[1])
		subAction := action
		if len(parts) > 2 && parts[2] != "" {
			subAction = parts[2]
		}
		lowerSub, lowerParent := strings.ToLower(subEntity), strings.ToLower(entity)
		for r := 0; r < rows.Len(); r++ {
			row, _ := rows.Value(r).(*arr)
			if row == nil {
				continue
			}
			parentID, _ := row.Get("id")
			base := translate.NewArray()
			if d, ok := params.Get("debug"); ok {
				base.Set("debug", d)
			}
			if lowerSub != "contact" {
				base.Set("entity_id", parentID)
				base.Set("entity_table", "civicrm_"+lowerParent)
				base.Set(lowerParent+"_id", parentID)
			}
			if lowerSub == lowerParent {
				base.Set("id", parentID)
			}
			base.Set("version", translate.Number("3"))
			base.Set("check_permissions", true)
			base.Set("sequential", translate.Number("1"))
			base.Set("api.has_parent", translate.Number("1"))
			run := func(extra *arr) (any, *arr) {
				call := base.Clone()
				for j := 0; j < extra.Len(); j++ {
					call.Set(extra.Key(j), extra.Value(j))
				}
				replaceVariables(call, row, key[3:4])
				// Enforced over the client's sub-params: the parent's
				// version and permission check, and the parent marker.
				call.Set("version", translate.Number("3"))
				call.Set("check_permissions", true)
				call.Set("api.has_parent", translate.Number("1"))
				out := s.api(p, subEntity, subAction, call, false)
				if isErr(out) {
					e := out.(*arr)
					msg := scalarString(e, "error_message")
					return nil, kernelErr("chained_api_failed", entity, action,
						"Error in call to "+lowerSub+"_"+translate.NormalAction(subAction)+" : "+msg)
				}
				return out, nil
			}
			if sub.Has("0") {
				list := translate.NewArray()
				for j := 0; j < sub.Len(); j++ {
					one, _ := sub.Value(j).(*arr)
					if one == nil {
						one = translate.NewArray()
					}
					out, err := run(one)
					if err != nil {
						return err
					}
					list.Append(out)
				}
				row.Set(key, list)
			} else {
				out, err := run(sub)
				if err != nil {
					return err
				}
				row.Set(key, out)
			}
		}
	}
	return nil
}

// replaceVariables is _civicrm_api_replace_variables (api/api.php, 6.x)
// over a chained call's params before it runs: a "$value…" string takes
// data from the parent row, as does the first value of an array (the
// operator syntax, emptied to "" when it finds nothing). Keys starting
// with "api." are left alone (CRM-21246); "api_" chains are not, so a
// reference there can become a chain (an array, or the integer 1).
func replaceVariables(params, row *arr, sep string) {
	for i := 0; i < params.Len(); i++ {
		k, v := params.Key(i), params.Value(i)
		if strings.HasPrefix(k, "api.") {
			continue
		}
		if s, ok := v.(string); ok && strings.HasPrefix(s, "$value") {
			params.Set(k, replaceVariable(s, row, sep))
			continue
		}
		a, ok := v.(*arr)
		if !ok || a.Len() == 0 {
			continue
		}
		if s, ok := a.Value(0).(string); ok && strings.HasPrefix(s, "$value") {
			if r := replaceVariable(s, row, sep); r == nil {
				params.Set(k, "")
			} else {
				a = a.Clone()
				a.Set(a.Key(0), r)
				params.Set(k, a)
			}
		}
	}
}

// replaceVariable is _civicrm_api_replace_variable: the row's field named
// by what follows "$value" and one more character, if not empty;
// otherwise the value split on the chain's separator is read as a dotted
// field name holding an array and a path into it; NULL when neither
// finds anything (CRM-16168).
func replaceVariable(value string, row *arr, sep string) any {
	if len(value) > 7 && !empty(row, value[7:]) {
		v, _ := row.Get(value[7:])
		return v
	}
	parts := strings.Split(value, sep)[1:]
	if len(parts) == 0 {
		return nil
	}
	var out any
	field, parts := parts[0], parts[1:]
	for len(parts) > 0 {
		field, parts = field+"."+parts[0], parts[1:]
		v, ok := row.Get(field)
		if _, isArr := v.(*arr); !ok || !isArr {
			continue
		}
		for _, p := range parts {
			a, _ := v.(*arr)
			v, _ = a.Get(p)
		}
		out = v
	}
	return out
}
