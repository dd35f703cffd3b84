package controller

import (
	"fmt"
	"strings"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/journey"
)

// monitorConditions are the specific conditions Ready summarizes, in the
// order their failures are reported.
var monitorConditions = []string{cxv1alpha1.TouchpointResolvedCondition, cxv1alpha1.SecretsResolvedCondition, cxv1alpha1.RulesReadyCondition}

func monitorStatus(m *cxv1alpha1.TouchpointMonitor) any { return m.Status }

func setTouchpointUnresolved(m *cxv1alpha1.TouchpointMonitor, reason, message string) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.TouchpointResolvedCondition, metav1.ConditionFalse, reason, message)
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.RulesReadyCondition, metav1.ConditionFalse, reason, "no rules while the touchpoint is not resolved")
	meta.RemoveStatusCondition(&m.Status.Conditions, cxv1alpha1.StalledCondition)
	m.Status.Stage = ""
	m.Status.Health = cxv1alpha1.HealthUnknown
}

func setTouchpointResolved(m *cxv1alpha1.TouchpointMonitor, stage string) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.TouchpointResolvedCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason,
		"bound to touchpoint "+m.Spec.Touchpoint+" in stage "+stage+" of JourneyMap "+m.Spec.JourneyMapRef.Name)
	m.Status.Stage = stage
}

func setStalled(m *cxv1alpha1.TouchpointMonitor, message string) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.StalledCondition, metav1.ConditionTrue, cxv1alpha1.InvalidSpecReason, message)
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.RulesReadyCondition, metav1.ConditionFalse, cxv1alpha1.InvalidSpecReason, "no rules for an invalid spec")
	m.Status.Health = cxv1alpha1.HealthUnknown
}

func clearStalled(m *cxv1alpha1.TouchpointMonitor) {
	meta.RemoveStatusCondition(&m.Status.Conditions, cxv1alpha1.StalledCondition)
}

func setSecretsMissing(m *cxv1alpha1.TouchpointMonitor, missing []journey.SecretUse) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.SecretsResolvedCondition, metav1.ConditionFalse, cxv1alpha1.SecretNotFoundReason,
		fmt.Sprintf("%s, which does not exist in namespace %q; the probe is left out of the collector until it is created",
			describeMissingSecrets(missing), m.Namespace))
}

func setSecretsResolved(m *cxv1alpha1.TouchpointMonitor, uses int) {
	message := "the probe reads no Secret"
	if uses > 0 {
		message = "every Secret the probe reads exists"
	}
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.SecretsResolvedCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason, message)
}

// setLiteralCredentials warns, in a negative-polarity condition that Ready
// does not summarize, of credentials written into the probe; the condition
// goes once there are none.
func setLiteralCredentials(m *cxv1alpha1.TouchpointMonitor, warnings []string) {
	if len(warnings) == 0 {
		meta.RemoveStatusCondition(&m.Status.Conditions, cxv1alpha1.LiteralCredentialsCondition)
		return
	}
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.LiteralCredentialsCondition, metav1.ConditionTrue, cxv1alpha1.LiteralCredentialReason,
		"spec.probe."+strings.Join(warnings, "; spec.probe."))
}

func setRulesFailed(m *cxv1alpha1.TouchpointMonitor, err error) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.RulesReadyCondition, metav1.ConditionFalse, cxv1alpha1.ApplyFailedReason, err.Error())
}

func setRulesApplied(m *cxv1alpha1.TouchpointMonitor, kind cxv1alpha1.RulesKind, name string) {
	m.Status.Rules = setRulesReady(&m.Status.Conditions, m.Generation, kind, name, "rules")
}

// summarizeMonitor sets Ready, the default health, and observedGeneration
// once the reconcile got through without a transient error.
func summarizeMonitor(m *cxv1alpha1.TouchpointMonitor, reconcileErr error) {
	if m.Status.Health == "" {
		m.Status.Health = cxv1alpha1.HealthUnknown
	}
	summarizeReady(&m.Status.Conditions, m.Generation, monitorConditions...)
	if reconcileErr == nil || isTerminal(reconcileErr) {
		m.Status.ObservedGeneration = m.Generation
	}
}

// setVerdict writes what the poller's latest snapshot showed, judged and
// quantised, with the reason for the health in TelemetryBound's message.
// since of each alert comes from Prometheus, so it does not tick between
// cycles.
func setVerdict(m *cxv1alpha1.TouchpointMonitor, v health.Verdict, alerts []health.Alert) {
	if !v.HasData {
		setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.TelemetryBoundCondition, metav1.ConditionFalse, cxv1alpha1.NoDataReason,
			"the rules are loaded but Prometheus has no SLI series for this touchpoint: check that the collector, or the metric SLI's series, are scraped")
		m.Status.Health = cxv1alpha1.HealthUnknown
		m.Status.FiringAlerts = nil
		return
	}
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.TelemetryBoundCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason,
		fmt.Sprintf("Prometheus holds SLI series for this touchpoint; %s: %s", v.Health, v.Reason))
	m.Status.Health = v.Health
	sli := v.SLI
	m.Status.SLI = &sli
	m.Status.FiringAlerts = nil
	// Alerts come sorted; past the schema's bound the rest are left out.
	for _, a := range alerts[:min(len(alerts), maxFiringAlerts)] {
		since := metav1.NewTime(a.Since)
		m.Status.FiringAlerts = append(m.Status.FiringAlerts, cxv1alpha1.FiringAlert{Name: a.Name, Severity: a.Severity, Since: &since})
	}
}

// setPrometheusUnreachable says why Prometheus could not be asked, in the
// poller's stable words, and keeps the last SLI values and alerts: a
// monitoring outage is not a customer outage, and erasing them would hide
// the last known state.
func setPrometheusUnreachable(m *cxv1alpha1.TouchpointMonitor, reason string) {
	setCondition(&m.Status.Conditions, m.Generation, cxv1alpha1.TelemetryBoundCondition, metav1.ConditionUnknown, cxv1alpha1.PrometheusUnreachableReason,
		"Prometheus "+reason+"; health is Unknown and the last SLI values are kept until it answers")
	m.Status.Health = cxv1alpha1.HealthUnknown
}
