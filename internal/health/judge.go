package health

import (
	"fmt"
	"strconv"
	"time"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// Objective is what a touchpoint is judged against.
type Objective struct {
	// Budget is the share of attempts allowed to fail, e.g. 0.005.
	Budget float64
	// PageSeverity is the severity of alerts that make a touchpoint Critical.
	PageSeverity string
	// LatencyThreshold is the latency objective; zero when there is none.
	LatencyThreshold time.Duration
}

// Verdict is a touchpoint's health and its SLI values as status shows them.
type Verdict struct {
	// HasData is false when no SLI series exist: the rules are loaded but
	// nothing feeds them.
	HasData bool
	Health  cxv1alpha1.Health
	SLI     cxv1alpha1.SLIStatus
}

// Judge turns an observation into a health: Critical while customers are
// failing now (a page alert fires or the probe fails); Degraded on any other
// alert, an overspent error budget, the last hour below the objective, or a
// slow touchpoint; Healthy otherwise; Unknown without data. An overspent
// budget alone is Degraded, not Critical: customers get through again, and
// the team owes reliability work rather than an incident response — a
// touchpoint that recovered leaves Critical at once instead of staying there
// for the rest of the window.
func Judge(obs Observation, objective Objective) Verdict {
	if obs.ErrorsShort == nil {
		return Verdict{Health: cxv1alpha1.HealthUnknown}
	}
	v := Verdict{HasData: true, Health: cxv1alpha1.HealthHealthy}
	if obs.ErrorsObjective != nil {
		v.SLI.Availability = percent(1 - *obs.ErrorsObjective)
		v.SLI.ErrorBudgetRemaining = formatDecimal(100*(1-*obs.ErrorsObjective/objective.Budget), 1)
	}
	if obs.ErrorsLastHour != nil {
		v.SLI.AvailabilityLastHour = percent(1 - *obs.ErrorsLastHour)
		v.SLI.BurnRate = formatDecimal(*obs.ErrorsLastHour/objective.Budget, 2)
	}
	if obs.LatencySeconds != nil {
		v.SLI.Latency = (time.Duration(*obs.LatencySeconds * float64(time.Second))).Round(time.Millisecond).String()
	}

	pageAlert, otherAlert := false, false
	for _, a := range obs.Alerts {
		if a.Severity == objective.PageSeverity {
			pageAlert = true
		} else {
			otherAlert = true
		}
	}
	budgetExhausted := obs.ErrorsObjective != nil && *obs.ErrorsObjective >= objective.Budget
	failingNow := obs.ProbeSuccess != nil && *obs.ProbeSuccess < 1
	slow := objective.LatencyThreshold > 0 && obs.LatencySeconds != nil && *obs.LatencySeconds > objective.LatencyThreshold.Seconds()
	belowObjective := obs.ErrorsLastHour != nil && *obs.ErrorsLastHour > objective.Budget

	switch {
	case pageAlert || failingNow:
		v.Health = cxv1alpha1.HealthCritical
	case otherAlert || budgetExhausted || belowObjective || slow:
		v.Health = cxv1alpha1.HealthDegraded
	}
	return v
}

// percent prints a success ratio as a percentage with two decimals, never
// rounding a failure up to "100.00".
func percent(ratio float64) string {
	if ratio < 1 && ratio > 0.99995 {
		return "99.99"
	}
	return formatDecimal(100*ratio, 2)
}

func formatDecimal(v float64, decimals int) string {
	return strconv.FormatFloat(v, 'f', decimals, 64)
}

// FormatRatio prints a ratio such as the journey success ratio with four
// decimals.
func FormatRatio(v float64) string {
	return fmt.Sprintf("%.4f", v)
}
