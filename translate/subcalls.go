package translate

import (
	"slices"
	"strconv"
	"strings"
)

// Subcall is one API call a request makes CiviCRM run: the request's own
// call, each member of a batch, and every chained call below them at any
// depth. Policy and cacheability judge a request by all of its subcalls, so
// each one carries the names CiviCRM itself resolves, not the client's
// spelling. One walker per API version produces them (WalkV3 for the APIv3
// forms, WalkV4 and WalkV4Batch for civicrm/ajax/api4): everything that
// consumes subcalls works for both versions.
type Subcall struct {
	// Version is the API version CiviCRM runs the call with: 3 or 4, or 0
	// for a `version` CiviCRM knows no API for (it answers "Unknown api
	// version" and runs nothing).
	Version int
	// Entity and Action as CiviCRM resolves them. APIv3: the kernel's
	// CamelCase entity (KernelEntity) and lower-case action (KernelAction).
	// APIv4: the names as given (APIv4 neither munges nor camel-cases). ""
	// is a name CiviCRM replaces with a random one (nothing alphanumeric in
	// it), so the call cannot resolve.
	Entity, Action string
	// EntityDynamic and ActionDynamic: the name is only known when CiviCRM
	// runs the call (an APIv4 chain's "$field" taken from the parent row, or
	// a malformed chain element or batch member). Treat such a call as a
	// write to any entity.
	EntityDynamic, ActionDynamic bool
	// Params are the parameters the client gave this call (CiviCRM adds its
	// own defaults to chained calls); nil when it gave none. An APIv4
	// call's are keyed by the parameter each key sets (v4Params: `Values`
	// is values), as its setters resolve them.
	Params *Array
	// Depth is 0 for the request's own call and for batch members, n for a
	// call chained n levels below one.
	Depth int
	// InBatch marks a batch member and everything chained below it; Member
	// is that member's key in the batch.
	InBatch bool
	Member  string
	// Truncated: the chain goes deeper than MaxSubcallDepth and what lies
	// below this call was not inspected. Refuse the request, or treat it as
	// a write with no bound.
	Truncated bool
	// ParamsUnknown: CiviCRM builds this call's parameters only when it
	// runs it, from the parent call's result row: a chain whose value was a
	// "$value…" reference (ValueReference) became an array, or the
	// integer 1, when _civicrm_api_replace_variables ran. Entity and
	// action are known (from the chain's key); the parameters, and any
	// chain hidden in them, are not: no parameter rule can vouch for such
	// a call, and the walker reports what may run below it as one dynamic
	// call.
	ParamsUnknown bool
	// Via is set on a read the parent call makes of another entity's data
	// under its own name (joins.go): an APIv4 join, a field path through a
	// foreign key, an EntitySet set, a SearchKit saved search, an APIv3
	// return or filter through a foreign key. Action is then "get", Depth
	// one below the parent, and Via says what carries the read: "join",
	// "sets", "savedSearch", or the field path (name characters only, so
	// it may be quoted back to the client). EntityDynamic marks a read
	// whose entity the edge cannot resolve.
	Via string
	// ChecksOff names the parameter, as the client spelled it, with which
	// this call turns CiviCRM's permission checks off: a falsy
	// check_permissions (checkperms.go) where CiviCRM takes the client's
	// value over the TRUE REST forces (an APIv3 replace's value, an APIv3
	// chain on releases that merged the chain's params last), or an APIv4
	// checkPermissions spelled in another case after the exact key, where
	// CiviCRM overwrites only the exact key. "" when the call runs checked
	// (or CiviCRM enforces its own value there).
	ChecksOff string
	// Implied is set on a call that another call runs on its own entity
	// under its own name (runs.go: APIv3's getsingle runs get, create with
	// an id is an update, APIv4's replace runs save and delete…): the action
	// of the client's call that runs it, as this walk names that call. The
	// parameters are that call's (judged there, chains and joins included),
	// so a rule on this call's action covers the client's call, and an
	// allow rule naming the client's action admits what it runs, unless
	// Itself is set: the call is the client's call itself as CiviCRM's
	// permission checks file it (an APIv3 create with an id is an update),
	// which only a rule on this action admits.
	Implied string
	Itself  bool
	// StartedBy and StartedByAction are set on a call the client's call
	// makes whatever the client asks: the client's entity and action (as
	// Implied names it). APIv3 Job.execute runs
	// the scheduled jobs the site configures (entity and action unknown);
	// a form submission (APIv4 Afform.submit, APIv3 Profile.submit) writes
	// the entities the site's form declares (formsubmits.go); an APIv3 get
	// without a return answers other entities' data by default
	// (v3returns.go: Contact.get's primary e-mail, Contribution.get's
	// contact names); an APIv4 write looks up the labels and foreign keys'
	// fields its values give, to write their ids (fieldreads.go). Deny
	// rules judge it as any call; an allow rule naming
	// the client's entity and action admits it too, as it admitted the
	// client's call (CiviCRM's own answer to that call), so an allow list
	// written for Contact.get or Job.execute keeps working. What the client
	// asks for by name (a return or filter field) is not StartedBy. Unlike
	// Implied, the call is another entity's, judged on its own by the
	// cache.
	StartedBy, StartedByAction string
	// Index is an APIv4 call's index, civicrm_api4's fourth argument: the
	// request's `index` (CRM_Api4_Page_AJAX::run), a batch member's fourth
	// argument of execute(), a chain's fourth element
	// (ActionObjectProvider::runChain); nil when none. A string index
	// names a field civicrm_api4 adds to a non-empty select and keys the
	// answer by, an array's first entry the fields it adds with addSelect:
	// read as select is (v4IndexFields).
	Index any
	// chainParent is, on an APIv3 chained call, the kernel entity of the
	// call it is chained below: ChainSubscriber fills in some of its
	// parameters from that call's rows.
	chainParent string
	// v4Chained is set on an APIv4 chained call, and v4RowParent is then
	// the params of the call it is chained below (nil when that call's
	// entity, action or params are only known at run time): resolveChainLinks
	// fills this call's "$key" strings from the parent's result row
	// (v4RowMayNameUser).
	v4Chained   bool
	v4RowParent *Array
}

// Dynamic reports whether the entity or the action is only known at run time.
func (s Subcall) Dynamic() bool { return s.EntityDynamic || s.ActionDynamic }

// MaxSubcallDepth bounds how deep the walkers follow chains. PHP's
// json_decode refuses more nesting than this, and each chain level is one
// nesting level at least, so no request Civigate parsed reaches it; a call
// built otherwise that does is reported Truncated, never skipped.
const MaxSubcallDepth = phpJSONMaxDepth

// WalkV3 calls visit for every subcall of an APIv3 request, depth first
// (each call before the calls chained below it), and stops when visit
// returns false; it reports whether the walk ran to the end.
//
// It follows CiviCRM 6.x: CRM_Utils_REST (a missing version is 3; an
// entity=api3 batch runs each [entity, action, params] member through the
// same path; a call with a className parameter runs a page method instead
// of the API, see pageCall), Civi\API\Request::create (munge, then CamelCase and
// strtolower; a loose switch on version), ChainSubscriber (any key starting
// with "api" whose 4th byte is '.' or '_', with an array value or the
// integer 1, split on that byte, a missing action meaning the parent's, the
// per-entity api_* fields that are not chains; a chained call's
// parameters pass through _civicrm_api_replace_variables first, so a
// "$value…" reference may turn into a chain there), and, for a call
// CiviCRM would run as APIv4, ActionObjectProvider's "chain" parameter. Where
// CiviCRM's choice depends on its release or on data, the walker reports
// every call any of them would run: a chained call's own `version` counts
// (6.x enforces the parent's, older releases took the chain's own), so does
// its own check_permissions (ChecksOff: 6.x copies the parent's over it,
// 4.x merged the chain's params last), chains
// under getfields are reported (CiviCRM skips them), a version-4 call's
// api.* keys are reported as APIv3 chains (APIv4 refuses them), "$value"
// references under api.* keys are reported as chains (6.x leaves them
// alone, older releases substituted them).
//
// It describes what the modern endpoint Civigate forwards to runs
// (CRM_Utils_REST::ajax and process()); BuildUpstream sends each call so
// that this is what the legacy endpoint would have run.
func WalkV3(call *Call, visit func(Subcall) bool) bool {
	w := walker{emit: visit}
	if call.Batch {
		return w.v3Batch(call.Params)
	}
	if page, ok := pageCall(call.Params); ok {
		return w.call(page, true)
	}
	version := 3
	if call.Form != FormWPRest {
		// WordPress REST calls civicrm_api3(), which forces version 3.
		version = requestVersion(call.Params)
	}
	sc := Subcall{Version: version, Params: call.Params}
	sc.Entity, sc.Action = v3Names(version, call.Entity, call.Action)
	return w.call(sc, true)
}

// pageCall is process()'s className branch: when isset($params['className'])
// it calls the method className::fnName($params) (a CRM_*_Page_AJAX
// method, if CRM_Core_Page_AJAX::checkAuthz lets it) instead of the API,
// before the version or the GET rule are looked at. The edge cannot tell
// what such a method does, so it is reported with dynamic names (matched by
// every deny rule and only by "*" allow rules); Entity and Action hold the
// class and method for messages.
func pageCall(params *Array) (Subcall, bool) {
	cn, ok := params.Get("className")
	if !ok || cn == nil {
		return Subcall{}, false
	}
	fn, _ := params.Get("fnName")
	return Subcall{Version: 3, Entity: Munge(PHPStringOrEmpty(cn)), Action: PHPStringOrEmpty(fn),
		EntityDynamic: true, ActionDynamic: true, Params: params}, true
}

// WalkV4 calls visit for an APIv4 call (entity and action from the
// civicrm/ajax/api4/{Entity}/{action} route, params decoded with exact key
// matching, then read by the parameter each key sets: v4params.go) and
// every call chained below it, as WalkV3 does. index is the request's
// `index` (nil when it has none), which civicrm_api4 reads fields by.
func WalkV4(entity, action string, params *Array, index any, visit func(Subcall) bool) bool {
	w := walker{emit: visit}
	return w.call(Subcall{Version: 4, Entity: entity, Action: action, Params: params, Index: index, ChecksOff: v4ChecksOff(params)}, false)
}

// WalkV4Batch walks the `calls` of an APIv4 batch (civicrm/ajax/api4 with
// calls=<json>): a list or object of members, each of which CiviCRM's page
// runs as call_user_func_array([$this, 'execute'], $member), binding it
// to execute(string $entity, string $action, array $params = [], $index
// = NULL) as batchArgs does. A member PHP refuses to call (the batch dies
// there) is reported with dynamic names, as is a name that is not a
// string (PHP would make one of a number, which names no entity).
func WalkV4Batch(calls *Array, visit func(Subcall) bool) bool {
	w := walker{emit: visit}
	for i := 0; i < calls.Len(); i++ {
		sc := Subcall{Version: 4, InBatch: true, Member: calls.Key(i)}
		m, _ := calls.Value(i).(*Array)
		args, ok := batchArgs(m)
		if !ok {
			if !w.unnamed(sc, false) {
				return false
			}
			continue
		}
		var isStr bool
		sc.Entity, isStr = args[0].(string)
		sc.EntityDynamic = !isStr
		sc.Action, isStr = args[1].(string)
		sc.ActionDynamic = !isStr
		sc.Params, _ = args[2].(*Array)
		sc.Index = args[3]
		sc.ChecksOff = v4ChecksOff(sc.Params)
		if !w.call(sc, false) {
			return false
		}
	}
	return true
}

// executeParams are the parameters of CRM_Api4_Page_AJAX::execute, which
// a batch member's string keys name.
var executeParams = [4]string{"entity", "action", "params", "index"}

// batchArgs binds a batch member to execute() as PHP 8.1's
// call_user_func_array does: integer keys are positional arguments in the
// member's order (not by their value: {"1":"Note","0":"create"} is
// execute("Note", "create")), string keys are named arguments, which must
// follow them and name a parameter not given yet; extra positional
// arguments are dropped (execute is not variadic). ok is false where PHP
// throws (an Error, a TypeError: no array, a named argument before a
// positional one, an unknown or repeated one, no entity or action, a
// NULL or array name, params given but not an array): then nothing of the
// member runs, nor of the batch after it. Checked against PHP 8.2.
func batchArgs(m *Array) (args [4]any, ok bool) {
	if m == nil {
		return args, false // call_user_func_array(): Argument #2 must be of type array
	}
	var set [4]bool
	pos, named := 0, false
	for i := 0; i < m.Len(); i++ {
		k := m.Key(i)
		if _, isInt := IntKey(k); isInt {
			if named {
				return args, false // Cannot use positional argument after named argument
			}
			if pos < len(args) {
				args[pos], set[pos] = m.Value(i), true
			}
			pos++
			continue
		}
		named = true
		p := slices.Index(executeParams[:], k) // parameter names are case-sensitive
		if p < 0 || set[p] {
			return args, false // Unknown named parameter, or it overwrites a previous argument
		}
		args[p], set[p] = m.Value(i), true
	}
	for i := 0; i < 2; i++ {
		if !set[i] || args[i] == nil { // ArgumentCountError; TypeError (null to string)
			return args, false
		}
		if _, isArr := args[i].(*Array); isArr {
			return args, false
		}
	}
	if set[2] {
		if _, isArr := args[2].(*Array); !isArr {
			return args, false // TypeError: array $params
		}
	}
	return args, true
}

type walker struct {
	emit func(Subcall) bool
}

// visit reports sc, an APIv4 call under the name of the entity it runs
// as (API4EntityName: CiviCase is Case), whichever part of the request
// named it: the route, a batch member, a chain, a join, a saved search.
func (w *walker) visit(sc Subcall) bool {
	if sc.Version == 4 {
		sc.Entity = API4EntityName(sc.Entity)
	}
	return w.emit(sc)
}

// call reports sc and walks the chains below it: APIv3 chains (api.* keys)
// for a call made through the APIv3 kernel, APIv4 chains (the "chain" key)
// for a call CiviCRM would run as APIv4.
func (w *walker) call(sc Subcall, v3 bool) bool {
	if sc.Version == 4 {
		// Every reader below, and whoever judges the call, sees its
		// params as CiviCRM's setters take them (v4params.go).
		sc.Params = v4Params(sc.Params)
		// What is walked below it meets the entity's name too.
		sc.Entity = API4EntityName(sc.Entity)
	}
	if sc.Depth > MaxSubcallDepth {
		sc.Truncated = true
		return w.visit(sc)
	}
	if !w.visit(sc) {
		return false
	}
	if sc.ParamsUnknown {
		// Whatever the parent row held, chains included (a sibling
		// chain's result holds its own api.* keys), runs below it.
		hidden := Subcall{Version: sc.Version, Depth: sc.Depth + 1, InBatch: sc.InBatch, Member: sc.Member,
			EntityDynamic: true, ActionDynamic: true, ParamsUnknown: true}
		hidden.Truncated = hidden.Depth > MaxSubcallDepth
		return w.visit(hidden)
	}
	switch {
	case sc.Version == 4:
		if !w.v4Reads(sc) || !w.v4LocationWrites(sc) || !w.contactWrites(sc) || !w.fieldWrites(sc) || !w.v4CustomWrites(sc) || !w.v4WriteLookups(sc) ||
			!w.caseWrites(sc) || !w.v4UserLookups(sc) {
			return false
		}
	case v3 && sc.Version == 3:
		if !w.v3Reads(sc) || !w.v3QueryReads(sc) || !w.v3OptionLookups(sc) || !w.contactWrites(sc) || !w.fieldWrites(sc) || !w.v3CustomWrites(sc) ||
			!w.caseWrites(sc) {
			return false
		}
	}
	if (v3 || sc.Version == 4) && !w.runs(sc) {
		return false
	}
	if v3 && !w.v3Chains(sc) {
		return false
	}
	if sc.Version == 4 && !w.v4Chains(sc) {
		return false
	}
	return true
}

// unnamed reports a call whose entity and action the edge cannot name.
func (w *walker) unnamed(sc Subcall, v3 bool) bool {
	sc.EntityDynamic, sc.ActionDynamic = true, true
	return w.call(sc, v3)
}

// positional is [entity, action, params] as PHP reads $x[0], $x[1], $x[2].
func positional(m *Array) (entity, action, params any) {
	entity, _ = m.Get("0")
	action, _ = m.Get("1")
	params, _ = m.Get("2")
	return entity, action, params
}

// v3Batch walks CRM_Utils_REST::processMultiple: each member is
// process(['civicrm', $call[0], $call[1]], $call[2] ?? []).
func (w *walker) v3Batch(calls *Array) bool {
	for i := 0; i < calls.Len(); i++ {
		sc := Subcall{Version: 3, InBatch: true, Member: calls.Key(i)}
		m, ok := calls.Value(i).(*Array)
		if !ok {
			// PHP would index the characters of a string and fail on them;
			// nothing definite runs.
			if !w.unnamed(sc, true) {
				return false
			}
			continue
		}
		e, a, p := positional(m)
		sc.Params, _ = p.(*Array) // a non-array is [] (false, null) or a fatal error
		if page, ok := pageCall(sc.Params); ok {
			page.InBatch, page.Member = true, sc.Member
			if !w.call(page, true) {
				return false
			}
			continue
		}
		// civicrm_api(string $entity, string $action, …): scalars are
		// converted, anything else is a TypeError whose effect the edge
		// cannot name.
		sc.EntityDynamic = !isScalar(e)
		sc.ActionDynamic = !isScalar(a)
		sc.Version = requestVersion(sc.Params)
		sc.Entity, sc.Action = v3Names(sc.Version, PHPStringOrEmpty(e), PHPStringOrEmpty(a))
		if !w.call(sc, true) {
			return false
		}
	}
	return true
}

// v3Chains walks ChainSubscriber over parent's params. A chained call's
// params (depth > 0) went through _civicrm_api_replace_variables before
// it ran, so a "$value…" reference under a chain's key, or as an element
// of its list, stands for whatever the grandparent's row held there: an
// array or the integer 1 makes it a chain whose params are unknown.
func (w *walker) v3Chains(parent Subcall) bool {
	p := parent.Params
	substituted := parent.Depth > 0
	for i := 0; i < p.Len(); i++ {
		key, v := p.Key(i), p.Value(i)
		sub, isArr := v.(*Array)
		runTime := substituted && ValueReference(v)
		if !isArr && v != Number("1") && !runTime { // is_array($v) || $v === 1, once substituted
			continue
		}
		if len(key) < 4 || key[:3] != "api" || key == "api.has_parent" || key == "api_params" {
			continue
		}
		sep := key[3:4]
		if sep != "." && sep != "_" {
			continue
		}
		// explode($sep, $key): [1] is the entity, [2] the action.
		rawEntity, rest, _ := strings.Cut(key[4:], sep)
		rawAction, _, _ := strings.Cut(rest, sep)
		lower := EntityNameToLower(rawEntity)
		if chainSkipped(parent.Entity, lower) {
			continue
		}
		action := rawAction
		if action == "" || action == "0" { // empty(): the parent's action
			action = parent.Action
		}
		child := Subcall{Version: parent.Version, Depth: parent.Depth + 1, InBatch: parent.InBatch, Member: parent.Member,
			chainParent: parent.Entity}
		child.Entity, child.Action = KernelEntity(lower), KernelAction(action)
		if runTime {
			child.ParamsUnknown = true
			if !w.call(child, true) {
				return false
			}
			continue
		}
		if !isArr {
			// 'api.X.y' => 1: ['version' => <parent's>].
			if !w.call(child, true) {
				return false
			}
			continue
		}
		if !sub.Has("0") {
			child.Params = sub
			child.Version = chainVersion(sub, parent.Version)
			child.ChecksOff = v3ChecksOff(sub)
			if !w.call(child, true) {
				return false
			}
			continue
		}
		// array_key_exists(0, …): one call per element, every key.
		for j := 0; j < sub.Len(); j++ {
			c := child
			c.Params, _ = sub.Value(j).(*Array)
			// The operator syntax: the first element, if a reference, is
			// replaced (only the first, but any may be once its own call
			// runs; the walker does not count on which).
			c.ParamsUnknown = substituted && ValueReference(sub.Value(j))
			c.Version = chainVersion(c.Params, parent.Version)
			c.ChecksOff = v3ChecksOff(c.Params)
			if !w.call(c, true) {
				return false
			}
		}
	}
	return true
}

// isset is PHP's isset() on array_merge(base, el)[key].
func isset(el, base *Array, key string) bool {
	if v, ok := el.Get(key); ok {
		return v != nil
	}
	v, ok := base.Get(key)
	return ok && v != nil
}

// chainSkip are ChainSubscriber's api_* fields that are not chains, by the
// parent's entity, as the chained entity name (lower case) they would give.
var chainSkip = map[string][]string{
	"SmsProvider": {"type", "url", "params"},
	"Job":         {"prefix", "entity", "action"},
	"Contact":     {"key"},
}

func chainSkipped(parentEntity, lowerSubEntity string) bool {
	for _, s := range chainSkip[parentEntity] {
		if s == lowerSubEntity {
			return true
		}
	}
	return false
}

// chainVersion is the version a chained call runs with: the parent's
// (enforced since CiviCRM 5.x), or the chain's own where an older release
// let it win. The walker reports the one that is not 3, so a policy sees
// the riskier reading.
func chainVersion(params *Array, parent int) int {
	v, ok := params.Get("version")
	if !ok {
		return parent
	}
	if own := APIVersion(v); own != 3 {
		return own
	}
	return parent
}

// v4Chains walks ActionObjectProvider::handleChains over parent's params:
// "chain" => {name: [entity, action, params, index]}; each runs as APIv4
// (civicrm_api4 forces version 4), once per result row, with "$field"
// names and values taken from that row.
func (w *walker) v4Chains(parent Subcall) bool {
	v, ok := parent.Params.Get("chain")
	if !ok {
		return true
	}
	child := Subcall{Version: 4, Depth: parent.Depth + 1, InBatch: parent.InBatch, Member: parent.Member, v4Chained: true}
	if !parent.Dynamic() && !parent.ParamsUnknown {
		child.v4RowParent = parent.Params
	}
	chain, isArr := v.(*Array)
	if !isArr {
		// Not something CiviCRM can run, but nothing the edge can name either.
		return w.unnamed(child, false)
	}
	for i := 0; i < chain.Len(); i++ {
		c := child
		el, isArr := chain.Value(i).(*Array)
		if !isArr {
			if !w.unnamed(c, false) {
				return false
			}
			continue
		}
		// `$request += [NULL, NULL, [], NULL]; list($entity, $action,
		// $params, $index) = $request;`: list() reads by key, whatever
		// the element's order.
		e, a, p := positional(el)
		c.Entity, c.EntityDynamic = v4Name(e)
		c.Action, c.ActionDynamic = v4Name(a)
		c.Params, _ = p.(*Array)
		c.Index, _ = el.Get("3") // passed as given: resolveChainLinks leaves it
		c.ChecksOff = v4ChecksOff(c.Params)
		if !w.call(c, false) {
			return false
		}
	}
	return true
}

// v4Name is an APIv4 chain's entity or action: a string starting with "$"
// (and longer than that) comes from the parent row, anything but a string
// cannot be named.
func v4Name(v any) (name string, dynamic bool) {
	s, ok := v.(string)
	if !ok {
		return "", true
	}
	return s, len(s) > 1 && s[0] == '$'
}

// ValueReference reports whether v is a "$value…" string, which
// _civicrm_api_replace_variables replaces in a chained call's params with
// data from its parent's result row (of any type: an array, the integer
// 1, a string; null where the path names nothing).
func ValueReference(v any) bool {
	s, ok := v.(string)
	return ok && strings.HasPrefix(s, "$value")
}

// RunTimeValue reports whether a chained call's parameter value is only
// known when CiviCRM runs the call: a reference (ValueReference), or an
// array whose first value is one (the operator syntax, {"IN": "$value.x"},
// whose first value _civicrm_api_replace_variables replaces). Depth-0
// calls are never substituted.
func RunTimeValue(v any) bool {
	if a, ok := v.(*Array); ok {
		return a.Len() > 0 && ValueReference(a.Value(0))
	}
	return ValueReference(v)
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, Number, bool:
		return true
	}
	return false
}

// v3Names are the names a call made through CRM_Utils_REST::process runs
// with: munged there, then normalised by Request::create for version 3, or
// taken as they are by the APIv4 class lookup for version 4.
func v3Names(version int, entity, action string) (string, string) {
	if version == 4 {
		e, _ := mungeName(entity)
		a, _ := mungeName(action)
		return e, a
	}
	return KernelEntity(entity), KernelAction(action)
}

// requestVersion is the version process() gives a call: 3 when the
// parameters have no "version" key (array_key_exists), else what
// Request::create makes of its value.
func requestVersion(params *Array) int {
	v, ok := params.Get("version")
	if !ok {
		return 3
	}
	return APIVersion(v)
}

// APIVersion is the API version Civi\API\Request::create picks for a
// `version` value: PHP's switch compares loosely and tries 3 before 4, so
// 3, "3", " 3", "3.0", "3e0" and true are 3; 4, "4", "4.0" are 4; null,
// false, arrays and anything else are 0 (CiviCRM answers "Unknown api
// version").
func APIVersion(v any) int {
	var f float64
	switch x := v.(type) {
	case bool:
		if x {
			return 3
		}
		return 0
	case Number:
		n, err := strconv.ParseFloat(string(x), 64)
		if err != nil {
			return 0
		}
		f = n
	case string:
		if !isNumericValue(x) {
			return 0
		}
		n, err := strconv.ParseFloat(strings.Trim(x, " \t\n\r\v\f"), 64)
		if err != nil {
			return 0
		}
		f = n
	default:
		return 0
	}
	switch f {
	case 3:
		return 3
	case 4:
		return 4
	}
	return 0
}

// KernelEntity is the entity APIv3's kernel runs for a name:
// Request::normalizeEntityName, i.e. NormalEntity(munge(name)). "" when
// munge would substitute a random name.
func KernelEntity(name string) string {
	m, ok := mungeName(name)
	if !ok {
		return ""
	}
	return NormalEntity(m)
}

// KernelAction is the action APIv3's kernel runs: strtolower(munge(name)),
// "" when munge would substitute a random name.
func KernelAction(name string) string {
	m, ok := mungeName(name)
	if !ok {
		return ""
	}
	return NormalAction(m)
}

// EntityNameToLower is _civicrm_api_get_entity_name_from_camel
// (CRM_Core_DAO_AllCoreTables::convertEntityNameToLower): "OptionValue" is
// "option_value", "UFGroup" "uf_group", an all-lower-case name stays as it
// is, and a PHP-empty name ("" or "0") is "".
func EntityNameToLower(name string) string {
	if name == "" || name == "0" {
		return ""
	}
	if NormalAction(name) == name {
		return name
	}
	switch name {
	case "PCP", "IM", "ACL":
		return NormalAction(name)
	}
	var b strings.Builder
	b.Grow(len(name) + 4)
	for i := 0; i < len(name); i++ {
		if c := name[i]; 'A' <= c && c <= 'Z' {
			b.WriteByte('_')
		}
		b.WriteByte(name[i])
	}
	s := strings.ReplaceAll(b.String(), "U_F", "uf")
	return NormalAction(strings.TrimLeft(s, "_"))
}

// VersionError is what CiviCRM's APIv3 REST answers (HTTP 200, in the
// client's format) for a call whose version Request::create resolves to
// version (APIVersion), when that is not 3. For 4 it builds an APIv4
// action and sets every parameter on it; the check_permissions REST always
// adds is not one (recorded: api4-6.17.2 v3v4-1…4). Any other value is
// NotImplementedException("Unknown api version"), error code "not-found"
// (code). Both are thrown before the request has an entity or action.
func VersionError(version int) *Array {
	e := NewArray()
	if version == 4 {
		e.Set("error_code", Number("0"))
	} else {
		e.Set("error_code", "not-found")
	}
	e.Set("entity", nil)
	e.Set("action", nil)
	e.Set("is_error", Number("1"))
	if version == 4 {
		e.Set("error_message", "Unknown api parameter: check_permissions")
	} else {
		e.Set("error_message", "Unknown api version")
	}
	return e
}
