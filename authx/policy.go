package authx

import (
	"fmt"
	"net/netip"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/civigate/civigate/translate"
)

// Policy is an ordered list of allow/deny rules: the first rule that
// matches decides; when none does, Default does.
type Policy struct {
	Rules []Rule
	// Default is "allow" or "deny"; empty means allow.
	Default string
}

// Rule matches calls. Every non-empty field must match; an empty field
// matches anything.
type Rule struct {
	Effect       string         // "allow" or "deny"
	Contacts     []int64        // principal contact ids
	Fingerprints []string       // principal key fingerprints
	CredTypes    []string       // api_key, jwt, pass, ext_jwt, none
	Networks     []netip.Prefix // client address
	// Entities and Actions as APIv3 normalises them (entity camel-cased
	// and compared case-insensitively, action lowercased); "*" matches any.
	Entities []string
	Actions  []string
	// Params, on an allow rule, restricts the parameters the call may carry
	// to these names with these types (CiviProxy's rest_allowed_actions):
	// "any", "int", "float", "string", "bool", "email", "hex", "array". A call
	// carrying another parameter, or a value of the wrong type, does not
	// match the rule. AlwaysAllowedParams are exempt.
	Params map[string]string
}

// AlwaysAllowedParams carry no data and are exempt from Rule.Params.
var AlwaysAllowedParams = []string{"version", "sequential", "check_permissions", "prettyprint", "json"}

// Validate reports configuration errors.
func (p *Policy) Validate() error {
	if p == nil {
		return nil
	}
	if p.Default != "" && p.Default != "allow" && p.Default != "deny" {
		return fmt.Errorf("policy default must be allow or deny, not %q", p.Default)
	}
	for i, r := range p.Rules {
		if r.Effect != "allow" && r.Effect != "deny" {
			return fmt.Errorf("policy rule %d: effect must be allow or deny", i+1)
		}
		for n, t := range r.Params {
			if _, ok := paramCheckers[t]; !ok {
				return fmt.Errorf("policy rule %d: parameter %q has unknown type %q", i+1, n, t)
			}
		}
	}
	return nil
}

// NormalEntity is _civicrm_api_get_camel_name folded to lower case, the
// key policy rules compare: "option_value", "OptionValue" and "optionvalue"
// are one entity for matching.
func NormalEntity(e string) string {
	return strings.ToLower(strings.ReplaceAll(e, "_", ""))
}

// NormalAction is the APIv3 kernel's strtolower.
func NormalAction(a string) string { return strings.ToLower(a) }

// subCall is one API call a request would run: the call itself, each
// chained api.Entity.action, and each member of an api3 batch. Rules must
// hold for all of them, or Contact.get + api.Contact.delete would pass an
// allow rule for Contact.get.
type subCall struct {
	entity, action string
	params         *translate.Array
}

func subCalls(call *translate.Call) []subCall {
	var out []subCall
	if call.Batch {
		// entity=api3&action=call&json={"a":["Contact","get",{…}],…}
		out = append(out, subCall{"api3", NormalAction(call.Action), nil})
		if call.Params != nil {
			for i := 0; i < call.Params.Len(); i++ {
				if a, ok := call.Params.Value(i).(*translate.Array); ok {
					e, _ := a.Get("0")
					act, _ := a.Get("1")
					ps, _ := a.Get("2")
					pa, _ := ps.(*translate.Array)
					es, _ := e.(string)
					as, _ := act.(string)
					out = appendChain(out, es, as, pa, 0)
				}
			}
		}
		return out
	}
	return appendChain(out, call.Entity, call.Action, call.Params, 0)
}

// appendChain adds a call and, recursively, its chained calls (keys
// "api.<Entity>.<action>", matched case-insensitively to be safe).
func appendChain(out []subCall, entity, action string, params *translate.Array, depth int) []subCall {
	out = append(out, subCall{NormalEntity(entity), NormalAction(action), params})
	if params == nil || depth > 8 {
		return out
	}
	for i := 0; i < params.Len(); i++ {
		k := params.Key(i)
		if len(k) < 4 || !strings.EqualFold(k[:4], "api.") {
			continue
		}
		ent, act, ok := strings.Cut(k[4:], ".")
		if !ok {
			out = append(out, subCall{NormalEntity(k[4:]), "?", nil})
			continue
		}
		switch v := params.Value(i).(type) {
		case *translate.Array:
			if v.IsList() && v.Len() > 0 {
				// A list of parameter sets runs the chained call once each.
				for j := 0; j < v.Len(); j++ {
					sub, _ := v.Value(j).(*translate.Array)
					out = appendChain(out, ent, act, sub, depth+1)
				}
			} else {
				out = appendChain(out, ent, act, v, depth+1)
			}
		default:
			out = appendChain(out, ent, act, nil, depth+1)
		}
	}
	return out
}

// Check applies the policy to every call the request would run.
func (p *Policy) Check(pr *Principal, call *translate.Call, ip netip.Addr) *Rejection {
	if p == nil {
		return nil
	}
	for _, sc := range subCalls(call) {
		if !p.allows(pr, sc, ip) {
			return &Rejection{Reason: ReasonPolicy, Message: MsgPolicy, Status: 403, Detail: "denied " + sc.entity + "." + sc.action}
		}
	}
	return nil
}

func (p *Policy) allows(pr *Principal, sc subCall, ip netip.Addr) bool {
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.matches(pr, sc, ip) {
			return r.Effect == "allow"
		}
	}
	return p.Default != "deny"
}

func (r *Rule) matches(pr *Principal, sc subCall, ip netip.Addr) bool {
	if len(r.Contacts) > 0 && !slices.Contains(r.Contacts, pr.ContactID) {
		return false
	}
	if len(r.Fingerprints) > 0 && !slices.Contains(r.Fingerprints, pr.KeyFingerprint) {
		return false
	}
	if len(r.CredTypes) > 0 && !slices.Contains(r.CredTypes, pr.CredType) {
		return false
	}
	if len(r.Networks) > 0 {
		ok := false
		for _, n := range r.Networks {
			if ip.IsValid() && n.Contains(ip.Unmap()) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	if !matchName(r.Entities, sc.entity, NormalEntity) || !matchName(r.Actions, sc.action, NormalAction) {
		return false
	}
	if r.Params != nil && !paramsFit(r.Params, sc.params) {
		return false
	}
	return true
}

func matchName(list []string, v string, norm func(string) string) bool {
	if len(list) == 0 {
		return true
	}
	for _, x := range list {
		if x == "*" || norm(x) == v {
			return true
		}
	}
	return false
}

func paramsFit(allowed map[string]string, params *translate.Array) bool {
	if params == nil {
		return true
	}
	for i := 0; i < params.Len(); i++ {
		k := params.Key(i)
		if slices.Contains(AlwaysAllowedParams, k) {
			continue
		}
		t, ok := allowed[k]
		if !ok {
			return false
		}
		if !paramCheckers[t](params.Value(i)) {
			return false
		}
	}
	return true
}

var (
	reInt   = regexp.MustCompile(`^-?[0-9]+$`)
	reFloat = regexp.MustCompile(`^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?$`)
	reHex   = regexp.MustCompile(`^[0-9a-fA-F]+$`)
	reEmail = regexp.MustCompile(`^[^@\s]+@[^@\s]+\.[^@\s]+$`)
)

func scalarText(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case translate.Number:
		return string(x), true
	case bool:
		if x {
			return "1", true
		}
		return "0", true
	}
	return "", false
}

func textChecker(re *regexp.Regexp) func(any) bool {
	return func(v any) bool {
		s, ok := scalarText(v)
		return ok && re.MatchString(s)
	}
}

var paramCheckers = map[string]func(any) bool{
	"any":   func(any) bool { return true },
	"int":   textChecker(reInt),
	"float": textChecker(reFloat),
	"hex":   textChecker(reHex),
	"email": textChecker(reEmail),
	"string": func(v any) bool {
		_, ok := scalarText(v)
		return ok
	},
	"bool": func(v any) bool {
		s, ok := scalarText(v)
		if !ok {
			return false
		}
		_, err := strconv.ParseBool(s)
		return err == nil || s == ""
	},
	"array": func(v any) bool {
		_, ok := v.(*translate.Array)
		return ok
	},
}
