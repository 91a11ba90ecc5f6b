package caddymodule

import (
	"bytes"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html/template"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	"github.com/dustin/go-humanize"
)

// The console page is server-rendered HTML with inline SVG charts: no
// script, no external asset, so it works offline and under the strict
// Content-Security-Policy it is sent with (the one stylesheet is allowed
// by its hash).

var (
	//go:embed console.html
	consoleHTML string
	//go:embed console.css
	consoleCSS string

	consoleTemplate = template.Must(template.New("console").Funcs(template.FuncMap{
		"when":           formatWhen,
		"pct":            formatShare,
		"num":            formatCount,
		"featureMeaning": func(f string) string { return featureMeanings[f] },
	}).Parse(consoleHTML))

	// consoleCSP forbids scripts, frames, forms and every load; only the
	// page's own stylesheet (by hash) applies.
	consoleCSP = func() string {
		sum := sha256.Sum256([]byte(consoleCSS))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; img-src 'none'; script-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	}()
)

var featureMeanings = map[string]string{
	usageExtern:   "calls to extern/rest.php",
	usageWPRest:   "calls to the WordPress REST route wp-json/civicrm/v3/rest",
	usageVerbose:  "civicrm/ajax/rest through a CMS URL (?q=…)",
	usageKeyValue: "parameters as key-value pairs instead of one json= object",
	usageXML:      "XML answers instead of JSON",
	usageURLCreds: "key and api_key in the URL instead of headers",
	usageAPI4:     "APIv4 calls (civicrm/ajax/api4), not legacy",
}

// consolePeriods are the periods the page links to.
var consolePeriods = []int{7, 30, 90}

// consoleView is what the template shows.
type consoleView struct {
	CSS           template.CSS
	Report        *consoleReport
	Days          int
	Periods       []int
	Done          bool
	Verdict       string
	LatestShare   *float64
	LatestDate    string
	LegacyCalls   int64
	TotalCalls    int64
	LegacyCallers int
	Trend         chart
	Callers       []callerView
	Features      []featureView
	MoreCallers   int
	AnyMigration  bool
	Refusals      []namedValue
}

type featureView struct {
	Row   featureRow
	Chart chart
}

type callerView struct {
	Name  string
	Row   callerRow
	Chart chart
}

type namedValue struct {
	Name  string
	Value float64
}

// chart is an SVG bar chart.
type chart struct {
	ID, Title, Desc string
	Width, Height   int
	Grid            []line
	Labels          []label
	Bars            []bar
}

type line struct{ X1, Y1, X2, Y2 float64 }

type label struct {
	X, Y   float64
	Anchor string
	Text   string
}

type bar struct {
	X, Y, W, H float64
	Fill, Tip  string
}

const (
	colourLegacy = "#c2410c"
	colourModern = "#2563eb"
)

func newConsoleView(rep *consoleReport) *consoleView {
	v := &consoleView{CSS: template.CSS(consoleCSS), Report: rep, Days: rep.Days, Periods: consolePeriods}
	for _, t := range rep.Trend {
		v.LegacyCalls += t.Legacy
		v.TotalCalls += t.Calls
		if t.Calls > 0 {
			v.LatestShare, v.LatestDate = t.LegacyShare, t.Date
		}
	}
	if v.LatestDate == "" {
		v.LatestDate = "no calls yet"
	}
	recent := rep.dates[max(0, len(rep.dates)-7):]
	for _, c := range rep.Callers {
		for _, d := range c.Daily {
			if d.Legacy > 0 && d.Date >= recent[0] {
				v.LegacyCallers++
				break
			}
		}
	}
	var recentLegacy int64
	for _, t := range rep.Trend[len(rep.Trend)-len(recent):] {
		recentLegacy += t.Legacy
	}
	switch {
	case v.TotalCalls == 0:
		v.Verdict = fmt.Sprintf("No API call recorded in the last %d days.", rep.Days)
	case recentLegacy == 0:
		v.Done = true
		v.Verdict = "Yes: no legacy call in the last 7 days. Announce the end, then set the cut-off."
	default:
		v.Verdict = fmt.Sprintf("Not yet: %s legacy calls from %d callers in the last 7 days.", formatCount(recentLegacy), v.LegacyCallers)
	}
	v.Trend = trendChart(rep.Trend)
	for i, c := range rep.Callers {
		if c.Migration != nil {
			v.AnyMigration = true
		}
		if i >= consoleMaxCallers {
			v.MoreCallers++
			continue
		}
		name := callerName(c.ContactID, c.KeyFingerprint)
		v.Callers = append(v.Callers, callerView{Name: name, Row: c, Chart: callerChart("caller-"+strconv.Itoa(i), name, c.Daily)})
	}
	for i, f := range rep.Features {
		days := make([]callerDayCount, len(rep.Trend))
		for j, t := range rep.Trend {
			days[j] = callerDayCount{Date: t.Date, Calls: t.Features[f.Feature]}
			if f.Legacy {
				days[j].Legacy = days[j].Calls
			}
		}
		v.Features = append(v.Features, featureView{Row: f, Chart: callerChart("feature-"+strconv.Itoa(i), f.Feature, days)})
	}
	for reason, n := range rep.Health.Refusals {
		if n > 0 {
			v.Refusals = append(v.Refusals, namedValue{reason, n})
		}
	}
	sort.Slice(v.Refusals, func(i, j int) bool { return v.Refusals[i].Name < v.Refusals[j].Name })
	return v
}

// CallerName names the caller a migration belongs to (for headings).
func (v *consoleView) CallerName(m *migration) string {
	for _, c := range v.Callers {
		if c.Row.Migration == m {
			return c.Name
		}
	}
	return "caller"
}

func callerName(contactID int64, fingerprint string) string {
	name := "anonymous"
	if contactID > 0 {
		name = "contact " + strconv.FormatInt(contactID, 10)
	}
	if fingerprint != "" {
		name += " · key " + fingerprint
	}
	return name
}

// trendChart draws each day's legacy share (and the modern rest) as a
// stacked bar; days without calls stay empty.
func trendChart(days []trendDay) chart {
	const w, h, left, bottom, top = 760, 200, 40, 22, 8
	c := chart{ID: "trend", Width: w, Height: h,
		Title: "Legacy share of API calls per day"}
	plotH := float64(h - bottom - top)
	for _, p := range []float64{0, .5, 1} {
		y := top + plotH*(1-p)
		c.Grid = append(c.Grid, line{left, y, w, y})
		c.Labels = append(c.Labels, label{left - 4, y + 4, "end", strconv.Itoa(int(p*100)) + "%"})
	}
	slot := float64(w-left) / float64(max(1, len(days)))
	var latest, peak *trendDay
	for i := range days {
		d := &days[i]
		x := left + float64(i)*slot + slot*0.15
		bw := slot * 0.7
		if i == 0 || i == len(days)-1 || len(days) <= 10 || i%(len(days)/6+1) == 0 {
			c.Labels = append(c.Labels, label{x + bw/2, h - 6, "middle", d.Date[5:]})
		}
		if d.LegacyShare == nil {
			continue
		}
		latest = d
		if peak == nil || *d.LegacyShare > *peak.LegacyShare {
			peak = d
		}
		lh := plotH * *d.LegacyShare
		tip := fmt.Sprintf("%s: %s of %s calls legacy (%s)", d.Date, formatCount(d.Legacy), formatCount(d.Calls), formatShare(d.LegacyShare))
		c.Bars = append(c.Bars,
			bar{X: x, Y: top, W: bw, H: plotH - lh, Fill: colourModern, Tip: tip},
			bar{X: x, Y: top + plotH - lh, W: bw, H: lh, Fill: colourLegacy, Tip: tip})
	}
	from, to := days[0].Date, days[len(days)-1].Date
	if latest == nil {
		c.Desc = fmt.Sprintf("No API calls from %s to %s.", from, to)
		return c
	}
	c.Desc = fmt.Sprintf("From %s to %s. Latest day with calls, %s: %s legacy (%s of %s calls). Highest: %s on %s.",
		from, to, latest.Date, formatShare(latest.LegacyShare), formatCount(latest.Legacy), formatCount(latest.Calls),
		formatShare(peak.LegacyShare), peak.Date)
	return c
}

// callerChart is a small chart of a caller's (or a feature's) calls per
// day, the legacy part stacked under the rest.
func callerChart(id, name string, days []callerDayCount) chart {
	const w, h = 180, 40
	c := chart{ID: id, Width: w, Height: h, Title: name + ": calls per day"}
	var peak, total, legacy int64
	var lastLegacy string
	for _, d := range days {
		peak = max(peak, d.Calls)
		total += d.Calls
		legacy += d.Legacy
		if d.Legacy > 0 {
			lastLegacy = d.Date
		}
	}
	c.Grid = []line{{0, h - 0.5, w, h - 0.5}}
	slot := float64(w) / float64(max(1, len(days)))
	for i, d := range days {
		if d.Calls == 0 {
			continue
		}
		x, bw := float64(i)*slot+slot*0.1, math.Max(slot*0.8, 1)
		th := float64(h-2) * float64(d.Calls) / float64(peak)
		lh := float64(h-2) * float64(d.Legacy) / float64(peak)
		tip := fmt.Sprintf("%s: %s calls, %s legacy", d.Date, formatCount(d.Calls), formatCount(d.Legacy))
		c.Bars = append(c.Bars,
			bar{X: x, Y: h - 1 - th, W: bw, H: th - lh, Fill: colourModern, Tip: tip},
			bar{X: x, Y: h - 1 - lh, W: bw, H: lh, Fill: colourLegacy, Tip: tip})
	}
	c.Desc = fmt.Sprintf("%s calls over %d days, %s of them legacy", formatCount(total), len(days), formatCount(legacy))
	if lastLegacy != "" {
		c.Desc += "; last legacy call on " + lastLegacy
	}
	c.Desc += "."
	return c
}

func formatWhen(t any) string {
	switch t := t.(type) {
	case time.Time:
		return t.UTC().Format("2006-01-02 15:04 UTC")
	case *time.Time:
		if t != nil {
			return t.UTC().Format("2006-01-02 15:04 UTC")
		}
	}
	return "—"
}

func formatShare(p *float64) string {
	if p == nil {
		return "—"
	}
	return strconv.FormatFloat(*p*100, 'f', 1, 64) + "%"
}

func formatCount(n any) string {
	switch n := n.(type) {
	case int64:
		return humanize.Comma(n)
	case int:
		return humanize.Comma(int64(n))
	case float64:
		return humanize.Comma(int64(math.Round(n)))
	}
	return fmt.Sprint(n)
}

// serveConsole answers the console's three resources: the page, the JSON
// report and the CSV history. Every response is for the operator only.
func serveConsole(w http.ResponseWriter, r *http.Request, resource string, handlers []*Handler) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return consoleError{http.StatusMethodNotAllowed, "method not allowed: use GET"}
	}
	days, err := consoleDays(r)
	if err != nil {
		return consoleError{http.StatusBadRequest, err.Error()}
	}
	rep := buildConsole(r.Context(), handlers, time.Now(), days)
	h := w.Header()
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	switch resource {
	case consolePage:
		var buf bytes.Buffer
		if err := consoleTemplate.Execute(&buf, newConsoleView(rep)); err != nil {
			return consoleError{http.StatusInternalServerError, "rendering the console: " + err.Error()}
		}
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", consoleCSP)
		h.Set("X-Frame-Options", "DENY")
		_, _ = w.Write(buf.Bytes())
	case consoleJSON:
		if rep.legacyErr != nil {
			// As before the console: no report, no answer.
			return consoleError{http.StatusBadGateway, "reading the usage report: " + storeError(rep.legacyErr)}
		}
		h.Set("Content-Type", "application/json")
		return json.NewEncoder(w).Encode(rep)
	case consoleCSV:
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="civigate-history.csv"`)
		return rep.writeCSV(w)
	}
	return nil
}

// The console's resources, by path under its mount point.
const (
	consolePage = "/"
	consoleJSON = "/legacy-usage"
	consoleCSV  = "/legacy-usage.csv"
)

type consoleError struct {
	status int
	msg    string
}

func (e consoleError) Error() string { return e.msg }

func isConsoleResource(resource string) bool {
	return resource == consolePage || resource == consoleJSON || resource == consoleCSV
}
