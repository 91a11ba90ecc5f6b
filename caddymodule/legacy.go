package caddymodule

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/civigate/civigate/authx"
	"github.com/civigate/civigate/translate"
)

// LegacyConfig announces and eventually ends legacy use of the API: RFC
// 9745 Deprecation and RFC 8594 Sunset headers on every answer to a call
// the console counts as legacy (usesLegacy: a legacy form, or key/api_key
// as parameters, key-value parameters or XML on the modern one), and an
// optional cut-off after which those calls are refused.
type LegacyConfig struct {
	// Deprecated is when the legacy forms were deprecated (RFC 3339 date or
	// time). Set, every legacy-form answer carries a Deprecation header.
	Deprecated string `json:"deprecated,omitempty"`
	// Sunset is when they stop working; answers carry a Sunset header.
	Sunset string `json:"sunset,omitempty"`
	// Link is a page explaining the migration (Link rel="deprecation").
	Link string `json:"link,omitempty"`
	// Cutoff: from this time on legacy calls are refused.
	Cutoff string `json:"cutoff,omitempty"`

	deprecated, sunset, cutoff time.Time
}

func (lc *LegacyConfig) provision() error {
	for _, f := range []struct {
		name string
		in   string
		out  *time.Time
	}{{"deprecated", lc.Deprecated, &lc.deprecated}, {"sunset", lc.Sunset, &lc.sunset}, {"cutoff", lc.Cutoff, &lc.cutoff}} {
		if f.in == "" {
			continue
		}
		t, err := parseWhen(f.in)
		if err != nil {
			return fmt.Errorf("legacy %s: %q is not an RFC 3339 date (2027-06-30) or time (2027-06-30T00:00:00Z)", f.name, f.in)
		}
		*f.out = t
	}
	return nil
}

func parseWhen(s string) (time.Time, error) {
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Parse(time.DateOnly, s)
}

// announce adds the deprecation headers to a legacy-form answer.
func (lc *LegacyConfig) announce(h http.Header) {
	if lc == nil {
		return
	}
	if !lc.deprecated.IsZero() {
		// RFC 9745: a Structured Field Date, @<unix seconds>.
		h.Set("Deprecation", "@"+strconv.FormatInt(lc.deprecated.Unix(), 10))
	}
	if !lc.sunset.IsZero() {
		h.Set("Sunset", lc.sunset.UTC().Format(http.TimeFormat))
	}
	if lc.Link != "" {
		h.Add("Link", "<"+lc.Link+`>; rel="deprecation"; type="text/html"`)
	}
}

// refused reports whether the cut-off has passed at now.
func (lc *LegacyConfig) refused(now time.Time) bool {
	return lc != nil && !lc.cutoff.IsZero() && !now.Before(lc.cutoff)
}

// cutoffReply is the answer to a legacy call after the cut-off: an error
// in the client's shape (APIv3's, in XML for an XML client, WordPress
// REST's, APIv4's), HTTP 410 Gone, naming each change the caller must
// make in the console's words (legacyChanges). p is the caller, nil
// before authentication; siteKey says whether the site checks the site key.
func (lc *LegacyConfig) cutoffReply(call *translate.Call, p *authx.Principal, siteKey bool) translate.Reply {
	msg := "This legacy API use was retired on " + lc.cutoff.UTC().Format(time.DateOnly) + "."
	for _, change := range legacyChanges(call, p, siteKey) {
		msg += " " + change
	}
	if lc.Link != "" {
		msg += " See " + lc.Link
	}
	if call.Form == translate.FormWPRest {
		return translate.WPErrorReply(call, http.StatusGone, "civigate_retired", msg, translate.WPStatusData(http.StatusGone))
	}
	return translate.ErrorReply(call, http.StatusGone, translate.APIError(msg))
}
