package controller

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/apply"
)

// PersonaReconciler lists the journeys each persona walks and rolls their
// health up into the persona's experience score.
type PersonaReconciler struct {
	client.Client
	// Applier records the status writes, so a stale cache is noticed.
	Applier *apply.Applier
	Events  eventRecorder
}

// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=personas,verbs=get;list;watch
// +kubebuilder:rbac:groups=cx.journeymap.dev,resources=personas/status,verbs=get;update;patch

// Reconcile refreshes one persona's status from its journey maps.
func (r *PersonaReconciler) Reconcile(ctx context.Context, req ctrl.Request) (result ctrl.Result, retErr error) {
	obj := &cxv1alpha1.Persona{}
	if err := r.Get(ctx, req.NamespacedName, obj); err != nil {
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
		summarizePersona(obj, retErr)
		r.Events.readyTransition(before, obj, before.Status.Conditions, obj.Status.Conditions)
		if err := patchStatus(ctx, r.Client, r.Applier, before, obj, personaStatus); err != nil {
			retErr = errors.Join(retErr, err)
		}
	}()
	if !obj.DeletionTimestamp.IsZero() {
		return ctrl.Result{}, nil
	}

	var maps cxv1alpha1.JourneyMapList
	if err := r.List(ctx, &maps, client.InNamespace(obj.Namespace), client.MatchingFields{mapPersonaIndex: obj.Name}); err != nil {
		return ctrl.Result{}, fmt.Errorf("listing the journey maps of persona %s: %w", obj.Name, err)
	}
	sort.Slice(maps.Items, func(i, j int) bool { return maps.Items[i].Name < maps.Items[j].Name })
	setSegment(obj)
	setJourneys(obj, maps.Items)
	return ctrl.Result{}, nil
}

// SetupWithManager watches personas and the maps that name them, status
// included: the maps' health and score are what the persona rolls up
// (mapRollUpChanged lets only those through).
func (r *PersonaReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		For(&cxv1alpha1.Persona{}).
		Watches(&cxv1alpha1.JourneyMap{}, handler.EnqueueRequestsFromMapFunc(personaOfMap),
			builder.WithPredicates(mapRollUpChanged)).
		Complete(r)
}

func personaOfMap(_ context.Context, o client.Object) []reconcile.Request {
	journey := o.(*cxv1alpha1.JourneyMap)
	return []reconcile.Request{{NamespacedName: types.NamespacedName{Namespace: journey.Namespace, Name: journey.Spec.PersonaRef.Name}}}
}
