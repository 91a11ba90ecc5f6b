package translate

import (
	"context"
	"strconv"

	"golang.org/x/sync/semaphore"
)

// Decoding JSON into PHP arrays costs far more memory than the JSON text:
// every value becomes a Go value of its own, some 100 to 200 bytes however
// short its text (an 8 MiB body of empty arrays makes about 2.8 million of
// them, over half a gigabyte). The decoding a request needs is therefore
// weighed before it is done (scanJSON counts values without building
// anything), and the weight is taken from one process-wide budget for as
// long as the request runs:
//
//   - a request whose decoding alone would outweigh the whole budget is
//     answered 413 with an APIv3 error, undecoded;
//   - a request weighing less than decodeFreeCost decodes at once (a
//     typical call weighs a few kilobytes: small calls never queue);
//   - any other waits until enough of the budget is free.
//
// So however many requests arrive together, their decoded parameters hold
// at most DecodeBudget bytes (plus the small ones', which are small). Only
// authenticated requests get here: ParseEnvelope decodes no JSON at all.
const (
	// DecodeBudget is the memory, in bytes, all requests' decoded JSON may
	// hold at once.
	DecodeBudget = 64 << 20
	// decodeFreeCost is the weight below which a request does not queue.
	decodeFreeCost = 1 << 20
	// bytesPerJSONValue is what one decoded value costs at most (an empty
	// array in a list, measured: its Array, its slot and its key), and
	// what every value is charged.
	bytesPerJSONValue = 224
	// bytesPerFormArray is what one array made by a form field's
	// brackets (a[b][c]=…) costs, with the room an array gets at once.
	bytesPerFormArray = 336
)

var decodeBudget = semaphore.NewWeighted(DecodeBudget)

// decodeCost is the weight of decoding JSON text of n bytes holding values
// values: the values, and the text three times over (strings with escapes
// are copied, and the upstream request holds the parameters encoded again,
// with the room its buffer grows by).
func decodeCost(values, n int) int64 {
	return int64(values)*bytesPerJSONValue + 3*int64(n)
}

// reserveDecode takes cost from the budget for the call, which gives it
// back in Release. A nil Reply means the call may decode; from then on its
// parameters may share the body's memory, which is not used again.
func reserveDecode(ctx context.Context, c *Call, cost int64) *Reply {
	reply := reserve(ctx, c, cost)
	c.bodyShared = reply == nil
	return reply
}

func reserve(ctx context.Context, c *Call, cost int64) *Reply {
	switch {
	case cost > DecodeBudget:
		return replyPtr(ErrorReply(c, 413, APIError("Civigate: the request's JSON is too large to decode ("+
			strconv.FormatInt(cost>>20, 10)+" MiB decoded, at most "+strconv.Itoa(DecodeBudget>>20)+" MiB)")))
	case cost < decodeFreeCost:
		return nil
	}
	if err := decodeBudget.Acquire(ctx, cost); err != nil {
		return replyPtr(ErrorReply(c, 503, APIError("Civigate: the request was cancelled while waiting to be decoded")))
	}
	c.release = func() { decodeBudget.Release(cost) }
	return nil
}

// Release gives back what the call took from the decode budget, and the
// body's buffer of a call whose parameters were never decoded (a caller
// refused at authentication, or over the budget): it must be the call's
// last use, and not before the answer is written. The Caddy
// handler defers it for every call; it may be called more than once.
func (c *Call) Release() {
	if c == nil {
		return
	}
	if c.release != nil {
		r := c.release
		c.release = nil
		r()
	}
	if !c.bodyShared && c.body != nil {
		putBodyBuffer(c.body)
	}
	c.body = nil
}

// Retained is a copy of a decoded call that may outlive its request (the
// Caddy handler's prepared requests keep one for a second): it holds no
// share of the decode budget and no request buffer, so Release on either
// call never touches the other. It is for calls without a body only (ok
// false otherwise): the values of a call with one may share the body's
// memory, which goes back to a pool when the request ends. Its Params are
// read, never written, by whoever shares it; BuildUpstream builds its
// upstream request once and hands out copies.
func (c *Call) Retained() (*Call, bool) {
	if c == nil || c.decode != nil || len(c.body) > 0 {
		return nil, false
	}
	cp := *c
	cp.release, cp.body = nil, nil
	cp.upstream = &upstreamMemo{}
	return &cp, true
}
