package cache

import (
	"maps"
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

// DefaultDeny are reads that have side effects or are not deterministic
// (spec §7): they are always forwarded.
var DefaultDeny = []string{
	"System.check",
	"Dedupe.getduplicates",
	"Extension.getremote",
	"ReportTemplate.getrows",
	"ReportTemplate.getstatistics",
}

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
	// V4: an APIv4 call (api4.go); Entity and Action are then as the
	// client spelled them.
	V4 bool
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
		// An APIv4 class's name is its entity's (CiviCase is Case), as the
		// walker names the calls rules are matched against.
		e = translate.NormalEntity(translate.API4EntityName(e))
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

// newDenySet is newRuleSet for rules that keep reads out of the cache: a
// rule naming an entity covers every name whose data overlaps it
// (translate.EntitiesSharingData): a deny on UFMatch keeps Standalone's
// User, which is UFMatch's table, out too. Permissive rules (shared, ttl)
// stay exact.
func newDenySet(list []string) ruleSet {
	rs := newRuleSet(list)
	for r := range maps.Clone(rs) {
		if r.entity == "*" {
			continue
		}
		for _, name := range translate.EntitiesSharingData(r.entity) {
			rs[rule{translate.NormalEntity(name), r.action}] = struct{}{}
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
	if call.API4 != nil {
		return p.decideV4(call)
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
	if v, ok := params.Get("version"); ok && translate.APIVersion(v) != 3 {
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
	w := readWalk{p: p, ttl: -1}
	translate.Walk(call, w.visit)
	return w.decision(d)
}

// decision completes d with what the walk found.
func (w *readWalk) decision(d Decision) Decision {
	if w.reason != "" {
		d.Reason = w.reason
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
	d.Shared = !w.chained && w.p.shared.match(translate.NormalEntity(d.Entity), translate.NormalAction(d.Action))
	for _, e := range w.reads {
		w.reads = append(w.reads, readsThrough[entityKey(e)]...)
	}
	slices.Sort(w.reads)
	d.Reads = slices.Compact(w.reads)
	return d
}

// readWalk judges each call a request runs (translate.Walk: the call and
// every chained call at any depth, APIv3 or APIv4): all must be cacheable
// reads.
type readWalk struct {
	p       *policy
	ttl     time.Duration // smallest so far; -1 before the first
	chained bool
	reads   []string
	reason  Reason
	v4      bool // an APIv4 request: its version-4 calls are native
}

func (w *readWalk) visit(sc translate.Subcall) bool {
	w.reason = w.judge(sc)
	return w.reason == ""
}

func (w *readWalk) judge(sc translate.Subcall) Reason {
	if sc.Implied != "" {
		// A call the client's call runs on its own entity under its own
		// name: that call's judgement (read or write, TTL, sharing) holds
		// for it.
		return ""
	}
	if sc.Depth > 0 {
		w.chained = true
	}
	switch {
	case sc.Truncated:
		return ReasonUncacheable
	case sc.ChecksOff != "":
		// CiviCRM answers it without the caller's permission checks (an
		// operator's rule let it through): not the caller's view to keep.
		return ReasonUncacheable
	case sc.Via != "" && sc.EntityDynamic:
		// A read of an entity the edge cannot name: no write could be
		// known to invalidate it.
		return ReasonUncacheable
	case sc.Dynamic() || sc.ParamsUnknown:
		return ReasonChainedWrite
	case sc.Version == 4 && w.v4:
		return w.judgeV4(sc)
	case sc.Version != 3:
		return ReasonVersion
	case w.p.deny.match(sc.Entity, sc.Action):
		return ReasonDenied
	}
	if !readActions[sc.Action] {
		switch {
		case readsOnly(sc.Action):
			return ReasonUncacheable // an entity-specific read
		case sc.Depth == 0:
			return ReasonWrite
		}
		return ReasonChainedWrite
	}
	if sc.Action == "getfields" && sc.Params.Has("cache_clear") {
		// getfields with cache_clear flushes metadata caches (Generic.php).
		return ReasonUncacheable
	}
	if t := w.p.ttl.lookup(sc.Entity, sc.Action); w.ttl < 0 || t < w.ttl {
		w.ttl = t
	}
	// What an APIv3 read answers of other entities besides its own rows
	// (translate.V3Returns: Contribution.get's contact names, Contact.get's
	// primary e-mail, Event.get's is_full, Activity.get's tag_id, Case.get's
	// activities…) the walk reports as reads through "return" or the field,
	// as the policy judges them: each is a subcall of its own, whose entity
	// lands here.
	w.reads = append(w.reads, sc.Entity)
	return ""
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

// WriteTargets lists the entities a call may change: every call it runs
// (translate.Walk: the call itself, batch members, chained calls at any
// depth, APIv3 or APIv4) whose action is not a read (readsOnly,
// v4ReadsOnly). The Caddy layer may call
// Invalidate for every forwarded call that was not cacheable (reads
// invalidate nothing), or InvalidateTargets with what this returned. all is
// true when the effect cannot be bounded (a write action that is not plain
// CRUD on its entity, see confinedWrites; className page callbacks, a call
// whose entity or action is only known at run time, chains too deep to
// follow): then everything in the namespace must be invalidated. A delete
// (or a replace, which deletes what its set leaves out) also writes the
// entities whose foreign keys cascade from it (deleteCascades).
func WriteTargets(call *translate.Call) (entities []string, all bool) {
	if call == nil {
		return nil, false
	}
	if call.HasClassName || call.ClassName != "" {
		return nil, true
	}
	if !call.Batch && (call.Refusal != nil || call.Ping || call.Entity == "") {
		return nil, false
	}
	var out []string
	translate.Walk(call, func(sc translate.Subcall) bool {
		switch {
		case sc.Via != "":
			// A read through a join or carrier writes nothing.
			return true
		case sc.Truncated || sc.Dynamic():
			all = true
			return false
		case copiesOf(sc.Entity, sc.StartedBy):
			// The BAO's copy of what the client's call saved (a saved
			// e-mail's UFMatch uf_name, translate's Own field writes):
			// its readers depend on the saved entity (readsThrough),
			// which this call's write invalidates; a rename moves no
			// link, so it is no global write.
			return true
		case call.API4 != nil:
			e, writes := writeTargetV4(sc)
			if !writes {
				// A read writes nothing, nor what its entity's writes
				// make CiviCRM write (sideWrites).
				return true
			}
			out = append(out, e)
			all = !confinedWrite(sc.Action) || globalAction(sc.Entity, sc.Action)
		case sc.Entity != "" && !readsOnly(strings.ToLower(sc.Action)):
			out = append(out, sc.Entity)
			all = !confinedWrite(sc.Action) || globalAction(sc.Entity, sc.Action)
		default:
			return true
		}
		if all {
			return false
		}
		// What CiviCRM's BAO writes besides (sideWrites).
		k := entityKey(sc.Entity)
		if savesThroughBAO(sc.Action) {
			out = append(out, sideWritesOf[k]...)
		}
		if deletesRows(sc.Action) {
			// The database deletes or empties the rows that reference
			// the deleted ones (deleteCascades, from the schema's
			// on_delete), and the BAO deletes others: they are written
			// too.
			out = append(out, deleteCascades[k]...)
			out = append(out, deleteSideWritesOf[k]...)
		}
		return true
	})
	if all {
		return nil, true
	}
	slices.Sort(out)
	return slices.Compact(out), false
}
