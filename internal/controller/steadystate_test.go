package controller_test

import (
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql/parser"
	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// TestSteadyStateWritesNothing lets the samples converge, then counts the
// manager's write requests over two informer resyncs, each of which
// requeues every object: a converged operator must not write at all, no
// status patch, no no-op apply, no event.
func TestSteadyStateWritesNothing(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	initial := writes.Total()
	createSamples(t, c, ns)
	for _, name := range []string{"pricing-page", "trial-signup", "contacts-api", "checkout", "admin-portal", "sip-gateway", "porting-api"} {
		eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, name) })
	}
	for _, name := range []string{"marketing-automation-trial", "business-phone-system"} {
		eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, name) })
	}

	if writes.Total() == initial {
		t.Fatal("the write counter saw no write while the samples converged: it does not count the manager's requests")
	}

	// Converged means a quiet second; then the real measurement starts.
	waitQuiet(t)
	before := writes.Snapshot()
	time.Sleep(2*resyncPeriod + 2*time.Second)
	if extra := writes.Since(before); len(extra) > 0 {
		t.Fatalf("the manager wrote in steady state, across two resyncs:\n%s", strings.Join(extra, "\n"))
	}
}

// TestPrometheusOperatorInstalledLater runs the operator on a cluster
// without the Prometheus Operator: rules go into rule-file ConfigMaps and
// the collector Service is annotated for scraping. When the CRDs are
// installed, the running operator moves every rule set to a PrometheusRule
// and adds ServiceMonitors, without a restart.
func TestPrometheusOperatorInstalledLater(t *testing.T) {
	bare, err := controlplane.Start(controlplane.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := bare.Stop(); err != nil {
			t.Error(err)
		}
	}()
	ctx, cancel := context.WithCancel(context.Background())
	stopped, err := startManager(ctx, bare, &testenv.WriteCounter{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		cancel()
		if err := <-stopped; err != nil {
			t.Error(err)
		}
	}()

	c := bare.Client
	ns := newNamespace(t, c)
	create(t, c, ns, persona+"\n---\n"+journeyMap+"\n---\n"+monitorYAML("cart", "cart"))
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart") })
	eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, "checkout-journey") })

	m, _ := get(t, c, ns, "cart", &cxv1alpha1.TouchpointMonitor{})
	if err := conditionIs(m.Status.Conditions, cxv1alpha1.RulesReadyCondition, "True", cxv1alpha1.RuleConfigMapAppliedReason); err != nil {
		t.Fatal(err)
	}
	rules, err := get(t, c, ns, render.MonitorRulesName("cart"), &corev1.ConfigMap{})
	if err != nil {
		t.Fatal(err)
	}
	if _, errs := rulefmt.Parse([]byte(rules.Data[render.RuleFileKey]), false, model.UTF8Validation, parser.NewParser(parser.Options{}), slog.Default()); len(errs) > 0 {
		t.Fatalf("the rule file ConfigMap is not a valid Prometheus rule file: %v", errs)
	}
	service, _ := get(t, c, ns, render.CollectorName("checkout-journey"), &corev1.Service{})
	if service.Annotations["prometheus.io/scrape"] != "true" {
		t.Fatalf("without the Prometheus Operator the collector Service needs scrape annotations: %v", service.Annotations)
	}

	if _, err := envtest.InstallCRDs(bare.Config, envtest.CRDInstallOptions{Paths: controlplane.MonitoringCRDs(bare.RepoRoot)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "cart", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.RulesReadyCondition, "True", cxv1alpha1.PrometheusRuleAppliedReason); err != nil {
			return err
		}
		if _, err := get(t, c, ns, render.MonitorRulesName("cart"), &monitoringv1.PrometheusRule{}); err != nil {
			return err
		}
		if _, err := get(t, c, ns, render.CollectorName("checkout-journey"), &monitoringv1.ServiceMonitor{}); err != nil {
			return err
		}
		if _, err := get(t, c, ns, render.JourneyRulesName("checkout-journey"), &monitoringv1.PrometheusRule{}); err != nil {
			return err
		}
		return gone(t, c, ns, render.MonitorRulesName("cart"), &corev1.ConfigMap{})
	})
}
