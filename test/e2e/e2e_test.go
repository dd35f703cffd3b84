// Package e2e runs the whole loop on one machine — control plane, operator,
// real Prometheus, journey-probe processes, the demo shop — breaks a
// touchpoint and watches the journey's status follow, then heals it.
package e2e

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr"
	ctrl "sigs.k8s.io/controller-runtime"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/demoshop"
	"github.com/journeymap/journey-operator/internal/localstack"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// The journey under test, with windows and intervals shortened through the
// API: a one-hour objective window scales the burn-rate windows down to
// minutes, and probes run every five seconds.
const journey = `
apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: Persona
metadata: {name: startup-cmo, namespace: shop}
spec: {displayName: "Paige, startup CMO"}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata: {name: trial, namespace: shop}
spec:
  personaRef: {name: startup-cmo}
  goal: Start a trial without talking to sales
  owner: growth
  stages:
    - name: consideration
      customerGoal: Compare prices
      emotion: 0
      touchpoints:
        - {name: pricing-page, channel: web, criticality: High, momentOfTruth: true}
    - name: purchase
      customerGoal: Start a trial
      emotion: 1
      touchpoints:
        - {name: signup, channel: web, criticality: Critical, momentOfTruth: true}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: pricing-page, namespace: shop}
spec:
  journeyMapRef: {name: trial}
  touchpoint: pricing-page
  probe:
    interval: 5s
    timeout: 3s
    http: {url: "SHOP/pricing", expectedStatus: [200], bodyContains: [Starter]}
  objectives: {availability: "99.5", window: 1h}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: trial-signup, namespace: shop}
spec:
  journeyMapRef: {name: trial}
  touchpoint: signup
  probe:
    interval: 5s
    timeout: 3s
    flow:
      steps:
        - name: open-form
          url: SHOP/signup
          capture: [{name: csrf, from: Regex, expression: 'name="csrf" value="([^"]+)"'}]
        - name: create-account
          url: SHOP/api/trials
          method: POST
          headers: [{name: X-CSRF-Token, value: "${csrf}"}]
          expectedStatus: [201]
          json: [{path: trial.status, equals: active}]
          capture: [{name: trialID, from: JSONPath, expression: trial.id}]
        - name: first-login
          url: SHOP/trials/${trialID}/welcome
          bodyContains: [first campaign]
  objectives: {availability: "99.9", window: 1h}
`

// The loop's intervals; probeInterval is the monitors' spec.probe.interval.
const (
	scrapeInterval = 2 * time.Second
	healthInterval = 2 * time.Second
	probeInterval  = 5 * time.Second
)

func TestTouchpointBreaksAndRecovers(t *testing.T) {
	started := time.Now()
	stack := startStack(t, localstack.Options{})
	c := stack.Env.Client
	apply(t, c, strings.ReplaceAll(journey, "SHOP", stack.ShopURL))

	t.Log("waiting for the journey to be provisioned, scraped and judged Healthy")
	for _, m := range []string{"pricing-page", "trial-signup"} {
		waitFor(t, c, 4*time.Minute, "monitor "+m+" Healthy with telemetry", func() error {
			mon, err := monitor(c, m)
			if err != nil {
				return err
			}
			if err := hasCondition(mon.Status.Conditions, cxv1alpha1.TelemetryBoundCondition, "True"); err != nil {
				return err
			}
			if mon.Status.Health != cxv1alpha1.HealthHealthy {
				return fmt.Errorf("health %s, firing %v", mon.Status.Health, mon.Status.FiringAlerts)
			}
			return nil
		})
	}
	waitFor(t, c, time.Minute, "map Healthy with a success ratio", func() error {
		m, err := journeyMap(c)
		if err != nil {
			return err
		}
		if m.Status.Health != cxv1alpha1.HealthHealthy || m.Status.SuccessRatio == "" {
			return fmt.Errorf("map health %s, success ratio %q", m.Status.Health, m.Status.SuccessRatio)
		}
		return nil
	})

	ready := time.Since(started)

	if err := stack.Shop.Break(demoshop.PricingPage, demoshop.FaultDown); err != nil {
		t.Fatal(err)
	}
	broken := time.Now()
	waitFor(t, c, 3*time.Minute, "pricing page Critical", func() error {
		mon, err := monitor(c, "pricing-page")
		if err != nil {
			return err
		}
		if mon.Status.Health != cxv1alpha1.HealthCritical {
			return fmt.Errorf("health %s", mon.Status.Health)
		}
		return nil
	})
	detected := time.Since(broken)
	waitFor(t, c, 3*time.Minute, "page alert firing in status", func() error {
		mon, err := monitor(c, "pricing-page")
		if err != nil {
			return err
		}
		for _, a := range mon.Status.FiringAlerts {
			if a.Name == "JourneyTouchpointErrorBudgetBurn" && a.Severity == "critical" && a.Since != nil {
				return nil
			}
		}
		return fmt.Errorf("firing alerts %+v", mon.Status.FiringAlerts)
	})
	alerted := time.Since(broken)
	waitFor(t, c, time.Minute, "stage and map health drop", func() error {
		m, err := journeyMap(c)
		if err != nil {
			return err
		}
		if m.Status.Health != cxv1alpha1.HealthCritical || m.Status.WeakestStage != "consideration" || m.Status.FiringAlerts == 0 {
			return fmt.Errorf("map health %s, weakest %q, alerts %d", m.Status.Health, m.Status.WeakestStage, m.Status.FiringAlerts)
		}
		if m.Status.Stages[0].Health != cxv1alpha1.HealthCritical || m.Status.Stages[1].Health != cxv1alpha1.HealthHealthy {
			return fmt.Errorf("stages %+v", m.Status.Stages)
		}
		return nil
	})
	// The sign-up touchpoint is untouched by the pricing page's outage.
	if mon, err := monitor(c, "trial-signup"); err != nil || mon.Status.Health != cxv1alpha1.HealthHealthy {
		t.Errorf("sign-up is %v (%v) while only the pricing page is down", mon.Status.Health, err)
	}

	if err := stack.Shop.Break(demoshop.PricingPage, demoshop.FaultNone); err != nil {
		t.Fatal(err)
	}
	healed := time.Now()
	// Health says what customers see now: the probe's next good result
	// takes the touchpoint out of Critical, while the page alert, whose
	// windows still hold the outage, may fire on. Two probe intervals,
	// plus a scrape and a health cycle for the result to travel.
	waitFor(t, c, 2*probeInterval+scrapeInterval+healthInterval+time.Second, "pricing page out of Critical within two probe intervals", func() error {
		mon, err := monitor(c, "pricing-page")
		if err != nil {
			return err
		}
		if mon.Status.Health != cxv1alpha1.HealthDegraded && mon.Status.Health != cxv1alpha1.HealthHealthy {
			return fmt.Errorf("health %s", mon.Status.Health)
		}
		return nil
	})
	leftCritical := time.Since(healed)
	if mon, err := monitor(c, "pricing-page"); err == nil {
		t.Logf("after recovery: %s, firing %d alert(s), %s", mon.Status.Health, len(mon.Status.FiringAlerts), telemetryMessage(mon))
	}
	// The outage overspent the one-hour budget, so the touchpoint recovers
	// to Degraded, not Healthy, until the window forgets it; its alerts
	// resolve once the short windows do.
	waitFor(t, c, 5*time.Minute, "pricing page out of Critical with every alert resolved", func() error {
		mon, err := monitor(c, "pricing-page")
		if err != nil {
			return err
		}
		if mon.Status.Health != cxv1alpha1.HealthDegraded || len(mon.Status.FiringAlerts) > 0 {
			return fmt.Errorf("health %s, firing %+v, budget %+v", mon.Status.Health, mon.Status.FiringAlerts, mon.Status.SLI)
		}
		if mon.Status.SLI == nil || !strings.HasPrefix(mon.Status.SLI.ErrorBudgetRemaining, "-") {
			return fmt.Errorf("the overspent budget does not show: %+v", mon.Status.SLI)
		}
		return nil
	})
	recovered := time.Since(healed)
	waitFor(t, c, time.Minute, "map out of Critical", func() error {
		m, err := journeyMap(c)
		if err != nil {
			return err
		}
		if m.Status.Health != cxv1alpha1.HealthDegraded || m.Status.FiringAlerts != 0 {
			return fmt.Errorf("map health %s, alerts %d", m.Status.Health, m.Status.FiringAlerts)
		}
		return nil
	})
	report := fmt.Sprintf("start-up to Healthy: %s; detection (fault → Critical): %s; page alert firing in status: %s; heal → out of Critical: %s; recovery (heal → alerts resolved): %s",
		ready.Round(time.Second), detected.Round(time.Second), alerted.Round(time.Second), leftCritical.Round(time.Second), recovered.Round(time.Second))
	t.Log(report)
	if path := os.Getenv("E2E_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// startStack starts the whole loop with the e2e intervals, stopped when
// the test ends.
func startStack(t *testing.T, opts localstack.Options) *localstack.Stack {
	t.Helper()
	ctrl.SetLogger(logr.Discard())
	opts.WorkDir, opts.ScrapeInterval, opts.HealthInterval = t.TempDir(), scrapeInterval, healthInterval
	stack, err := localstack.Start(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stack.Stop(); err != nil {
			t.Errorf("stopping the stack: %v", err)
		}
	})
	return stack
}

func apply(t *testing.T, c client.Client, manifest string) {
	t.Helper()
	for _, doc := range strings.Split(manifest, "\n---\n") {
		obj := &unstructured.Unstructured{}
		if err := yaml.Unmarshal([]byte(doc), &obj.Object); err != nil {
			t.Fatal(err)
		}
		if err := c.Create(context.Background(), obj); err != nil {
			t.Fatalf("creating %s %s: %v", obj.GetKind(), obj.GetName(), err)
		}
	}
}

func monitor(c client.Client, name string) (*cxv1alpha1.TouchpointMonitor, error) {
	m := &cxv1alpha1.TouchpointMonitor{}
	return m, c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: name}, m)
}

func journeyMap(c client.Client) (*cxv1alpha1.JourneyMap, error) {
	m := &cxv1alpha1.JourneyMap{}
	return m, c.Get(context.Background(), client.ObjectKey{Namespace: "shop", Name: "trial"}, m)
}

func telemetryMessage(m *cxv1alpha1.TouchpointMonitor) string {
	for _, c := range m.Status.Conditions {
		if c.Type == cxv1alpha1.TelemetryBoundCondition {
			return c.Message
		}
	}
	return "no TelemetryBound condition"
}

func hasCondition(conditions []metav1.Condition, conditionType, status string) error {
	for _, c := range conditions {
		if c.Type == conditionType {
			if string(c.Status) != status {
				return fmt.Errorf("%s is %s: %s", conditionType, c.Status, c.Message)
			}
			return nil
		}
	}
	return fmt.Errorf("no %s condition", conditionType)
}

// waitFor polls check; the deadlines are generous because the test asserts
// what happens, and reports how fast, rather than failing on a busy machine.
func waitFor(t *testing.T, _ client.Client, timeout time.Duration, what string, check func() error) {
	t.Helper()
	testenv.Eventually(t, timeout, func() error {
		if err := check(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	})
}
