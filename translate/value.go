package translate

import (
	"math"
	"strconv"
)

// PHP values as CiviCRM sees them. A value is one of:
//
//	string   a PHP string (every key-value request parameter is one)
//	Number   a JSON number literal, kept verbatim so int stays int and float stays float
//	bool     true / false
//	nil      null
//	*Array   a PHP array (ordered map with int or string keys)
//
// Keeping JSON numbers as their literal text is what lets Civigate forward a
// client's `json=` to CiviCRM without changing a single type: `1` stays the
// integer that triggers a chained call, `"1"` stays the string that does not.
type Number string

// Array is a PHP array: an ordered map whose keys are PHP ints or strings.
// Keys are stored as their canonical text; a key whose text is a canonical
// decimal integer (as PHP decides, see IntKey) is a PHP int key. PHP converts
// such string keys to ints on insertion, so text and int keys never collide.
type Array struct {
	keys  []string
	vals  []any
	index map[string]int
	// next is PHP's nNextFreeElement as the hash API (zend_hash_index_update,
	// zend_hash_next_index_insert: what parse_str and json_decode use) keeps
	// it in PHP 8.2: unset until the first int key, then key+1 after
	// inserting an int key at or above it, so a[-5]=1&a[]=2 appends at -4
	// (checked against php 8.2's parse_str). An append into an array with no
	// int key yet uses 0.
	next     int64
	nextSet  bool
	nextFull bool // next would overflow: PHP refuses further appends
	// object: a JSON object in CiviCRM's answer whose keys alone would
	// make a list ({} or {"0":…,"1":…}), which json_encode writes only
	// for a PHP object; EncodeJSON writes it back as an object
	// (decodeResult sets it; nothing else does).
	object bool
}

// initialEntries is the room an array gets with its first entry.
const initialEntries = 8

// NewArray returns an empty PHP array.
func NewArray() *Array { return &Array{} }

// reserve makes room for n entries in an empty array whose size the caller
// can tell, instead of the initialEntries a first Set gives.
func (a *Array) reserve(n int) {
	if a.keys == nil && n > 0 {
		a.keys, a.vals = make([]string, 0, n), make([]any, 0, n)
	}
}

// Len is the number of entries.
func (a *Array) Len() int {
	if a == nil {
		return 0
	}
	return len(a.keys)
}

// Key returns the i-th key (in insertion order).
func (a *Array) Key(i int) string { return a.keys[i] }

// Value returns the i-th value (in insertion order).
func (a *Array) Value(i int) any { return a.vals[i] }

// Keys returns the keys in order. The slice must not be modified.
func (a *Array) Keys() []string {
	if a == nil {
		return nil
	}
	return a.keys
}

func (a *Array) find(key string) int {
	if a == nil {
		return -1
	}
	if a.index == nil {
		// Small arrays (request params, result rows): a linear scan beats
		// building a map.
		if len(a.keys) <= 32 {
			for i, k := range a.keys {
				if k == key {
					return i
				}
			}
			return -1
		}
		a.index = make(map[string]int, len(a.keys))
		for i, k := range a.keys {
			a.index[k] = i
		}
	}
	if i, ok := a.index[key]; ok {
		return i
	}
	return -1
}

// Get returns the value stored under key (canonical key text) and whether it exists.
func (a *Array) Get(key string) (any, bool) {
	i := a.find(key)
	if i < 0 {
		return nil, false
	}
	return a.vals[i], true
}

// Has reports whether key exists (PHP array_key_exists).
func (a *Array) Has(key string) bool { return a.find(key) >= 0 }

// Set assigns key = v. An existing key keeps its position, as in PHP.
// key must be canonical (use NormalizeKey on untrusted text).
func (a *Array) Set(key string, v any) {
	if i := a.find(key); i >= 0 {
		a.vals[i] = v
		return
	}
	if n, ok := IntKey(key); ok {
		a.bumpNext(n)
	}
	if a.index != nil {
		a.index[key] = len(a.keys)
	}
	if a.keys == nil {
		// Request params and result rows have a few entries: room for them
		// at once instead of growing one by one.
		a.keys, a.vals = make([]string, 0, initialEntries), make([]any, 0, initialEntries)
	}
	a.keys = append(a.keys, key)
	a.vals = append(a.vals, v)
}

// Append adds v under the next free integer key (PHP `$a[] = v`). It returns
// false when PHP would refuse ("next element is already occupied").
func (a *Array) Append(v any) bool {
	if a.nextFull {
		return false
	}
	n := a.next
	if !a.nextSet {
		n = 0
	}
	a.Set(strconv.FormatInt(n, 10), v)
	return true
}

// Delete removes key if present.
func (a *Array) Delete(key string) {
	i := a.find(key)
	if i < 0 {
		return
	}
	a.keys = append(a.keys[:i], a.keys[i+1:]...)
	a.vals = append(a.vals[:i], a.vals[i+1:]...)
	a.index = nil
}

func (a *Array) bumpNext(n int64) {
	if (!a.nextSet || n >= a.next) && !a.nextFull {
		a.nextSet = true
		if n == math.MaxInt64 {
			a.nextFull = true
			a.next = n
			return
		}
		a.next = n + 1
	}
}

// IsList reports whether the keys are exactly 0..n-1 in order, which is when
// PHP's json_encode writes a JSON array rather than an object.
func (a *Array) IsList() bool {
	for i, k := range a.keys {
		if k != strconv.Itoa(i) {
			return false
		}
	}
	return true
}

// Clone returns a deep copy.
func (a *Array) Clone() *Array {
	if a == nil {
		return nil
	}
	c := &Array{keys: append([]string(nil), a.keys...), vals: make([]any, len(a.vals)), next: a.next, nextSet: a.nextSet, nextFull: a.nextFull, object: a.object}
	for i, v := range a.vals {
		if sub, ok := v.(*Array); ok {
			c.vals[i] = sub.Clone()
		} else {
			c.vals[i] = v
		}
	}
	return c
}

// IntKey reports whether key is a PHP integer key (canonical decimal within
// int64: "0", "-5", but not "05", "+5", "-0" or "1e3") and returns its value.
func IntKey(key string) (int64, bool) {
	if key == "" || len(key) > 20 {
		return 0, false
	}
	s := key
	if s[0] == '-' {
		s = s[1:]
		if s == "" || s == "0" {
			return 0, false
		}
	}
	if s[0] == '0' && len(s) > 1 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return 0, false
	}
	return n, true
}

// Lookup follows a path of keys through nested arrays.
func (a *Array) Lookup(path ...string) (any, bool) {
	var cur any = a
	for _, k := range path {
		arr, ok := cur.(*Array)
		if !ok {
			return nil, false
		}
		if cur, ok = arr.Get(k); !ok {
			return nil, false
		}
	}
	return cur, true
}

// String returns the string stored under key, or "" when absent or not a string.
func (a *Array) String(key string) string {
	v, _ := a.Get(key)
	s, _ := v.(string)
	return s
}
