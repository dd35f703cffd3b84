package health

import (
	"strings"
	"time"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// Objective is what a touchpoint is judged against.
type Objective struct {
	// Budget is the share of attempts allowed to fail, e.g. 0.005.
	Budget float64
	// PageErrorRatio is the error ratio over five minutes above which real
	// traffic fails now: the budget times the fastest page tier's burn
	// rate (journey.PageBurnRate). Zero turns that signal off.
	PageErrorRatio float64
	// PageSeverity is the severity of the page alerts.
	PageSeverity string
	// LatencyThreshold is the latency objective; zero when there is none.
	LatencyThreshold time.Duration
}

// Verdict is a touchpoint's health and its SLI values as status shows them,
// quantised (see the rule in quantise.go), so that two verdicts differ
// only when something a person acts on does.
type Verdict struct {
	// HasData is false when no SLI series exist: the rules are loaded but
	// nothing feeds them.
	HasData bool
	Health  cxv1alpha1.Health
	// Reason says in a few stable words why the health is what it is, e.g.
	// "recovering: page alert still firing, error budget spent".
	Reason string
	SLI    cxv1alpha1.SLIStatus
}

// Reasons a Verdict gives. They carry no numbers, so a verdict does not
// change while the health does not.
const (
	ReasonNoData           = "no SLI data"
	ReasonMeeting          = "meeting its objectives"
	ReasonProbeFailing     = "failing now: the probe's last result failed"
	ReasonTrafficFailing   = "failing now: the last 5 minutes of traffic fail faster than the page threshold"
	ReasonRecovering       = "recovering: page alert still firing"
	ReasonOtherAlert       = "non-paging alert firing"
	ReasonBudgetSpent      = "error budget spent"
	ReasonBelowObjective   = "last hour below the objective"
	ReasonSlow             = "slower than the latency objective"
	reasonSeparator        = ", "
	failingReasonSeparator = "; "
)

// Judge turns an observation into a health.
//
// Critical follows the current failure signal only — customers fail now:
// the probe's latest result failed, or real traffic (the metric SLI) fails
// faster than the page threshold over the last five minutes. The probe
// SLI's own five-minute ratio is not a current signal: it lags the probe's
// latest result by up to five minutes, and would hold a touchpoint that
// works again in Critical.
//
// Degraded is everything a person should look at but that is not failing
// now: a page alert still firing after the touchpoint recovered (burn-rate
// alerts look at windows of up to hours and resolve later), any other
// alert, an overspent error budget, the last hour below the objective, or
// a slow touchpoint. The team then owes reliability work rather than an
// incident response. Healthy otherwise; Unknown without data.
func Judge(obs Observation, objective Objective) Verdict {
	if obs.ErrorsShort == nil {
		return Verdict{Health: cxv1alpha1.HealthUnknown, Reason: ReasonNoData}
	}
	v := Verdict{HasData: true, SLI: sliStatus(obs, objective)}
	v.Health, v.Reason = judgeSignals(signalsOf(obs, objective))
	return v
}

// signals are the yes-or-no facts health is judged by.
type signals struct {
	probeFailing, trafficFailing                             bool
	pageAlert, otherAlert, budgetSpent, belowObjective, slow bool
}

func signalsOf(obs Observation, objective Objective) signals {
	s := signals{
		probeFailing:   obs.ProbeSuccess != nil && *obs.ProbeSuccess < 1,
		trafficFailing: objective.PageErrorRatio > 0 && obs.MetricErrorsShort != nil && *obs.MetricErrorsShort > objective.PageErrorRatio,
		budgetSpent:    obs.ErrorsObjective != nil && *obs.ErrorsObjective >= objective.Budget,
		belowObjective: obs.ErrorsLastHour != nil && *obs.ErrorsLastHour > objective.Budget,
		slow:           objective.LatencyThreshold > 0 && obs.LatencySeconds != nil && *obs.LatencySeconds > objective.LatencyThreshold.Seconds(),
	}
	for _, a := range obs.Alerts {
		if a.Severity == objective.PageSeverity {
			s.pageAlert = true
		} else {
			s.otherAlert = true
		}
	}
	return s
}

// judgeSignals picks the health and names every signal behind it.
func judgeSignals(s signals) (cxv1alpha1.Health, string) {
	if failing := reasons(
		flag{s.probeFailing, ReasonProbeFailing},
		flag{s.trafficFailing, ReasonTrafficFailing},
	); failing != nil {
		return cxv1alpha1.HealthCritical, strings.Join(failing, failingReasonSeparator)
	}
	if degraded := reasons(
		flag{s.pageAlert, ReasonRecovering},
		flag{s.otherAlert, ReasonOtherAlert},
		flag{s.budgetSpent, ReasonBudgetSpent},
		flag{s.belowObjective, ReasonBelowObjective},
		flag{s.slow, ReasonSlow},
	); degraded != nil {
		return cxv1alpha1.HealthDegraded, strings.Join(degraded, reasonSeparator)
	}
	return cxv1alpha1.HealthHealthy, ReasonMeeting
}

// flag is a signal and the reason it gives when it is set.
type flag struct {
	set    bool
	reason string
}

// reasons are the reasons of the flags set, in order; nil when none is.
func reasons(flags ...flag) []string {
	var out []string
	for _, f := range flags {
		if f.set {
			out = append(out, f.reason)
		}
	}
	return out
}

// sliStatus prints the SLI values, quantised.
func sliStatus(obs Observation, objective Objective) cxv1alpha1.SLIStatus {
	var sli cxv1alpha1.SLIStatus
	if obs.ErrorsObjective != nil {
		sli.Availability = percent(1 - *obs.ErrorsObjective)
		sli.ErrorBudgetRemaining = budgetRemaining(*obs.ErrorsObjective, objective.Budget)
	}
	if obs.ErrorsLastHour != nil {
		sli.AvailabilityLastHour = percent(1 - *obs.ErrorsLastHour)
		sli.BurnRate = burnRate(*obs.ErrorsLastHour / objective.Budget)
	}
	if obs.LatencySeconds != nil {
		sli.Latency = latency(*obs.LatencySeconds)
	}
	return sli
}
