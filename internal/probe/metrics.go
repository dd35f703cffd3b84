package probe

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/journeymap/journey-operator/internal/series"
)

// labelNames are the labels of every probe metric. The journey labels come
// first: the operator's rules aggregate by them, e.g.
// sum by (namespace, journey, stage, touchpoint) (rate(journey_probe_total{result="failure"}[5m])).
// `probe` (the probe ID) keeps two probes of one touchpoint in separate
// series, so one's results never overwrite the other's gauge and a removed
// probe's series can be deleted without touching its sibling's.
var labelNames = []string{"namespace", "journey", "stage", "touchpoint", "persona", "probe"}

// allReasons are created as zero counters when a probe starts: a failure
// ratio needs a failure series that exists before the first failure, or
// rate() over it is empty instead of 0 and the touchpoint reads as unknown.
var allReasons = []Reason{
	ReasonOK, ReasonStatus, ReasonBody, ReasonJSON, ReasonTimeout,
	ReasonConnect, ReasonTLS, ReasonDNS, ReasonCapture, ReasonConfig,
}

// durationBuckets suit web latency: from a fast cached page to a slow flow.
var durationBuckets = []float64{.025, .05, .1, .25, .5, 1, 2.5, 5, 10}

// Metrics are the collector's probe metrics.
type Metrics struct {
	success      *prometheus.GaugeVec
	duration     *prometheus.HistogramVec
	total        *prometheus.CounterVec
	stepSuccess  *prometheus.GaugeVec
	stepDuration *prometheus.HistogramVec
	stepTotal    *prometheus.CounterVec
	maintenance  *prometheus.GaugeVec
}

// NewMetrics creates the probe metrics and registers them with reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	resultNames := with(labelNames, "result", "reason")
	stepNames := with(labelNames, "step")
	stepResultNames := with(stepNames, "result", "reason")
	m := &Metrics{
		success: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: series.ProbeSuccess,
			Help: "Whether the last run of the probe succeeded (1) or failed (0).",
		}, labelNames),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    series.ProbeDuration,
			Help:    "Duration of probe runs, failed ones included.",
			Buckets: durationBuckets,
		}, labelNames),
		total: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: series.ProbeTotal,
			Help: "Probe runs by result (success, failure) and reason (ok or why it failed).",
		}, resultNames),
		stepSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: series.ProbeStepSuccess,
			Help: "Whether the step succeeded (1) or failed (0) the last time the flow reached it.",
		}, stepNames),
		stepDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    series.ProbeStepDuration,
			Help:    "Duration of flow steps, failed ones included.",
			Buckets: durationBuckets,
		}, stepNames),
		stepTotal: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: series.ProbeStepTotal,
			Help: "Flow step runs by result (success, failure) and reason (ok or why it failed).",
		}, stepResultNames),
		maintenance: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: series.Maintenance,
			Help: "Whether one of the probe's maintenance windows is open (1): the probe does not run then.",
		}, labelNames),
	}
	reg.MustRegister(m.success, m.duration, m.total, m.stepSuccess, m.stepDuration, m.stepTotal, m.maintenance)
	return m
}

// result is the `result` label for a reason.
func result(r Reason) string {
	if r == ReasonOK {
		return "success"
	}
	return "failure"
}

// with appends to a shared label slice without writing into its backing
// array, which other goroutines read at the same time.
func with(labels []string, more ...string) []string {
	return append(labels[:len(labels):len(labels)], more...)
}

// init creates the probe's counters at zero; see allReasons.
func (m *Metrics) init(p *compiledProbe) {
	for _, r := range allReasons {
		m.total.WithLabelValues(with(p.labels, result(r), string(r))...)
		for _, s := range p.steps {
			m.stepTotal.WithLabelValues(with(p.labels, s, result(r), string(r))...)
		}
	}
}

// observe records one run.
func (m *Metrics) observe(p *compiledProbe, r Reason, took time.Duration) {
	m.success.WithLabelValues(p.labels...).Set(boolFloat(r == ReasonOK))
	m.duration.WithLabelValues(p.labels...).Observe(took.Seconds())
	m.total.WithLabelValues(with(p.labels, result(r), string(r))...).Inc()
}

// observeStep records one flow step.
func (m *Metrics) observeStep(p *compiledProbe, step string, r Reason, took time.Duration) {
	m.stepSuccess.WithLabelValues(with(p.labels, step)...).Set(boolFloat(r == ReasonOK))
	m.stepDuration.WithLabelValues(with(p.labels, step)...).Observe(took.Seconds())
	m.stepTotal.WithLabelValues(with(p.labels, step, result(r), string(r))...).Inc()
}

// forgetStep drops the success gauge of a step the last run did not reach:
// its previous value would claim a result the current run knows nothing of.
func (m *Metrics) forgetStep(p *compiledProbe, step string) {
	m.stepSuccess.DeleteLabelValues(with(p.labels, step)...)
}

// delete removes every series of a probe that was removed or replaced.
func (m *Metrics) delete(p *compiledProbe) {
	match := prometheus.Labels{"probe": p.def.ID}
	m.success.DeletePartialMatch(match)
	m.duration.DeletePartialMatch(match)
	m.total.DeletePartialMatch(match)
	m.stepSuccess.DeletePartialMatch(match)
	m.stepDuration.DeletePartialMatch(match)
	m.stepTotal.DeletePartialMatch(match)
	m.maintenance.DeletePartialMatch(match)
}

func boolFloat(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
