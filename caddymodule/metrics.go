package caddymodule

import (
	"errors"
	"maps"
	"sync"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are process-wide collectors registered into each config's
// registry. Every label has a small fixed set of values: endpoint forms,
// outcomes, reasons. Never a key, a fingerprint or a contact id.
var metrics = struct {
	once          sync.Once
	requests      *prometheus.CounterVec
	authFailures  *prometheus.CounterVec
	cacheResults  *prometheus.CounterVec
	upstreamTime  *prometheus.HistogramVec
	redisHealthy  prometheus.GaugeFunc
	redisErrors   *prometheus.CounterVec
	legacyRefused *prometheus.CounterVec
	guessing      *prometheus.CounterVec
}{}

func initMetrics(registry *prometheus.Registry) {
	const ns, sub = "civigate", "apiv3"
	metrics.once.Do(func() {
		metrics.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "APIv3 requests by endpoint form and outcome.",
		}, []string{"form", "outcome"})
		metrics.authFailures = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "auth_failures_total",
			Help: "Requests refused at the edge by authentication or policy, by reason.",
		}, []string{"reason"})
		metrics.cacheResults = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "cache_results_total",
			Help: "Cache outcomes: hit, miss, stale, collapsed, bypass by reason.",
		}, []string{"result"})
		metrics.upstreamTime = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "upstream_duration_seconds",
			Help:    "Time CiviCRM took to answer a forwarded call.",
			Buckets: []float64{.005, .01, .025, .05, .075, .1, .15, .25, .5, 1, 2.5, 5, 10},
		}, []string{"form"})
		metrics.redisHealthy = prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Namespace: ns, Name: "redis_healthy",
			Help: "1 when Redis is configured, no Redis operation failed in the last 2s and the cache is not skipping it; else 0.",
		}, redisHealthy)
		metrics.redisErrors = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Name: "redis_errors_total",
			Help: "Failed Redis operations by operation (cache_get, cache_invalidate, usage_flush, … or the command) and class (timeout, unreachable, crossslot, moved, readonly, …).",
		}, []string{"op", "class"})
		metrics.legacyRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "legacy_refused_total",
			Help: "Legacy-form requests refused after the configured cut-off date.",
		}, []string{"form"})
		metrics.guessing = prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "guessing_protection_total",
			Help: "Guessing protection: refused for a blocked address (address_blocked) or credential " +
				"(credential_blocked), or served from a blocked address for a proven credential (proven_passed).",
		}, []string{"event"})
	})
	if registry == nil {
		return
	}
	for _, c := range []prometheus.Collector{metrics.requests, metrics.authFailures, metrics.cacheResults,
		metrics.upstreamTime, metrics.redisHealthy, metrics.redisErrors, metrics.legacyRefused, metrics.guessing} {
		// Several sites may each have a civicrm handler in one config.
		if err := registry.Register(c); err != nil {
			var already prometheus.AlreadyRegisteredError
			if !errors.As(err, &already) {
				panic(err)
			}
		}
	}
}

// formMetrics are the series a request of one endpoint form counts in,
// each resolved from its vector once (on first use, so a series appears
// when it first counts, as with WithLabelValues) instead of by its labels
// on every request.
type formMetrics struct {
	upstreamTime func() prometheus.Observer
	outcomes     [len(outcomeNames)]func() prometheus.Counter
}

// outcomeNames are the requests metric's outcomes, in formMetrics's order.
var outcomeNames = [...]string{outcomeOK, outcomeAPIError, outcomeAuthRejected, outcomeEdgeError,
	outcomeUpstreamErr, outcomeRefused, outcomeCacheHit}

// maxFormMetrics bounds the table; forms are the route table's and
// "unrecognised", so it is never reached.
const maxFormMetrics = 64

var formMetricsTable struct {
	mu sync.Mutex
	m  atomic.Pointer[map[string]*formMetrics] // copied on write
}

// formMetricsOf is form's series.
func formMetricsOf(form string) *formMetrics {
	if m := formMetricsTable.m.Load(); m != nil {
		if fm := (*m)[form]; fm != nil {
			return fm
		}
	}
	fm := &formMetrics{upstreamTime: sync.OnceValue(func() prometheus.Observer { return metrics.upstreamTime.WithLabelValues(form) })}
	for i, outcome := range outcomeNames {
		fm.outcomes[i] = sync.OnceValue(func() prometheus.Counter { return metrics.requests.WithLabelValues(form, outcome) })
	}
	t := &formMetricsTable
	t.mu.Lock()
	defer t.mu.Unlock()
	old := t.m.Load()
	if old != nil {
		if kept := (*old)[form]; kept != nil {
			return kept
		}
		if len(*old) >= maxFormMetrics {
			return fm
		}
	}
	next := make(map[string]*formMetrics, 1+lenOf(old))
	if old != nil {
		maps.Copy(next, *old)
	}
	next[form] = fm
	t.m.Store(&next)
	return fm
}

func lenOf(m *map[string]*formMetrics) int {
	if m == nil {
		return 0
	}
	return len(*m)
}

// requests is the requests{form, outcome} counter.
func (fm *formMetrics) requests(outcome string) prometheus.Counter {
	for i, name := range outcomeNames {
		if name == outcome {
			return fm.outcomes[i]()
		}
	}
	return nil
}
