package controller

import (
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
)

// eventRecorder emits an event when an object's Ready condition changes,
// and only then: a steady state emits nothing. An object whose first state
// is Ready is not announced: its status says so, and a GitOps sync of
// thousands of monitors would otherwise add one event write per object,
// a third of the writes of a cold start (docs/benchmarks.md). A first
// state that is not Ready is a problem worth a Warning.
type eventRecorder struct {
	events.EventRecorder
}

func (e eventRecorder) readyTransition(_ runtime.Object, obj runtime.Object, before, after []metav1.Condition) {
	if e.EventRecorder == nil {
		return
	}
	now := meta.FindStatusCondition(after, "Ready")
	if now == nil {
		return
	}
	was := meta.FindStatusCondition(before, "Ready")
	switch {
	case was == nil && now.Status == metav1.ConditionTrue:
		return
	case was != nil && was.Status == now.Status && was.Reason == now.Reason:
		return
	}
	eventType := "Normal"
	if now.Status != metav1.ConditionTrue {
		eventType = "Warning"
	}
	e.Eventf(obj, nil, eventType, now.Reason, "Reconcile", "%s", now.Message)
}
