package caddymodule

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/civigate/civigate/translate"
)

// The migration console: one report, built from the legacy-usage report,
// the daily history, the legacy config and the metrics of every civicrm
// handler of the running config, served as an HTML page (console_page.go),
// as JSON (GET /civigate/legacy-usage, whose legacy_usage list it keeps)
// and as CSV.

// legacyFeatureNames are the features that make a call legacy, in the
// order the console shows them. Other features (api4) are series too.
var legacyFeatureNames = []string{usageExtern, usageWPRest, usageVerbose, usageKeyValue, usageXML, usageURLCreds}

func isLegacyFeature(f string) bool { return slices.Contains(legacyFeatureNames, f) }

const (
	consoleDefaultDays = 30
	consoleMaxCallers  = 100 // callers the page lists (JSON and CSV list all)
)

// consoleReport is the JSON document of GET /civigate/legacy-usage.
type consoleReport struct {
	LegacyUsage []UsageEntry  `json:"legacy_usage"`
	GeneratedAt time.Time     `json:"generated_at"`
	Days        int           `json:"days"`
	History     historyInfo   `json:"history"`
	Trend       []trendDay    `json:"trend"`
	Features    []featureRow  `json:"features"`
	Callers     []callerRow   `json:"callers"`
	Cutoff      []cutoffState `json:"cutoff"`
	Health      healthReport  `json:"health"`
	Errors      []string      `json:"errors,omitempty"`
	legacyErr   error         // the usage report could not be read
	siteKey     bool          // some handler checks the site key
	dates       []string      // the days shown, oldest first
	byDate      map[string]*historyDay
}

type historyInfo struct {
	Storage     string `json:"storage"` // "redis" or "memory"
	Shared      bool   `json:"shared"`  // kept across restarts and instances
	DaysKept    int    `json:"days_kept"`
	CallersKept int    `json:"callers_kept_per_day"`
	Note        string `json:"note"`
}

type trendDay struct {
	Date        string           `json:"date"`
	Calls       int64            `json:"calls"`
	Legacy      int64            `json:"legacy"`
	LegacyShare *float64         `json:"legacy_share"` // null on a day without calls
	Features    map[string]int64 `json:"features"`
}

type featureRow struct {
	Feature  string     `json:"feature"`
	Legacy   bool       `json:"legacy"`
	Calls    int64      `json:"calls"`    // in the days shown
	AllTime  int64      `json:"all_time"` // from the legacy-usage report
	Callers  int        `json:"callers"`  // callers with calls in the days shown
	LastSeen *time.Time `json:"last_seen,omitempty"`
}

type callerRow struct {
	ContactID      int64            `json:"contact_id"`
	KeyFingerprint string           `json:"key_fingerprint,omitempty"`
	Calls          int64            `json:"calls"`        // in the days shown
	LegacyCalls    int64            `json:"legacy_calls"` // in the days shown
	FirstSeen      *time.Time       `json:"first_seen,omitempty"`
	LastSeen       *time.Time       `json:"last_seen,omitempty"`
	Features       []callerFeature  `json:"features"`
	Daily          []callerDayCount `json:"daily"`
	Migration      *migration       `json:"migration,omitempty"`
}

type callerFeature struct {
	Feature   string     `json:"feature"`
	Calls     int64      `json:"calls"`    // in the days shown
	AllTime   int64      `json:"all_time"` // from the legacy-usage report
	FirstSeen *time.Time `json:"first_seen,omitempty"`
	LastSeen  *time.Time `json:"last_seen,omitempty"`
}

type callerDayCount struct {
	Date   string `json:"date"`
	Calls  int64  `json:"calls"`
	Legacy int64  `json:"legacy"`
}

// buildConsole gathers the report over the last days days up to now.
func buildConsole(ctx context.Context, handlers []*Handler, now time.Time, days int) *consoleReport {
	rep := &consoleReport{LegacyUsage: []UsageEntry{}, Callers: []callerRow{},
		GeneratedAt: now.UTC(), Days: days, byDate: map[string]*historyDay{}}
	for i := days - 1; i >= 0; i-- {
		rep.dates = append(rep.dates, dayOf(now.AddDate(0, 0, -i)))
	}
	rep.History = historyInfo{Storage: "memory", DaysKept: historyDaysKept, CallersKept: historyCallersKept,
		Note: "History is kept in this process's memory only: it is lost on restart, and each instance has its own. Configure redis to keep it."}
	seen := map[string]bool{}
	for _, h := range handlers {
		rep.siteKey = rep.siteKey || h.siteKey != ""
		if h.redisClient != nil && h.history != nil {
			rep.History.Storage, rep.History.Shared = "redis", true
			rep.History.Note = "History is kept in Redis: shared by every instance using it, kept across restarts."
		}
		// Handlers sharing one Redis share one report and one history.
		source := h.usageSource()
		if h.usage == nil || h.history == nil {
			continue
		}
		h.foldUsage()
		if seen[source] {
			continue
		}
		seen[source] = true
		entries, err := h.usage.report(ctx)
		if err != nil {
			rep.legacyErr = err
			rep.Errors = append(rep.Errors, "The legacy-usage report could not be read: "+storeError(err))
		}
		rep.LegacyUsage = append(rep.LegacyUsage, entries...)
		got, err := h.history.days(ctx, rep.dates)
		if err != nil {
			rep.Errors = append(rep.Errors, "The daily history could not be read: "+storeError(err))
		}
		for _, d := range got {
			if cur, ok := rep.byDate[d.Date]; ok {
				cur.mergeDay(d, 1<<30, 1<<30)
			} else {
				rep.byDate[d.Date] = d
			}
		}
	}
	sortUsage(rep.LegacyUsage)
	rep.buildTrend()
	rep.buildCallers()
	rep.buildFeatures()
	rep.Cutoff = cutoffStates(handlers, now)
	rep.Health = gatherHealth(ctx, handlers)
	return rep
}

// storeError describes a store failure without its text, which may name
// the Redis address.
func storeError(err error) string {
	if errors.Is(err, context.DeadlineExceeded) {
		return "Redis did not answer in time."
	}
	return "Redis failed or is unreachable."
}

func (rep *consoleReport) buildTrend() {
	for _, date := range rep.dates {
		t := trendDay{Date: date, Features: map[string]int64{}}
		if d, ok := rep.byDate[date]; ok {
			t.Calls, t.Legacy, t.Features = d.Calls, d.Legacy, d.Features
		}
		if t.Calls > 0 {
			share := float64(t.Legacy) / float64(t.Calls)
			t.LegacyShare = &share
		}
		rep.Trend = append(rep.Trend, t)
	}
}

func (rep *consoleReport) buildCallers() {
	rows := map[usageCaller]*callerRow{}
	row := func(c usageCaller) *callerRow {
		r, ok := rows[c]
		if !ok {
			r = &callerRow{ContactID: c.contactID, KeyFingerprint: c.fingerprint}
			rows[c] = r
		}
		return r
	}
	shapes := map[usageCaller]map[string]int64{}
	for i, date := range rep.dates {
		d, ok := rep.byDate[date]
		if !ok {
			continue
		}
		for c, cd := range d.Callers {
			r := row(c)
			if r.Daily == nil {
				r.Daily = make([]callerDayCount, len(rep.dates))
				for j, dt := range rep.dates {
					r.Daily[j].Date = dt
				}
			}
			r.Daily[i].Calls, r.Daily[i].Legacy = cd.Calls, cd.Legacy
			r.Calls += cd.Calls
			r.LegacyCalls += cd.Legacy
			r.seen(time.UnixMilli(cd.First), time.UnixMilli(cd.Last))
			for f, n := range cd.Features {
				r.feature(f).Calls += n
			}
			if shapes[c] == nil {
				shapes[c] = map[string]int64{}
			}
			for s, n := range cd.Shapes {
				shapes[c][s] += n
			}
		}
	}
	for _, e := range rep.LegacyUsage {
		r := row(usageCaller{e.ContactID, e.KeyFingerprint})
		f := r.feature(e.Feature)
		f.AllTime += e.Count
		first, last := e.FirstSeen, e.LastSeen
		f.FirstSeen, f.LastSeen = &first, &last
		r.seen(first, last)
	}
	for c, r := range rows {
		if r.Daily == nil {
			r.Daily = make([]callerDayCount, len(rep.dates))
			for j, dt := range rep.dates {
				r.Daily[j].Date = dt
			}
		}
		sort.Slice(r.Features, func(i, j int) bool { return featureOrder(r.Features[i].Feature) < featureOrder(r.Features[j].Feature) })
		if s, n := mostFrequent(shapes[c]); n > 0 {
			if shape, ok := decodeShape(s); ok {
				m := shape.modernCall(rep.siteKey)
				m.Calls = n
				r.Migration = &m
			}
		}
		rep.Callers = append(rep.Callers, *r)
	}
	sort.Slice(rep.Callers, func(i, j int) bool {
		a, b := rep.Callers[i], rep.Callers[j]
		if a.LegacyCalls != b.LegacyCalls {
			return a.LegacyCalls > b.LegacyCalls
		}
		if ta, tb := a.allTimeLegacy(), b.allTimeLegacy(); ta != tb {
			return ta > tb
		}
		if a.ContactID != b.ContactID {
			return a.ContactID < b.ContactID
		}
		return a.KeyFingerprint < b.KeyFingerprint
	})
}

func (r *callerRow) seen(first, last time.Time) {
	first, last = first.UTC(), last.UTC()
	if r.FirstSeen == nil || first.Before(*r.FirstSeen) {
		r.FirstSeen = &first
	}
	if r.LastSeen == nil || last.After(*r.LastSeen) {
		r.LastSeen = &last
	}
}

func (r *callerRow) feature(name string) *callerFeature {
	for i := range r.Features {
		if r.Features[i].Feature == name {
			return &r.Features[i]
		}
	}
	r.Features = append(r.Features, callerFeature{Feature: name})
	return &r.Features[len(r.Features)-1]
}

func (r *callerRow) allTimeLegacy() int64 {
	var n int64
	for _, f := range r.Features {
		if isLegacyFeature(f.Feature) {
			n = max(n, f.AllTime)
		}
	}
	return n
}

// featureOrder puts the legacy features first, in their fixed order, then
// the others (api4, …) by name.
func featureOrder(f string) string {
	if i := slices.Index(legacyFeatureNames, f); i >= 0 {
		return "0" + strconv.Itoa(i)
	}
	return "1" + f
}

func mostFrequent(m map[string]int64) (string, int64) {
	var best string
	var n int64
	for s, c := range m {
		if c > n || c == n && s < best {
			best, n = s, c
		}
	}
	return best, n
}

func (rep *consoleReport) buildFeatures() {
	rows := map[string]*featureRow{}
	row := func(f string) *featureRow {
		r, ok := rows[f]
		if !ok {
			r = &featureRow{Feature: f, Legacy: isLegacyFeature(f)}
			rows[f] = r
		}
		return r
	}
	for _, f := range legacyFeatureNames {
		row(f)
	}
	for _, d := range rep.byDate {
		for f, n := range d.Features {
			row(f).Calls += n
		}
	}
	for _, c := range rep.Callers {
		for _, f := range c.Features {
			if f.Calls > 0 {
				row(f.Feature).Callers++
			}
		}
	}
	for _, e := range rep.LegacyUsage {
		r := row(e.Feature)
		r.AllTime += e.Count
		if last := e.LastSeen; r.LastSeen == nil || last.After(*r.LastSeen) {
			r.LastSeen = &last
		}
	}
	for _, r := range rows {
		rep.Features = append(rep.Features, *r)
	}
	sort.Slice(rep.Features, func(i, j int) bool {
		return featureOrder(rep.Features[i].Feature) < featureOrder(rep.Features[j].Feature)
	})
}

// cutoffState is one legacy block's retirement schedule and what clients
// get after its cut-off.
type cutoffState struct {
	Deprecated  *time.Time    `json:"deprecated,omitempty"`
	Sunset      *time.Time    `json:"sunset,omitempty"`
	Cutoff      *time.Time    `json:"cutoff,omitempty"`
	Link        string        `json:"link,omitempty"`
	State       string        `json:"state"` // none, scheduled, deprecated, past_sunset, cut_off
	Explanation string        `json:"explanation"`
	AfterCutoff []cutoffReply `json:"after_cutoff,omitempty"`
}

type cutoffReply struct {
	Client      string `json:"client"`
	Status      int    `json:"status"`
	ContentType string `json:"content_type"`
	Body        string `json:"body"`
}

func cutoffStates(handlers []*Handler, now time.Time) []cutoffState {
	out := []cutoffState{}
	type schedule struct {
		lc      LegacyConfig
		siteKey bool
	}
	seen := map[schedule]bool{}
	for _, h := range handlers {
		lc := h.Legacy
		if lc == nil {
			lc = &LegacyConfig{}
		}
		key := schedule{LegacyConfig{Deprecated: lc.Deprecated, Sunset: lc.Sunset, Link: lc.Link, Cutoff: lc.Cutoff}, h.siteKey != ""}
		if seen[key] {
			continue
		}
		seen[key] = true
		out = append(out, lc.state(now, key.siteKey))
	}
	return out
}

// cutoffSamples are the kinds of legacy call whose answer after the
// cut-off the console shows: each legacy form, and each legacy feature on
// the modern form (refused alike).
var cutoffSamples = func() []struct {
	client string
	call   translate.Call
} {
	urlCreds := translate.Credentials{SiteKey: "<SITE_KEY>", APIKey: "<API_KEY>"}
	header := translate.Credentials{XCiviAuth: "Bearer <API_KEY>"}
	return []struct {
		client string
		call   translate.Call
	}{
		{"extern/rest.php, JSON (json=1)", translate.Call{Form: translate.FormExtern, Method: http.MethodGet, Format: translate.FormatJSON, JSONInQuery: true, KeyValue: true, Credentials: urlCreds}},
		{"extern/rest.php, XML", translate.Call{Form: translate.FormExtern, Method: http.MethodGet, Format: translate.FormatXML, KeyValue: true, Credentials: urlCreds}},
		{"WordPress REST", translate.Call{Form: translate.FormWPRest, Method: http.MethodGet, Format: translate.FormatJSON, KeyValue: true, Credentials: urlCreds}},
		{"/civicrm/ajax/rest with key and api_key in the URL", translate.Call{Form: translate.FormAjax, Method: http.MethodGet, Format: translate.FormatJSON, Credentials: urlCreds}},
		{"/civicrm/ajax/rest with key-value parameters", translate.Call{Form: translate.FormAjax, Method: http.MethodGet, Format: translate.FormatJSON, KeyValue: true, Credentials: header}},
		{"/civicrm/ajax/rest without json= (XML)", translate.Call{Form: translate.FormAjax, Method: http.MethodGet, Format: translate.FormatXML, Credentials: header}},
	}
}()

func (lc *LegacyConfig) state(now time.Time, siteKey bool) cutoffState {
	s := cutoffState{Link: lc.Link}
	when := func(t time.Time) *time.Time {
		if t.IsZero() {
			return nil
		}
		t = t.UTC()
		return &t
	}
	s.Deprecated, s.Sunset, s.Cutoff = when(lc.deprecated), when(lc.sunset), when(lc.cutoff)
	switch {
	case lc.refused(now):
		s.State = "cut_off"
		s.Explanation = "Legacy calls are refused: every call counted as legacy here (a legacy form, or key/api_key in the URL, key-value parameters or XML on /civicrm/ajax/rest) gets HTTP 410 Gone with an error naming what its caller must change."
	case !lc.sunset.IsZero() && !now.Before(lc.sunset):
		s.State = "past_sunset"
		s.Explanation = "The announced sunset has passed, but legacy calls still work: set cutoff to refuse them."
	case !lc.deprecated.IsZero() && !now.Before(lc.deprecated):
		s.State = "deprecated"
		s.Explanation = "Legacy calls work and their answers carry Deprecation (and Sunset) headers."
	case s.Deprecated != nil || s.Sunset != nil || s.Cutoff != nil:
		s.State = "scheduled"
		s.Explanation = "Legacy calls work; the retirement dates below are still ahead."
	default:
		s.State = "none"
		s.Explanation = "No legacy block: legacy calls keep working and carry no retirement headers. Add legacy { deprecated …; sunset …; cutoff … } to announce and then end them."
	}
	if lc.cutoff.IsZero() {
		return s
	}
	for _, c := range cutoffSamples {
		reply := lc.cutoffReply(&c.call, nil, siteKey)
		s.AfterCutoff = append(s.AfterCutoff, cutoffReply{Client: c.client, Status: reply.Status, ContentType: reply.ContentType, Body: string(reply.Body)})
	}
	return s
}

// healthReport is the edge's state since the process started, from its
// Prometheus counters, and each Redis's state now.
type healthReport struct {
	Since            string             `json:"since"`
	CacheLookups     float64            `json:"cache_lookups"` // cacheable calls
	CacheHits        float64            `json:"cache_hits"`    // answered without asking CiviCRM
	HitRatio         *float64           `json:"hit_ratio"`     // null before the first lookup
	UpstreamSaved    float64            `json:"upstream_calls_saved"`
	CacheBypassed    float64            `json:"cache_bypassed"`
	CacheResults     map[string]float64 `json:"cache_results"`
	Refusals         map[string]float64 `json:"refusals"`
	RequestsByResult map[string]float64 `json:"requests_by_outcome"`
	Redis            []redisState       `json:"redis"`
}

type redisState struct {
	Used    string `json:"used_for"`
	State   string `json:"state"` // up, down
	Detail  string `json:"detail"`
	Healthy bool   `json:"healthy"`
}

// gatherHealth reads the process's metrics (the counters every request
// updates) and asks each distinct Redis for a PING.
func gatherHealth(ctx context.Context, handlers []*Handler) healthReport {
	hr := healthReport{Since: "process start", CacheResults: map[string]float64{}, Refusals: map[string]float64{},
		RequestsByResult: map[string]float64{}, Redis: []redisState{}}
	initMetrics(nil)
	for labels, v := range metricValues(metrics.cacheResults) {
		result := labels.get("result")
		hr.CacheResults[result] += v
		switch {
		case result == "hit" || result == "stale" || result == "stale_if_error" || result == "collapsed":
			hr.CacheHits += v
			hr.CacheLookups += v
		case len(result) > 7 && result[:7] == "bypass_":
			hr.CacheBypassed += v
		default:
			hr.CacheLookups += v
		}
	}
	hr.UpstreamSaved = hr.CacheHits
	if hr.CacheLookups > 0 {
		r := hr.CacheHits / hr.CacheLookups
		hr.HitRatio = &r
	}
	for labels, v := range metricValues(metrics.authFailures) {
		hr.Refusals[labels.get("reason")] += v
	}
	for _, v := range metricValues(metrics.legacyRefused) {
		hr.Refusals["cutoff"] += v
	}
	for labels, v := range metricValues(metrics.requests) {
		hr.RequestsByResult[labels.get("outcome")] += v
		switch {
		case labels.get("form") == "unrecognised" && labels.get("outcome") == outcomeRefused:
			hr.Refusals["malformed_path"] += v
		case labels.get("outcome") == outcomeEdgeError:
			hr.Refusals["bad_request"] += v
		}
	}
	seen := map[string]bool{}
	for _, h := range handlers {
		if h.redisClient == nil || seen[h.redisURL] {
			continue
		}
		seen[h.redisURL] = true
		st := redisState{Used: "cache, credential verdicts, counters, usage report, history"}
		pctx, cancel := context.WithTimeout(ctx, historyTimeout)
		start := time.Now()
		err := h.redisClient.Ping(pctx).Err()
		cancel()
		switch {
		case err != nil:
			st.State, st.Detail = "down", storeError(err)+" Civigate serves without it: lookups miss and go to CiviCRM."
		case h.redisStore != nil && h.redisStore.Down():
			st.State, st.Detail = "recovering", "Redis answers, but the cache still skips it after recent failures."
		default:
			st.State, st.Healthy = "up", true
			st.Detail = fmt.Sprintf("PING answered in %s.", time.Since(start).Round(10*time.Microsecond))
		}
		hr.Redis = append(hr.Redis, st)
	}
	return hr
}

// metricValues collects a metric's series: label set → value.
func metricValues(c prometheus.Collector) map[labelKey]float64 {
	out := map[labelKey]float64{}
	if c == nil {
		return out
	}
	ch := make(chan prometheus.Metric, 64)
	go func() {
		c.Collect(ch)
		close(ch)
	}()
	for m := range ch {
		var pb dto.Metric
		if m.Write(&pb) != nil {
			continue
		}
		labels := labelKey{}
		for _, lp := range pb.GetLabel() {
			labels = labels.with(lp.GetName(), lp.GetValue())
		}
		switch {
		case pb.Counter != nil:
			out[labels] += pb.Counter.GetValue()
		case pb.Gauge != nil:
			out[labels] += pb.Gauge.GetValue()
		}
	}
	return out
}

// labelKey is a small comparable label set (metrics here have at most two
// labels).
type labelKey [2][2]string

func (k labelKey) with(name, value string) labelKey {
	for i := range k {
		if k[i][0] == "" {
			k[i] = [2]string{name, value}
			return k
		}
	}
	return k
}

func (k labelKey) get(name string) string {
	for _, kv := range k {
		if kv[0] == name {
			return kv[1]
		}
	}
	return ""
}

// writeCSV writes the daily history as one row per day, scope (the site,
// or a caller) and series (calls, legacy, each feature).
func (rep *consoleReport) writeCSV(w io.Writer) error {
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"date", "scope", "contact_id", "key_fingerprint", "series", "calls"})
	for _, date := range rep.dates {
		d, ok := rep.byDate[date]
		if !ok {
			continue
		}
		site := []string{date, "site", "", ""}
		_ = cw.Write(append(site, "calls", strconv.FormatInt(d.Calls, 10)))
		_ = cw.Write(append(site, "legacy", strconv.FormatInt(d.Legacy, 10)))
		for _, f := range sortedFeatures(d.Features) {
			_ = cw.Write(append(site, f, strconv.FormatInt(d.Features[f], 10)))
		}
		if d.Other.Calls > 0 {
			other := []string{date, "other_callers", "", ""}
			_ = cw.Write(append(other, "calls", strconv.FormatInt(d.Other.Calls, 10)))
			_ = cw.Write(append(other, "legacy", strconv.FormatInt(d.Other.Legacy, 10)))
		}
		callers := make([]usageCaller, 0, len(d.Callers))
		for c := range d.Callers {
			callers = append(callers, c)
		}
		sort.Slice(callers, func(i, j int) bool {
			if callers[i].contactID != callers[j].contactID {
				return callers[i].contactID < callers[j].contactID
			}
			return callers[i].fingerprint < callers[j].fingerprint
		})
		for _, c := range callers {
			cd := d.Callers[c]
			row := []string{date, "caller", strconv.FormatInt(c.contactID, 10), c.fingerprint}
			_ = cw.Write(append(row, "calls", strconv.FormatInt(cd.Calls, 10)))
			_ = cw.Write(append(row, "legacy", strconv.FormatInt(cd.Legacy, 10)))
			for _, f := range sortedFeatures(cd.Features) {
				_ = cw.Write(append(row, f, strconv.FormatInt(cd.Features[f], 10)))
			}
		}
	}
	cw.Flush()
	return cw.Error()
}

func sortedFeatures(m map[string]int64) []string {
	out := make([]string, 0, len(m))
	for f := range m {
		out = append(out, f)
	}
	sort.Slice(out, func(i, j int) bool { return featureOrder(out[i]) < featureOrder(out[j]) })
	return out
}

// consoleDays reads ?days= (1 to historyDaysKept, default 30).
func consoleDays(r *http.Request) (int, error) {
	v := r.URL.Query().Get("days")
	if v == "" {
		return consoleDefaultDays, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > historyDaysKept {
		return 0, fmt.Errorf("days must be a whole number from 1 to %d, got %q", historyDaysKept, v)
	}
	return n, nil
}
