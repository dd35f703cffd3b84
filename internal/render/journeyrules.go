package render

import (
	"fmt"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"k8s.io/apimachinery/pkg/util/intstr"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/series"
)

const (
	stageDegradedFor = "10m"
	// collectorDownFor is shorter than absentFor: see collectorDownRule.
	collectorDownFor = "5m"
)

// JourneyRules is the roll-up rule set of a journey map: the success ratio
// of each stage and of the whole journey, and an alert per monitored stage
// that falls below what its touchpoints' objectives promise together.
// monitored are the map's bound monitors. With stage KPI queries it adds
// the funnel (see funnelRules), narrowed to the persona's segment; persona
// is nil while unknown.
func JourneyRules(journeyMap *cxv1alpha1.JourneyMap, persona *cxv1alpha1.Persona, monitored []journey.TouchpointBinding) (RulesObject, error) {
	sel := fmt.Sprintf(`namespace=%q, journey=%q`, journeyMap.Namespace, journeyMap.Name)
	// A touchpoint watched by a probe and a metric counts once, by its
	// worse SLI.
	perTouchpoint := func(extra string) string {
		return fmt.Sprintf("max by (namespace, journey, stage, touchpoint) (%s5m{%s%s})", series.TouchpointErrors, sel, extra)
	}
	// PromQL has no product aggregation; exp(sum(ln(x))) is one.
	product := func(by, inner string) string {
		return fmt.Sprintf("exp(sum by (%s) (ln(1 - %s)))", by, inner)
	}

	journeyScope := ""
	for _, b := range monitored {
		if b.Criticality() == cxv1alpha1.CriticalityCritical {
			journeyScope = `, criticality="Critical"`
			break
		}
	}
	labels := map[string]string{"persona": journeyMap.Spec.PersonaRef.Name}
	rules := []monitoringv1.Rule{
		{Record: series.StageSuccess, Expr: intstr.FromString(product("namespace, journey, stage", perTouchpoint(""))), Labels: labels},
		{Record: series.JourneySuccess, Expr: intstr.FromString(product("namespace, journey", perTouchpoint(journeyScope))), Labels: labels},
	}

	objectives, err := stageObjectives(monitored)
	if err != nil {
		return RulesObject{}, err
	}
	for i := range journeyMap.Spec.Stages {
		stage := &journeyMap.Spec.Stages[i]
		objective, ok := objectives[stage.Name]
		if !ok {
			continue
		}
		rules = append(rules, stageDegradedRule(journeyMap, stage, sel, objective))
	}
	funnel, err := funnelRules(journeyMap, persona, sel)
	if err != nil {
		return RulesObject{}, err
	}
	rules = append(rules, funnel...)
	if rule, ok := collectorDownRule(journeyMap, monitored, sel); ok {
		rules = append(rules, rule)
	}
	return RulesObject{
		Name:   JourneyRulesName(journeyMap.Name),
		Owner:  journeyMap,
		Labels: map[string]string{ComponentLabel: rulesComponent, JourneyLabel: labelValue(journeyMap.Name)},
		Groups: []monitoringv1.RuleGroup{{
			Name:     fmt.Sprintf("journey-rollup:%s:%s", journeyMap.Namespace, journeyMap.Name),
			Interval: ptrDuration(rollupInterval(monitored)),
			Rules:    rules,
		}},
	}, nil
}

// rollupInterval is the fast interval of the map's touchpoint groups (the
// shortest, should their objective windows differ): the roll-up reads their
// 5m error ratios, and a slower roll-up would add its own interval to the
// lag behind them. Groups run at their own phases, so the roll-up still
// trails the touchpoints by up to one interval; the README says so. A
// monitor whose objective window does not parse has no rules to follow.
func rollupInterval(monitored []journey.TouchpointBinding) string {
	interval, fastest := journey.RuleEvaluationInterval, time.Duration(0)
	for _, b := range monitored {
		w, err := journey.WindowsFor(journey.ObjectiveWindow(b.Monitor))
		if err != nil {
			continue
		}
		if d, err := model.ParseDuration(w.Interval); err == nil && (fastest == 0 || time.Duration(d) < fastest) {
			interval, fastest = w.Interval, time.Duration(d)
		}
	}
	return interval
}

// stageObjectives is, per stage, the success ratio its monitored
// touchpoints promise together: the product of their effective availability
// objectives, the same ones their burn-rate alerts are judged by.
func stageObjectives(monitored []journey.TouchpointBinding) (map[string]float64, error) {
	objectives := map[string]float64{}
	for _, b := range monitored {
		availability, err := b.Availability()
		if err != nil {
			return nil, fmt.Errorf("monitor %s: %w", b.Monitor.Name, err)
		}
		if _, ok := objectives[b.Stage.Name]; !ok {
			objectives[b.Stage.Name] = 1
		}
		objectives[b.Stage.Name] *= availability
	}
	return objectives, nil
}

// stageDegradedRule alerts when a stage's success ratio falls below its
// objective. Text from the map passes through templateText, as in the
// touchpoint alerts.
func stageDegradedRule(journeyMap *cxv1alpha1.JourneyMap, stage *cxv1alpha1.Stage, sel string, objective float64) monitoringv1.Rule {
	name := templateText(displayOr(stage.DisplayName, stage.Name))
	mapName := templateText(journeyMap.Name)
	impact := fmt.Sprintf("Persona %s gets through stage \"%s\" of journey %s/%s less often than promised",
		templateText(journeyMap.Spec.PersonaRef.Name), name, templateText(journeyMap.Namespace), mapName)
	if stage.CustomerGoal != "" {
		impact += "; customers here are trying to: " + templateText(stage.CustomerGoal)
	}
	return monitoringv1.Rule{
		Alert: series.StageDegradedAlert,
		Expr:  intstr.FromString(fmt.Sprintf("%s{%s, stage=%q} < %s", series.StageSuccess, sel, stage.Name, formatFloat(objective))),
		For:   ptrDuration(stageDegradedFor),
		Labels: templateLabels(map[string]string{
			"namespace": journeyMap.Namespace,
			"journey":   journeyMap.Name,
			"stage":     stage.Name,
			"persona":   journeyMap.Spec.PersonaRef.Name,
			"team":      journey.MapTeam(journeyMap),
			"severity":  journey.DefaultTicketSeverity,
		}),
		Annotations: map[string]string{
			"summary":         fmt.Sprintf("Stage %s of journey %s: only {{ $value | humanizePercentage }} of customers get through", name, mapName),
			"description":     fmt.Sprintf("The stage's touchpoints together promise %s; %s.", formatFloat(objective*100)+"%", impact),
			"customer_impact": impact + ".",
			"runbook_url":     runbookURL(series.StageDegradedAlert),
		},
	}
}

// collectorDownRule fires once for the whole journey when the collector
// reports nothing at all — it is down, crashing or not scraped — instead of
// a TelemetryAbsent per probed touchpoint, which it inhibits (see
// Inhibitions). It holds for less than those do, so that it fires first
// and they are inhibited from their first notification on. Returns false
// when no touchpoint of the map is probed.
func collectorDownRule(journeyMap *cxv1alpha1.JourneyMap, monitored []journey.TouchpointBinding, sel string) (monitoringv1.Rule, bool) {
	probed := probedCount(monitored)
	if probed == 0 {
		return monitoringv1.Rule{}, false
	}
	mapName := templateText(journeyMap.Name)
	return monitoringv1.Rule{
		Alert: series.CollectorDownAlert,
		Expr:  intstr.FromString(fmt.Sprintf("absent(%s{%s})", series.ProbeTotal, sel)),
		For:   ptrDuration(collectorDownFor),
		Labels: templateLabels(map[string]string{
			"namespace": journeyMap.Namespace,
			"journey":   journeyMap.Name,
			"persona":   journeyMap.Spec.PersonaRef.Name,
			"team":      journey.MapTeam(journeyMap),
			"severity":  journey.DefaultTicketSeverity,
		}),
		Annotations: map[string]string{
			"summary": fmt.Sprintf("The collector of journey %s reports nothing: %d probed touchpoint(s) are not watched", mapName, probed),
			"description": fmt.Sprintf("No probe of journey %s/%s has reported for %s: the collector %s is down, crash-looping or not scraped. Customers may be stuck and nobody would notice.",
				templateText(journeyMap.Namespace), mapName, collectorDownFor, CollectorName(journeyMap.Name)),
			"runbook_url": runbookURL(series.CollectorDownAlert),
		},
	}, true
}

// probedCount is how many of the bindings have a probe.
func probedCount(monitored []journey.TouchpointBinding) int {
	probed := 0
	for _, b := range monitored {
		if b.Monitor.Spec.Probe != nil {
			probed++
		}
	}
	return probed
}
