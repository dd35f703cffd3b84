package controller

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/interceptor"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestDashboardsOff turns dashboards off for a map that has one: the
// next reconcile deletes it, the ones after ask the apiserver nothing, and
// a ConfigMap of that name the map does not control is left alone.
func TestDashboardsOff(t *testing.T) {
	f := &fault{}
	c := faultyClient(f, faultPersona(), faultMap(), faultMonitor("pricing-page", "pricing-page"))
	r := newMapReconciler(c)
	if _, err := r.Reconcile(context.Background(), request("trial")); err != nil {
		t.Fatal(err)
	}
	key := client.ObjectKey{Namespace: faultNamespace, Name: render.DashboardName("trial")}
	if err := c.Get(context.Background(), key, &corev1.ConfigMap{}); err != nil {
		t.Fatalf("no dashboard while dashboards are on: %v", err)
	}

	r.Dashboards.Disabled = true
	if _, err := r.Reconcile(context.Background(), request("trial")); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(context.Background(), key, &corev1.ConfigMap{}); err == nil {
		t.Fatal("the dashboard is still there with dashboards off")
	}
	f.calls = nil
	if _, err := r.Reconcile(context.Background(), request("trial")); err != nil {
		t.Fatal(err)
	}
	if n := f.called("delete", "ConfigMap"); n != 0 {
		t.Errorf("%d deletes of a dashboard that is gone, want 0", n)
	}

	theirs := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}
	if err := c.Create(context.Background(), theirs); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Reconcile(context.Background(), request("trial")); err != nil {
		t.Fatal(err)
	}
	if err := c.Get(context.Background(), key, &corev1.ConfigMap{}); err != nil {
		t.Errorf("a ConfigMap the map does not control was deleted: %v", err)
	}
}

// TestFailingDashboardDegradesOnlyItself fails the dashboard's apply: the
// reconcile returns the error (and is retried), observedGeneration stays
// behind, and the collector and the rules are applied and Ready as before.
func TestFailingDashboardDegradesOnlyItself(t *testing.T) {
	f := &fault{}
	c := faultyClient(f, faultPersona(), faultMap(), faultMonitor("pricing-page", "pricing-page"))
	failing := faultyClientFailingApplyOf(c, render.DashboardName("trial"))
	r := newMapReconciler(failing)
	_, err := r.Reconcile(context.Background(), request("trial"))
	if !errors.Is(err, errInjected) || !strings.Contains(err.Error(), "applying the dashboard") {
		t.Fatalf("Reconcile error %v, want the injected fault while applying the dashboard", err)
	}
	m := &cxv1alpha1.JourneyMap{}
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: faultNamespace, Name: "trial"}, m); err != nil {
		t.Fatal(err)
	}
	for _, cond := range []string{cxv1alpha1.CollectorReadyCondition, cxv1alpha1.RulesReadyCondition} {
		if got := condition(m.Status.Conditions, cond); !strings.HasPrefix(got, "True/") {
			t.Errorf("%s is %s: a failing dashboard held it up", cond, got)
		}
	}
	if m.Status.ObservedGeneration == m.Generation {
		t.Errorf("observedGeneration %d recorded although the dashboard failed", m.Status.ObservedGeneration)
	}
}

// faultyClientFailingApplyOf fails the applies of the object of one name:
// the dashboard shares its kind, ConfigMap, with the collector and the
// rules, which must not fail with it.
func faultyClientFailingApplyOf(c client.WithWatch, name string) client.WithWatch {
	return interceptor.NewClient(c, interceptor.Funcs{
		Apply: func(ctx context.Context, c client.WithWatch, obj runtime.ApplyConfiguration, opts ...client.ApplyOption) error {
			if named, ok := obj.(interface{ GetName() string }); ok && named.GetName() == name {
				return errInjected
			}
			return c.Apply(ctx, obj, opts...)
		},
	})
}
