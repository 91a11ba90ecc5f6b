package cache

import (
	"bytes"
	"encoding/json"
	"net/http"

	"github.com/civigate/civigate/translate"
)

// Upstream is what CiviCRM answered, as the Caddy layer recorded it: status,
// content type and body, and nothing else. CiviCRM attaches a fresh
// session cookie to every answer (headers-6.17.2.jsonl); it is not part of
// the answer the cache sees, so it is never stored nor replayed.
type Upstream struct {
	translate.UpstreamResponse
}

// failedUpstream says the upstream gave no usable answer, which is when a
// stale entry may stand in (stale_if_error).
func failedUpstream(up Upstream, err error) bool {
	return err != nil || up.Status == 0 || up.Status >= 500
}

// storable says whether an upstream answer may be stored, and if not, why.
func storable(up Upstream, d Decision, maxBytes int) (bool, string) {
	switch {
	case up.Status != http.StatusOK:
		return false, DetailNotStorable
	case len(up.Body) > maxBytes:
		return false, DetailTooLarge
	case d.V4 && !apiV4Success(up.Body), !d.V4 && !apiSuccess(up.Body, d.Action):
		return false, DetailNotStorable
	}
	return true, ""
}

// apiSuccess reports whether body is an APIv3 success: a JSON object whose
// top-level is_error is the number 0, wherever it sits (getsingle answers
// put it last; getvalue/getcount answers are {"is_error":0,"result":…}).
// A getsingle record with an array field has no is_error at all (REST
// output() only adds it to flat results), so its absence is a success for
// getsingle only. Anything else, including PHP warnings before the JSON,
// is not stored.
func apiSuccess(body []byte, action string) bool {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' || !json.Valid(body) {
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if _, err := dec.Token(); err != nil { // '{'
		return false
	}
	seen := false
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return false
		}
		if k, _ := t.(string); k == "is_error" {
			v, err := dec.Token()
			if err != nil || v != json.Number("0") {
				return false
			}
			seen = true
			continue
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return false
		}
	}
	return seen || action == "getsingle"
}
