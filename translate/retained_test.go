package translate

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// A retained call outlives its request and is shared: Release on the
// original does not reach it, a call with a body is never retained, and
// its upstream request is built once, each caller getting its own copy.
func TestRetainedCall(t *testing.T) {
	r := httptest.NewRequest(http.MethodGet, "/civicrm/ajax/rest?entity=Contact&action=get&json=%7B%22id%22%3A2%7D", nil)
	c := mustParse(t, r, Route{Form: FormAjax})
	kept, ok := c.Retained()
	if !ok {
		t.Fatal("a call without a body is not retained")
	}
	c.Release()
	first, err := BuildUpstream(kept, UpstreamConfig{})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := BuildUpstream(c, UpstreamConfig{})
	if first.RawQuery != want.RawQuery || first.Method != want.Method || first.Path != want.Path {
		t.Fatalf("retained %s %s?%s, fresh %s %s?%s", first.Method, first.Path, first.RawQuery, want.Method, want.Path, want.RawQuery)
	}
	first.Header.Set("X-Added-By-The-Glue", "1")
	second, _ := BuildUpstream(kept, UpstreamConfig{})
	if second.Header.Get("X-Added-By-The-Glue") != "" || second.RawQuery != want.RawQuery {
		t.Fatal("a caller's change to its upstream request reached the next one")
	}
	if other, _ := BuildUpstream(kept, UpstreamConfig{Endpoint: "/index.php?q=civicrm/ajax/rest"}); !strings.HasPrefix(other.Path, "/index.php") {
		t.Fatalf("another configuration got the memory of the first: %s", other.Path)
	}

	post := httptest.NewRequest(http.MethodPost, "/civicrm/ajax/rest", strings.NewReader("entity=Contact&action=get&id=2"))
	post.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if _, ok := mustParse(t, post, Route{Form: FormAjax}).Retained(); ok {
		t.Fatal("a call with a body was retained: its values may share the body's pooled memory")
	}
}
