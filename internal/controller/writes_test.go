package controller_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestEditWritesOnlyWhatChanged edits a converged monitor's objective a few
// times. Each edit changes the monitor's rules, the map's roll-up rules
// (which carry every touchpoint's budget), the map's dashboard (which
// shows it) and the monitor's status, and must cost exactly those four
// writes: no second status patch from a
// reconcile that read the cache from before the first, nothing for the
// other monitors of the map.
func TestEditWritesOnlyWhatChanged(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	createSamples(t, c, ns)
	for _, name := range []string{"pricing-page", "trial-signup", "contacts-api", "checkout", "admin-portal", "sip-gateway", "porting-api"} {
		eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, name) })
	}
	want := []string{
		"1× PATCH /apis/cx.journeymap.dev/v1alpha1/namespaces/" + ns + "/touchpointmonitors/pricing-page/status",
		"1× PATCH /apis/monitoring.coreos.com/v1/namespaces/" + ns + "/prometheusrules/" + render.JourneyRulesName("marketing-automation-trial"),
		"1× PATCH /apis/monitoring.coreos.com/v1/namespaces/" + ns + "/prometheusrules/" + render.MonitorRulesName("pricing-page"),
		"1× PATCH /api/v1/namespaces/" + ns + "/configmaps/" + render.DashboardName("marketing-automation-trial"),
	}
	slices.Sort(want)

	waitQuiet(t)
	for _, availability := range []string{"99.4", "99.6", "99.4", "99.6", "99.4"} {
		before := writes.Snapshot()
		monitor := &cxv1alpha1.TouchpointMonitor{}
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "pricing-page"}, monitor); err != nil {
			t.Fatal(err)
		}
		monitor.Spec.Objectives.Availability = availability
		if err := c.Update(context.Background(), monitor); err != nil {
			t.Fatal(err)
		}
		eventually(t, convergeTimeout, func() error {
			if _, err := get(t, c, ns, "pricing-page", monitor); err != nil {
				return err
			}
			if monitor.Status.ObservedGeneration != monitor.Generation {
				return fmt.Errorf("observedGeneration %d, generation %d", monitor.Status.ObservedGeneration, monitor.Generation)
			}
			return nil
		})
		waitQuiet(t)
		if got := writes.Since(before); !slices.Equal(got, want) {
			t.Fatalf("setting availability %s wrote:\n%s\nwant exactly:\n%s", availability, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}

// TestDeletedChildrenCostOneWriteEach deletes every child of a map and its
// monitor at once. Each deletion requeues the owner while the cache may
// still miss children re-created a moment before; those must be read
// from the apiserver, not written again: one write per restored child.
func TestDeletedChildrenCostOneWriteEach(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, persona+"\n---\n"+journeyMap+"\n---\n"+monitorYAML("cart", "cart"))
	eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, "checkout-journey") })
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "cart") })
	waitQuiet(t)

	var children []client.Object
	for _, list := range []client.ObjectList{&corev1.ConfigMapList{}, &appsv1.DeploymentList{}, &corev1.ServiceList{},
		&monitoringv1.ServiceMonitorList{}, &monitoringv1.PrometheusRuleList{}} {
		if err := c.List(context.Background(), list, client.InNamespace(ns), client.HasLabels{render.ManagedByLabel}); err != nil {
			t.Fatal(err)
		}
		items, err := apimeta.ExtractList(list)
		if err != nil {
			t.Fatal(err)
		}
		for _, item := range items {
			children = append(children, item.(client.Object))
		}
	}
	if len(children) != 7 {
		t.Fatalf("%d children before deleting, want 7: collector ConfigMap, Deployment, Service, ServiceMonitor, two PrometheusRules, dashboard ConfigMap", len(children))
	}

	before := writes.Snapshot()
	for _, child := range children {
		if err := c.Delete(context.Background(), child); err != nil {
			t.Fatal(err)
		}
	}
	for _, child := range children {
		eventually(t, convergeTimeout, func() error {
			restored := child.DeepCopyObject().(client.Object)
			if err := c.Get(context.Background(), client.ObjectKeyFromObject(child), restored); err != nil {
				return err
			}
			if restored.GetUID() == child.GetUID() {
				return fmt.Errorf("%T %s not deleted yet", child, child.GetName())
			}
			return nil
		})
	}
	waitQuiet(t)
	got := writes.Since(before)
	oneApplyEach := len(got) == len(children)
	for _, w := range got {
		oneApplyEach = oneApplyEach && strings.HasPrefix(w, "1× PATCH ")
	}
	if !oneApplyEach {
		t.Fatalf("restoring %d deleted children wrote:\n%s\nwant one server-side apply for each", len(children), strings.Join(got, "\n"))
	}
}
