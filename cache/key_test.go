package cache

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/civigate/civigate/translate"
)

func keyOf(t testing.TB, c *Cache, call *translate.Call, contact int64) string {
	t.Helper()
	r := c.Prepare(call, contact)
	if !r.Cacheable {
		t.Fatalf("not cacheable: %s", r.Reason)
	}
	if len(r.Key) != 64 {
		t.Fatalf("key %q is not hex sha256", r.Key)
	}
	return r.Key
}

func TestKeyEquivalence(t *testing.T) {
	c := testPolicy(t, Config{Namespace: "site-a"})
	const extern = "/sites/all/modules/civicrm/extern/rest.php"
	kv := "entity=Contact&action=get&json=1&key=SITEKEY&api_key=USERKEY&contact_type=Individual&sequential=1&options[limit]=5"
	base := keyOf(t, c, httpCall(t, "GET", extern+"?"+kv, ""), 7)
	same := map[string]*translate.Call{
		"POST form":        httpCall(t, "POST", extern, kv),
		"POST split":       httpCall(t, "POST", extern+"?entity=Contact&action=get", "json=1&key=SITEKEY&api_key=USERKEY&contact_type=Individual&sequential=1&options[limit]=5"),
		"reordered":        httpCall(t, "GET", extern+"?options[limit]=5&sequential=1&entity=Contact&json=1&action=get&contact_type=Individual&api_key=USERKEY&key=SITEKEY", ""),
		"other key":        httpCall(t, "GET", extern+"?entity=Contact&action=get&json=1&key=OTHER&api_key=OTHERUSER&contact_type=Individual&sequential=1&options[limit]=5", ""),
		"json= strings":    httpCall(t, "GET", extern+"?entity=Contact&action=get&key=K&api_key=U&json="+q(`{"sequential":"1","options":{"limit":"5"},"contact_type":"Individual"}`), ""),
		"json mixed":       httpCall(t, "GET", extern+"?entity=Contact&action=get&key=K&api_key=U&sequential=1&json="+q(`{"options":{"limit":"5"},"contact_type":"Individual"}`), ""),
		"xml client":       httpCall(t, "GET", extern+"?entity=Contact&action=get&key=K&api_key=U&contact_type=Individual&sequential=1&options[limit]=5", ""),
		"ajax route":       httpCall(t, "GET", "/civicrm/ajax/rest?entity=Contact&action=get&json=1&contact_type=Individual&sequential=1&options[limit]=5", ""),
		"lowercase entity": httpCall(t, "GET", extern+"?entity=contact&action=GET&json=1&contact_type=Individual&sequential=1&options[limit]=5", ""),
		"version 3":        httpCall(t, "GET", extern+"?entity=Contact&action=get&json=1&version=3&contact_type=Individual&sequential=1&options[limit]=5", ""),
	}
	for name, call := range same {
		if got := keyOf(t, c, call, 7); got != base {
			t.Errorf("%s: key differs", name)
		}
	}

	differ := map[string]string{
		"int sequential":  extern + "?entity=Contact&action=get&json=" + q(`{"sequential":1,"options":{"limit":"5"},"contact_type":"Individual"}`),
		"int limit":       extern + "?entity=Contact&action=get&json=" + q(`{"sequential":"1","options":{"limit":5},"contact_type":"Individual"}`),
		"other entity":    extern + "?entity=Email&action=get&json=1&contact_type=Individual&sequential=1&options[limit]=5",
		"other action":    extern + "?entity=Contact&action=getcount&json=1&contact_type=Individual&sequential=1&options[limit]=5",
		"extra param":     extern + "?entity=Contact&action=get&json=1&contact_type=Individual&sequential=1&options[limit]=5&x=",
		"prettyprint":     extern + "?entity=Contact&action=get&json=1&contact_type=Individual&sequential=1&options[limit]=5&prettyprint=1",
		"nested moved up": extern + "?entity=Contact&action=get&json=1&contact_type=Individual&sequential=1&limit=5",
	}
	for name, target := range differ {
		if got := keyOf(t, c, httpCall(t, "GET", target, ""), 7); got == base {
			t.Errorf("%s: shares the key", name)
		}
	}
	if keyOf(t, c, httpCall(t, "GET", extern+"?"+kv, ""), 8) == base {
		t.Error("two principals share a key")
	}
	other := testPolicy(t, Config{Namespace: "site-b"})
	if keyOf(t, other, httpCall(t, "GET", extern+"?"+kv, ""), 7) == base {
		t.Error("two namespaces share a key")
	}
}

func TestKeyShared(t *testing.T) {
	c := testPolicy(t, Config{Shared: []string{"*.getoptions"}})
	a := keyOf(t, c, jsonCall(t, "Contact", "getoptions", `{"field":"gender_id"}`), 1)
	b := keyOf(t, c, jsonCall(t, "Contact", "getoptions", `{"field":"gender_id"}`), 2)
	if a != b {
		t.Error("shared entity/action bound to principal")
	}
	if keyOf(t, c, jsonCall(t, "Contact", "get", ``), 1) == keyOf(t, c, jsonCall(t, "Contact", "get", ``), 2) {
		t.Error("unshared get not bound to principal")
	}
}

// The integer-key order of a PHP array is its iteration order: sort terms
// [1=>"b",0=>"a"] sort by b first. String-key order is not.
func TestKeyOrderRules(t *testing.T) {
	c := testPolicy(t, Config{})
	k := func(p string) string { return keyOf(t, c, jsonCall(t, "Contact", "get", p), 1) }
	if k(`{"a":"1","b":{"x":1,"y":[1,2]}}`) != k(`{"b":{"y":[1,2],"x":1},"a":"1"}`) {
		t.Error("string-key order changed the key")
	}
	if k(`{"return":["a","b"]}`) == k(`{"return":["b","a"]}`) {
		t.Error("list order ignored")
	}
	if k(`{"options":{"sort":{"1":"b","0":"a"}}}`) == k(`{"options":{"sort":{"0":"a","1":"b"}}}`) {
		t.Error("int-key insertion order ignored")
	}
	if k(`{"options":{"sort":{"x":"b","y":"a"}}}`) == k(`{"options":{"sort":{"y":"a","x":"b"}}}`) {
		t.Error("sort map order ignored")
	}
	for _, pair := range [][2]string{
		{`{"a":1}`, `{"a":"1"}`},
		{`{"a":1}`, `{"a":1.0}`},
		{`{"a":1}`, `{"a":true}`},
		{`{"a":""}`, `{"a":null}`},
		{`{"a":[]}`, `{"a":""}`},
		{`{"a":{"b":"c"}}`, `{"a.b":"c"}`},
		{`{"ab":"c"}`, `{"a":"bc"}`},
		{`{"a":["b","c"]}`, `{"a":["bc"]}`},
	} {
		if k(pair[0]) == k(pair[1]) {
			t.Errorf("%s and %s share a key", pair[0], pair[1])
		}
	}
}

// randomParams builds a random PHP value tree.
func randomParams(r *rand.Rand, depth int) *translate.Array {
	a := translate.NewArray()
	n := r.IntN(5)
	for i := range n {
		var key string
		if r.IntN(3) == 0 {
			key = strconv.Itoa(i)
		} else {
			key = "k" + strconv.Itoa(r.IntN(1000))
		}
		var v any
		switch r.IntN(6) {
		case 0:
			v = strconv.Itoa(r.IntN(3))
		case 1:
			v = translate.Number(strconv.Itoa(r.IntN(3)))
		case 2:
			v = r.IntN(2) == 0
		case 3:
			v = nil
		default:
			if depth < 3 {
				v = randomParams(r, depth+1)
			} else {
				v = "leaf"
			}
		}
		a.Set(key, v)
	}
	return a
}

// shuffled rebuilds a with string keys in random order, int keys in
// their relative order: the same PHP call.
func shuffled(r *rand.Rand, a *translate.Array) *translate.Array {
	var strs, ints []int
	for i := range a.Len() {
		if _, ok := translate.IntKey(a.Key(i)); ok {
			ints = append(ints, i)
		} else {
			strs = append(strs, i)
		}
	}
	r.Shuffle(len(strs), func(i, j int) { strs[i], strs[j] = strs[j], strs[i] })
	order := make([]int, 0, a.Len())
	for len(strs)+len(ints) > 0 {
		if len(ints) == 0 || (len(strs) > 0 && r.IntN(2) == 0) {
			order, strs = append(order, strs[0]), strs[1:]
		} else {
			order, ints = append(order, ints[0]), ints[1:]
		}
	}
	out := translate.NewArray()
	for _, i := range order {
		v := a.Value(i)
		if sub, ok := v.(*translate.Array); ok {
			v = shuffled(r, sub)
		}
		out.Set(a.Key(i), v)
	}
	return out
}

// mutate changes one leaf's type or value, or drops an entry.
func mutate(r *rand.Rand, a *translate.Array) bool {
	if a.Len() == 0 {
		a.Set("new", "x")
		return true
	}
	i := r.IntN(a.Len())
	k, v := a.Key(i), a.Value(i)
	switch v := v.(type) {
	case *translate.Array:
		return mutate(r, v)
	case string:
		a.Set(k, translate.Number(v+"0")) // "1" → 10 as int: new type and value
	case translate.Number:
		a.Set(k, string(v)) // 1 → "1"
	case bool:
		a.Set(k, !v)
	case nil:
		a.Set(k, "")
	}
	return true
}

func TestKeyRandomised(t *testing.T) {
	c := testPolicy(t, Config{})
	r := rand.New(rand.NewPCG(1, 2))
	for i := range 2000 {
		p := randomParams(r, 0)
		p.Delete("version")
		call := &translate.Call{Entity: "Contact", Action: "get", Params: p}
		k1 := keyOf(t, c, call, 1)
		k2 := keyOf(t, c, &translate.Call{Entity: "Contact", Action: "get", Params: shuffled(r, p)}, 1)
		if k1 != k2 {
			t.Fatalf("case %d: reordering string keys changed the key: %s", i, translate.EncodeJSON(p, translate.JSONOptions{}))
		}
		m := p.Clone()
		mutate(r, m)
		if k3 := keyOf(t, c, &translate.Call{Entity: "Contact", Action: "get", Params: m}, 1); k3 == k1 {
			t.Fatalf("case %d: mutation kept the key: %s vs %s", i,
				translate.EncodeJSON(p, translate.JSONOptions{}), translate.EncodeJSON(m, translate.JSONOptions{}))
		}
	}
}

// A form-scoped caller (an Afform page token) gets no entry at all, not
// even a shared one: CiviCRM answers it by the token's claims, not only
// its contact's. Its writes still say why they are not cached.
func TestFormScopedNeverCached(t *testing.T) {
	c := testPolicy(t, Config{Shared: []string{"*.getfields"}})
	scoped := Caller{ContactID: 7, Credential: "jwt", FormScoped: true}
	for _, call := range []*translate.Call{jsonCall(t, "Contact", "get", `{"id":3}`), jsonCall(t, "Contact", "getfields", ``)} {
		if r := c.PrepareFor(call, scoped); r.Cacheable || r.Reason != ReasonFormScoped || r.Key != "" || r.flight != "" {
			t.Errorf("%s.%s: cacheable %v, reason %q", call.Entity, call.Action, r.Cacheable, r.Reason)
		}
	}
	if write := c.PrepareFor(jsonCall(t, "Contact", "create", `{}`), scoped); write.Reason != ReasonWrite {
		t.Errorf("a form-scoped write says %q, not why it is never cached", write.Reason)
	}
}

// A caller without a verified principal gets no key of its own: only a
// shared call is cacheable for it, under the one key every caller shares.
func TestAnonymousOnlyShared(t *testing.T) {
	c := testPolicy(t, Config{Shared: []string{"*.getfields"}})
	get := c.Prepare(jsonCall(t, "Contact", "get", `{"id":3}`), Anonymous)
	if get.Cacheable || get.Reason != ReasonAnonymous || get.Key != "" {
		t.Errorf("anonymous Contact.get: cacheable %v, reason %q, key %q", get.Cacheable, get.Reason, get.Key)
	}
	if neg := c.Prepare(jsonCall(t, "Contact", "get", `{"id":3}`), -1); neg.Cacheable {
		t.Error("a negative contact id is a principal")
	}
	fields := jsonCall(t, "Contact", "getfields", ``)
	anon, verified := c.Prepare(fields, Anonymous), c.Prepare(fields, 7)
	if !anon.Cacheable || !anon.Shared || anon.Key != verified.Key {
		t.Errorf("shared getfields: anonymous cacheable %v, same key as contact 7 %v", anon.Cacheable, anon.Key == verified.Key)
	}
	if write := c.Prepare(jsonCall(t, "Contact", "create", `{}`), Anonymous); write.Reason != ReasonWrite {
		t.Errorf("an anonymous write says %q, not why it is never cached", write.Reason)
	}
}
