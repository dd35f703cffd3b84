package mapview

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// sample reads one of config/samples into obj.
func sample(t testing.TB, file string, obj any) {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("..", "..", "config", "samples", file))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, obj); err != nil {
		t.Fatal(err)
	}
}

// businessPhone is the business-phone sample as the operator would show
// it with the admin portal failing: one monitor Critical with a page alert,
// the rest Healthy, one without telemetry.
func businessPhone(t testing.TB) Input {
	var jm cxv1alpha1.JourneyMap
	var persona cxv1alpha1.Persona
	sample(t, "cx_v1alpha1_journeymap_business-phone.yaml", &jm)
	sample(t, "cx_v1alpha1_persona_office-it-lead.yaml", &persona)
	jm.Namespace, persona.Namespace = "default", "default"
	since := metav1.NewTime(time.Date(2026, 12, 6, 5, 12, 0, 0, time.UTC))
	var monitors []cxv1alpha1.TouchpointMonitor
	for _, name := range []string{"admin-portal", "porting-api", "sip-gateway"} {
		var m cxv1alpha1.TouchpointMonitor
		sample(t, "cx_v1alpha1_touchpointmonitor_"+name+".yaml", &m)
		m.Namespace = "default"
		monitors = append(monitors, m)
	}
	monitors[0].Status = cxv1alpha1.TouchpointMonitorStatus{
		Health:       cxv1alpha1.HealthCritical,
		SLI:          &cxv1alpha1.SLIStatus{Availability: "98.70", ErrorBudgetRemaining: "-1200"},
		FiringAlerts: []cxv1alpha1.FiringAlert{{Name: "JourneyTouchpointErrorBudgetBurn", Severity: "critical", Since: &since}},
		Conditions: []metav1.Condition{
			{Type: cxv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: "Succeeded"},
			{Type: cxv1alpha1.TelemetryBoundCondition, Status: metav1.ConditionTrue, Reason: "Succeeded", Message: "Prometheus holds SLI series for this touchpoint; Critical: failing now: the probe's last result failed"},
		},
	}
	monitors[1].Status = cxv1alpha1.TouchpointMonitorStatus{Health: cxv1alpha1.HealthHealthy, SLI: &cxv1alpha1.SLIStatus{Availability: "99.99", ErrorBudgetRemaining: "93"}}
	monitors[2].Status = cxv1alpha1.TouchpointMonitorStatus{Health: cxv1alpha1.HealthUnknown, Conditions: []metav1.Condition{
		{Type: cxv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: "SecretNotFound", Message: "Secret voice-internal-ca does not exist"},
	}}
	jm.Status = cxv1alpha1.JourneyMapStatus{
		Health: cxv1alpha1.HealthCritical, Score: ptr.To[int32](40), SuccessRatio: "0.9870", WeakestStage: "onboarding", FiringAlerts: 1,
		Coverage: &cxv1alpha1.Coverage{MonitoredTouchpoints: 3, TotalTouchpoints: 13, UnmonitoredMomentsOfTruth: []string{"product-site", "support-line"}},
		Stages: []cxv1alpha1.StageStatus{
			{Name: "onboarding", Health: cxv1alpha1.HealthCritical, Score: ptr.To[int32](0), MonitoredTouchpoints: 2, TotalTouchpoints: 2, FiringAlerts: 1},
			{Name: "usage", Health: cxv1alpha1.HealthUnknown, MonitoredTouchpoints: 1, TotalTouchpoints: 2},
		},
	}
	return Input{Map: &jm, Persona: &persona, Monitors: monitors}
}

// marketing is the marketing-automation sample drawn offline.
func marketing(t testing.TB) Input {
	var jm cxv1alpha1.JourneyMap
	var persona cxv1alpha1.Persona
	sample(t, "cx_v1alpha1_journeymap_marketing-automation.yaml", &jm)
	sample(t, "cx_v1alpha1_persona_startup-cmo.yaml", &persona)
	var monitors []cxv1alpha1.TouchpointMonitor
	for _, name := range []string{"checkout", "pricing-page", "signup", "contacts-api"} {
		var m cxv1alpha1.TouchpointMonitor
		sample(t, "cx_v1alpha1_touchpointmonitor_"+name+".yaml", &m)
		monitors = append(monitors, m)
	}
	return Input{Map: &jm, Persona: &persona, Monitors: monitors, Offline: true}
}

// Hostile is markup in every free-text field: drawn, it must show as text.
const Hostile = `<script>window.pwned=1</script><img src=x onerror="window.pwned=1">`

// hostile is a map that breaks every assumption a drawing could make: no
// persona, markup in every free text, very long names, unicode and
// right-to-left text, a monitor of a touchpoint the map does not have and
// a touchpoint nobody monitors.
func hostile() Input {
	long := strings.Repeat("Very long name without a single break ", 8)
	jm := &cxv1alpha1.JourneyMap{
		ObjectMeta: metav1.ObjectMeta{Name: "hostile", Namespace: "default"},
		Spec: cxv1alpha1.JourneyMapSpec{
			PersonaRef: cxv1alpha1.LocalObjectReference{Name: "nobody"},
			Goal:       Hostile, Scenario: Hostile, Owner: Hostile,
			Stages: []cxv1alpha1.Stage{
				{
					Name: "s1", DisplayName: Hostile, CustomerGoal: Hostile, Actions: []string{Hostile}, Questions: []string{Hostile},
					Thoughts: []string{Hostile}, PainPoints: []string{Hostile}, Opportunities: []string{Hostile}, Emotion: -2,
					KPI: &cxv1alpha1.StageKPI{Category: cxv1alpha1.KPIActivation, Metric: Hostile},
					Touchpoints: []cxv1alpha1.Touchpoint{
						{Name: "markup", DisplayName: Hostile, Description: Hostile, Channel: "web", Owner: Hostile, MomentOfTruth: true},
						{Name: "long", DisplayName: strings.ReplaceAll(long, " ", ""), Description: long, Channel: "email"},
					},
				},
				{
					Name: "s2", DisplayName: "مرحلة الدفع — שלב התשלום", CustomerGoal: "يريد العميل أن يدفع بسرعة", Emotion: 2,
					Actions: []string{"日本語のアクション、とても長い説明文がここに入ります。改行はありません。", "emoji 🚀🔥 and combining é"},
					Touchpoints: []cxv1alpha1.Touchpoint{
						{Name: "rtl", DisplayName: "صفحة الدفع", Channel: "mobile-app", Owner: "فريق الدفع"},
					},
				},
			},
		},
	}
	since := metav1.NewTime(time.Date(2026, 12, 6, 5, 0, 0, 0, time.UTC))
	monitors := []cxv1alpha1.TouchpointMonitor{
		{
			ObjectMeta: metav1.ObjectMeta{Name: "markup", Namespace: "default"},
			Spec:       cxv1alpha1.TouchpointMonitorSpec{JourneyMapRef: cxv1alpha1.LocalObjectReference{Name: "hostile"}, Touchpoint: "markup"},
			Status: cxv1alpha1.TouchpointMonitorStatus{
				Health:       cxv1alpha1.HealthDegraded,
				FiringAlerts: []cxv1alpha1.FiringAlert{{Name: Hostile, Severity: Hostile, Since: &since}},
				Conditions:   []metav1.Condition{{Type: cxv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: "InvalidSpec", Message: Hostile}},
			},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "ghost", Namespace: "default"},
			Spec:       cxv1alpha1.TouchpointMonitorSpec{JourneyMapRef: cxv1alpha1.LocalObjectReference{Name: "hostile"}, Touchpoint: "no-such-touchpoint"},
		},
		{
			ObjectMeta: metav1.ObjectMeta{Name: "other-map", Namespace: "default"},
			Spec:       cxv1alpha1.TouchpointMonitorSpec{JourneyMapRef: cxv1alpha1.LocalObjectReference{Name: "another"}, Touchpoint: "markup"},
		},
	}
	return Input{Map: jm, Monitors: monitors}
}
