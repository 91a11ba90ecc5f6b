package cache

import (
	"context"
	"testing"

	"github.com/civigate/civigate/translate"
)

// APIv4's tags field (TagFieldSpecProvider) reads and writes EntityTag
// under its entity's name (translate/fieldreads.go): a write with tags
// invalidates cached EntityTag reads, and a read selecting tags depends
// on EntityTag, whichever entity is tagged.
func TestV4TagsInvalidateEntityTagReads(t *testing.T) {
	c, _ := newTestCache(t, Config{})
	ctx := context.Background()
	v4 := func(path, params string) *translate.Call {
		return api4(t, "GET", "/civicrm/ajax/api4/"+path+"?params="+q(params), "")
	}
	post := func(path, params string) *translate.Call {
		return api4(t, "POST", "/civicrm/ajax/api4/"+path, "params="+q(params))
	}
	reads := map[string]*translate.Call{
		"EntityTag.get":          v4("EntityTag/get", `{"select":["tag_id"]}`),
		"Activity.get with tags": v4("Activity/get", `{"select":["id","tags:label"]}`),
	}
	for _, tc := range []struct {
		write *translate.Call
		want  []string
	}{
		{post("Activity/update", `{"where":[["id","=",2]],"values":{"tags":[1]}}`), []string{"EntityTag.get", "Activity.get with tags"}},
		{post("Contact/update", `{"where":[["id","=",2]],"values":{"tags":[1]}}`), []string{"EntityTag.get", "Activity.get with tags"}},
		{post("Case/save", `{"records":[{"id":2}],"defaults":{"tags":[]}}`), []string{"EntityTag.get", "Activity.get with tags"}},
	} {
		for name, call := range reads {
			up := &counter{resp: ok200(okV4Body)}
			c.Serve(ctx, c.Prepare(call, 7), up.fetch)
			if c.Lookup(ctx, c.Prepare(call, 7)).State != Fresh {
				t.Fatalf("%s: not cached", name)
			}
		}
		if err := c.Invalidate(ctx, tc.write); err != nil {
			t.Fatal(err)
		}
		for _, name := range tc.want {
			if c.Lookup(ctx, c.Prepare(reads[name], 7)).State == Fresh {
				t.Errorf("APIv4 %s.%s with tags left a cached %s fresh", tc.write.API4.Entity, tc.write.API4.Action, name)
			}
		}
	}
}
