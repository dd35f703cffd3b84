package controller

import (
	"context"
	"errors"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// setCondition sets a condition; lastTransitionTime changes only when the
// status does, so a steady state writes nothing.
func setCondition(conditions *[]metav1.Condition, generation int64, conditionType string, status metav1.ConditionStatus, reason, message string) {
	meta.SetStatusCondition(conditions, metav1.Condition{
		Type:               conditionType,
		Status:             status,
		Reason:             reason,
		Message:            message,
		ObservedGeneration: generation,
	})
}

// setRulesReady marks rules applied in the form the cluster supports and
// returns the status that names them; what says whose rules they are.
func setRulesReady(conditions *[]metav1.Condition, generation int64, kind cxv1alpha1.RulesKind, name, what string) *cxv1alpha1.RulesStatus {
	reason, message := cxv1alpha1.PrometheusRuleAppliedReason, what+" applied as PrometheusRule "+name
	if kind == cxv1alpha1.RulesKindConfigMap {
		reason, message = cxv1alpha1.RuleConfigMapAppliedReason,
			"Prometheus Operator is not installed: "+what+" applied as a Prometheus rule file in ConfigMap "+name
	}
	setCondition(conditions, generation, cxv1alpha1.RulesReadyCondition, metav1.ConditionTrue, reason, message)
	return &cxv1alpha1.RulesStatus{Kind: kind, Name: name}
}

// summarizeReady sets Ready from the kind's specific conditions: True when
// all are True, else False with the reason and message of the first that is
// not, in the order given. A Stalled condition wins over all of them.
func summarizeReady(conditions *[]metav1.Condition, generation int64, specific ...string) {
	if stalled := meta.FindStatusCondition(*conditions, cxv1alpha1.StalledCondition); stalled != nil && stalled.Status == metav1.ConditionTrue {
		setCondition(conditions, generation, cxv1alpha1.ReadyCondition, metav1.ConditionFalse, stalled.Reason, stalled.Message)
		return
	}
	for _, t := range specific {
		c := meta.FindStatusCondition(*conditions, t)
		if c == nil {
			setCondition(conditions, generation, cxv1alpha1.ReadyCondition, metav1.ConditionFalse, cxv1alpha1.ProgressingReason, "waiting for "+t)
			return
		}
		if c.Status != metav1.ConditionTrue {
			setCondition(conditions, generation, cxv1alpha1.ReadyCondition, metav1.ConditionFalse, c.Reason, c.Message)
			return
		}
	}
	setCondition(conditions, generation, cxv1alpha1.ReadyCondition, metav1.ConditionTrue, cxv1alpha1.SucceededReason, "all conditions are true")
}

// patchStatus writes obj's status when it differs from before's, as one
// merge patch; an unchanged status is not written at all.
func patchStatus[T client.Object](ctx context.Context, c client.Client, before, obj T, status func(T) any) error {
	if equality.Semantic.DeepEqual(status(before), status(obj)) {
		return nil
	}
	staleVersion := before.GetResourceVersion()
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil {
		return err
	}
	waitForCache(ctx, c, obj, staleVersion)
	return nil
}

// waitForCache returns once the manager's cache holds a newer version of obj
// than staleVersion, or after a second. Writing a child or a status queues
// the object again at once, and that reconcile reads the cache: were it to
// read the version from before this patch, it would compute the same status
// from the old one and write it a second time.
func waitForCache(ctx context.Context, c client.Reader, obj client.Object, staleVersion string) {
	latest := obj.DeepCopyObject().(client.Object)
	_ = wait.PollUntilContextTimeout(ctx, 5*time.Millisecond, time.Second, true, func(ctx context.Context) (bool, error) {
		if err := c.Get(ctx, client.ObjectKeyFromObject(obj), latest); err != nil {
			return apierrors.IsNotFound(err), nil
		}
		return latest.GetResourceVersion() != staleVersion, nil
	})
}

// isTerminal says whether a reconcile error is one that retrying cannot fix.
func isTerminal(err error) bool {
	return errors.Is(err, reconcile.TerminalError(nil))
}
