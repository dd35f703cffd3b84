package health

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/common/model"

	"github.com/journeymap/journey-operator/internal/series"
)

// TouchpointKey names a touchpoint's series.
type TouchpointKey struct{ Namespace, Journey, Touchpoint string }

// JourneyKey names a journey's series.
type JourneyKey struct{ Namespace, Journey string }

// Observation is what Prometheus says about a touchpoint now. Ratios are
// error ratios from 0 to 1; nil means no series.
type Observation struct {
	// ErrorsShort is the worst 5m error ratio of any SLI: whether telemetry
	// exists at all.
	ErrorsShort *float64
	// MetricErrorsShort is the 5m error ratio of real traffic (the metric
	// SLI); nil for a touchpoint watched by a probe only.
	MetricErrorsShort *float64
	ErrorsLastHour    *float64
	ErrorsObjective   *float64
	// ProbeSuccess is the lowest last result of the touchpoint's probes.
	ProbeSuccess *float64
	// LatencySeconds is the probe latency at the objective's percentile.
	LatencySeconds *float64
	Alerts         []Alert
}

// Alert is a firing alert.
type Alert struct {
	Name, Severity string
	// SLI is the alert's sli label: a touchpoint with a probe and a metric
	// SLI may fire the same alert for each.
	SLI string
	// Since is when the alert became active, its pending period included:
	// Prometheus keeps that time, not the moment it began firing, as the
	// value of ALERTS_FOR_STATE.
	Since time.Time
}

// touchpointSeries is what one cycle read about a touchpoint. Where
// several series answer for one touchpoint (two Prometheus replicas behind
// a query front end, two probes), the worst wins.
type touchpointSeries struct {
	errors            map[string]float64 // by window, e.g. "5m"
	metricErrorsShort *float64
	probeSuccess      *float64
	latency           *float64
	alerts            []Alert
}

// observation is the touchpoint as a monitor with the given objective
// window judges it.
func (t *touchpointSeries) observation(objectiveWindow string) Observation {
	if t == nil {
		return Observation{}
	}
	ratio := func(window string) *float64 {
		if v, ok := t.errors[window]; ok {
			return &v
		}
		return nil
	}
	return Observation{
		ErrorsShort:       ratio(shortWindow),
		MetricErrorsShort: t.metricErrorsShort,
		ErrorsLastHour:    ratio(lastHourWindow),
		ErrorsObjective:   ratio(objectiveWindow),
		ProbeSuccess:      t.probeSuccess,
		LatencySeconds:    t.latency,
		Alerts:            append([]Alert(nil), t.alerts...),
	}
}

const (
	shortWindow    = "5m"
	lastHourWindow = "1h"
)

// snapshot is what one cycle read: every touchpoint and journey in scope.
type snapshot struct {
	touchpoints map[TouchpointKey]*touchpointSeries
	journeys    map[JourneyKey]float64
	funnels     map[JourneyKey]*funnelSeries
}

func newSnapshot() *snapshot {
	return &snapshot{touchpoints: map[TouchpointKey]*touchpointSeries{}, journeys: map[JourneyKey]float64{}, funnels: map[JourneyKey]*funnelSeries{}}
}

func (s *snapshot) touchpoint(m model.Metric) *touchpointSeries {
	key := TouchpointKey{Namespace: string(m["namespace"]), Journey: string(m["journey"]), Touchpoint: string(m["touchpoint"])}
	t := s.touchpoints[key]
	if t == nil {
		t = &touchpointSeries{errors: map[string]float64{}}
		s.touchpoints[key] = t
	}
	return t
}

// query is one of the fixed set of instant queries a cycle runs, and how
// its samples are filed.
type query struct {
	promql string
	file   func(*snapshot, *model.Sample)
}

// queries is the set one cycle runs: one per metric family, aggregated by
// touchpoint (or journey) across everything in scope, so that their number
// does not grow with the number of monitors. windows are the error-ratio
// windows to read (5m, 1h and every objective window monitors use); scope
// is a namespace matcher, or empty for all namespaces.
func queries(windows []string, scope string) []query {
	quoted := make([]string, len(windows))
	for i, w := range windows {
		quoted[i] = regexp.QuoteMeta(w)
	}
	return []query{
		{
			promql: fmt.Sprintf(`{%s}`, matchers(fmt.Sprintf(`__name__=~"%s(?:%s)"`, regexp.QuoteMeta(series.TouchpointErrors), strings.Join(quoted, "|")), scope)),
			file:   fileErrorRatio,
		},
		{
			promql: fmt.Sprintf(`min by (namespace, journey, touchpoint) (%s{%s})`, series.ProbeSuccess, matchers(`touchpoint!=""`, scope)),
			file: func(s *snapshot, sample *model.Sample) {
				t := s.touchpoint(sample.Metric)
				t.probeSuccess = worse(t.probeSuccess, float64(sample.Value), math.Min)
			},
		},
		{
			promql: fmt.Sprintf(`max by (namespace, journey, touchpoint) (%s{%s})`, series.TouchpointLatency, matchers(scope)),
			file: func(s *snapshot, sample *model.Sample) {
				t := s.touchpoint(sample.Metric)
				t.latency = worse(t.latency, float64(sample.Value), math.Max)
			},
		},
		{
			promql: fmt.Sprintf(`min by (namespace, journey) (%s{%s})`, series.JourneySuccess, matchers(scope)),
			file: func(s *snapshot, sample *model.Sample) {
				key := JourneyKey{Namespace: string(sample.Metric["namespace"]), Journey: string(sample.Metric["journey"])}
				if v, ok := s.journeys[key]; !ok || float64(sample.Value) < v {
					s.journeys[key] = float64(sample.Value)
				}
			},
		},
		{
			// ALERTS_FOR_STATE keeps when an alert became active; ALERTS
			// says whether it fires yet.
			promql: fmt.Sprintf(`ALERTS_FOR_STATE{%s} and ignoring(alertstate) ALERTS{%s}`,
				matchers(`touchpoint!=""`, scope), matchers(`alertstate="firing"`, `touchpoint!=""`, scope)),
			file: fileAlert,
		},
		conversionQuery(scope),
	}
}

// matchers joins label matchers, leaving out empty ones.
func matchers(ms ...string) string {
	var out []string
	for _, m := range ms {
		if m != "" {
			out = append(out, m)
		}
	}
	return strings.Join(out, ", ")
}

// namespaceScope is the matcher for --watch-namespaces; empty for all.
func namespaceScope(namespaces []string) string {
	var quoted []string
	for _, ns := range namespaces {
		if ns = strings.TrimSpace(ns); ns != "" {
			quoted = append(quoted, regexp.QuoteMeta(ns))
		}
	}
	if len(quoted) == 0 {
		return ""
	}
	sort.Strings(quoted)
	return fmt.Sprintf(`namespace=~"%s"`, strings.Join(quoted, "|"))
}

func fileErrorRatio(s *snapshot, sample *model.Sample) {
	window := strings.TrimPrefix(string(sample.Metric[model.MetricNameLabel]), series.TouchpointErrors)
	t := s.touchpoint(sample.Metric)
	v := float64(sample.Value)
	if old, ok := t.errors[window]; !ok || v > old {
		t.errors[window] = v
	}
	if window == shortWindow && string(sample.Metric["sli"]) == series.SLIMetric {
		t.metricErrorsShort = worse(t.metricErrorsShort, v, math.Max)
	}
}

// fileAlert files a firing alert once: the same alert from two replicas
// counts once, active since the earlier of the two.
func fileAlert(s *snapshot, sample *model.Sample) {
	t := s.touchpoint(sample.Metric)
	a := Alert{
		Name:     string(sample.Metric[model.AlertNameLabel]),
		Severity: string(sample.Metric["severity"]),
		SLI:      string(sample.Metric["sli"]),
		Since:    time.Unix(int64(sample.Value), 0).UTC(),
	}
	for i, known := range t.alerts {
		if known.Name == a.Name && known.Severity == a.Severity && known.SLI == a.SLI {
			if a.Since.Before(known.Since) {
				t.alerts[i].Since = a.Since
			}
			return
		}
	}
	t.alerts = append(t.alerts, a)
	sort.Slice(t.alerts, func(i, j int) bool {
		x, y := t.alerts[i], t.alerts[j]
		if x.Name != y.Name {
			return x.Name < y.Name
		}
		if x.Severity != y.Severity {
			return x.Severity < y.Severity
		}
		return x.SLI < y.SLI
	})
}

// worse keeps the worse of a known value and a new one, as pick chooses.
func worse(known *float64, v float64, pick func(a, b float64) float64) *float64 {
	if known != nil {
		v = pick(*known, v)
	}
	return &v
}

// file adds a query's samples. A ratio over a window holding a single
// sample is 0/0, NaN: no data yet, like no series.
func (s *snapshot) file(q query, vector model.Vector) {
	for _, sample := range vector {
		if math.IsNaN(float64(sample.Value)) {
			continue
		}
		q.file(s, sample)
	}
}
