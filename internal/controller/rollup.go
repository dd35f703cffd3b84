package controller

import (
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// monitorRollUpChanged lets a monitor's update requeue its map only when
// it changes something the map reads: the spec (generation), deletion, or
// what the map rolls up — health and the number of firing alerts. The
// map does not show a monitor's SLI numbers or conditions, so their
// changes cost the map no reconcile.
var monitorRollUpChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, okOld := e.ObjectOld.(*cxv1alpha1.TouchpointMonitor)
		n, okNew := e.ObjectNew.(*cxv1alpha1.TouchpointMonitor)
		if !okOld || !okNew {
			return true
		}
		return specOrDeletionChanged(o.Generation, n.Generation, o.DeletionTimestamp.IsZero(), n.DeletionTimestamp.IsZero()) ||
			o.Status.Health != n.Status.Health ||
			len(o.Status.FiringAlerts) != len(n.Status.FiringAlerts)
	},
}

// mapRollUpChanged lets a map's update requeue its persona only when it
// changes what the persona reads: the spec (its personaRef), deletion, or
// the health and score the persona rolls up.
var mapRollUpChanged = predicate.Funcs{
	UpdateFunc: func(e event.UpdateEvent) bool {
		o, okOld := e.ObjectOld.(*cxv1alpha1.JourneyMap)
		n, okNew := e.ObjectNew.(*cxv1alpha1.JourneyMap)
		if !okOld || !okNew {
			return true
		}
		return specOrDeletionChanged(o.Generation, n.Generation, o.DeletionTimestamp.IsZero(), n.DeletionTimestamp.IsZero()) ||
			o.Status.Health != n.Status.Health ||
			!equalScore(o.Status.Score, n.Status.Score)
	},
}

func specOrDeletionChanged(oldGeneration, newGeneration int64, oldLive, newLive bool) bool {
	return oldGeneration != newGeneration || oldLive != newLive
}

func equalScore(a, b *int32) bool {
	return (a == nil) == (b == nil) && (a == nil || *a == *b)
}
