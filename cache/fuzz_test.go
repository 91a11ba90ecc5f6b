package cache

import (
	"testing"

	"github.com/civigate/civigate/translate"
)

// FuzzDecide: any parameter object is decided and keyed without panicking,
// deterministically, and a cacheable decision never hides a chained write.
func FuzzDecide(f *testing.F) {
	for _, s := range []string{`{}`, `{"api.Email.create":{}}`, `{"api.Email.get":[{"api_Phone_delete":1}]}`, `{"debug":"false"}`, deepChain(5)} {
		f.Add("Contact", "get", s)
	}
	c, err := New(Config{}, NewMemoryStore(1<<20, nil))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, entity, action, params string) {
		v, err := translate.DecodeJSON([]byte(params))
		if err != nil {
			return
		}
		a, ok := v.(*translate.Array)
		if !ok {
			return
		}
		call := &translate.Call{Entity: entity, Action: action, Params: a}
		r1, r2 := c.Prepare(call, 1), c.Prepare(call, 1)
		if r1.Cacheable != r2.Cacheable || r1.Key != r2.Key {
			t.Fatal("not deterministic")
		}
		if writes, all := WriteTargets(call); r1.Cacheable && (len(writes) > 0 || all) {
			t.Fatalf("cacheable call writes %v", writes)
		}
	})
}

func FuzzDecodeEntry(f *testing.F) {
	f.Add((&Entry{ContentType: "a", Body: []byte("b"), Gens: []uint64{1}}).encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		e, err := decodeEntry(b)
		if err != nil {
			return
		}
		if _, err := decodeEntry(e.encode()); err != nil {
			t.Fatal("re-encoded entry does not decode")
		}
	})
}
