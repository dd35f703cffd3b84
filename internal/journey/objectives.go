package journey

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/prometheus/common/model"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// Defaults of the objectives a monitor may leave out.
const (
	DefaultObjectiveWindow = "28d"
	// RuleEvaluationInterval is how often rules are evaluated unless
	// the windows are so short that it would blur them.
	RuleEvaluationInterval = "30s"
)

// Windows are the ranges a touchpoint's SLI is recorded over and its
// burn-rate alerts look at. They are the SRE workbook's multi-window,
// multi-burn-rate set for a 30-day objective (page: 14.4x over 1h and 5m, 6x
// over 6h and 30m; ticket: 3x over 1d and 2h, 1x over 3d and 6h), scaled to
// the objective window, so that each tier keeps its meaning ("2% of the
// budget gone within the long window") for a 28-day objective as for a
// one-hour one in a test. Scaled windows are whole minutes, at least one.
type Windows struct {
	// Objective is the objective window, e.g. "28d".
	Objective string
	// Tiers are the burn-rate alert tiers, page first.
	Tiers []BurnRateTier
	// Recorded are the windows with a recording rule: every tier's windows,
	// 5m (for the stage and journey roll-ups), 1h (for status) and the
	// objective window, sorted by length.
	Recorded []string
	// Interval is how often the rules are evaluated: 30s, or less for
	// windows so short that 30s would blur them.
	Interval string
	// Long are the recorded windows of LongWindow or more, in order. Their
	// rules run in a group of their own every LongInterval.
	Long []string
	// LongInterval is how often the long windows are evaluated; empty
	// without long windows. See longInterval for the rule.
	LongInterval string
}

// LongWindow is the shortest window whose error ratio is evaluated in the
// slow group: a window of a day or more moves by a fraction of a percent
// between two of its evaluations, so evaluating it every Interval spends
// Prometheus' time on numbers that do not change.
const LongWindow = 24 * time.Hour

// Bounds of LongInterval.
const (
	// longIntervalDivisor: a long window is evaluated 720 times per
	// window length (every 2m for a day), so it moves by at most 0.14% of
	// its length between two evaluations.
	longIntervalDivisor = 720
	// maxLongInterval keeps a long window's record readable as an instant
	// vector, which Prometheus looks up to 5 minutes back (the lookback
	// delta): with one evaluation missed (a busy or restarting
	// Prometheus) the latest sample is two intervals, 4 minutes, old and
	// still found, with a minute to spare for evaluation jitter. The
	// alerts of the fast group and the health poller read these records
	// as instant vectors; a longer interval would make them blink out.
	maxLongInterval = 2 * time.Minute
)

// BurnRateTier is one tier of the burn-rate alerts.
type BurnRateTier struct {
	Page        bool
	Factor      float64
	Long, Short string
	// For is how long the condition must hold before the alert fires; empty
	// when the scaled duration is under a minute.
	For string
}

// referenceWindow is the objective window the SRE workbook's tiers are
// given for.
const referenceWindow = 30 * 24 * time.Hour

// PageBurnRate is the burn rate of the fastest page tier: an error ratio
// of PageBurnRate times the budget over five minutes would spend a 30-day
// budget in about two days. Health calls a touchpoint whose real traffic
// fails that fast Critical.
const PageBurnRate = 14.4

var referenceTiers = []struct {
	page              bool
	factor            float64
	long, short, hold time.Duration
}{
	{page: true, factor: PageBurnRate, long: time.Hour, short: 5 * time.Minute, hold: 2 * time.Minute},
	{page: true, factor: 6, long: 6 * time.Hour, short: 30 * time.Minute, hold: 2 * time.Minute},
	{page: false, factor: 3, long: 24 * time.Hour, short: 2 * time.Hour, hold: 15 * time.Minute},
	{page: false, factor: 1, long: 72 * time.Hour, short: 6 * time.Hour, hold: 15 * time.Minute},
}

// WindowsFor scales the alert windows to an objective window such as "28d".
func WindowsFor(objectiveWindow string) (Windows, error) {
	objective, err := model.ParseDuration(objectiveWindow)
	if err != nil {
		return Windows{}, fmt.Errorf("objectives.window %q: %w", objectiveWindow, err)
	}
	scale := float64(time.Duration(objective)) / float64(referenceWindow)
	w := Windows{Objective: objectiveWindow}
	recorded := map[time.Duration]string{
		5 * time.Minute:          "5m",
		time.Hour:                "1h",
		time.Duration(objective): objectiveWindow,
	}
	shortest := 5 * time.Minute
	for _, ref := range referenceTiers {
		long, short := scaleWindow(ref.long, scale), scaleWindow(ref.short, scale)
		tier := BurnRateTier{Page: ref.page, Factor: ref.factor, Long: long.String(), Short: short.String()}
		if hold := scaleDuration(ref.hold, scale); hold >= model.Duration(time.Minute) {
			tier.For = hold.String()
		}
		w.Tiers = append(w.Tiers, tier)
		for _, d := range []model.Duration{long, short} {
			if _, ok := recorded[time.Duration(d)]; !ok {
				recorded[time.Duration(d)] = d.String()
			}
			shortest = min(shortest, time.Duration(d))
		}
	}
	lengths := make([]time.Duration, 0, len(recorded))
	for d := range recorded {
		lengths = append(lengths, d)
	}
	sort.Slice(lengths, func(i, j int) bool { return lengths[i] < lengths[j] })
	for _, d := range lengths {
		w.Recorded = append(w.Recorded, recorded[d])
	}
	w.Interval = RuleEvaluationInterval
	if shortest < 2*time.Minute {
		w.Interval = "15s"
	}
	for _, d := range lengths {
		if d >= LongWindow {
			w.Long = append(w.Long, recorded[d])
		}
	}
	if len(w.Long) > 0 {
		w.LongInterval = longInterval(lengths[len(lengths)-len(w.Long)], w.Interval)
	}
	return w, nil
}

// longInterval is the evaluation interval of the long windows, the
// shortest of which is shortestLong: shortestLong/720, rounded down to a
// whole multiple of the fast group's interval, at least that interval and
// at most maxLongInterval (2m). Every window of a day or more thus runs
// every 2 minutes: the cap, not the window, decides, but the rule holds
// should LongWindow ever be lowered.
func longInterval(shortestLong time.Duration, fast string) string {
	step, _ := model.ParseDuration(fast)
	interval := min(shortestLong/longIntervalDivisor, maxLongInterval)
	interval = max(interval.Truncate(time.Duration(step)), time.Duration(step))
	return model.Duration(interval).String()
}

// ExhaustedAfter is how long the whole budget lasts at a burn rate.
func (w Windows) ExhaustedAfter(burnRate float64) string {
	objective, _ := model.ParseDuration(w.Objective)
	return model.Duration(time.Duration(float64(objective) / burnRate).Round(time.Minute)).String()
}

func scaleDuration(d time.Duration, scale float64) model.Duration {
	return model.Duration(time.Duration(float64(d) * scale).Round(time.Minute))
}

func scaleWindow(d time.Duration, scale float64) model.Duration {
	return max(scaleDuration(d, scale), model.Duration(time.Minute))
}

// ObjectiveWindow is the monitor's objective window, defaulted.
func ObjectiveWindow(monitor *cxv1alpha1.TouchpointMonitor) string {
	if monitor.Spec.Objectives.Window == "" {
		return DefaultObjectiveWindow
	}
	return monitor.Spec.Objectives.Window
}

// DefaultLatencyPercent is the share of probe runs, in percent, that must
// answer within a latency objective's threshold when the objective names no
// percent, as the API documents.
const DefaultLatencyPercent = "95"

// ErrorBudget is the share of attempts the touchpoint may fail, e.g. 0.005
// for an effective availability objective of 99.5%.
func (b TouchpointBinding) ErrorBudget() (float64, error) {
	availability, err := b.Availability()
	if err != nil {
		return 0, err
	}
	return 1 - availability, nil
}

// Availability is the share of attempts that must succeed, e.g. 0.995: the
// monitor's spec.objectives.availability, else the persona's
// spec.expectations.availabilityPercent. The persona's expectation is the
// documented default for monitors without an objective of their own; an
// empty string means "not set", as the API leaves the field optional.
func (b TouchpointBinding) Availability() (float64, error) {
	if own := b.Monitor.Spec.Objectives.Availability; own != "" {
		return percentRatio("spec.objectives.availability", own)
	}
	if expected := b.personaExpectations().AvailabilityPercent; expected != "" {
		ratio, err := percentRatio("spec.expectations.availabilityPercent", expected)
		if err != nil {
			return 0, fmt.Errorf("persona %s: %w", b.personaName(), err)
		}
		return ratio, nil
	}
	return 0, fmt.Errorf("no availability objective: set spec.objectives.availability, or spec.expectations.availabilityPercent of persona %s", b.personaName())
}

// Latency is the touchpoint's latency objective, its percent defaulted: the
// monitor's spec.objectives.latency, else, for a probe monitor, the
// persona's spec.expectations.maxLatency at the default percent. nil when
// neither is set, or when the monitor has no probe: latency is measured by
// the probe, and a metric-only monitor has nothing to judge it by.
func (b TouchpointBinding) Latency() *cxv1alpha1.LatencyObjective {
	if b.Monitor.Spec.Probe == nil {
		return nil
	}
	var objective cxv1alpha1.LatencyObjective
	switch own, maxLatency := b.Monitor.Spec.Objectives.Latency, b.personaExpectations().MaxLatency; {
	case own != nil:
		objective = *own
	case maxLatency != nil && maxLatency.Duration > 0:
		objective = cxv1alpha1.LatencyObjective{Threshold: *maxLatency}
	default:
		return nil
	}
	if objective.Percent == "" {
		objective.Percent = DefaultLatencyPercent
	}
	return &objective
}

// personaExpectations are the persona's expectations, empty when the
// persona or its expectations are unknown.
func (b TouchpointBinding) personaExpectations() cxv1alpha1.ExperienceExpectations {
	if b.Persona == nil || b.Persona.Spec.Expectations == nil {
		return cxv1alpha1.ExperienceExpectations{}
	}
	return *b.Persona.Spec.Expectations
}

// personaName names the persona in errors, also while it is not loaded.
func (b TouchpointBinding) personaName() string {
	switch {
	case b.Persona != nil:
		return b.Persona.Name
	case b.Map != nil:
		return b.Map.Spec.PersonaRef.Name
	default:
		return "(unknown)"
	}
}

// percentRatio reads a percentage strictly between 0 and 100 as a ratio.
func percentRatio(field, percent string) (float64, error) {
	v, err := strconv.ParseFloat(percent, 64)
	if err != nil || v <= 0 || v >= 100 {
		return 0, fmt.Errorf("%s %q is not a percentage strictly between 0 and 100", field, percent)
	}
	return v / 100, nil
}
