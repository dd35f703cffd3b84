package health

import (
	prom "github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
)

// The poller's own metrics, on the manager's metrics endpoint, so an SRE
// can see what the operator costs their Prometheus and whether health is
// current without reading logs.
var (
	pollCycles = prom.NewCounterVec(prom.CounterOpts{
		Name: "journey_health_poll_cycles_total",
		Help: "Health cycles run, by result (success, failure).",
	}, []string{"result"})
	pollQueries = prom.NewCounter(prom.CounterOpts{
		Name: "journey_health_poll_queries_total",
		Help: "Queries sent to Prometheus by the health poller; a fixed number per cycle, whatever the number of touchpoints.",
	})
	pollDuration = prom.NewHistogram(prom.HistogramOpts{
		Name:    "journey_health_poll_duration_seconds",
		Help:    "Time of one health cycle: every query and the fan-out.",
		Buckets: prom.ExponentialBuckets(0.01, 2, 12),
	})
	pollEnqueued = prom.NewCounterVec(prom.CounterOpts{
		Name: "journey_health_poll_enqueued_total",
		Help: "Objects enqueued because their health reading changed, by kind (TouchpointMonitor, JourneyMap).",
	}, []string{"kind"})
)

func init() {
	crmetrics.Registry.MustRegister(pollCycles, pollQueries, pollDuration, pollEnqueued)
}
