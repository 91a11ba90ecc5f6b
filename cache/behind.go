package cache

import (
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Counters known to be behind.
//
// A Redis that refuses writes but still answers reads (maxmemory with
// noeviction: "OOM command not allowed"; min-replicas-to-write without
// its replicas: NOREPLICAS; a failed RDB save: MISCONF) keeps serving
// every entry under the generations it was stored with, while the write
// that made it stale could not bump them: the counters are behind. The
// instance that made the write knows its bump failed; the others learn it
// from a message it publishes on the invalidation channel (PUBLISH is no
// write: such a Redis delivers it), which names each tag with the value
// its counter had in Redis after the write, its floor. Until Redis shows
// the counter past that floor (the bump landed: the writer replays it
// every ReplayEvery), or a bump of the tag sent from here after the floor
// was learned lands, every lookup of an entry depending on the tag is a
// miss (ErrBehind: CiviCRM answers) and nothing is stored under it.
//
// Any value read after the write completed is a sound floor: an entry
// whose generation for the tag is above it was looked up after a bump
// that followed the write, so CiviCRM's answer to it came after the
// write too. The writer reads the floors in the pipeline of its bumps.
//
// When the writer could read nothing either (Redis timed out or was
// unreachable, or paused writes: CLIENT PAUSE WRITE holds PUBLISH too),
// only the writer knows: its floors are unknown and last until its own
// replay lands. Instances that do not hear the message (their
// subscription down for as long as the writer keeps repeating it, one
// started after the writer died) cannot know: they serve what they find
// until the bump lands or the entries expire. A floor is forgotten after
// the longest an entry or verdict lives (RedisOptions.Retention): by then
// every entry stored before the write has expired, even if the writer
// died with its bump unsent.

// ErrBehind is a lookup's error when a counter the entry depends on is
// known to be behind an invalidation Redis did not record: a miss, and
// nothing is stored.
var ErrBehind = errors.New("cache: an invalidation is not recorded in Redis yet")

// floor is what an instance knows of one invalidation of a tag whose bump
// did not land.
type floor struct {
	// epoch and n are the counters' epoch and the tag's counter as Redis
	// had them after the write (known); unknown when nothing could be
	// read: only the instance's own replay landing ends it.
	epoch, n uint64
	known    bool
	seq      uint64    // when it was learned here (lagSet.seq)
	until    time.Time // forgotten then (RedisOptions.Retention)
}

// passed reports whether Redis's counter (epoch, n) is past f: bumped
// since, or a new epoch (the hash was recreated after f was read).
func (f floor) passed(epoch, n uint64) bool { return f.known && (epoch != f.epoch || n > f.n) }

// lagSet is the tags whose counters are known to be behind, with their
// floors. The hit path pays one atomic load while it is empty.
type lagSet struct {
	active atomic.Bool
	hold   time.Duration
	now    func() time.Time

	mu  sync.Mutex
	seq uint64
	m   map[string][]floor
}

func newLagSet(hold time.Duration) *lagSet {
	return &lagSet{hold: hold, now: time.Now, m: make(map[string][]floor)}
}

// mark records that the counters of tags are behind: with known, ns[i]
// is what Redis had for tags[i] after the write, in epoch.
func (s *lagSet) mark(tags []string, known bool, epoch uint64, ns []uint64) {
	until := s.now().Add(s.hold)
	s.mu.Lock()
	s.seq++
	for i, t := range tags {
		f := floor{known: known, seq: s.seq, until: until}
		if known {
			f.epoch, f.n = epoch, ns[i]
		}
		s.m[t] = mergeFloor(s.m[t], f)
	}
	s.active.Store(len(s.m) > 0)
	s.mu.Unlock()
}

// mergeFloor adds f to fs, one floor per epoch and one unknown: the
// higher counter, the later learning and the later end (each errs on the
// side of a miss).
func mergeFloor(fs []floor, f floor) []floor {
	for i, g := range fs {
		if g.known == f.known && g.epoch == f.epoch {
			f.n = max(f.n, g.n)
			fs[i] = f
			return fs
		}
	}
	return append(fs, f)
}

// behind reports whether tag's counter, which Redis has just answered as
// n in epoch, is still behind a floor known here. Floors it has passed,
// and expired ones, are forgotten.
func (s *lagSet) behind(tag string, epoch, n uint64) bool {
	if !s.active.Load() {
		return false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	fs, ok := s.m[tag]
	if !ok {
		return false
	}
	keep := fs[:0]
	for _, f := range fs {
		if now.Before(f.until) && !f.passed(epoch, n) {
			keep = append(keep, f)
		}
	}
	s.setLocked(tag, keep)
	return len(keep) > 0
}

// lagging reports whether any of tags is known to be behind, without
// asking Redis.
func (s *lagSet) lagging(tags ...string) bool {
	if !s.active.Load() {
		return false
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tags {
		for _, f := range s.m[t] {
			if now.Before(f.until) {
				return true
			}
		}
	}
	return false
}

// sending is the point a bump about to be sent starts from: landed with
// it forgets only the floors learned before.
func (s *lagSet) sending() uint64 {
	if !s.active.Load() {
		return 0 // nothing to forget: nothing learned yet
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.seq
}

// landed records that a bump of tags sent at sent (sending) landed: the
// counters are past every floor learned before it was sent, which were
// read before that.
func (s *lagSet) landed(tags []string, sent uint64) {
	if sent == 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, t := range tags {
		fs, ok := s.m[t]
		if !ok {
			continue
		}
		keep := fs[:0]
		for _, f := range fs {
			if f.seq > sent {
				keep = append(keep, f)
			}
		}
		s.setLocked(t, keep)
	}
}

// prune forgets expired floors (those of tags no lookup asks about any
// more), so the hit path is back to its one atomic load.
func (s *lagSet) prune() {
	if !s.active.Load() {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	for t, fs := range s.m {
		keep := fs[:0]
		for _, f := range fs {
			if now.Before(f.until) {
				keep = append(keep, f)
			}
		}
		s.setLocked(t, keep)
	}
}

func (s *lagSet) setLocked(tag string, fs []floor) {
	if len(fs) == 0 {
		delete(s.m, tag)
	} else {
		s.m[tag] = fs
	}
	s.active.Store(len(s.m) > 0)
}

// lagPrefix starts a message saying that an invalidation's bumps did not
// land (lagMessage as JSON follows); any other message is a plain list of
// invalidated tags, one a line. An instance that does not know this form
// reads it as two odd tag names and forgets them: harmless.
const lagPrefix = "\x00behind\n"

// lagMessage is what a writer whose bumps Redis refused tells every
// instance: the tags and their floors.
type lagMessage struct {
	Epoch uint64   `json:"epoch"`
	Tags  []string `json:"tags"`
	N     []uint64 `json:"n"`
}

func encodeLag(tags []string, epoch uint64, ns []uint64) string {
	b, _ := json.Marshal(lagMessage{Epoch: epoch, Tags: tags, N: ns})
	return lagPrefix + string(b)
}

// heard reads one message of the invalidation channel and returns the
// tags it invalidates; a message saying their bumps did not land also
// records their floors, before any follower learns of it (so a memory
// tier that forgets the tags cannot learn their old generations again).
func (r *RedisStore) heard(payload string) []string {
	rest, ok := strings.CutPrefix(payload, lagPrefix)
	if !ok {
		return strings.Split(payload, "\n")
	}
	var m lagMessage
	if json.Unmarshal([]byte(rest), &m) != nil || len(m.N) != len(m.Tags) {
		return nil
	}
	r.lag.mark(m.Tags, true, m.Epoch, m.N)
	return m.Tags
}

// refusesWrites reports whether err is the answer of a master that takes
// no write but still answers reads and PUBLISH, so that what it answered
// to reads in the same pipeline is its current state.
func refusesWrites(err error) bool {
	var re redis.Error
	if !errors.As(err, &re) {
		return false
	}
	msg := re.Error()
	for _, code := range [...]string{"OOM ", "NOREPLICAS ", "MISCONF "} {
		if strings.HasPrefix(msg, code) {
			return true
		}
	}
	return false
}

// floorsOf reads the counters' answer to the read that followed a failed
// bump of tags (HMGET of the epoch and tags): their floors, when Redis
// refused the bump itself (err) and answered the read.
func floorsOf(err error, read *redis.SliceCmd, tags []string) (epoch uint64, ns []uint64, ok bool) {
	if read == nil || !refusesWrites(err) || read.Err() != nil {
		return 0, nil, false
	}
	vals := read.Val()
	if len(vals) != 1+len(tags) {
		return 0, nil, false
	}
	epoch, _, e := genValue(vals[0])
	if e != nil {
		return 0, nil, false
	}
	ns = make([]uint64, len(tags))
	for i := range tags {
		if ns[i], _, e = genValue(vals[1+i]); e != nil {
			return 0, nil, false
		}
	}
	return epoch, ns, true
}

// lagging reports whether any of tags is known to be behind: Cache.Store
// then stores nothing under them.
func (r *RedisStore) lagging(tags ...string) bool { return r.lag.lagging(tags...) }

// lagger is a store that may know counters to be behind.
type lagger interface{ lagging(tags ...string) bool }

// lagFollower is the store's own listener's: the message alone matters
// (heard records its floors).
type lagFollower struct{}

func (lagFollower) reset(bool)      {}
func (lagFollower) forget([]string) {}
