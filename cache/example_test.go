package cache_test

import (
	"context"
	"fmt"
	"time"

	"github.com/civigate/civigate/cache"
	"github.com/civigate/civigate/translate"
)

// The Caddy layer's flow for one parsed call.
func Example() {
	c, _ := cache.New(cache.Config{Namespace: "example.org", DefaultTTL: time.Minute}, cache.NewMemoryStore(64<<20, nil))
	params, _ := translate.DecodeJSON([]byte(`{"sequential":1}`))
	call := &translate.Call{Entity: "Contact", Action: "get", Params: params.(*translate.Array)}

	upstreamCalls := 0
	fetch := func(ctx context.Context) (cache.Upstream, error) {
		upstreamCalls++ // the real fetch runs next.ServeHTTP with ctx
		return cache.Upstream{UpstreamResponse: translate.UpstreamResponse{
			Status: 200, ContentType: "application/json", Body: []byte(`{"is_error":0,"version":3,"count":0,"values":[]}`),
		}}, nil
	}
	for range 2 {
		req := c.Prepare(call, 42)
		out := c.Serve(context.Background(), req, fetch)
		fmt.Println(out.Status, string(out.Response.Body))
	}

	write := &translate.Call{Entity: "Email", Action: "create", Params: translate.NewArray()}
	fmt.Println(cache.Bypass(c.Prepare(write, 42).Reason))
	_ = c.Invalidate(context.Background(), write) // after forwarding it
	fmt.Println(c.Serve(context.Background(), c.Prepare(call, 42), fetch).Status, upstreamCalls)
	// Output:
	// Civigate; fwd=miss; fwd-status=200; stored {"is_error":0,"version":3,"count":0,"values":[]}
	// Civigate; hit {"is_error":0,"version":3,"count":0,"values":[]}
	// Civigate; fwd=bypass; detail=write
	// Civigate; fwd=miss; fwd-status=200; stored 2
}
