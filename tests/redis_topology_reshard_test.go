package tests

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"
)

// Cluster resharding under load: slots move between masters for real
// (CLUSTER SETSLOT IMPORTING/MIGRATING, GETKEYSINSLOT, MIGRATE … KEYS, then
// SETSLOT NODE on every master) while two Civigate processes (one with a
// memory tier) serve cached APIv3 reads of four contacts, APIv4 reads and
// uncached ones, with a write every 300ms through alternate instances.
// Each slot is held MIGRATING twice, first with its keys still on the
// source (new keys are redirected with ASK), then with its keys already on
// the target (every command on them is an ASK to the target). The slots
// moved are those of the site's generation-counter hash (…cache:g), of
// four cached entries of the load, and of a credential verdict and a
// failure counter, used meanwhile by a credential's first use through the
// other instance and by a guessing client.
//
// Asserted: no request fails or gets another answer than its own (the
// guessing client's 4th bad key gets 429: the counters were shared, not
// counted in each instance's memory); no answer predates a write
// acknowledged before it was asked (the memory tier's invalidation message
// in flight aside: at most invalidationSlack after the acknowledgement);
// the slots end on their new masters; caching works afterwards, shared
// through Redis. Reported: the MOVED, ASK and TRYAGAIN errors the nodes
// counted, and the slowest request while slots moved.
func TestRedisClusterResharding(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a real Redis Cluster")
	}
	began := time.Now()
	bin := buildCivigate(t)
	tp := startClusterTopology(t)
	e := startTopologyEnv(t, bin, tp)
	t.Logf("cluster and 2 instances up in %v", time.Since(began).Round(100*time.Millisecond))
	e.reshardUnderLoad(t)
	e.invalidateWhileCountersMigrate(t)
	e.checkSharedEntries(t)
	e.checkInvalidation(t)
	t.Logf("done in %v", time.Since(began).Round(100*time.Millisecond))
}

// invalidationSlack is how long after a write is acknowledged the
// instance with a memory tier may still answer as of before it: the
// invalidation message is published with the bump, before the
// acknowledgement, but reaches the subscriber on its own (milliseconds;
// checkInvalidation allows as much).
const invalidationSlack = 500 * time.Millisecond

// reshardContacts are the contacts whose reads the load caches.
var reshardContacts = []int64{2, 3, 4}

// reshardQuery is the q of the load's cached read k (of 12).
func reshardQuery(k int64) string { return fmt.Sprintf("reshard-%d", k%12) }

// api4ReadRequest is an APIv4 Contact.get through instance i as contact.
func (e *topoEnv) api4ReadRequest(i int, contact int64, q string) (*http.Request, error) {
	params := fmt.Sprintf(`{"select":["id","display_name"],"where":[["id","=",%d]],"q":%q}`, contact, q)
	r, err := http.NewRequest("GET", e.insts[i].URL+"/civicrm/ajax/api4/Contact/get?params="+url.QueryEscape(params), nil)
	if err == nil {
		r.Header.Set("X-Civi-Auth", "Bearer "+e.up.key(contact))
		r.Header.Set("X-Civi-Key", e.sk)
	}
	return r, err
}

// reshardReads: read i goes through instance i%2; of every 8, one is
// uncached, two are APIv4 reads and five APIv3 reads, of 12 queries over
// three contacts.
func (e *topoEnv) reshardReads(i int64) (*http.Request, error) {
	inst := int(i % 2)
	contact := reshardContacts[(i/2)%int64(len(reshardContacts))]
	switch i % 8 {
	case 0:
		return http.NewRequest("GET", e.readURL(inst, contact, fmt.Sprintf("uncached-%d", i)), nil)
	case 3, 6:
		return e.api4ReadRequest(inst, contact, reshardQuery(i/8))
	}
	return http.NewRequest("GET", e.readURL(inst, contact, reshardQuery(i/8)), nil)
}

// clusterNodeID is the node id of the node on port.
func (tp *redisTopology) clusterNodeID(t *testing.T, port int) string {
	t.Helper()
	id, err := tp.client(port).ClusterMyID(context.Background()).Result()
	if err != nil {
		t.Fatalf("CLUSTER MYID on %d: %v", port, err)
	}
	return id
}

// slotOf is key's Cluster slot.
func (tp *redisTopology) slotOf(t *testing.T, key string) int64 {
	t.Helper()
	slot, err := tp.client(tp.masters()[0].Port).ClusterKeySlot(context.Background(), key).Result()
	if err != nil {
		t.Fatalf("CLUSTER KEYSLOT: %v", err)
	}
	return slot
}

// slotMaster is the port of the master serving slot, as the node on port
// sees it (0: none).
func (tp *redisTopology) slotMaster(port int, slot int64) int {
	slots, err := tp.client(port).ClusterSlots(context.Background()).Result()
	if err != nil {
		return 0
	}
	for _, s := range slots {
		if int64(s.Start) <= slot && slot <= int64(s.End) && len(s.Nodes) > 0 {
			var p int
			fmt.Sscanf(s.Nodes[0].Addr[strings.LastIndexByte(s.Nodes[0].Addr, ':')+1:], "%d", &p)
			return p
		}
	}
	return 0
}

// slotMove is one slot on its way from one master to another.
type slotMove struct {
	what     string
	slot     int64
	from, to int
}

// migration moves slots together, in the three steps of a real
// resharding, each of which the test may hold as long as it likes.
type migration struct {
	tp    *redisTopology
	moves []slotMove
}

// newMigration plans moving each slot to the master after its own.
func (tp *redisTopology) newMigration(t *testing.T, what []string, slots []int64) *migration {
	t.Helper()
	masters := tp.masters()
	sort.Slice(masters, func(a, b int) bool { return masters[a].Port < masters[b].Port })
	m := &migration{tp: tp}
	seen := map[int64]bool{}
	for k, slot := range slots {
		if seen[slot] {
			continue
		}
		seen[slot] = true
		from := tp.slotMaster(masters[0].Port, slot)
		to := 0
		for i, n := range masters {
			if n.Port == from {
				to = masters[(i+1)%len(masters)].Port
			}
		}
		if from == 0 || to == 0 {
			t.Fatalf("slot %d (%s): no master serves it", slot, what[k])
		}
		m.moves = append(m.moves, slotMove{what[k], slot, from, to})
	}
	return m
}

// begin marks every slot IMPORTING on its target, then MIGRATING on its
// source: from now on a key the source no longer has is an ASK to the
// target.
func (m *migration) begin(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	for _, mv := range m.moves {
		if err := m.tp.client(mv.to).Do(ctx, "CLUSTER", "SETSLOT", mv.slot, "IMPORTING", m.tp.clusterNodeID(t, mv.from)).Err(); err != nil {
			t.Fatalf("SETSLOT %d IMPORTING on %d: %v", mv.slot, mv.to, err)
		}
		if err := m.tp.client(mv.from).Do(ctx, "CLUSTER", "SETSLOT", mv.slot, "MIGRATING", m.tp.clusterNodeID(t, mv.to)).Err(); err != nil {
			t.Fatalf("SETSLOT %d MIGRATING on %d: %v", mv.slot, mv.from, err)
		}
	}
}

// moveKeys MIGRATEs every key of every slot to its target, 10 at a time,
// and returns how many it moved.
func (m *migration) moveKeys(t *testing.T) int {
	t.Helper()
	ctx := context.Background()
	moved := 0
	for _, mv := range m.moves {
		src := m.tp.client(mv.from)
		for {
			keys, err := src.ClusterGetKeysInSlot(ctx, int(mv.slot), 10).Result()
			if err != nil {
				t.Fatalf("GETKEYSINSLOT %d on %d: %v", mv.slot, mv.from, err)
			}
			if len(keys) == 0 {
				break
			}
			args := []any{"MIGRATE", "127.0.0.1", mv.to, "", 0, 5000, "KEYS"}
			for _, k := range keys {
				args = append(args, k)
			}
			if err := src.Do(ctx, args...).Err(); err != nil {
				t.Fatalf("MIGRATE of %d keys of slot %d from %d to %d: %v", len(keys), mv.slot, mv.from, mv.to, err)
			}
			moved += len(keys)
		}
	}
	return moved
}

// finish gives every slot to its target, telling the target first (which
// bumps its config epoch), then the source, then the other masters (as
// redis-cli --cluster reshard does), one slot at a time: the next slot
// waits until every live node, replicas included, routes this one to its
// target, so that no node's gossip of an older map can take it back.
func (m *migration) finish(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	masters := m.tp.masters()
	for _, mv := range m.moves {
		id := m.tp.clusterNodeID(t, mv.to)
		order := []int{mv.to, mv.from}
		for _, n := range masters {
			if n.Port != mv.to && n.Port != mv.from {
				order = append(order, n.Port)
			}
		}
		for _, p := range order {
			if err := m.tp.client(p).Do(ctx, "CLUSTER", "SETSLOT", mv.slot, "NODE", id).Err(); err != nil {
				t.Fatalf("SETSLOT %d NODE on %d: %v", mv.slot, p, err)
			}
		}
		for _, n := range m.tp.nodes {
			if n.cmd == nil {
				continue
			}
			eventually(t, 10*time.Second, fmt.Sprintf("node %d routes slot %d (%s) to %d", n.Port, mv.slot, mv.what, mv.to), func() bool {
				return m.tp.slotMaster(n.Port, mv.slot) == mv.to
			})
		}
	}
}

// newKeys are the keys matching pattern on any master that are not in
// before.
func (tp *redisTopology) newKeys(pattern string, before map[string]bool) []string {
	var out []string
	for _, n := range tp.masters() {
		keys, _ := tp.client(n.Port).Keys(context.Background(), pattern).Result()
		for _, k := range keys {
			if !before[k] {
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}

func (tp *redisTopology) keySet(pattern string) map[string]bool {
	set := map[string]bool{}
	for _, k := range tp.newKeys(pattern, nil) {
		set[k] = true
	}
	return set
}

// reshardUnderLoad: see TestRedisClusterResharding.
func (e *topoEnv) reshardUnderLoad(t *testing.T) {
	tp := e.tp
	hold := 1500 * time.Millisecond

	// Every contact's key is verified through both instances (the load's
	// first uses must not depend on guessing protection: see
	// failoverUnderLoad), and the load's cached reads are stored before
	// it starts, so the entries that appear now are the load's own.
	for i := range e.insts {
		for _, c := range reshardContacts {
			e.read(t, i, c, "warm-reshard")
		}
	}
	entries := tp.keySet(e.prefix + "*cache:e:*")
	for k := int64(0); k < 12; k++ {
		for _, c := range reshardContacts {
			e.read(t, 1, c, reshardQuery(k))
			r, _ := e.api4ReadRequest(1, c, reshardQuery(k))
			if a := doReq(t, r); a.status != 200 || !strings.Contains(a.body, `"writes":"`) {
				t.Fatalf("APIv4 read: %d %.300s", a.status, a.body)
			}
		}
	}
	loadEntries := tp.newKeys(e.prefix+"*cache:e:*", entries)
	if len(loadEntries) < 4 {
		t.Fatalf("the load's reads stored %d entries", len(loadEntries))
	}
	_, gensKey := tp.findKey(e.prefix + "*cache:g")
	if gensKey == "" {
		t.Fatal("no generation-counter hash in the cluster")
	}

	stats0 := tp.errorStats()
	load := e.startLoad(4, e.reshardReads)
	defer load.stop()
	var slowest time.Duration
	var windows []string
	// move runs one migration with the load on: hold MIGRATING with the
	// keys on the source, move them, hold with them on the target, finish;
	// during(stage) runs at the start of each hold.
	move := func(name string, m *migration, during func(stage int)) {
		t.Helper()
		from := load.since()
		for _, mv := range m.moves {
			t.Logf("%s: slot %d (%s) from %d to %d", name, mv.slot, mv.what, mv.from, mv.to)
		}
		m.begin(t)
		during(0)
		time.Sleep(hold)
		n := m.moveKeys(t)
		during(1)
		time.Sleep(hold)
		m.finish(t)
		time.Sleep(300 * time.Millisecond) // the instances' slot maps catch up
		to := load.since()
		s := load.slowest(from, to)
		slowest = max(slowest, s)
		windows = append(windows, fmt.Sprintf("%s: %d keys, %v, slowest request %v", name, n, (to-from).Round(10*time.Millisecond), s.Round(time.Millisecond)))
	}
	time.Sleep(time.Second)

	// (1) The generation counters: every lookup reads them, every write's
	// invalidation bumps them.
	move("generation counters", tp.newMigration(t, []string{gensKey}, []int64{tp.slotOf(t, gensKey)}), func(int) {})

	// (2) Entries of the load: four of distinct slots.
	var what []string
	var slots []int64
	seen := map[int64]bool{tp.slotOf(t, gensKey): true}
	for _, k := range loadEntries {
		if s := tp.slotOf(t, k); !seen[s] && len(slots) < 4 {
			seen[s] = true
			what, slots = append(what, "entry "+k[len(k)-8:]), append(slots, s)
		}
	}
	move("cached entries", tp.newMigration(t, what, slots), func(int) {})

	// (3) A verdict and the failure counters of a guessing client: contact
	// 5's key is verified through instance 0 (its verdict is stored), then
	// first used through instance 1 while its verdict's slot is migrating;
	// a client fails twice, then twice more while its counters' slots
	// migrate: the 4th failure must be refused (429) through either
	// instance, which only counters shared through Redis can do.
	verdicts := tp.keySet(e.prefix + "*authv:*")
	e.read(t, 0, 5, "verdict")
	newVerdicts := tp.newKeys(e.prefix+"*authv:*", verdicts)
	if len(newVerdicts) == 0 {
		t.Fatal("the first use of contact 5's key stored no verdict")
	}
	guesser := fromAddress("127.0.0.9")
	bad := "bad-" + randomHex(t, 8)
	guess := func(i int) int {
		r, _ := http.NewRequest("GET", e.insts[i].URL+externPath+"?entity=Contact&action=get&json=1&key="+e.sk+"&api_key="+bad, nil)
		return doWith(t, guesser, r).status
	}
	counters := tp.keySet(e.prefix + "*authfail:*")
	for k, i := range []int{0, 1} {
		if st := guess(i); st != 200 {
			t.Fatalf("failure %d through instance %d: status %d, want the legacy refusal (200)", k+1, i, st)
		}
	}
	newCounters := tp.newKeys(e.prefix+"*authfail:*", counters)
	if len(newCounters) == 0 {
		t.Fatal("two failures stored no failure counter")
	}
	what, slots = nil, nil
	for _, k := range newVerdicts[:1] {
		what, slots = append(what, "verdict"), append(slots, tp.slotOf(t, k))
	}
	for _, k := range newCounters {
		what, slots = append(what, "failure counter"), append(slots, tp.slotOf(t, k))
	}
	idCalls := e.up.idCalls.Load()
	move("verdict and failure counters", tp.newMigration(t, what, slots), func(stage int) {
		switch stage {
		case 0:
			if st := guess(0); st != 200 {
				load.fail(fmt.Sprintf("3rd failure through instance 0, keys on the source: status %d, want 200", st))
			}
		case 1:
			e.read(t, 1, 5, "verdict")
			for _, i := range []int{1, 0} {
				if st := guess(i); st != http.StatusTooManyRequests {
					load.fail(fmt.Sprintf("failure after 3 through instance %d, keys on the target: status %d, want 429", i, st))
				}
			}
		}
	})
	verdictShared := e.up.idCalls.Load() == idCalls

	time.Sleep(time.Second)
	requests, failed, why := load.finish()
	stats := tp.errorStats()
	var redirects []string
	for _, name := range []string{"MOVED", "ASK", "TRYAGAIN", "CROSSSLOT", "CLUSTERDOWN"} {
		redirects = append(redirects, fmt.Sprintf("%s %d", name, stats[name]-stats0[name]))
	}
	var instErrors []string
	for i, inst := range e.insts {
		m := inst.metricsText(t)
		var parts []string
		for _, line := range strings.Split(m, "\n") {
			if strings.HasPrefix(line, "civigate_redis_errors_total{") {
				parts = append(parts, strings.TrimPrefix(line, "civigate_redis_errors_total"))
			}
		}
		instErrors = append(instErrors, fmt.Sprintf("instance %d: %v", i, parts))
	}
	stale := load.stale()
	var late []staleRead
	for _, s := range stale {
		if s.inst != 0 || s.at-s.ack > invalidationSlack {
			late = append(late, s)
		}
	}
	t.Logf("RESHARD: %d requests, %d failed; %d stale answers (%d beyond the memory tier's message in flight); nodes counted %s; instances counted %v; verdict shared through the migrating slot: %v",
		requests, failed, len(stale), len(late), strings.Join(redirects, ", "), instErrors, verdictShared)
	for _, w := range windows {
		t.Logf("RESHARD %s", w)
	}
	t.Logf("RESHARD slowest request while slots moved: %v", slowest.Round(time.Millisecond))
	if failed > 0 {
		t.Errorf("%d of %d requests failed while slots moved: %v", failed, requests, why)
	}
	for k, s := range late {
		if k == 5 {
			break
		}
		t.Errorf("stale answer on instance %d asked %v after write %d was acknowledged (answer as of write %d)",
			s.inst, (s.at - s.ack).Round(time.Millisecond), s.n, s.writes)
	}
	if len(late) > 5 {
		t.Errorf("… %d stale answers in all", len(late))
	}
}

// invalidateWhileCountersMigrate: with no load, so that nothing but the
// write itself (and the background replay) can carry its invalidation,
// the counters' hash is moved to the target while its slot stays
// MIGRATING: every command on it is an ASK. A write through either
// instance must be invalidated in Redis when it is acknowledged: the
// instance without a memory tier must never answer as of before it, the
// other one not beyond invalidationSlack.
func (e *topoEnv) invalidateWhileCountersMigrate(t *testing.T) {
	tp := e.tp
	_, gensKey := tp.findKey(e.prefix + "*cache:g")
	m := tp.newMigration(t, []string{gensKey}, []int64{tp.slotOf(t, gensKey)})
	t.Logf("idle writer: slot %d (%s) from %d to %d", m.moves[0].slot, gensKey, m.moves[0].from, m.moves[0].to)
	const q = "reshard-idle"
	for i := range e.insts {
		e.read(t, i, 3, q)
	}
	m.begin(t)
	m.moveKeys(t)
	if port, _ := tp.findKey(gensKey); port != m.moves[0].to {
		t.Fatalf("the counters' hash is on %d after MIGRATE, want %d", port, m.moves[0].to)
	}
	for _, w := range []int{0, 1} {
		other := 1 - w
		e.read(t, other, 3, q) // cached, and (memory tier) its generations learned
		n := e.write(t, w)
		acked := time.Now()
		for time.Since(acked) < time.Second {
			a := e.read(t, other, 3, q)
			if got := writesIn(a.body); got < n && (other == 1 || time.Since(acked) > invalidationSlack) {
				t.Errorf("%v after write %d through instance %d was acknowledged, with the counters' slot migrating, instance %d answered as of write %d (%s)",
					time.Since(acked).Round(time.Millisecond), n, w, other, got, cacheStatus(a))
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	m.finish(t)
}
