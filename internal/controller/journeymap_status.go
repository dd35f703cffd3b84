package controller

import (
	"fmt"
	"strconv"
	"strings"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// mapConditions are the specific conditions Ready summarizes, in the order
// their failures are reported.
var mapConditions = []string{cxv1alpha1.PersonaResolvedCondition, cxv1alpha1.CollectorReadyCondition, cxv1alpha1.RulesReadyCondition}

func mapStatus(m *cxv1alpha1.JourneyMap) any { return m.Status }

func setPersonaMissing(m *cxv1alpha1.JourneyMap) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.PersonaResolvedCondition, metav1.ConditionFalse, cxv1alpha1.PersonaNotFoundReason,
		fmt.Sprintf("Persona %q does not exist in namespace %q; the map is monitored meanwhile and resolves it as soon as it is created", m.Spec.PersonaRef.Name, m.Namespace))
}

func setPersonaResolved(m *cxv1alpha1.JourneyMap, p *cxv1alpha1.Persona) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.PersonaResolvedCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason,
		fmt.Sprintf("walked by persona %s (%s)", p.Name, p.Spec.DisplayName))
}

func setCollectorFailed(m *cxv1alpha1.JourneyMap, err error) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.CollectorReadyCondition, metav1.ConditionFalse, cxv1alpha1.ApplyFailedReason, err.Error())
}

// setCollectorTooLarge says the collector runs, without the probes that did
// not fit: the map cannot be Ready while some of its probes never run.
func setCollectorTooLarge(m *cxv1alpha1.JourneyMap, probes int, leftOut []string) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.CollectorReadyCondition, metav1.ConditionFalse, cxv1alpha1.CollectorConfigTooLargeReason,
		fmt.Sprintf("collector %s runs %d probe(s); %s", render.CollectorName(m.Name), probes, describeLeftOut(leftOut)))
	recordCollector(m, probes)
}

// setCollectorReady says how many probes the collector runs and which
// monitors wait for their Secrets.
func setCollectorReady(m *cxv1alpha1.JourneyMap, probes int, waitingForSecrets []string) {
	message := fmt.Sprintf("collector %s runs %d probe(s)", render.CollectorName(m.Name), probes)
	if len(waitingForSecrets) > 0 {
		message += "; left out until their Secrets exist: " + strings.Join(waitingForSecrets, ", ")
	}
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.CollectorReadyCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason, message)
	recordCollector(m, probes)
}

func recordCollector(m *cxv1alpha1.JourneyMap, probes int) {
	name := render.CollectorName(m.Name)
	m.Status.Collector = &cxv1alpha1.CollectorStatus{ConfigMap: name, Deployment: name, Service: name, Probes: int32(probes)}
}

func setMapRulesFailed(m *cxv1alpha1.JourneyMap, err error) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.RulesReadyCondition, metav1.ConditionFalse, cxv1alpha1.ApplyFailedReason, err.Error())
}

func setMapRulesApplied(m *cxv1alpha1.JourneyMap, kind cxv1alpha1.RulesKind, name string) {
	m.Status.Rules = setRulesReady(&m.Status.Conditions, m.Generation, kind, name, "roll-up rules")
}

// setCoverage counts the monitored touchpoints and names the moments of
// truth and the stages nobody watches.
func setCoverage(m *cxv1alpha1.JourneyMap, bindings []journey.TouchpointBinding) {
	monitored := map[string]bool{}
	for _, b := range bindings {
		monitored[b.Touchpoint.Name] = true
	}
	coverage := &cxv1alpha1.Coverage{}
	for _, stage := range m.Spec.Stages {
		observed := stage.KPI != nil && stage.KPI.Query != ""
		for _, t := range stage.Touchpoints {
			coverage.TotalTouchpoints++
			switch {
			case monitored[t.Name]:
				coverage.MonitoredTouchpoints++
				observed = true
			case t.MomentOfTruth:
				coverage.UnmonitoredMomentsOfTruth = append(coverage.UnmonitoredMomentsOfTruth, t.Name)
			}
		}
		if !observed {
			coverage.UnobservedStages = append(coverage.UnobservedStages, stage.Name)
		}
	}
	coverage.Summary = fmt.Sprintf("%d/%d", coverage.MonitoredTouchpoints, coverage.TotalTouchpoints)
	m.Status.Coverage = coverage
}

// setHealth rolls the monitors' health up into the stages and the map,
// with the conversion into each stage (by stage name; see
// stageConversions): a stage whose conversion dropped is at least
// Degraded.
func setHealth(m *cxv1alpha1.JourneyMap, bindings []journey.TouchpointBinding, conversions map[string]*cxv1alpha1.StageConversion) {
	touchpoints := make([]health.Touchpoint, 0, len(bindings))
	monitoredPerStage := map[string]int32{}
	for _, b := range bindings {
		touchpoints = append(touchpoints, health.Touchpoint{
			Stage:        b.Stage.Name,
			Name:         b.Touchpoint.Name,
			Criticality:  b.Criticality(),
			Health:       b.Monitor.Status.Health,
			FiringAlerts: int32(len(b.Monitor.Status.FiringAlerts)),
		})
		monitoredPerStage[b.Stage.Name]++
	}
	names := make([]string, 0, len(m.Spec.Stages))
	for _, s := range m.Spec.Stages {
		names = append(names, s.Name)
	}
	losing := map[string]bool{}
	for stage, c := range conversions {
		losing[stage] = c.Dropped
	}
	journey := health.RollUp(names, touchpoints, losing)
	m.Status.Health = journey.Health
	m.Status.Score = journey.Score
	m.Status.WeakestStage = journey.WeakestStage
	m.Status.FiringAlerts = journey.FiringAlerts
	m.Status.Stages = make([]cxv1alpha1.StageStatus, 0, len(journey.Stages))
	for i, s := range journey.Stages {
		m.Status.Stages = append(m.Status.Stages, cxv1alpha1.StageStatus{
			Name:                 s.Name,
			Health:               s.Health,
			Score:                s.Score,
			MonitoredTouchpoints: monitoredPerStage[s.Name],
			TotalTouchpoints:     int32(len(m.Spec.Stages[i].Touchpoints)),
			FiringAlerts:         s.FiringAlerts,
			Conversion:           conversions[s.Name],
		})
	}
}

// summarizeMap sets Ready and, after a reconcile without error,
// observedGeneration.
func summarizeMap(m *cxv1alpha1.JourneyMap, reconcileErr error) {
	summarizeReady(&m.Status.Conditions, m.Generation, mapConditions...)
	if reconcileErr == nil || isTerminal(reconcileErr) {
		m.Status.ObservedGeneration = m.Generation
	}
}

// setSuccessRatio shows the chance a customer gets through the journey,
// quantised by the poller; empty while Prometheus has no series for it.
func setSuccessRatio(m *cxv1alpha1.JourneyMap, ratio string) {
	m.Status.SuccessRatio = ratio
}

// shownConversions are the conversions the map's status shows now, by
// stage: what stays while Prometheus cannot be asked.
func shownConversions(m *cxv1alpha1.JourneyMap) map[string]*cxv1alpha1.StageConversion {
	shown := map[string]*cxv1alpha1.StageConversion{}
	for _, s := range m.Status.Stages {
		if s.Conversion != nil {
			shown[s.Name] = s.Conversion
		}
	}
	return shown
}

// stageConversions turns the poller's funnel reading into what each stage
// shows, for the stages the map still has. A dropped conversion says so
// in the stage's words: "conversion Consideration → Purchase 21%,
// baseline 48%", and the KPI's floor where one is set.
func stageConversions(m *cxv1alpha1.JourneyMap, read []health.StageConversion) map[string]*cxv1alpha1.StageConversion {
	stages := map[string]*cxv1alpha1.Stage{}
	for i := range m.Spec.Stages {
		stages[m.Spec.Stages[i].Name] = &m.Spec.Stages[i]
	}
	conversions := map[string]*cxv1alpha1.StageConversion{}
	for _, c := range read {
		to, from := stages[c.Stage], stages[c.From]
		if to == nil || from == nil {
			continue
		}
		shown := &cxv1alpha1.StageConversion{From: c.From, Now: c.Now, Baseline: c.Baseline, Dropped: c.Dropped != ""}
		if shown.Dropped {
			shown.Message = fmt.Sprintf("conversion %s → %s %s", displayName(from), displayName(to), c.Dropped)
			if c.Baseline != "" {
				shown.Message += ", baseline " + c.Baseline
			}
			if floor, err := strconv.ParseFloat(kpiFloor(to), 64); err == nil {
				shown.Message += ", floor " + health.FormatConversion(&floor)
			}
		}
		conversions[c.Stage] = shown
	}
	return conversions
}

func kpiFloor(s *cxv1alpha1.Stage) string {
	if s.KPI == nil {
		return ""
	}
	return s.KPI.Floor
}

func displayName(s *cxv1alpha1.Stage) string {
	if s.DisplayName != "" {
		return s.DisplayName
	}
	return s.Name
}

// setConversion shows the conversion through the whole funnel, quantised
// by the poller; empty while Prometheus has no series for it.
func setConversion(m *cxv1alpha1.JourneyMap, conversion string) {
	m.Status.Conversion = conversion
}

// describeLeftOut explains why monitors are missing from a collector.
func describeLeftOut(leftOut []string) string {
	return fmt.Sprintf("the probes of this map exceed the %d KiB one collector ConfigMap holds; left out, largest first: %s; shrink their bodies or assertions, or move some touchpoints to another map",
		render.MaxCollectorConfig>>10, strings.Join(leftOut, ", "))
}

func setAlertRoutingFailed(m *cxv1alpha1.JourneyMap, err error) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.AlertsRoutedCondition, metav1.ConditionFalse, cxv1alpha1.ApplyFailedReason, err.Error())
}

// setAlertsRouted says whether the map's routes are in the namespace's
// AlertmanagerConfig; problems are the routes left out and why, in a
// stable order.
func setAlertsRouted(m *cxv1alpha1.JourneyMap, problems []string) {
	if len(problems) > 0 {
		setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.AlertsRoutedCondition, metav1.ConditionFalse, cxv1alpha1.ReceiverNotFoundReason,
			"alerts of these teams go to Alertmanager's default route instead: "+strings.Join(problems, "; "))
		return
	}
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.AlertsRoutedCondition, metav1.ConditionTrue, cxv1alpha1.AlertmanagerConfigAppliedReason,
		fmt.Sprintf("routes and inhibition rules are in AlertmanagerConfig %s", render.AlertmanagerConfigName))
}
