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
// matches anything, except Versions (see there).
type Rule struct {
	Effect       string         // "allow" or "deny"
	Contacts     []int64        // principal contact ids
	Fingerprints []string       // principal key fingerprints
	CredTypes    []string       // api_key, jwt, pass, ext_jwt, none
	Networks     []netip.Prefix // client address
	// Entities and Actions are compared with the names CiviCRM resolves for
	// each call (translate.Subcall), case- and underscore-insensitively:
	// "option_value", "OptionValue" and "optionvalue" are one entity. A
	// spelling CiviCRM runs as an entity never escapes a rule naming it,
	// since CiviCRM finds an APIv3 implementation by that same folding.
	// A name stands for its data (translate.EntityDataOf): a deny rule
	// also refuses every other name reaching some of that data (AclRole
	// and ACLEntityRole, CustomValue and Custom_<group>, Contact and its
	// contact types), an allow rule admits a name whose data is all the
	// rule's (CustomValue admits Custom_<group>, not the other way round).
	// "*" matches any name. A name known only when CiviCRM runs the call
	// (an APIv4 chain's "$contact_type") matches an allow rule only
	// through "*" or an empty list, and every deny rule. A read a call
	// makes of another entity's data (a join, a field path through a
	// foreign key, an EntitySet set, a saved search: translate.Subcall.Via)
	// is judged as a get of that entity; one the edge cannot resolve is a
	// name known only at run time.
	Entities []string
	Actions  []string
	// Versions are the API versions (3, 4) the rule is for. A rule without
	// Versions is for both APIs as clients call them natively: APIv3
	// through its REST forms, APIv4 through civicrm/ajax/api4 (so an
	// operator's rules cover both). What it does not cover is a call of
	// another version smuggled into an APIv3 form (a top-level or
	// batch-member `version=4`, or a chain's): an allow rule admits one
	// only when it names that version, while a deny rule without Versions
	// is for every version.
	Versions []int
	// Params, on an allow rule, restricts the parameters the call may carry
	// to these names with these types (CiviProxy's rest_allowed_actions):
	// "any", "int", "float", "string", "bool", "email", "hex", "array". A call
	// carrying another parameter, or a value of the wrong type, does not
	// match the rule. AlwaysAllowedParams (APIv4: AlwaysAllowedParamsV4)
	// are exempt. For APIv4 the names are the top-level keys of the call's
	// params (select, where, values, limit, chain…), query keys CiviCRM may
	// merge into them included, read as CiviCRM's setters resolve them
	// (`Select` is select: translate/v4params.go); each chained call is
	// judged by its own.
	// A value CiviCRM takes from a parent call's result ("$value…" in an
	// APIv3 chained call) is only "any"; a call whose parameters are all
	// taken so (translate.Subcall.ParamsUnknown) matches no allow rule
	// with Params.
	//
	// A call that would turn CiviCRM's permission checks off
	// (translate.Subcall.ChecksOff: a falsy check_permissions in an APIv3
	// replace value or chain, an APIv4 checkPermissions in another case,
	// an inline SearchKit display's acl_bypass) is refused unless the first rule it matches is an allow rule whose
	// Params name that parameter as the client spells it; no default and
	// no rule without Params admits one.
	Params map[string]string
}

// AlwaysAllowedParams carry no data and are exempt from Rule.Params.
var AlwaysAllowedParams = []string{"version", "sequential", "check_permissions", "prettyprint", "json"}

// AlwaysAllowedParamsV4 are the APIv4 parameters exempt from Rule.Params:
// `version` is ignored and checkPermissions (in any case) removed by
// CiviCRM's APIv4 page (spec §2.2).
var AlwaysAllowedParamsV4 = []string{"version", "checkPermissions"}

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
		for _, v := range r.Versions {
			if v != 3 && v != 4 {
				return fmt.Errorf("policy rule %d: version must be 3 or 4, not %d", i+1, v)
			}
		}
	}
	return nil
}

// noPolicy is what a nil *Policy applies: every native call is allowed,
// and a call of another version through an APIv3 form is refused as with
// any policy.
var noPolicy Policy

// Check applies the policy to every call the request would run (the call
// itself, each batch member, every chained call at any depth, the calls an
// action runs under its own name (APIv3's getsingle, getlist and replace,
// a create with an id, APIv4's save and replace…: translate.Subcall.Implied),
// and every entity read through a join
// or carrier, as translate.Walk finds them, for APIv3 and APIv4 alike). Where CiviCRM
// itself would refuse a whole APIv3 request because of its `version`
// (APIv3 REST always adds check_permissions, which no APIv4 action takes,
// and knows no other versions), the rejection carries CiviCRM's own answer.
func (p *Policy) Check(pr *Principal, call *translate.Call, ip netip.Addr) *Rejection {
	if p == nil {
		p = &noPolicy
	}
	// native: the version CiviCRM runs the request's calls with is the
	// route's own (APIv4 on civicrm/ajax/api4), not one a parameter chose.
	native4 := call.API4 != nil
	if call.Batch && !native4 {
		// entity=api3&action=call is itself a call a rule may refuse.
		batch := translate.Subcall{Version: 3, Entity: "api3", Action: translate.NormalAction(call.Action)}
		if !p.allows(pr, batch, ip, false) {
			return policyRejection(batch)
		}
	}
	var (
		first       translate.Subcall
		refused     bool
		rootVersion int    // version of the depth-0 call being walked
		allForeign  = true // every depth-0 call has a version CiviCRM refuses
		civiRefuses = true // every refused call lies under such a depth-0 call
	)
	translate.Walk(call, func(sc translate.Subcall) bool {
		if sc.Depth == 0 {
			rootVersion = sc.Version
			allForeign = allForeign && rootVersion != 3
		}
		if p.allows(pr, sc, ip, native4) {
			return true
		}
		if !refused {
			first, refused = sc, true
		}
		if rootVersion == 3 || native4 {
			civiRefuses = false
			return false
		}
		return true
	})
	if !refused {
		return nil
	}
	rej := policyRejection(first)
	if civiRefuses && (!call.Batch || allForeign) {
		rej.Answer = civiVersionAnswer(call)
	}
	return rej
}

func policyRejection(sc translate.Subcall) *Rejection {
	r := &Rejection{Reason: ReasonPolicy, Message: MsgPolicy, Status: 403,
		Detail: "denied " + sc.Entity + "." + sc.Action + " (version " + strconv.Itoa(sc.Version) + ")"}
	switch sc.ChecksOff {
	case "":
	case translate.ACLBypass:
		r.Message = MsgPolicy + ": " + sc.ChecksOff + " cannot be turned on over REST (it turns permission checks off)"
		r.Detail += " with " + sc.ChecksOff
	default:
		// The name is check_permissions or checkPermissions in some case:
		// letters and an underscore, safe in every answer shape.
		r.Message = MsgPolicy + ": " + sc.ChecksOff + " cannot be turned off over REST"
		r.Detail += " with " + sc.ChecksOff + " off"
	}
	if sc.Via != "" {
		r.Detail += " read through " + sc.Via
		if sc.EntityDynamic {
			r.Message = MsgPolicy + ": " + unresolvedRead(sc.Via)
		}
	}
	return r
}

// unresolvedRead says why a read through a join or carrier is refused when
// its entity cannot be known: rules naming entities cannot vouch for it.
// Via holds name characters only (translate.Subcall.Via), so it may be
// quoted back in every answer shape.
func unresolvedRead(via string) string {
	what := "the call's " + via
	if strings.Contains(via, ".") {
		what = "'" + via + "'"
	}
	return "Civigate cannot tell which entity " + what + " reads (a foreign key or custom field it does not know, a saved search or display by name, or a display setting it cannot read), and the policy names entities"
}

// civiVersionAnswer is what CiviCRM answers a request whose calls (the
// call itself, or every batch member) have a version other than 3: it runs
// none of them. A refusal CiviCRM gives before it looks at the version
// (the destructive-GET rule) comes first.
func civiVersionAnswer(call *translate.Call) *translate.Reply {
	if call.Refusal != nil {
		return call.Refusal
	}
	if !call.Batch {
		r := translate.RenderResult(call, translate.VersionError(translate.APIVersion(versionParam(call.Params))))
		return &r
	}
	out := translate.NewArray()
	for i := 0; i < call.Params.Len(); i++ {
		m, _ := call.Params.Value(i).(*translate.Array)
		p, _ := m.Get("2")
		pa, _ := p.(*translate.Array)
		out.Set(call.Params.Key(i), translate.VersionError(translate.APIVersion(versionParam(pa))))
	}
	r := translate.RenderResult(call, out)
	return &r
}

func versionParam(params *translate.Array) any {
	v, _ := params.Get("version")
	return v
}

// allows applies the rules to one call. native4: the request came on
// APIv4's own route, so its version-4 calls are native (see
// Rule.Versions).
func (p *Policy) allows(pr *Principal, sc translate.Subcall, ip netip.Addr, native4 bool) bool {
	if sc.Truncated {
		return false
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if r.matches(pr, sc, ip, native4) {
			if sc.ChecksOff != "" {
				_, named := r.Params[sc.ChecksOff]
				return r.Effect == "allow" && named
			}
			return r.Effect == "allow"
		}
	}
	return sc.ChecksOff == "" && p.Default != "deny" && isNative(sc, native4)
}

// isNative: sc runs with the version its route stands for.
func isNative(sc translate.Subcall, native4 bool) bool {
	return sc.Version == 3 && !native4 || sc.Version == 4 && native4
}

func (r *Rule) matches(pr *Principal, sc translate.Subcall, ip netip.Addr, native4 bool) bool {
	if !r.matchesPrincipal(pr, ip) {
		return false
	}
	deny := r.Effect == "deny"
	switch {
	case len(r.Versions) > 0:
		if !slices.Contains(r.Versions, sc.Version) {
			return false
		}
	case !deny && !isNative(sc, native4):
		return false
	}
	if !deny && sc.StartedBy != "" && matchName(r.Entities, sc.StartedBy, false, false, admitsEntity) &&
		matchName(r.Actions, sc.StartedByAction, false, false, translate.SameAction) {
		// What the client's call makes whatever the client asks (its
		// parameters were judged on it): admitted with it.
		return true
	}
	sameEnt := admitsEntity
	if deny {
		sameEnt = refusesEntity
	}
	if !matchName(r.Entities, sc.Entity, sc.EntityDynamic, deny, sameEnt) {
		return false
	}
	if !matchName(r.Actions, sc.Action, sc.ActionDynamic, deny, translate.SameAction) {
		// A call the client's call runs under its own name
		// (translate.Subcall.Implied): an allow rule naming the client's
		// action admits it, as it admitted that call with these
		// parameters (an autocomplete's own search has none of its own);
		// not the update a create with an id is (Itself).
		if deny || sc.Implied == "" || sc.Itself || !matchName(r.Actions, sc.Implied, false, false, translate.SameAction) {
			return false
		}
		if sc.Via != "" {
			return true
		}
	}
	exempt := AlwaysAllowedParams
	if native4 {
		exempt = AlwaysAllowedParamsV4
	}
	if r.Params != nil && !paramsFit(r.Params, sc, deny, exempt) {
		return false
	}
	return true
}

// refusesEntity: a deny rule naming rule refuses a call of name when the
// two reach some of the same data (translate.EntityDataOf), whatever name
// and API version each uses: AclRole and ACLEntityRole, CustomValue and
// every Custom_<group>, Contact and its contact types, Relationship and
// RelationshipCache, File and Attachment, either way round.
func refusesEntity(rule, name string) bool {
	return translate.SameEntity(rule, name) || translate.EntityDataOf(name).Overlaps(translate.EntityDataOf(rule))
}

// admitsEntity: an allow rule naming rule admits a call of name when all
// the data the call reaches is the rule's (CustomValue admits
// Custom_<group>, Contact admits Individual; not the other way round).
func admitsEntity(rule, name string) bool {
	return translate.SameEntity(rule, name) || translate.EntityDataOf(name).Within(translate.EntityDataOf(rule))
}

// matchName: a rule's name list against a call's name. A dynamic name
// may turn out to be any name: it matches a deny rule's list always and an
// allow rule's only through "*".
func matchName(list []string, name string, dynamic, deny bool, same func(a, b string) bool) bool {
	if len(list) == 0 {
		return true
	}
	if dynamic && deny {
		return true
	}
	for _, x := range list {
		if x == "*" || (!dynamic && same(x, name)) {
			return true
		}
	}
	return false
}

// paramsFit: every parameter of sc is one the rule names, of its type.
// What CiviCRM fills in only when it runs the call (sc.ParamsUnknown, or a
// chained call's "$value…" reference, translate.RunTimeValue) may be
// anything: it fits a deny rule always and an allow rule only as "any".
func paramsFit(allowed map[string]string, sc translate.Subcall, deny bool, exempt []string) bool {
	if sc.ParamsUnknown || sc.Via != "" {
		// A read through a join has no parameters of its own to vouch for.
		return deny
	}
	params := sc.Params
	if params == nil {
		return true
	}
	for i := 0; i < params.Len(); i++ {
		k := params.Key(i)
		if slices.ContainsFunc(exempt, func(e string) bool { return e == k || e == "checkPermissions" && strings.EqualFold(e, k) }) {
			continue
		}
		t, ok := allowed[k]
		if !ok {
			return false
		}
		if sc.Depth > 0 && translate.RunTimeValue(params.Value(i)) {
			if deny || t == "any" {
				continue
			}
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

// AdmitsPrincipal reports whether the policy could allow pr, from ip, any
// call at all: what AuthX's own routes and the CiviCRM pages that take a
// credential (AuthenticateRoute) require, since they run no API call the
// rules could judge, yet civicrm/authx/login turns the credential into a
// CiviCRM session and a page runs as its user. The rules are read in
// order, as for a call: a rule whose principal fields (contacts,
// fingerprints, cred_types, networks) do not match is skipped; the first
// matching allow rule admits some call; a matching deny rule refuses every
// call when it names no entity, action, version or parameter narrower
// than all ("*" is all); a narrower deny rule leaves other calls to the
// rules after it. When no rule decides, Default does.
func (p *Policy) AdmitsPrincipal(pr *Principal, ip netip.Addr) bool {
	if p == nil {
		return true
	}
	for i := range p.Rules {
		r := &p.Rules[i]
		if !r.matchesPrincipal(pr, ip) {
			continue
		}
		if r.Effect == "allow" {
			return true
		}
		if r.coversEveryCall() {
			return false
		}
	}
	return p.Default != "deny"
}

// SessionKeepsRules reports whether a CiviCRM session of pr is held to
// pr's rules: whether, from any address, anon (the principal the edge
// judges a credential-less call as, a session's included) is refused
// every call the policy refuses pr. The edge cannot tell whose session a
// cookie is, so civicrm/authx/login and AuthX's other ways to create one
// are refused to a principal for whom this does not hold (AuthenticateRoute).
//
// It holds when the rules that tell the two apart make pr no stricter:
// every rule whose contact, key and cred_type fields match pr and not anon
// is an allow rule, and every one that matches anon and not pr a deny
// rule. For any call, the first rule deciding for pr is then either one
// of pr's own allow rules, or the one deciding for anon too unless an
// earlier deny of anon's refused it; with none deciding, Default decides
// both alike. Networks are left out: a session may be used from another
// address than the one it was created from, and both principals meet a
// rule's network alike at any one address. One case breaks this: an
// allow rule that admits a call turning permission checks off only when
// its Params name that parameter, which pr's own allow rule, coming
// first, may not; so pr's own allow rules hold only when no allow rule of
// anon's names check_permissions or checkPermissions.
func (p *Policy) SessionKeepsRules(pr, anon *Principal) bool {
	if p == nil {
		return true
	}
	ownAllow, anonChecksOff := false, false
	for i := range p.Rules {
		r := &p.Rules[i]
		mp, ma := r.matchesPrincipalFields(pr), r.matchesPrincipalFields(anon)
		switch {
		case mp && !ma && r.Effect != "allow", ma && !mp && r.Effect != "deny":
			return false
		case mp && !ma:
			ownAllow = true
		case ma && r.Effect == "allow" && namesChecksOff(r.Params):
			anonChecksOff = true
		}
	}
	return !(ownAllow && anonChecksOff)
}

// namesChecksOff: params name check_permissions or checkPermissions (a
// call's own spelling, any case: see Rule.Params).
func namesChecksOff(params map[string]string) bool {
	for n := range params {
		if strings.EqualFold(n, "check_permissions") || strings.EqualFold(n, "checkPermissions") {
			return true
		}
	}
	return false
}

// matchesPrincipal: the rule's principal fields match pr from ip.
func (r *Rule) matchesPrincipal(pr *Principal, ip netip.Addr) bool {
	if !r.matchesPrincipalFields(pr) {
		return false
	}
	if len(r.Networks) > 0 {
		for _, n := range r.Networks {
			if ip.IsValid() && n.Contains(ip.Unmap()) {
				return true
			}
		}
		return false
	}
	return true
}

// matchesPrincipalFields: the rule's contact, key and cred_type fields
// match pr (its network aside).
func (r *Rule) matchesPrincipalFields(pr *Principal) bool {
	if len(r.Contacts) > 0 && !slices.Contains(r.Contacts, pr.ContactID) {
		return false
	}
	if len(r.Fingerprints) > 0 && !slices.Contains(r.Fingerprints, pr.KeyFingerprint) {
		return false
	}
	return len(r.CredTypes) == 0 || slices.Contains(r.CredTypes, pr.CredType)
}

// coversEveryCall: the rule's call fields match every call.
func (r *Rule) coversEveryCall() bool {
	all := func(names []string) bool { return len(names) == 0 || slices.Contains(names, "*") }
	versions := len(r.Versions) == 0 || slices.Contains(r.Versions, 3) && slices.Contains(r.Versions, 4)
	return all(r.Entities) && all(r.Actions) && versions && r.Params == nil
}
