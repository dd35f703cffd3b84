package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/journeymap/journey-operator/internal/dashboard"
	"github.com/journeymap/journey-operator/internal/render"
)

// The Grafana sidecar's default label: kiwigrid/k8s-sidecar as the Grafana
// and kube-prometheus-stack charts configure it.
const (
	DefaultDashboardLabel      = "grafana_dashboard"
	DefaultDashboardLabelValue = "1"
)

// DashboardOptions say whether and how journey maps get a Grafana
// dashboard. The zero value writes them with the sidecar's default label.
type DashboardOptions struct {
	// Disabled turns dashboards off; dashboards written before are deleted.
	Disabled bool
	// Label and Value label the ConfigMaps for the sidecar;
	// DefaultDashboardLabel and DefaultDashboardLabelValue when empty.
	Label, Value string
}

// label is the sidecar's label, defaulted.
func (o DashboardOptions) label() (string, string) {
	label, value := o.Label, o.Value
	if label == "" {
		label = DefaultDashboardLabel
	}
	if value == "" {
		value = DefaultDashboardLabelValue
	}
	return label, value
}

// Validate rejects a label the apiserver would refuse, or one of the labels
// the operator sets itself, before the manager starts rather than at every
// map's reconcile.
func (o DashboardOptions) Validate() error {
	label, value := o.label()
	if errs := validation.IsQualifiedName(label); len(errs) > 0 {
		return fmt.Errorf("dashboard label %q is not a valid label name: %v", label, errs)
	}
	if errs := validation.IsValidLabelValue(value); len(errs) > 0 {
		return fmt.Errorf("dashboard label value %q is not a valid label value: %v", value, errs)
	}
	switch label {
	case render.ManagedByLabel, render.ComponentLabel, render.JourneyLabel:
		return fmt.Errorf("dashboard label %q is one the operator sets itself; choose another", label)
	}
	return nil
}

// reconcileDashboard applies the map's Grafana dashboard, or deletes it
// when dashboards are off. It sets no condition of its own: the dashboard
// only shows what the rules record, and nothing the map's health depends
// on waits for it. A failure is returned, logged and retried with backoff,
// and holds observedGeneration back, so kstatus readers see the map still
// in progress.
func (r *JourneyMapReconciler) reconcileDashboard(ctx context.Context, s *mapScope) error {
	if r.Dashboards.Disabled {
		return r.deleteDashboard(ctx, s)
	}
	data, err := dashboard.Build(s.journey, s.bindings)
	if err != nil {
		return fmt.Errorf("building the dashboard: %w", err)
	}
	label, value := r.Dashboards.label()
	cm, err := render.BuildDashboardConfigMap(render.DashboardObject{Map: s.journey, JSON: data, Label: label, Value: value}, r.Scheme())
	if err != nil {
		return fmt.Errorf("building the dashboard: %w", err)
	}
	res, err := r.Applier.Apply(ctx, cm)
	if err != nil {
		return fmt.Errorf("applying the dashboard: %w", err)
	}
	s.recheckAfter(res.RecheckAfter)
	return nil
}

// deleteDashboard deletes a dashboard written while dashboards were on.
// The cache holds the operator's ConfigMaps, so the usual case, nothing to
// delete, asks the apiserver nothing.
func (r *JourneyMapReconciler) deleteDashboard(ctx context.Context, s *mapScope) error {
	key := client.ObjectKey{Namespace: s.journey.Namespace, Name: render.DashboardName(s.journey.Name)}
	existing := &metav1.PartialObjectMetadata{}
	existing.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("ConfigMap"))
	if err := r.Get(ctx, key, existing); err != nil {
		return client.IgnoreNotFound(err)
	}
	if !metav1.IsControlledBy(existing, s.journey) {
		return nil
	}
	if err := r.Applier.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: key.Namespace, Name: key.Name}}); err != nil {
		return fmt.Errorf("deleting the dashboard: %w", err)
	}
	return nil
}
