package controller_test

import (
	"context"
	"fmt"
	"log/slog"
	"os/exec"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/probeconfig"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestSamplesConverge applies config/samples and checks the whole product:
// rules per monitor that Prometheus accepts, a collector per map, Ready
// everywhere, coverage counted, and `kubectl get journeys` showing it.
func TestSamplesConverge(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	createSamples(t, c, ns)

	var monitors cxv1alpha1.TouchpointMonitorList
	if err := c.List(context.Background(), &monitors, client.InNamespace(ns)); err != nil || len(monitors.Items) == 0 {
		t.Fatalf("no sample monitors: %v", err)
	}
	promql := parser.NewParser(parser.Options{})
	for _, m := range monitors.Items {
		eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, m.Name) })
		got, _ := get(t, c, ns, m.Name, &cxv1alpha1.TouchpointMonitor{})
		if got.Status.Rules == nil || got.Status.Rules.Kind != cxv1alpha1.RulesKindPrometheusRule {
			t.Fatalf("monitor %s: status.rules = %+v, want a PrometheusRule", m.Name, got.Status.Rules)
		}
		rule, err := get(t, c, ns, got.Status.Rules.Name, &monitoringv1.PrometheusRule{})
		if err != nil {
			t.Fatalf("monitor %s: %v", m.Name, err)
		}
		file, err := render.RuleFile(rule.Spec.Groups)
		if err != nil {
			t.Fatal(err)
		}
		if _, errs := rulefmt.Parse(file, false, model.UTF8Validation, promql, slog.Default()); len(errs) > 0 {
			t.Errorf("monitor %s: Prometheus rejects its rules: %v", m.Name, errs)
		}
		if got.Status.Stage == "" {
			t.Errorf("monitor %s: no stage in status", m.Name)
		}
	}

	var maps cxv1alpha1.JourneyMapList
	if err := c.List(context.Background(), &maps, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, m := range maps.Items {
		eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, m.Name) })
		got, _ := get(t, c, ns, m.Name, &cxv1alpha1.JourneyMap{})
		name := render.CollectorName(m.Name)
		for _, child := range []client.Object{&corev1.ConfigMap{}, &appsv1.Deployment{}, &corev1.Service{}, &monitoringv1.ServiceMonitor{}} {
			if _, err := get(t, c, ns, name, child); err != nil {
				t.Errorf("map %s: collector %T: %v", m.Name, child, err)
			}
		}
		if _, err := get(t, c, ns, render.JourneyRulesName(m.Name), &monitoringv1.PrometheusRule{}); err != nil {
			t.Errorf("map %s: roll-up rules: %v", m.Name, err)
		}
		total, monitored := 0, 0
		for _, s := range m.Spec.Stages {
			total += len(s.Touchpoints)
		}
		for _, mon := range monitors.Items {
			if mon.Spec.JourneyMapRef.Name == m.Name {
				monitored++
			}
		}
		if want := fmt.Sprintf("%d/%d", monitored, total); got.Status.Coverage == nil || got.Status.Coverage.Summary != want {
			t.Errorf("map %s: coverage %+v, want %s", m.Name, got.Status.Coverage, want)
		}
		if len(got.Status.Stages) != len(m.Spec.Stages) {
			t.Errorf("map %s: %d stage summaries for %d stages", m.Name, len(got.Status.Stages), len(m.Spec.Stages))
		}
	}

	eventually(t, convergeTimeout, func() error {
		p, err := get(t, c, ns, "startup-cmo", &cxv1alpha1.Persona{})
		if err != nil {
			return err
		}
		if strings.Join(p.Status.JourneyMaps, ",") != "marketing-automation-trial" {
			return fmt.Errorf("persona lists maps %v", p.Status.JourneyMaps)
		}
		return conditionIs(p.Status.Conditions, cxv1alpha1.ReadyCondition, "True", "")
	})

	kubeconfig, err := env.Kubeconfig(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(env.Bin("kubectl"), "--kubeconfig", kubeconfig, "get", "journeys", "-n", ns, "-o", "wide").CombinedOutput()
	if err != nil {
		t.Fatalf("kubectl get journeys: %v\n%s", err, out)
	}
	for _, want := range []string{"persona.cx.journeymap.dev/startup-cmo", "journeymap.cx.journeymap.dev/marketing-automation-trial", "touchpointmonitor.cx.journeymap.dev/pricing-page", "COVERAGE", "4/14", "WEAKEST STAGE", "RULES"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("kubectl get journeys -o wide does not show %q:\n%s", want, out)
		}
	}
	t.Logf("kubectl get journeys -o wide:\n%s", out)
}

const persona = `
apiVersion: cx.journeymap.dev/v1alpha1
kind: Persona
metadata: {name: shopper}
spec: {displayName: Sam the shopper}
`

const journeyMap = `
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata: {name: checkout-journey}
spec:
  personaRef: {name: shopper}
  goal: Buy a gift in five minutes
  owner: shop
  stages:
    - name: browse
      touchpoints:
        - {name: catalog, channel: web, criticality: High}
    - name: purchase
      touchpoints:
        - {name: cart, channel: web, criticality: Critical, momentOfTruth: true}
        - {name: payment, channel: api, criticality: Critical, momentOfTruth: true}
`

func monitorYAML(name, touchpoint string) string {
	return fmt.Sprintf(`
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: %s}
spec:
  journeyMapRef: {name: checkout-journey}
  touchpoint: %s
  probe:
    http: {url: "http://shop.example.internal/%s"}
  objectives: {availability: "99.5"}
`, name, touchpoint, touchpoint)
}

// TestReferencesInAnyOrder creates a monitor before its map and the map
// before its persona, as a GitOps sync may, then deletes and recreates the
// persona: every missing reference is a clear condition that resolves by
// itself.
func TestReferencesInAnyOrder(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)

	create(t, c, ns, monitorYAML("cart", "cart"))
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "cart", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.TouchpointResolvedCondition, "False", cxv1alpha1.JourneyMapNotFoundReason); err != nil {
			return err
		}
		return conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "False", cxv1alpha1.JourneyMapNotFoundReason)
	})

	create(t, c, ns, journeyMap)
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart") })
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "checkout-journey", &cxv1alpha1.JourneyMap{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.PersonaResolvedCondition, "False", cxv1alpha1.PersonaNotFoundReason); err != nil {
			return err
		}
		// The collector does not wait for the persona.
		return conditionIs(m.Status.Conditions, cxv1alpha1.CollectorReadyCondition, "True", "")
	})

	create(t, c, ns, persona)
	eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, "checkout-journey") })

	p, _ := get(t, c, ns, "shopper", &cxv1alpha1.Persona{})
	if err := c.Delete(context.Background(), p); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "checkout-journey", &cxv1alpha1.JourneyMap{})
		if err != nil {
			return err
		}
		return conditionIs(m.Status.Conditions, cxv1alpha1.PersonaResolvedCondition, "False", cxv1alpha1.PersonaNotFoundReason)
	})
	create(t, c, ns, persona)
	eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, "checkout-journey") })

	// The monitor's way from waiting to working is told in events, once
	// per transition.
	eventually(t, convergeTimeout, func() error {
		var events eventsv1.EventList
		if err := c.List(context.Background(), &events, client.InNamespace(ns)); err != nil {
			return err
		}
		seen := map[string]int{}
		for _, e := range events.Items {
			if e.Regarding.Kind == "TouchpointMonitor" && e.Regarding.Name == "cart" {
				seen[e.Type+"/"+e.Reason]++
			}
		}
		if seen["Warning/"+cxv1alpha1.JourneyMapNotFoundReason] != 1 || seen["Normal/"+cxv1alpha1.SucceededReason] != 1 {
			return fmt.Errorf("events of the monitor: %v", seen)
		}
		return nil
	})
	eventually(t, convergeTimeout, func() error {
		p, err := get(t, c, ns, "shopper", &cxv1alpha1.Persona{})
		if err != nil {
			return err
		}
		if p.Status.JourneyMapCount != 1 {
			return fmt.Errorf("recreated persona counts %d maps", p.Status.JourneyMapCount)
		}
		return nil
	})
}

// TestTouchpointMistakes covers a monitor naming a touchpoint the map does
// not have, fixed by changing the map, and two monitors of one touchpoint.
func TestTouchpointMistakes(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, persona+"\n---\n"+journeyMap+"\n---\n"+monitorYAML("gift-wrap", "gift-wrap")+"\n---\n"+monitorYAML("cart", "cart"))

	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "gift-wrap", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		cond := conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "False", cxv1alpha1.TouchpointNotFoundReason)
		if cond != nil {
			return cond
		}
		ready := findCondition(m.Status.Conditions, cxv1alpha1.ReadyCondition)
		if !strings.Contains(ready.Message, `no touchpoint "gift-wrap"`) || !strings.Contains(ready.Message, "cart, catalog, payment") {
			return fmt.Errorf("message does not say what exists: %q", ready.Message)
		}
		return nil
	})
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart") })

	// A second monitor of the cart waits its turn; the first keeps working.
	time.Sleep(1100 * time.Millisecond) // creation timestamps have one-second resolution
	create(t, c, ns, monitorYAML("cart-again", "cart"))
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "cart-again", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		return conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "False", cxv1alpha1.DuplicateMonitorReason)
	})
	if err := monitorReady(t, c, ns, "cart"); err != nil {
		t.Fatalf("the first monitor of the cart lost its touchpoint: %v", err)
	}

	// Adding the touchpoint to the map resolves the first monitor.
	m, _ := get(t, c, ns, "checkout-journey", &cxv1alpha1.JourneyMap{})
	m.Spec.Stages[1].Touchpoints = append(m.Spec.Stages[1].Touchpoints, cxv1alpha1.Touchpoint{Name: "gift-wrap", Channel: cxv1alpha1.ChannelWeb})
	if err := c.Update(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "gift-wrap") })

	// Deleting the first monitor of the cart hands the touchpoint over.
	first, _ := get(t, c, ns, "cart", &cxv1alpha1.TouchpointMonitor{})
	if err := c.Delete(context.Background(), first); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart-again") })

	// So does the monitor in charge moving to another touchpoint: the
	// refused one is requeued although nothing about it changed.
	create(t, c, ns, monitorYAML("cart-third", "cart"))
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "cart-third", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		return conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "False", cxv1alpha1.DuplicateMonitorReason)
	})
	owner, _ := get(t, c, ns, "cart-again", &cxv1alpha1.TouchpointMonitor{})
	owner.Spec.Touchpoint = "payment"
	if err := c.Update(context.Background(), owner); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart-third") })
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart-again") })
}

// TestOneInvalidMonitorDegradesOnlyItself binds ten monitors to a map, one
// of them with a regular expression the collector cannot compile: that one
// is Stalled with the reason, the other nine are provisioned and Ready.
func TestOneInvalidMonitorDegradesOnlyItself(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	var stage strings.Builder
	stage.WriteString(persona + "\n---\napiVersion: cx.journeymap.dev/v1alpha1\nkind: JourneyMap\nmetadata: {name: checkout-journey}\nspec:\n  personaRef: {name: shopper}\n  goal: Ten steps\n  stages:\n    - name: all\n      touchpoints:\n")
	for i := range 10 {
		fmt.Fprintf(&stage, "        - {name: step-%d, channel: web}\n", i)
	}
	create(t, c, ns, stage.String())
	for i := range 10 {
		monitor := monitorYAML(fmt.Sprintf("step-%d", i), fmt.Sprintf("step-%d", i))
		if i == 3 {
			monitor = strings.Replace(monitor, `http: {url: "http://shop.example.internal/step-3"}`, `http: {url: "http://shop.example.internal/step-3", bodyRegex: "([a-z"}`, 1)
		}
		create(t, c, ns, monitor)
	}

	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "step-3", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.StalledCondition, "True", cxv1alpha1.InvalidSpecReason); err != nil {
			return err
		}
		if msg := findCondition(m.Status.Conditions, cxv1alpha1.ReadyCondition).Message; !strings.Contains(msg, "bodyRegex") && !strings.Contains(msg, "regex") {
			return fmt.Errorf("Ready does not say what is wrong: %q", msg)
		}
		if m.Status.ObservedGeneration != m.Generation {
			return fmt.Errorf("a terminal error still observes the generation")
		}
		return conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "False", cxv1alpha1.InvalidSpecReason)
	})
	for i := range 10 {
		if i != 3 {
			eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, fmt.Sprintf("step-%d", i)) })
		}
	}
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "checkout-journey", &cxv1alpha1.JourneyMap{})
		if err != nil {
			return err
		}
		if m.Status.Coverage == nil || m.Status.Coverage.Summary != "9/10" {
			return fmt.Errorf("coverage %+v, want 9/10", m.Status.Coverage)
		}
		cm, err := get(t, c, ns, render.CollectorName("checkout-journey"), &corev1.ConfigMap{})
		if err != nil {
			return err
		}
		config, err := probeconfig.ParseConfig([]byte(cm.Data[probeconfig.ConfigFileName]))
		if err != nil {
			return fmt.Errorf("collector config does not load: %w", err)
		}
		if len(config.Probes) != 9 {
			return fmt.Errorf("collector runs %d probes, want 9", len(config.Probes))
		}
		return mapReady(t, c, ns, "checkout-journey")
	})

	// Fixing the spec clears Stalled.
	m, _ := get(t, c, ns, "step-3", &cxv1alpha1.TouchpointMonitor{})
	m.Spec.Probe.HTTP.BodyRegex = "[a-z]+"
	if err := c.Update(context.Background(), m); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "step-3") })
}

// TestChildrenRestored deletes and hand-edits the operator's children: they
// come back as rendered, and fields other managers own stay.
func TestChildrenRestored(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, persona+"\n---\n"+journeyMap+"\n---\n"+monitorYAML("cart", "cart"))
	eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, "checkout-journey") })
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart") })
	name := render.CollectorName("checkout-journey")

	deployment, _ := get(t, c, ns, name, &appsv1.Deployment{})
	if err := c.Delete(context.Background(), deployment); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		restored, err := get(t, c, ns, name, &appsv1.Deployment{})
		if err != nil {
			return err
		}
		if restored.UID == deployment.UID {
			return fmt.Errorf("not deleted yet")
		}
		return nil
	})

	cm, _ := get(t, c, ns, name, &corev1.ConfigMap{})
	want := cm.Data[probeconfig.ConfigFileName]
	cm.Data[probeconfig.ConfigFileName] = "probes: []\n"
	cm.Labels["cost-center.example.com/owner"] = "web-platform"
	if err := c.Update(context.Background(), cm, client.FieldOwner("someone-else")); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		got, err := get(t, c, ns, name, &corev1.ConfigMap{})
		if err != nil {
			return err
		}
		if got.Data[probeconfig.ConfigFileName] != want {
			return fmt.Errorf("collector config not restored:\n%s", got.Data[probeconfig.ConfigFileName])
		}
		if got.Labels["cost-center.example.com/owner"] != "web-platform" {
			return fmt.Errorf("a label another manager owns was removed: %v", got.Labels)
		}
		return nil
	})

	rule, _ := get(t, c, ns, render.MonitorRulesName("cart"), &monitoringv1.PrometheusRule{})
	if err := c.Delete(context.Background(), rule); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		restored, err := get(t, c, ns, render.MonitorRulesName("cart"), &monitoringv1.PrometheusRule{})
		if err != nil {
			return err
		}
		if restored.UID == rule.UID {
			return fmt.Errorf("not deleted yet")
		}
		return nil
	})
}

// TestDeletingParentsRemovesChildren runs the real garbage collector of
// kube-controller-manager: owner references are what cleans up.
func TestDeletingParentsRemovesChildren(t *testing.T) {
	runControllerManager(t)
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, persona+"\n---\n"+journeyMap+"\n---\n"+monitorYAML("cart", "cart"))
	eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, "checkout-journey") })
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart") })

	journey, _ := get(t, c, ns, "checkout-journey", &cxv1alpha1.JourneyMap{})
	monitor, _ := get(t, c, ns, "cart", &cxv1alpha1.TouchpointMonitor{})
	collector := []client.Object{&corev1.ConfigMap{}, &appsv1.Deployment{}, &corev1.Service{}, &monitoringv1.ServiceMonitor{}}
	for _, child := range collector {
		got, err := get(t, c, ns, render.CollectorName(journey.Name), child)
		if err != nil {
			t.Fatal(err)
		}
		assertControlledBy(t, got, journey.UID)
	}
	rule, _ := get(t, c, ns, render.MonitorRulesName("cart"), &monitoringv1.PrometheusRule{})
	assertControlledBy(t, rule, monitor.UID)

	if err := c.Delete(context.Background(), monitor); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*convergeTimeout, func() error { return gone(t, c, ns, rule.Name, &monitoringv1.PrometheusRule{}) })
	if err := c.Delete(context.Background(), journey); err != nil {
		t.Fatal(err)
	}
	for _, child := range append(collector, &monitoringv1.PrometheusRule{}) {
		name := render.CollectorName(journey.Name)
		if _, ok := child.(*monitoringv1.PrometheusRule); ok {
			name = render.JourneyRulesName(journey.Name)
		}
		eventually(t, 2*convergeTimeout, func() error { return gone(t, c, ns, name, child) })
	}
}

func assertControlledBy(t *testing.T, obj client.Object, owner types.UID) {
	t.Helper()
	ref := metav1.GetControllerOf(obj)
	if ref == nil || ref.UID != owner || ref.BlockOwnerDeletion == nil || !*ref.BlockOwnerDeletion {
		t.Errorf("%T %s is not controlled by %s: %+v", obj, obj.GetName(), owner, obj.GetOwnerReferences())
	}
}

func gone(t *testing.T, c client.Client, ns, name string, obj client.Object) error {
	_, err := get(t, c, ns, name, obj)
	if apierrors.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("%T %s still exists (%v)", obj, name, err)
}

func findCondition(conditions []metav1.Condition, conditionType string) *metav1.Condition {
	for i := range conditions {
		if conditions[i].Type == conditionType {
			return &conditions[i]
		}
	}
	return &metav1.Condition{}
}
