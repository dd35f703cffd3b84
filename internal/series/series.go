// Package series names the Prometheus series and alerts that the collector
// exports, the rules record and the health poller reads, in one place, so
// that a renamed series cannot leave one of them reading nothing. It has no
// dependencies, so the collector links it without the operator's.
package series

// Series exported by journey-probe for every probe run.
const (
	// ProbeSuccess is 1 when the probe's last run succeeded, else 0.
	ProbeSuccess = "journey_probe_success"
	// ProbeDuration is a histogram of run durations in seconds.
	ProbeDuration = "journey_probe_duration_seconds"
	// ProbeTotal counts runs by result ("success", "failure") and reason.
	ProbeTotal = "journey_probe_total"
	// ProbeStepSuccess, ProbeStepDuration and ProbeStepTotal are the same
	// per step of a multi-step flow.
	ProbeStepSuccess  = "journey_probe_step_success"
	ProbeStepDuration = "journey_probe_step_duration_seconds"
	ProbeStepTotal    = "journey_probe_step_total"
	// Maintenance is 1 while one of the probe's maintenance windows is
	// open (the probe does not run then), else 0; only probes with windows
	// export it.
	Maintenance = "journey_maintenance"
)

// Series recorded by the operator's rules.
const (
	// RateWindow is the window of the rate records below, the shortest a
	// touchpoint's rules record.
	RateWindow = "5m"
	// TouchpointAttempts is a touchpoint's attempts per second over
	// RateWindow, per SLI: probe runs, or what a metric SLI's totalQuery
	// counts.
	TouchpointAttempts = "journey:touchpoint_attempts:rate" + RateWindow
	// TouchpointFailures is a touchpoint's failed attempts per second over
	// RateWindow, per SLI: failed probe runs, a metric SLI's errorsQuery,
	// or its totalQuery less its goodQuery. The error ratio over RateWindow
	// divides it by TouchpointAttempts, and the ratio over a long window
	// divides their sums over that window. (For a metric SLI whose queries
	// use increase() rather than rate(), both hold counts per RateWindow;
	// the ratios are the same.)
	TouchpointFailures = "journey:touchpoint_failures:rate" + RateWindow
	// TouchpointErrors is the prefix of a touchpoint's error ratio over a
	// window, e.g. journey:touchpoint_errors:ratio_rate5m.
	TouchpointErrors = "journey:touchpoint_errors:ratio_rate"
	// TouchpointLatency is a touchpoint's probe latency at its objective's
	// percentile over 5 minutes.
	TouchpointLatency = "journey:touchpoint_latency_seconds:quantile_rate5m"
	// StageSuccess is the share of customers who get through a stage.
	StageSuccess = "journey:stage_success:ratio_rate5m"
	// JourneySuccess is the share of customers who get through the journey.
	JourneySuccess = "journey:success:ratio_rate5m"

	// FunnelShortWindow and FunnelLongWindow are the windows of the funnel
	// records below: the short one judges a drop, the long one is the
	// steadier baseline a week later and what status shows.
	FunnelShortWindow = RateWindow
	FunnelLongWindow  = "30m"
	// StageEntrants is the prefix of the rate at which customers reach a
	// stage (its KPI query) over a window, e.g.
	// journey:stage_entrants:rate5m.
	StageEntrants = "journey:stage_entrants:rate"
	// StageConversion is the prefix of the share of the previous stage's
	// entrants (label from_stage) that reach a stage (label stage) over a
	// window, e.g. journey:stage_conversion:ratio_rate30m.
	StageConversion = "journey:stage_conversion:ratio_rate"
	// StageConversionBaseline is the conversion into a stage over
	// FunnelLongWindow one week earlier: what a drop is measured against.
	StageConversionBaseline = "journey:stage_conversion_baseline:ratio_rate" + FunnelLongWindow
	// StageConversionDropped is the conversion into a stage over
	// FunnelShortWindow, present only while it has dropped (below half its
	// baseline or below the KPI's floor, with enough traffic to tell):
	// JourneyConversionDrop fires when it lasts, the health poller shows
	// it at once.
	StageConversionDropped = "journey:stage_conversion_dropped:ratio_rate" + FunnelShortWindow
	// JourneyConversion is the prefix of the share of the first measured
	// stage's entrants that reach the last one over a window.
	JourneyConversion = "journey:conversion:ratio_rate"
)

// Alerts of the operator's rules.
const (
	ErrorBudgetBurnAlert = "JourneyTouchpointErrorBudgetBurn"
	TelemetryAbsentAlert = "JourneyTouchpointTelemetryAbsent"
	LatencyHighAlert     = "JourneyTouchpointLatencyHigh"
	StageDegradedAlert   = "JourneyStageDegraded"
	ConversionDropAlert  = "JourneyConversionDrop"
	// CollectorDownAlert fires once per journey when none of its probe
	// series exist: the collector is down or not scraped. It inhibits the
	// journey's per-touchpoint TelemetryAbsent alerts of probe SLIs.
	CollectorDownAlert = "JourneyCollectorDown"
	// MaintenanceAlert fires, with severity "none", while a touchpoint is
	// in maintenance; it inhibits the touchpoint's and its stage's alerts
	// and is itself routed to no one.
	MaintenanceAlert = "JourneyMaintenance"
)

// The value of the sli label of a touchpoint's recorded series.
const (
	SLIProbe  = "probe"
	SLIMetric = "metric"
)
