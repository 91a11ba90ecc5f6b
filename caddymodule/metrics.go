package caddymodule

import (
	"errors"
	"sync"

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
