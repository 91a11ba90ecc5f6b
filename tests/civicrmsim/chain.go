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
					call.Set(extra.Key(j), replaceVars(extra.Value(j), row))
				}
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

// replaceVars is _civicrm_api_replace_variables: "$value.field" takes the
// parent row's field.
func replaceVars(v any, row *arr) any {
	if s, ok := v.(string); ok {
		if f, ok := strings.CutPrefix(s, "$value."); ok {
			if rv, has := row.Get(f); has {
				return rv
			}
		}
	}
	return v
}
