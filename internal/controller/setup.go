package controller

import (
	"context"
	"fmt"
	"strings"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/journeymap/journey-operator/internal/apply"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/render"
)

// Options configure the reconcilers.
type Options struct {
	// ProbeImage is the journey-probe image the collectors run.
	ProbeImage string
	// Prometheus says where touchpoint health is read from; an empty URL
	// turns health evaluation off and every health stays Unknown.
	Prometheus health.ClientOptions
	// HealthInterval is how often health is read; 30s when zero.
	HealthInterval time.Duration
	// WatchNamespaces scope the health queries as they scope the cache;
	// all namespaces when empty.
	WatchNamespaces []string
	// Dashboards configure the maps' Grafana dashboards; on, with the
	// sidecar's default label, when zero.
	Dashboards DashboardOptions
}

// SetupWithManager registers the indexes and every reconciler with mgr. It
// reads once whether the Prometheus Operator CRDs are installed.
func SetupWithManager(ctx context.Context, mgr ctrl.Manager, opts Options) error {
	if err := opts.Dashboards.Validate(); err != nil {
		return err
	}
	if err := SetupIndexes(ctx, mgr.GetFieldIndexer()); err != nil {
		return fmt.Errorf("field indexes: %w", err)
	}
	prometheusOperator := &PrometheusOperator{}
	if err := prometheusOperator.Detect(ctx, mgr.GetAPIReader()); err != nil {
		return fmt.Errorf("detecting the Prometheus Operator CRDs: %w", err)
	}
	alertmanagerConfigs, err := alertmanagerConfigsInstalled(ctx, mgr.GetAPIReader())
	if err != nil {
		return fmt.Errorf("detecting the AlertmanagerConfig CRD: %w", err)
	}
	applier := &apply.Applier{Client: mgr.GetClient(), Reader: mgr.GetClient()}
	events := eventRecorder{EventRecorder: mgr.GetEventRecorder("journey-operator")}

	poller, err := newPoller(mgr, opts)
	if err != nil {
		return err
	}
	valid := &validity{}
	monitors := &TouchpointMonitorReconciler{Client: mgr.GetClient(), Applier: applier, PrometheusOperator: prometheusOperator, Events: events,
		Health: poller, Validity: valid}
	if err := monitors.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the TouchpointMonitor controller: %w", err)
	}
	maps := &JourneyMapReconciler{Client: mgr.GetClient(), Applier: applier, PrometheusOperator: prometheusOperator, Events: events, ProbeImage: opts.ProbeImage,
		Health: poller, Validity: valid, Dashboards: opts.Dashboards, AlertmanagerConfigs: alertmanagerConfigs}
	if err := maps.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the JourneyMap controller: %w", err)
	}
	personas := &PersonaReconciler{Client: mgr.GetClient(), Applier: applier, Events: events}
	if err := personas.SetupWithManager(mgr); err != nil {
		return fmt.Errorf("setting up the Persona controller: %w", err)
	}
	if !prometheusOperator.Installed() {
		if err := prometheusOperator.SetupWithManager(mgr); err != nil {
			return fmt.Errorf("CRD watch: %w", err)
		}
	}
	return nil
}

// newPoller builds the manager's one health poller and adds it to mgr;
// nil without a Prometheus URL.
func newPoller(mgr ctrl.Manager, opts Options) (*health.Poller, error) {
	if opts.Prometheus.URL == "" {
		return nil, nil
	}
	poller, err := health.NewPoller(health.PollerOptions{
		ClientOptions: opts.Prometheus,
		Interval:      opts.HealthInterval,
		Namespaces:    opts.WatchNamespaces,
		Logger:        mgr.GetLogger().WithName("health"),
	})
	if err != nil {
		return nil, fmt.Errorf("health poller: %w", err)
	}
	if err := mgr.Add(poller); err != nil {
		return nil, fmt.Errorf("health poller: %w", err)
	}
	return poller, nil
}

// CacheOptions keep the manager's cache small: only the namespaces watched
// (all when none is given), only the ConfigMaps, Services and Deployments
// the operator manages, and no managedFields, which it never reads.
func CacheOptions(watchNamespaces []string) cache.Options {
	managed := labels.SelectorFromSet(labels.Set{render.ManagedByLabel: render.ManagedByValue})
	opts := cache.Options{
		DefaultTransform: cache.TransformStripManagedFields(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.ConfigMap{}:  {Label: managed},
			&corev1.Service{}:    {Label: managed},
			&appsv1.Deployment{}: {Label: managed},
		},
	}
	for _, ns := range watchNamespaces {
		if ns = strings.TrimSpace(ns); ns != "" {
			if opts.DefaultNamespaces == nil {
				opts.DefaultNamespaces = map[string]cache.Config{}
			}
			opts.DefaultNamespaces[ns] = cache.Config{}
		}
	}
	return opts
}
