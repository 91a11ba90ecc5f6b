package cache

import (
	"slices"
	"strings"
	"time"

	"github.com/civigate/civigate/translate"
)

// Reason says why a call is not served from the cache. The set is bounded so
// it can be a metric label and a Cache-Status detail.
type Reason string

const (
	ReasonWrite        Reason = "write"         // the top-level action is not a read
	ReasonChainedWrite Reason = "chained-write" // a chained call (any depth) writes
	ReasonDebug        Reason = "debug"         // debug is non-empty: traces, timing
	ReasonUncacheable  Reason = "uncacheable"   // refusals, ping, className/fnName, rollback, transactions, cache_clear
	ReasonDenied       Reason = "denied"        // entity/action on the deny list
	ReasonVersion      Reason = "version"       // not APIv3
	ReasonBatch        Reason = "batch"         // entity=api3
	ReasonDisabled     Reason = "disabled"      // TTL configured as zero
)

// readActions are the generic APIv3 reads (api/v3/Generic*.php). Entity
// specific get* actions are left out on purpose: several of them write or
// run reports (spec §7), and any extension may register a get* that writes.
var readActions = map[string]bool{
	"get": true, "getsingle": true, "getvalue": true, "getcount": true,
	"getoptions": true, "getfields": true, "getlist": true, "getactions": true,
	"getunique": true, "getrefcount": true,
}

// IsReadAction reports whether the normalised action is one of the generic reads.
func IsReadAction(action string) bool { return readActions[action] }

// DefaultDeny are reads that have side effects or are not deterministic
// (spec §7): they are always forwarded.
var DefaultDeny = []string{
	"System.check",
	"Dedupe.getduplicates",
	"Extension.getremote",
	"ReportTemplate.getrows",
	"ReportTemplate.getstatistics",
}

// chainSkip are ChainSubscriber's per-entity api_* fields that are real
// fields, not chains.
var chainSkip = map[string][]string{
	"SmsProvider": {"api_type", "api_url", "api_params"},
	"Job":         {"api_prefix", "api_entity", "api_action"},
	"Contact":     {"api_key"},
}

// maxChainDepth bounds recursion on hostile input; real chains are shallow.
const maxChainDepth = 32

// Decision is the verdict on one call.
type Decision struct {
	Cacheable bool
	Reason    Reason // empty when Cacheable

	// Entity and Action as CiviCRM's kernel normalises them.
	Entity string
	Action string

	// TTL is the freshness lifetime (the smallest over the call and its
	// chained reads).
	TTL time.Duration
	// Shared: the operator marked this entity/action as identical for every
	// principal, so the key omits the contact.
	Shared bool
	// Reads lists every entity the call reads (itself and chained reads),
	// sorted: their generations are part of the entry's validity.
	Reads []string
}

type rule struct{ entity, action string }

// ruleSet matches "Entity.action", "Entity.*"/"Entity" and "*.action".
type ruleSet map[rule]struct{}

func parseRule(s string) rule {
	e, a, ok := strings.Cut(strings.TrimSpace(s), ".")
	if !ok || a == "" {
		a = "*"
	}
	if e != "*" {
		e = translate.NormalEntity(e)
	}
	if a != "*" {
		a = translate.NormalAction(a)
	}
	return rule{e, a}
}

func newRuleSet(list []string) ruleSet {
	rs := make(ruleSet, len(list))
	for _, s := range list {
		if strings.TrimSpace(s) != "" {
			rs[parseRule(s)] = struct{}{}
		}
	}
	return rs
}

func (rs ruleSet) match(entity, action string) bool {
	if len(rs) == 0 {
		return false
	}
	for _, r := range [...]rule{{entity, action}, {entity, "*"}, {"*", action}} {
		if _, ok := rs[r]; ok {
			return true
		}
	}
	return false
}

// ttlTable resolves TTL overrides: Entity.action, then *.action, then Entity.
type ttlTable struct {
	def   time.Duration
	exact map[rule]time.Duration
}

func (t ttlTable) lookup(entity, action string) time.Duration {
	for _, r := range [...]rule{{entity, action}, {"*", action}, {entity, "*"}} {
		if d, ok := t.exact[r]; ok {
			return d
		}
	}
	return t.def
}

// policy is the compiled cacheability configuration.
type policy struct {
	deny   ruleSet
	shared ruleSet
	ttl    ttlTable
}

// Decide says whether call may be answered from the cache.
func (p *policy) Decide(call *translate.Call) Decision {
	var d Decision
	if call == nil {
		d.Reason = ReasonUncacheable
		return d
	}
	d.Entity = translate.NormalEntity(call.Entity)
	d.Action = translate.NormalAction(call.Action)
	switch {
	case call.Batch:
		d.Reason = ReasonBatch
		return d
	case call.Refusal != nil || call.Ping:
		d.Reason = ReasonUncacheable
		return d
	case call.HasClassName || call.ClassName != "" || call.FnName != "":
		d.Reason = ReasonUncacheable
		return d
	case !readActions[d.Action]:
		switch {
		case p.deny.match(d.Entity, d.Action):
			d.Reason = ReasonDenied
		case strings.HasPrefix(d.Action, "get") || d.Action == "check":
			// Entity-specific reads: several write or run reports (spec
			// §7) and extensions may add get* actions that write.
			d.Reason = ReasonUncacheable
		default:
			d.Reason = ReasonWrite
		}
		return d
	}
	params := call.Params
	if v, ok := params.Get("version"); ok && !isVersion3(v) {
		d.Reason = ReasonVersion
		return d
	}
	if v, ok := params.Get("debug"); ok && !translate.PHPEmpty(v) {
		d.Reason = ReasonDebug
		return d
	}
	if hasRollbackOrTransaction(params) {
		d.Reason = ReasonUncacheable
		return d
	}
	w := walker{p: p, ttl: -1}
	if r := w.call(params, d.Entity, d.Action, 0); r != "" {
		d.Reason = r
		return d
	}
	if w.ttl <= 0 {
		d.Reason = ReasonDisabled
		return d
	}
	d.Cacheable = true
	d.TTL = w.ttl
	// A chained read brings other data into the answer; only a call
	// without chains can be shared between principals.
	d.Shared = !w.chained && p.shared.match(d.Entity, d.Action)
	slices.Sort(w.reads)
	d.Reads = slices.Compact(w.reads)
	return d
}

// walker checks one call level and, as ChainSubscriber does, every chained
// call inside it.
type walker struct {
	p       *policy
	ttl     time.Duration // smallest so far; -1 before the first
	chained bool
	reads   []string
}

func (w *walker) call(params *translate.Array, entity, action string, depth int) Reason {
	if depth > maxChainDepth {
		return ReasonUncacheable
	}
	if w.p.deny.match(entity, action) {
		return ReasonDenied
	}
	if !readActions[action] {
		switch {
		case readsOnly(action):
			return ReasonUncacheable // an entity-specific read
		case depth == 0:
			return ReasonWrite
		}
		return ReasonChainedWrite
	}
	if action == "getfields" && params.Has("cache_clear") {
		// getfields with cache_clear flushes metadata caches (Generic.php).
		return ReasonUncacheable
	}
	if t := w.p.ttl.lookup(entity, action); w.ttl < 0 || t < w.ttl {
		w.ttl = t
	}
	w.reads = append(w.reads, entity)
	var r Reason
	eachChain(params, entity, action, func(subEntity, subAction string, sub *translate.Array) bool {
		w.chained = true
		if sub == nil {
			r = w.call(nil, subEntity, subAction, depth+1)
		} else {
			r = w.call(sub, subEntity, subAction, depth+1)
		}
		return r == ""
	})
	return r
}

// eachChain calls fn for every chained call in params (one level), in the
// way Civi\API\Subscriber\ChainSubscriber finds them: a key starting with
// "api" whose 4th byte is '.' or '_', with an array value or the integer 1
// (strictly: the string "1" and the float 1.0 are not chains). A list value
// runs once per element; sub is nil for the integer-1 form. Iteration stops
// when fn returns false.
func eachChain(params *translate.Array, entity, action string, fn func(subEntity, subAction string, sub *translate.Array) bool) {
	for i := 0; i < params.Len(); i++ {
		k, v := params.Key(i), params.Value(i)
		sub, isArr := v.(*translate.Array)
		if !isArr && v != translate.Number("1") {
			continue
		}
		if len(k) < 4 || k[:3] != "api" || (k[3] != '.' && k[3] != '_') {
			continue
		}
		if k == "api.has_parent" || k == "api_params" || slices.Contains(chainSkip[entity], k) {
			continue
		}
		// explode($sep, $key): [1] is the entity, [2] the action.
		sep := k[3:4]
		ent, rest, _ := strings.Cut(k[4:], sep)
		subAction, _, _ := strings.Cut(rest, sep)
		subEntity := translate.NormalEntity(entityFromCamel(ent))
		if subAction == "" || subAction == "0" { // PHP empty(): parent action
			subAction = action
		}
		subAction = translate.NormalAction(subAction)
		if !isArr {
			if !fn(subEntity, subAction, nil) {
				return
			}
			continue
		}
		if sub.Has("0") {
			// array_key_exists(0, …): one call per element.
			for j := 0; j < sub.Len(); j++ {
				el, _ := sub.Value(j).(*translate.Array)
				if el == nil {
					el = translate.NewArray()
				}
				if !fn(subEntity, subAction, el) {
					return
				}
			}
			continue
		}
		if !fn(subEntity, subAction, sub) {
			return
		}
	}
}

// entityFromCamel is _civicrm_api_get_entity_name_from_camel: "OptionValue"
// becomes "option_value"; an all-lowercase name is kept.
func entityFromCamel(s string) string {
	if strings.ToLower(s) == s {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			if i > 0 {
				b.WriteByte('_')
			}
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	return b.String()
}

func isVersion3(v any) bool {
	switch v := v.(type) {
	case string:
		return v == "3"
	case translate.Number:
		return v == "3"
	}
	return false
}

// hasRollbackOrTransaction: options.force_rollback and is_transactional run
// the call in a transaction that is rolled back or kept; either way the
// answer is not a plain read. Presence is enough: being strict costs only a
// miss.
func hasRollbackOrTransaction(params *translate.Array) bool {
	if params.Has("is_transactional") || params.Has("options.force_rollback") ||
		params.Has("option.force_rollback") || params.Has("option_force_rollback") {
		return true
	}
	if opts, ok := params.Get("options"); ok {
		if a, ok := opts.(*translate.Array); ok && a.Has("force_rollback") {
			return true
		}
	}
	return false
}

// readsOnly is the invalidation side's notion of a read: CiviCRM's own GET
// rule (get*, check) plus validate. It is deliberately looser than the
// cacheable set: System.check or Dedupe.getduplicates are never cached,
// but they change no entity data a cached read returns, and treating them
// as writes would flush caches on every status check.
func readsOnly(action string) bool {
	return strings.HasPrefix(action, "get") || action == "check" || action == "validate"
}

// WriteTargets lists the entities a call may change: the top-level entity
// when its action is not a read (readsOnly), and every chained call (any
// depth) that is not one. The Caddy layer may call Invalidate for every
// forwarded call that was not cacheable (reads invalidate nothing), or
// InvalidateTargets with what this returned. all is true when the effect cannot be bounded
// (className page callbacks, unparseable batches): then everything in the
// namespace must be invalidated.
func WriteTargets(call *translate.Call) (entities []string, all bool) {
	if call == nil {
		return nil, false
	}
	if call.HasClassName || call.ClassName != "" {
		return nil, true
	}
	if call.Batch {
		return batchTargets(call.Params)
	}
	if call.Refusal != nil || call.Ping || call.Entity == "" {
		return nil, false
	}
	var out []string
	collectWrites(call.Params, translate.NormalEntity(call.Entity), translate.NormalAction(call.Action), 0, &out)
	slices.Sort(out)
	return slices.Compact(out), false
}

func collectWrites(params *translate.Array, entity, action string, depth int, out *[]string) {
	if !readsOnly(action) {
		*out = append(*out, entity)
	}
	if depth > maxChainDepth {
		return
	}
	eachChain(params, entity, action, func(e, a string, sub *translate.Array) bool {
		collectWrites(sub, e, a, depth+1, out)
		return true
	})
}

// batchTargets reads a CRM.api3 batch ({"k":[entity, action, params], …}).
func batchTargets(params *translate.Array) ([]string, bool) {
	var out []string
	for i := 0; i < params.Len(); i++ {
		triple, ok := params.Value(i).(*translate.Array)
		if !ok {
			return nil, true
		}
		e, eok := triple.Get("0")
		a, aok := triple.Get("1")
		es, _ := e.(string)
		as, _ := a.(string)
		if !eok || !aok || es == "" || as == "" {
			return nil, true
		}
		p, _ := triple.Get("2")
		pa, _ := p.(*translate.Array)
		collectWrites(pa, translate.NormalEntity(translate.Munge(es)), translate.NormalAction(translate.Munge(as)), 0, &out)
	}
	slices.Sort(out)
	return slices.Compact(out), false
}
