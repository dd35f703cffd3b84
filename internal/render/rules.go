package render

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/series"
)

// Rule settings; the names of series and alerts are in internal/series.
const (
	windowPlaceholder         = "{{.window}}"
	absentFor                 = "10m"
	latencyFor                = "10m"
	touchpointGroupNamePrefix = "journey-touchpoint"
	// longGroupNamePrefix names the group of a touchpoint's long windows.
	longGroupNamePrefix = "journey-touchpoint-long"
)

// MonitorRuleGroups builds the recording and alerting rules of one
// monitored touchpoint, in two groups. The fast group, evaluated every
// windows.Interval (30s), records per SLI the attempt and failure rates
// over 5m, their ratio, and the error ratios of the windows under a day
// from raw samples; it holds the alerts. The long group, evaluated every
// windows.LongInterval (2m) and present only with windows of a day or
// more, records their error ratios as the sum of the 5m failure rates
// over the window divided by the sum of the 5m attempt rates: a ratio of
// sums, which weighs every attempt alike, not an average of 5m ratios,
// which would weigh a quiet night's attempts like a busy hour's. It reads
// one recorded series per rate instead of every raw series. It differs from
// the ratio of the raw rates by the traffic the 5m records miss: half of
// the window's last 5 minutes, and any increase across a scrape gap
// (testdata/promtool/long-windows.yaml: 0.6% of the value over a day).
func MonitorRuleGroups(binding journey.TouchpointBinding) ([]monitoringv1.RuleGroup, error) {
	matchers, err := personaSegment(binding.Persona)
	if err != nil {
		return nil, err
	}
	metric, err := parseMetricQueries(binding.Monitor.Spec.Metric, matchers)
	if err != nil {
		return nil, err
	}
	b := touchpoint{TouchpointBinding: binding, metric: metric}
	budget, err := b.ErrorBudget()
	if err != nil {
		return nil, err
	}
	windows, err := journey.WindowsFor(journey.ObjectiveWindow(b.Monitor))
	if err != nil {
		return nil, err
	}
	alerting := b.Monitor.Spec.Alerting.Enabled == nil || *b.Monitor.Spec.Alerting.Enabled

	var rules, long []monitoringv1.Rule
	for _, sli := range b.slis() {
		records, err := b.rateRecords(sli)
		if err != nil {
			return nil, err
		}
		rules = append(rules, records...)
		for _, w := range windows.Recorded {
			isLong := slices.Contains(windows.Long, w)
			expr, err := b.errorRatioExpr(sli, w, isLong)
			if err != nil {
				return nil, err
			}
			rule := monitoringv1.Rule{
				Record: series.TouchpointErrors + w,
				Expr:   intstr.FromString(expr),
				Labels: b.recordLabels(sli),
			}
			if isLong {
				long = append(long, rule)
			} else {
				rules = append(rules, rule)
			}
		}
		if alerting {
			rules = append(rules, b.burnRateRules(sli, budget, windows)...)
			rules = append(rules, b.absentRule(sli))
		}
	}
	if latency := b.Latency(); latency != nil {
		rules = append(rules, b.latencyRules(latency, alerting)...)
	}
	if alerting && b.Monitor.Spec.Probe != nil && len(b.MaintenanceWindows()) > 0 {
		rules = append(rules, b.maintenanceRule())
	}
	groups := []monitoringv1.RuleGroup{{
		Name:     b.groupName(touchpointGroupNamePrefix),
		Interval: ptrDuration(windows.Interval),
		Rules:    rules,
	}}
	if len(long) > 0 {
		groups = append(groups, monitoringv1.RuleGroup{
			Name:     b.groupName(longGroupNamePrefix),
			Interval: ptrDuration(windows.LongInterval),
			Rules:    long,
		})
	}
	return groups, nil
}

// touchpoint adds the rule builders to a binding.
type touchpoint struct {
	journey.TouchpointBinding
	// metric are the parsed queries of the metric SLI; nil without one.
	metric *metricQueries
}

// groupName is unique across maps and namespaces: Prometheus refuses a rule
// file with two groups of one name.
func (b touchpoint) groupName(prefix string) string {
	return strings.Join([]string{prefix, b.Monitor.Namespace, b.Map.Name, b.Touchpoint.Name}, ":")
}

func (b touchpoint) slis() []string {
	var slis []string
	if b.Monitor.Spec.Probe != nil {
		slis = append(slis, series.SLIProbe)
	}
	if b.Monitor.Spec.Metric != nil {
		slis = append(slis, series.SLIMetric)
	}
	return slis
}

// probeSelector matches the collector's series of this touchpoint.
func (b touchpoint) probeSelector(extra string) string {
	sel := fmt.Sprintf(`namespace=%q, journey=%q, touchpoint=%q`, b.Monitor.Namespace, b.Map.Name, b.Touchpoint.Name)
	if extra != "" {
		sel += ", " + extra
	}
	return "{" + sel + "}"
}

// recordSelector matches this touchpoint's recorded SLI of one kind.
func (b touchpoint) recordSelector(sli string) string {
	return fmt.Sprintf(`{namespace=%q, journey=%q, touchpoint=%q, sli=%q}`, b.Monitor.Namespace, b.Map.Name, b.Touchpoint.Name, sli)
}

// rates are an SLI's raw queries over a window: the rate of bad events
// and of attempts. Bad events are failures, or for a metric SLI in the
// good/total form (good is true) the good attempts.
func (b touchpoint) rates(sli, window string) (bad, total string, good bool, err error) {
	if sli == series.SLIProbe {
		by := "sum by (namespace, journey, touchpoint)"
		bad = fmt.Sprintf("%s (rate(%s%s[%s]))", by, series.ProbeTotal, b.probeSelector(`result="failure"`), window)
		total = fmt.Sprintf("%s (rate(%s%s[%s]))", by, series.ProbeTotal, b.probeSelector(""), window)
		return bad, total, false, nil
	}
	if bad, err = b.metric.bad.at(window); err != nil {
		return "", "", false, err
	}
	if total, err = b.metric.total.at(window); err != nil {
		return "", "", false, err
	}
	return fmt.Sprintf("sum(%s)", bad), fmt.Sprintf("sum(%s)", total), !b.metric.errors, nil
}

// rateRecords record an SLI's attempt and failure rates over
// series.RateWindow, attempts first: the failure rule reads the attempt
// record, which Prometheus evaluates before it in the same group, instead
// of the raw series again. A bad series such as result="failure" or
// code="500" exists only after its first event, and not at all in a fresh
// process; "or on () 0 * attempts" counts it as 0 instead of leaving the
// failure rate out, so both records exist at the same times. on () matches
// the unlabelled sum of a metric SLI to the labelled record.
func (b touchpoint) rateRecords(sli string) ([]monitoringv1.Rule, error) {
	bad, total, good, err := b.rates(sli, series.RateWindow)
	if err != nil {
		return nil, err
	}
	attempts := series.TouchpointAttempts + b.recordSelector(sli)
	failures := fmt.Sprintf("%s or on () 0 * %s", bad, attempts)
	if good {
		failures = fmt.Sprintf("%s - on () (%s)", attempts, failures)
	}
	return []monitoringv1.Rule{
		{Record: series.TouchpointAttempts, Expr: intstr.FromString(total), Labels: b.recordLabels(sli)},
		{Record: series.TouchpointFailures, Expr: intstr.FromString(failures), Labels: b.recordLabels(sli)},
	}, nil
}

// errorRatioExpr is an SLI's error ratio over a window: over
// series.RateWindow the ratio of the rate records; over a long window the
// ratio of their sums across it where the SLI adds up over time (see
// counterFunc), and over every window for a threshold SLI, whose records
// count evaluations; else the ratio of the raw rates over the window.
func (b touchpoint) errorRatioExpr(sli, window string, long bool) (string, error) {
	failures, attempts := series.TouchpointFailures+b.recordSelector(sli), series.TouchpointAttempts+b.recordSelector(sli)
	if window == series.RateWindow {
		return fmt.Sprintf("%s / %s", failures, attempts), nil
	}
	if long && (sli == series.SLIProbe || b.metric.additive) || sli == series.SLIMetric && b.metric.timeSlices {
		return fmt.Sprintf("sum_over_time(%s[%s]) / sum_over_time(%s[%s])", failures, window, attempts, window), nil
	}
	bad, total, good, err := b.rates(sli, window)
	if err != nil {
		return "", err
	}
	// "or 0 * total": see rateRecords.
	ratio := fmt.Sprintf("(%s or 0 * %s) / %s", bad, total, total)
	if good {
		return fmt.Sprintf("1 - (%s)", ratio), nil
	}
	return ratio, nil
}

func (b touchpoint) recordLabels(sli string) map[string]string {
	labels := b.Labels()
	labels["sli"] = sli
	labels["criticality"] = string(b.Criticality())
	return labels
}

// alertLabels are the labels of the touchpoint's alerts, as template
// text: Prometheus expands alert label values like annotations.
func (b touchpoint) alertLabels(sli, severity string) map[string]string {
	labels := map[string]string{}
	for k, v := range b.Monitor.Spec.Alerting.Labels {
		labels[k] = v
	}
	for k, v := range b.Labels() {
		labels[k] = v
	}
	labels["team"] = b.Team()
	labels["severity"] = severity
	labels["sli"] = sli
	return templateLabels(labels)
}

func (b touchpoint) burnRateRules(sli string, budget float64, windows journey.Windows) []monitoringv1.Rule {
	var rules []monitoringv1.Rule
	for _, page := range []bool{true, false} {
		var conditions, longWindows []string
		hold, fastest := "", 0.0
		for _, tier := range windows.Tiers {
			if tier.Page != page {
				continue
			}
			if !slices.Contains(longWindows, tier.Long) {
				longWindows = append(longWindows, tier.Long)
			}
			fastest = max(fastest, tier.Factor)
			threshold := formatFloat(tier.Factor * budget)
			conditions = append(conditions, fmt.Sprintf("(%s%s%s > %s and %s%s%s > %s)",
				series.TouchpointErrors, tier.Long, b.recordSelector(sli), threshold,
				series.TouchpointErrors, tier.Short, b.recordSelector(sli), threshold))
			hold = tier.For
		}
		rule := monitoringv1.Rule{
			Alert: series.ErrorBudgetBurnAlert,
			Expr:  intstr.FromString(strings.Join(conditions, " or ")),
		}
		if hold != "" {
			rule.For = ptrDuration(hold)
		}
		// $value is the long-window error ratio of the first tier that fires.
		detail := fmt.Sprintf("at this rate its whole %s error budget is gone in %s; {{ $value | humanizePercentage }} of attempts failed over the last %s.",
			windows.Objective, windows.ExhaustedAfter(fastest), strings.Join(longWindows, " or "))
		if page {
			rule.Labels = b.alertLabels(sli, b.PageSeverity())
			rule.Annotations = b.annotations(series.ErrorBudgetBurnAlert, "fails customers fast", "burns its error budget fast: "+detail)
		} else {
			rule.Labels = b.alertLabels(sli, b.TicketSeverity())
			rule.Annotations = b.annotations(series.ErrorBudgetBurnAlert, "fails customers more often than its objective allows", "burns its error budget faster than it can afford: "+detail)
		}
		rules = append(rules, rule)
	}
	return rules
}

func (b touchpoint) absentRule(sli string) monitoringv1.Rule {
	expr := fmt.Sprintf("absent(%s%s)", series.ProbeTotal, b.probeSelector(""))
	detail := "has no probe results: journey-probe reports no runs, so nobody would notice if customers were stuck here."
	if sli == series.SLIMetric {
		// The attempt record is the total query over 5m, evaluated in this
		// group just before: absent exactly when the query is empty.
		expr = fmt.Sprintf("absent(%s%s)", series.TouchpointAttempts, b.recordSelector(sli))
		detail = "has no metrics: its own request metrics are missing, so nobody would notice if customers were stuck here."
	}
	return monitoringv1.Rule{
		Alert:       series.TelemetryAbsentAlert,
		Expr:        intstr.FromString(expr),
		For:         ptrDuration(absentFor),
		Labels:      b.alertLabels(sli, b.TicketSeverity()),
		Annotations: b.annotations(series.TelemetryAbsentAlert, "is not watched: its telemetry is missing", detail),
	}
}

// maintenanceRule fires while the collector reports the touchpoint in a
// maintenance window. It is no page: its severity is "none", the routing
// sends it nowhere, and it inhibits the touchpoint's other alerts and its
// stage's JourneyStageDegraded (see Inhibitions). The collector decides,
// from the same windows that pause the probe, so alerts are muted exactly
// while the probe is paused, with or without an AlertmanagerConfig.
func (b touchpoint) maintenanceRule() monitoringv1.Rule {
	return monitoringv1.Rule{
		Alert:  series.MaintenanceAlert,
		Expr:   intstr.FromString(fmt.Sprintf("max by (namespace, journey, stage, touchpoint) (%s%s) == 1", series.Maintenance, b.probeSelector(""))),
		Labels: b.alertLabels(series.SLIProbe, maintenanceSeverity),
		Annotations: b.annotations(series.MaintenanceAlert, "is in a maintenance window",
			"is in a maintenance window: its probe is paused, the minutes spend no error budget, and its alerts are held back until the window ends."),
	}
}

// maintenanceSeverity marks an alert that exists only to inhibit others.
const maintenanceSeverity = "none"

// latencyRules record and alert on the effective latency objective, whose
// percent journey.TouchpointBinding.Latency has defaulted.
func (b touchpoint) latencyRules(latency *cxv1alpha1.LatencyObjective, alerting bool) []monitoringv1.Rule {
	percent := latency.Percent
	quantile := percentToRatio(percent)
	labels := b.recordLabels(series.SLIProbe)
	labels["quantile"] = quantile
	rules := []monitoringv1.Rule{{
		Record: series.TouchpointLatency,
		Expr: intstr.FromString(fmt.Sprintf("histogram_quantile(%s, sum by (le) (rate(%s_bucket%s[5m])))",
			quantile, series.ProbeDuration, b.probeSelector(""))),
		Labels: labels,
	}}
	if !alerting {
		return rules
	}
	threshold := formatFloat(latency.Threshold.Seconds())
	return append(rules, monitoringv1.Rule{
		Alert: series.LatencyHighAlert,
		Expr: intstr.FromString(fmt.Sprintf("%s{namespace=%q, journey=%q, touchpoint=%q} > %s",
			series.TouchpointLatency, b.Monitor.Namespace, b.Map.Name, b.Touchpoint.Name, threshold)),
		For:    ptrDuration(latencyFor),
		Labels: b.alertLabels(series.SLIProbe, b.TicketSeverity()),
		Annotations: b.annotations(series.LatencyHighAlert, "is slow",
			fmt.Sprintf("is slow: %s%% of runs take up to {{ $value | humanizeDuration }}, above the %s objective.", templateText(percent), latency.Threshold.Duration)),
	})
}

// annotations say what a failure means for the customer, in the map's own
// words, so the person paged knows who is hurt and why it matters. summary
// and detail are ours and may use Prometheus templates; every text from
// the objects passes through templateText.
func (b touchpoint) annotations(alert, summary, detail string) map[string]string {
	touchpoint := templateText(displayOr(b.Touchpoint.DisplayName, b.Touchpoint.Name))
	stage := templateText(displayOr(b.Stage.DisplayName, b.Stage.Name))
	impact := fmt.Sprintf("Persona %s is in stage \"%s\" of journey %s/%s",
		templateText(b.Map.Spec.PersonaRef.Name), stage, templateText(b.Monitor.Namespace), templateText(b.Map.Name))
	if b.Stage.CustomerGoal != "" {
		impact += ", trying to: " + templateText(b.Stage.CustomerGoal)
	}
	impact += fmt.Sprintf(". Emotion here is already %+d on a -2..+2 scale", b.Stage.Emotion)
	if len(b.Stage.PainPoints) > 0 {
		impact += "; known pain points: " + templateText(strings.Join(b.Stage.PainPoints, "; "))
	}
	if b.Touchpoint.MomentOfTruth {
		impact += ". This is a moment of truth: customers decide here whether to go on with us"
	}
	impact += "."
	annotations := map[string]string{
		"summary":         fmt.Sprintf("%s (%s, stage %s) %s", touchpoint, templateText(string(b.Touchpoint.Channel)), stage, summary),
		"description":     fmt.Sprintf("%s %s %s", touchpoint, detail, impact),
		"customer_impact": impact,
	}
	annotations["runbook_url"] = runbookURL(alert)
	if b.Monitor.Spec.Alerting.RunbookURL != "" {
		annotations["runbook_url"] = templateText(b.Monitor.Spec.Alerting.RunbookURL)
	}
	return annotations
}

// DefaultRunbookURL is where alerts without a runbook of their own link to:
// the README's section on the operator's alerts, which has an entry per
// alert name.
const DefaultRunbookURL = "https://github.com/journeymap/journey-operator/blob/main/README.md"

// runbookURL is the default runbook of an alert: its entry in the README.
func runbookURL(alert string) string {
	return DefaultRunbookURL + "#" + strings.ToLower(alert)
}

// templateText makes text from the objects safe in a Prometheus template
// position: an alert annotation or label value, both of which Prometheus
// expands with text/template. Text with a "{" becomes a template action
// printing it as a Go string literal, {{ "..." }}, which expands to exactly
// the original characters, quotes, backslashes, newlines and "{{" included;
// the text/template lexer reads the quoted literal to its closing quote,
// so no "}}" inside can end the action early. Text without a "{" is kept
// as it is, so rule files stay readable: an action only starts at "{{",
// and such text can form none, neither alone nor joined to our own
// templates or to other escaped text (which never start or end with a
// lone "{"). Replacing "{{" by "{ {" would change what the alert says.
func templateText(s string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	return "{{ " + strconv.Quote(s) + " }}"
}

// templateLabels escapes the values of alert labels with templateText.
// Recording rule labels are not expanded and keep their values as they are.
func templateLabels(labels map[string]string) map[string]string {
	escaped := make(map[string]string, len(labels))
	for k, v := range labels {
		escaped[k] = templateText(v)
	}
	return escaped
}

func displayOr(display, name string) string {
	if display != "" {
		return display
	}
	return name
}

func percentToRatio(percent string) string {
	v, err := strconv.ParseFloat(percent, 64)
	if err != nil {
		v, _ = strconv.ParseFloat(journey.DefaultLatencyPercent, 64)
	}
	return formatFloat(v / 100)
}

// formatFloat prints a threshold without float noise (0.072, not
// 0.07200000000000001), so rules are stable across renders.
func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func ptrDuration(d string) *monitoringv1.Duration {
	duration := monitoringv1.Duration(d)
	return &duration
}
