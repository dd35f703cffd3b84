// Package controller holds the reconcilers of Personas, JourneyMaps and
// TouchpointMonitors.
package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/apply"
	"github.com/journeymap/journey-operator/internal/health"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/probeconfig"
	"github.com/journeymap/journey-operator/internal/render"
)

// TouchpointMonitorReconciler provisions the Prometheus rules of each
// monitored touchpoint.
type TouchpointMonitorReconciler struct {
	client.Client
	Applier            *apply.Applier
	PrometheusOperator *PrometheusOperator
	Events             eventRecorder
	// Health is the manager's health poller, whose latest snapshot the
	// monitor's health is judged from; nil when no Prometheus is
	// configured.
	Health *health.Poller
	// Validity caches spec validation per monitor generation.
	Validity *validity

	requeueAll chan event.GenericEvent
}

// monitorScope is what one reconcile of a monitor has observed so far.
type monitorScope struct {
	monitor      *cxv1alpha1.TouchpointMonitor
	binding      journey.TouchpointBinding
	requeueAfter time.Duration
}

// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=touchpointmonitors,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=touchpointmonitors/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=journeymaps,verbs=get;list;watch
// +kubebuilder:rbac:groups="",resources=configmaps,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=prometheusrules,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Reconcile brings one monitor's rules in line with its spec and its map.
func (r *TouchpointMonitorReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	obj := &cxv1alpha1.TouchpointMonitor{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
		if apierrors.IsNotFound(err) {
			r.Validity.forget(req.NamespacedName)
			r.Health.ForgetMonitor(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
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
		summarizeMonitor(obj, retErr)
		r.Events.readyTransition(before, obj, before.Status.Conditions, obj.Status.Conditions)
		if err := patchStatus(ctx, r.Client, r.Applier, before, obj, monitorStatus); err != nil {
			retErr = errors.Join(retErr, err)
		}
	}()
	if !obj.DeletionTimestamp.IsZero() {
		// Children go with the monitor through their owner references.
		return ctrl.Result{}, nil
	}

	scope := &monitorScope{monitor: obj}
	for _, step := range []func(context.Context, *monitorScope) (bool, error){
		r.resolveTouchpoint,
		r.observeMaintenance,
		r.validateSpec,
		r.resolveSecrets,
		r.reconcileRules,
		r.evaluateHealth,
	} {
		proceed, err := step(ctx, scope)
		if err != nil {
			// controller-runtime ignores RequeueAfter beside an error.
			return ctrl.Result{}, err
		}
		if !proceed {
			break
		}
	}
	return ctrl.Result{RequeueAfter: scope.requeueAfter}, nil
}

// resolveTouchpoint finds the monitor's map and touchpoint. Until they
// exist, the monitor waits: the map watch brings it back here.
func (r *TouchpointMonitorReconciler) resolveTouchpoint(ctx context.Context, s *monitorScope) (bool, error) {
	obj := s.monitor
	journeyMap := &cxv1alpha1.JourneyMap{}
	err := r.Get(ctx, types.NamespacedName{Namespace: obj.Namespace, Name: obj.Spec.JourneyMapRef.Name}, journeyMap)
	switch {
	case apierrors.IsNotFound(err):
		setTouchpointUnresolved(obj, cxv1alpha1.JourneyMapNotFoundReason,
			fmt.Sprintf("JourneyMap %q does not exist in namespace %q; the monitor starts as soon as it is created", obj.Spec.JourneyMapRef.Name, obj.Namespace))
		return false, r.removeRules(ctx, obj)
	case err != nil:
		return false, fmt.Errorf("reading JourneyMap %s: %w", obj.Spec.JourneyMapRef.Name, err)
	}
	binding, ok := journey.Resolve(obj, journeyMap)
	if !ok {
		setTouchpointUnresolved(obj, cxv1alpha1.TouchpointNotFoundReason,
			fmt.Sprintf("JourneyMap %q has no touchpoint %q; its touchpoints are: %s", journeyMap.Name, obj.Spec.Touchpoint, journey.TouchpointNames(journeyMap)))
		return false, r.removeRules(ctx, obj)
	}
	siblings, err := listMonitorsOf(ctx, r.Client, obj.Namespace, journeyMap.Name)
	if err != nil {
		return false, err
	}
	if owner := monitorOwners(siblings)[obj.Spec.Touchpoint]; owner != "" && owner != obj.Name {
		setTouchpointUnresolved(obj, cxv1alpha1.DuplicateMonitorReason,
			fmt.Sprintf("touchpoint %q of JourneyMap %q is already monitored by %q; delete one of the two monitors", obj.Spec.Touchpoint, journeyMap.Name, owner))
		return false, r.removeRules(ctx, obj)
	}
	if binding.Persona, err = personaOf(ctx, r.Client, journeyMap); err != nil {
		return false, err
	}
	s.binding = binding
	setTouchpointResolved(obj, binding.Stage.Name)
	return true, nil
}

// validateSpec rejects what the schema could not: a probe the collector
// would refuse or a metric query that is not PromQL. Retrying cannot help,
// so the error is terminal until the spec changes.
func (r *TouchpointMonitorReconciler) validateSpec(ctx context.Context, s *monitorScope) (bool, error) {
	if err := r.Validity.validate(s.binding); err != nil {
		setStalled(s.monitor, err.Error())
		// The rules of the last valid spec must go first. Until they have,
		// the error is transient and retried; joined with the terminal one
		// it would be taken as terminal and the leftover rules would stay.
		if err := r.removeRules(ctx, s.monitor); err != nil {
			return false, err
		}
		return false, reconcile.TerminalError(err)
	}
	clearStalled(s.monitor)
	setLiteralCredentials(s.monitor, literalCredentials(s.binding))
	return true, nil
}

// literalCredentials warns of credentials written into the monitor's probe
// as it reaches the collector.
func literalCredentials(b journey.TouchpointBinding) []string {
	if b.Monitor.Spec.Probe == nil {
		return nil
	}
	var warnings []string
	for _, p := range render.ProbeConfig(render.Collector{Map: b.Map, Probed: []journey.TouchpointBinding{b}}).Probes {
		warnings = append(warnings, probeconfig.LiteralCredentials(p)...)
	}
	return warnings
}

// resolveSecrets reports Secrets the probe reads that do not exist. The
// rules are still applied: the touchpoint is monitored, and its
// telemetry-absent alert says what customers would miss meanwhile.
func (r *TouchpointMonitorReconciler) resolveSecrets(ctx context.Context, s *monitorScope) (bool, error) {
	missing, err := missingSecrets(ctx, r.Client, s.monitor)
	if err != nil {
		return false, err
	}
	if len(missing) > 0 {
		setSecretsMissing(s.monitor, missing)
	} else {
		setSecretsResolved(s.monitor, len(journey.SecretUses(s.monitor)))
	}
	return true, nil
}

// reconcileRules applies the touchpoint's rules as a PrometheusRule, or as a
// rule-file ConfigMap where the Prometheus Operator is not installed, and
// removes the other form.
func (r *TouchpointMonitorReconciler) reconcileRules(ctx context.Context, s *monitorScope) (bool, error) {
	rules, err := render.MonitorRules(s.binding)
	if err != nil {
		return false, fmt.Errorf("building the rules: %w", err)
	}
	kind, recheck, err := applyRules(ctx, r.Applier, r.Scheme(), rules, s.monitor.Status.Rules, r.PrometheusOperator.Installed())
	s.requeueAfter = sooner(s.requeueAfter, recheck)
	if err != nil {
		setRulesFailed(s.monitor, err)
		return false, err
	}
	setRulesApplied(s.monitor, kind, rules.Name)
	return true, nil
}

// evaluateHealth judges the touchpoint from the poller's latest snapshot;
// it asks Prometheus nothing and asks to come back never: the poller
// enqueues the monitor when its reading changes. While Prometheus cannot
// be asked, health is Unknown, the reason shows, and the last SLI values
// and alerts stay.
func (r *TouchpointMonitorReconciler) evaluateHealth(_ context.Context, s *monitorScope) (bool, error) {
	if r.Health == nil {
		return true, nil
	}
	watch, err := healthWatch(s)
	if err != nil {
		return false, err
	}
	reading := r.Health.Latest(client.ObjectKeyFromObject(s.monitor), watch)
	switch {
	case !reading.Polled:
		// The first cycle enqueues every monitor when it ends.
	case reading.Unreachable != "":
		setPrometheusUnreachable(s.monitor, reading.Unreachable)
	default:
		setVerdict(s.monitor, reading.Verdict, reading.Alerts)
	}
	return true, nil
}

// healthWatch is what the poller judges the monitor's touchpoint by.
func healthWatch(s *monitorScope) (health.Watch, error) {
	return health.WatchOf(s.binding)
}

// removeRules deletes the monitor's rules while it is not bound to a
// touchpoint, so no alert speaks for a touchpoint nobody monitors. Status
// remembers whether there is anything to delete, so waiting costs no
// requests.
func (r *TouchpointMonitorReconciler) removeRules(ctx context.Context, obj *cxv1alpha1.TouchpointMonitor) error {
	if obj.Status.Rules == nil {
		return nil
	}
	if err := deleteRules(ctx, r.Applier, *obj.Status.Rules, obj.Namespace); err != nil {
		return err
	}
	obj.Status.Rules = nil
	return nil
}

// SetupWithManager wires the watches: the monitor, its rules, its map, and
// the other monitors of the same map (one of them may give up a touchpoint
// this monitor was refused).
func (r *TouchpointMonitorReconciler) SetupWithManager(mgr ctrl.Manager) error {
	r.requeueAll = make(chan event.GenericEvent)
	b := ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.TouchpointMonitor{}).
		Owns(&corev1.ConfigMap{}, builder.OnlyMetadata).
		Watches(&cxv1alpha1.JourneyMap{},
			handler.EnqueueRequestsFromMapFunc(r.monitorsOfMap),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&cxv1alpha1.TouchpointMonitor{},
			handler.EnqueueRequestsFromMapFunc(r.siblings),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&cxv1alpha1.Persona{},
			handler.EnqueueRequestsFromMapFunc(r.monitorsOfPersona),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Watches(&corev1.Secret{},
			handler.EnqueueRequestsFromMapFunc(secretEvents(r.Client, requestsFor)),
			builder.OnlyMetadata, builder.WithPredicates(existenceChanged)).
		WatchesRawSource(source.Channel(r.requeueAll, &handler.EnqueueRequestForObject{}))
	if r.Health != nil {
		b = b.WatchesRawSource(source.Channel(r.Health.MonitorEvents(), &handler.EnqueueRequestForObject{}))
	}
	if r.PrometheusOperator.Installed() {
		b = b.Owns(&monitoringv1.PrometheusRule{}, builder.OnlyMetadata)
	}
	c, err := b.Build(r)
	if err != nil {
		return err
	}
	if !r.PrometheusOperator.Installed() {
		r.PrometheusOperator.OnInstall(func(ctx context.Context) error {
			return switchToPrometheusOperator(ctx, c, mgr, r.requeueAll,
				&cxv1alpha1.TouchpointMonitorList{}, &cxv1alpha1.TouchpointMonitor{}, &monitoringv1.PrometheusRule{})
		})
	}
	return nil
}

// monitorsOfPersona requeues the monitors of a persona's maps: its
// expectations stand in for objectives they leave out.
func (r *TouchpointMonitorReconciler) monitorsOfPersona(ctx context.Context, o client.Object) []reconcile.Request {
	var maps cxv1alpha1.JourneyMapList
	if err := r.List(ctx, &maps, client.InNamespace(o.GetNamespace()), client.MatchingFields{mapPersonaIndex: o.GetName()}); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the journey maps of a persona", "persona", o.GetName())
		return nil
	}
	var requests []reconcile.Request
	for i := range maps.Items {
		requests = append(requests, r.monitorsOfMap(ctx, &maps.Items[i])...)
	}
	return requests
}

func (r *TouchpointMonitorReconciler) monitorsOfMap(ctx context.Context, o client.Object) []reconcile.Request {
	monitors, err := listMonitorsOf(ctx, r.Client, o.GetNamespace(), o.GetName())
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the monitors of a journey map", "journeyMap", o.GetName())
		return nil
	}
	return requestsFor(monitors)
}

// siblings are the other monitors of the same map naming the same
// touchpoint: the ones whose claim this monitor's change can settle. The
// handler maps both the old and the new object of an update, so a monitor
// moving away from a touchpoint requeues the one it was keeping out.
// Requeueing every monitor of the map instead would cost a map of fifty
// touchpoints fifty reconciles per edit.
func (r *TouchpointMonitorReconciler) siblings(ctx context.Context, o client.Object) []reconcile.Request {
	monitor := o.(*cxv1alpha1.TouchpointMonitor)
	monitors, err := listMonitorsOf(ctx, r.Client, monitor.Namespace, monitor.Spec.JourneyMapRef.Name)
	if err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the monitors of a journey map", "journeyMap", monitor.Spec.JourneyMapRef.Name)
		return nil
	}
	var rivals []cxv1alpha1.TouchpointMonitor
	for _, m := range monitors {
		if m.Name != monitor.Name && m.Spec.Touchpoint == monitor.Spec.Touchpoint {
			rivals = append(rivals, m)
		}
	}
	return requestsFor(rivals)
}
