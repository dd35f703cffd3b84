package controller

import (
	"context"
	"fmt"

	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
)

// listMonitorsOf lists the monitors that name a journey map.
func listMonitorsOf(ctx context.Context, r client.Reader, namespace, journeyMap string) ([]cxv1alpha1.TouchpointMonitor, error) {
	var list cxv1alpha1.TouchpointMonitorList
	if err := r.List(ctx, &list, client.InNamespace(namespace), client.MatchingFields{monitorJourneyMapIndex: journeyMap}); err != nil {
		return nil, fmt.Errorf("listing the monitors of JourneyMap %s: %w", journeyMap, err)
	}
	return list.Items, nil
}

// monitorOwners is journey.MonitorOwners of a listed set of monitors.
func monitorOwners(monitors []cxv1alpha1.TouchpointMonitor) map[string]string {
	pointers := make([]*cxv1alpha1.TouchpointMonitor, len(monitors))
	for i := range monitors {
		pointers[i] = &monitors[i]
	}
	return journey.MonitorOwners(pointers)
}

// activeBindings are the monitors of a map that the map's collector and
// roll-up use: bound to a touchpoint of the map, in charge of it, and
// valid. One bad monitor is left out without holding up the others.
func activeBindings(journeyMap *cxv1alpha1.JourneyMap, persona *cxv1alpha1.Persona, monitors []cxv1alpha1.TouchpointMonitor, valid *validity) []journey.TouchpointBinding {
	owners := monitorOwners(monitors)
	var bindings []journey.TouchpointBinding
	for i := range monitors {
		m := &monitors[i]
		if owners[m.Spec.Touchpoint] != m.Name {
			continue
		}
		b, ok := journey.Resolve(m, journeyMap)
		if !ok {
			continue
		}
		b.Persona = persona
		if valid.validate(b) != nil {
			continue
		}
		bindings = append(bindings, b)
	}
	sort.Slice(bindings, func(i, j int) bool { return bindings[i].Monitor.Name < bindings[j].Monitor.Name })
	return bindings
}

// existenceChanged lets through only the creation and deletion of an
// object: the operator reads nothing of a Secret but that it exists, and
// updates of Secrets (rotations) are frequent.
var existenceChanged = predicate.Funcs{
	UpdateFunc:  func(event.UpdateEvent) bool { return false },
	GenericFunc: func(event.GenericEvent) bool { return false },
}

// personaOf reads a map's persona; nil, without an error, while it does not
// exist.
func personaOf(ctx context.Context, r client.Reader, journeyMap *cxv1alpha1.JourneyMap) (*cxv1alpha1.Persona, error) {
	persona := &cxv1alpha1.Persona{}
	err := r.Get(ctx, client.ObjectKey{Namespace: journeyMap.Namespace, Name: journeyMap.Spec.PersonaRef.Name}, persona)
	switch {
	case apierrors.IsNotFound(err):
		return nil, nil
	case err != nil:
		return nil, fmt.Errorf("reading persona %s: %w", journeyMap.Spec.PersonaRef.Name, err)
	}
	return persona, nil
}

// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch

// namespaceTerminating says whether the namespace is being deleted. Its
// objects are then left alone: everything in it is about to go, and
// reacting to each deletion (a Secret gone, a map gone) would only write
// status, events and children that follow it into the bin. Only the
// namespace's metadata is cached.
func namespaceTerminating(ctx context.Context, r client.Reader, namespace string) bool {
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Namespace"))
	if err := r.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		return false
	}
	return !ns.DeletionTimestamp.IsZero()
}
