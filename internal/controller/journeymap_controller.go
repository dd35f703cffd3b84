package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/apply"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// JourneyMapReconciler runs a collector for each journey map, provisions its
// roll-up rules and rolls its touchpoints' health up into its status.
type JourneyMapReconciler struct {
	client.Client
	Applier            *apply.Applier
	PrometheusOperator *PrometheusOperator
	Events             eventRecorder
	// ProbeImage is the journey-probe image the collectors run.
	ProbeImage string
	// Health is the manager's health poller, whose latest snapshot holds
	// the journey success ratio; nil when no Prometheus is configured.
	Health *health.Poller
	// Validity caches spec validation per monitor generation.
	Validity *validity
	// Dashboards say whether and how maps get a Grafana dashboard.
	Dashboards DashboardOptions
	// AlertmanagerConfigs says whether the AlertmanagerConfig CRD is
	// installed, at start-up; alert routing is written only then.
	AlertmanagerConfigs bool

	requeueAll chan event.GenericEvent
}

// mapScope is what one reconcile of a map has observed so far.
type mapScope struct {
	journey *cxv1alpha1.JourneyMap
	// persona is nil while it does not exist or could not be read.
	persona      *cxv1alpha1.Persona
	monitors     []cxv1alpha1.TouchpointMonitor
	bindings     []journey.TouchpointBinding
	requeueAfter time.Duration
}

// recheckAfter asks for the map to be reconciled again within d; zero asks
// nothing.
func (s *mapScope) recheckAfter(d time.Duration) {
	s.requeueAfter = sooner(s.requeueAfter, d)
}

// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=journeymaps,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=journeymaps/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=personas,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=touchpointmonitors,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps;services,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apps,resources=deployments,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=prometheusrules;servicemonitors,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=apiextensions.k8s.io,resources=customresourcedefinitions,verbs=get;list;watch

// Reconcile brings one map's collector, rules and status in line.
func (r *JourneyMapReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	obj := &cxv1alpha1.JourneyMap{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if !apierrors.IsNotFound(err) {
			return ctrl.Result{}, err
		}
		r.Health.ForgetMap(req.NamespacedName)
		// The namespace's alert routing loses the map's routes.
		if r.AlertmanagerConfigs && !namespaceTerminating(ctx, r.Client, req.Namespace) {
			_, err = r.routeNamespace(ctx, req.Namespace)
		}
		return ctrl.Result{}, err
	}
	if namespaceTerminating(ctx, r.Client, obj.Namespace) {
		return ctrl.Result{}, nil
	}
	if r.Applier.CacheBehind(obj) {
		return ctrl.Result{RequeueAfter: staleCacheRequeue}, nil
	}
	before := obj.DeepCopy()
	defer func() {
		retErr = settle(ctx, retErr)
		if r.Applier.NamespaceTerminating(obj.Namespace) {
			return
		}
		summarizeMap(obj, retErr)
		r.Events.readyTransition(before, obj, before.Status.Conditions, obj.Status.Conditions)
		if err := patchStatus(ctx, r.Client, r.Applier, before, obj, mapStatus); err != nil {
			retErr = errors.Join(retErr, err)
		}
	}()
	if !obj.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	scope := &mapScope{journey: obj}
	// The persona is independent of the rest: a missing one is a condition,
	// and a failed read must not hold up the collector.
	personaErr := r.resolvePersona(ctx, scope)
	// Every other step builds on the map's monitors. Without them the
	// collector would be applied with no probes, stopping every probe of
	// the journey over one failed list, so a failed list stops here.
	if err := r.gatherMonitors(ctx, scope); err != nil {
		return ctrl.Result{}, errors.Join(personaErr, err)
	}
	// The collector and the rules fail independently: one failing child
	// degrades its own condition without hiding the other.
	errs := []error{personaErr}
	for _, step := range []func(context.Context, *mapScope) error{
		r.reconcileCollector,
		r.reconcileRules,
		r.reconcileDashboard,
		r.reconcileAlertRouting,
		r.observeMapMaintenance,
		r.rollUpHealth,
	} {
		errs = append(errs, step(ctx, scope))
	}
	if err := errors.Join(errs...); err != nil {
		// controller-runtime ignores RequeueAfter beside an error; the
		// error's backoff brings the map back.
		return ctrl.Result{}, err
	}
	return ctrl.Result{RequeueAfter: scope.requeueAfter}, nil
}

func (r *JourneyMapReconciler) resolvePersona(ctx context.Context, s *mapScope) error {
	persona, err := personaOf(ctx, r.Client, s.journey)
	switch {
	case err != nil:
		return err
	case persona == nil:
		setPersonaMissing(s.journey)
		return nil
	}
	s.persona = persona
	setPersonaResolved(s.journey, persona)
	return nil
}

func (r *JourneyMapReconciler) gatherMonitors(ctx context.Context, s *mapScope) error {
	monitors, err := listMonitorsOf(ctx, r.Client, s.journey.Namespace, s.journey.Name)
	if err != nil {
		return err
	}
	s.monitors = monitors
	s.bindings = activeBindings(s.journey, s.persona, monitors, r.Validity)
	setCoverage(s.journey, s.bindings)
	return nil
}

// reconcileCollector applies the collector: the probe configuration, the
// Deployment running journey-probe, its Service, and a ServiceMonitor where
// the Prometheus Operator is installed.
func (r *JourneyMapReconciler) reconcileCollector(ctx context.Context, s *mapScope) error {
	collector := render.Collector{Map: s.journey, Image: r.ProbeImage, ServiceMonitor: r.PrometheusOperator.Installed()}
	var waiting []string
	for _, b := range s.bindings {
		if b.Monitor.Spec.Probe == nil {
			continue
		}
		// A Secret volume that does not exist would keep the collector's
		// pod from starting, and with it every probe of the journey.
		missing, err := missingSecrets(ctx, r.Client, b.Monitor)
		if err != nil {
			setCollectorFailed(s.journey, err)
			return err
		}
		if len(missing) > 0 {
			waiting = append(waiting, b.Monitor.Name)
			continue
		}
		collector.Probed = append(collector.Probed, b)
	}
	children, probes, tooLarge, err := render.BuildCollector(collector, r.Scheme())
	if err == nil {
		for _, child := range children {
			var res apply.Result
			if res, err = r.Applier.Apply(ctx, child); err != nil {
				break
			}
			s.recheckAfter(res.RecheckAfter)
		}
	}
	if err != nil {
		setCollectorFailed(s.journey, err)
		return err
	}
	if len(tooLarge) > 0 {
		setCollectorTooLarge(s.journey, probes, tooLarge)
		return nil
	}
	setCollectorReady(s.journey, probes, waiting)
	return nil
}

func (r *JourneyMapReconciler) reconcileRules(ctx context.Context, s *mapScope) error {
	rules, err := render.JourneyRules(s.journey, s.persona, s.bindings)
	if err != nil {
		err = fmt.Errorf("building the roll-up rules: %w", err)
		setMapRulesFailed(s.journey, err)
		return err
	}
	kind, recheck, err := applyRules(ctx, r.Applier, r.Scheme(), rules, s.journey.Status.Rules, r.PrometheusOperator.Installed())
	s.recheckAfter(recheck)
	if err != nil {
		setMapRulesFailed(s.journey, err)
		return err
	}
	setMapRulesApplied(s.journey, kind, rules.Name)
	return nil
}

// rollUpHealth rolls the monitors' health and the conversions into each
// stage up and, with a Prometheus to ask, shows the journey success ratio
// and conversion of the poller's latest snapshot. While Prometheus cannot
// be asked the last ratio and conversions stay; the monitors say why in
// their TelemetryBound condition.
func (r *JourneyMapReconciler) rollUpHealth(_ context.Context, s *mapScope) error {
	conversions := shownConversions(s.journey)
	if r.Health != nil {
		reading := r.Health.Journey(client.ObjectKeyFromObject(s.journey), health.JourneyKey{Namespace: s.journey.Namespace, Journey: s.journey.Name})
		if reading.Polled && reading.Unreachable == "" {
			setSuccessRatio(s.journey, reading.SuccessRatio)
			setConversion(s.journey, reading.Conversion)
			conversions = stageConversions(s.journey, reading.Conversions)
		}
	}
	setHealth(s.journey, s.bindings, conversions)
	return nil
}

// SetupWithManager wires the watches: the map, its children, its persona,
// its monitors (their status carries the health rolled up here; only
// changes of what is rolled up requeue the map) and the health poller's
// events for the journey success ratio.
func (r *JourneyMapReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.requeueAll = make(chan event.GenericEvent)
	b := ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.JourneyMap{}).
		Owns(&corev1.ConfigMap{}, builder.OnlyMetadata).
		Owns(&corev1.Service{}, builder.OnlyMetadata).
		Owns(&appsv1.Deployment{}, builder.OnlyMetadata).
		Watches(&cxv1alpha1.Persona{}, handler.EnqueueRequestsFromMapFunc(r.mapsOfPersona)).
		Watches(&cxv1alpha1.TouchpointMonitor{}, handler.EnqueueRequestsFromMapFunc(mapOfMonitor),
			builder.WithPredicates(monitorRollUpChanged)).
		Watches(&corev1.Secret{}, handler.EnqueueRequestsFromMapFunc(secretEvents(r.Client, mapsOfMonitors)),
			builder.OnlyMetadata, builder.WithPredicates(existenceChanged)).
		WatchesRawSource(source.Channel(r.requeueAll, &handler.EnqueueRequestForObject{}))
	if r.Health != nil {
		b = b.WatchesRawSource(source.Channel(r.Health.MapEvents(), &handler.EnqueueRequestForObject{}))
	}
	if r.AlertmanagerConfigs {
		b = b.Watches(&monitoringv1alpha1.AlertmanagerConfig{}, handler.EnqueueRequestsFromMapFunc(r.mapsOfNamespace))
	}
	if r.PrometheusOperator.Installed() {
		b = b.Owns(&monitoringv1.PrometheusRule{}, builder.OnlyMetadata).Owns(&monitoringv1.ServiceMonitor{}, builder.OnlyMetadata)
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	if !r.PrometheusOperator.Installed() {
		r.PrometheusOperator.OnInstall(func(ctx context.Context) error {
			return switchToPrometheusOperator(ctx, c, mgr, r.requeueAll,
				&cxv1alpha1.JourneyMapList{}, &cxv1alpha1.JourneyMap{}, &monitoringv1.PrometheusRule{}, &monitoringv1.ServiceMonitor{})
		})
	}
	return nil
}

func (r *JourneyMapReconciler) mapsOfPersona(ctx context.Context, o client.Object) []reconcile.Request {
	var maps cxv1alpha1.JourneyMapList
	if err := r.List(ctx, &maps, client.InNamespace(o.GetNamespace()), client.MatchingFields{mapPersonaIndex: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the journey maps of a persona", "persona", o.GetName())
		return nil
	}
	return requestsFor(maps.Items)
}

// mapsOfMonitors are the maps the monitors name, each once.
func mapsOfMonitors(monitors []cxv1alpha1.TouchpointMonitor) []reconcile.Request {
	seen := map[types.NamespacedName]bool{}
	var requests []reconcile.Request
	for i := range monitors {
		key := types.NamespacedName{Namespace: monitors[i].Namespace, Name: monitors[i].Spec.JourneyMapRef.Name}
		if !seen[key] {
			seen[key] = true
			requests = append(requests, reconcile.Request{NamespacedName: key})
		}
	}
	return requests
}

func mapOfMonitor(_ context.Context, o client.Object) []reconcile.Request {
	monitor := o.(*cxv1alpha1.TouchpointMonitor)
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: monitor.Namespace, Name: monitor.Spec.JourneyMapRef.Name}}}
}
