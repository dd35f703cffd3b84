package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/apply"
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
// returns the status that names them. what names the rules in the
// message, e.g. "roll-up rules".
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
// merge patch, and records the version written so that a reconcile reading
// an older one from the cache is requeued rather than writing the same
// status again (see apply.Applier). An unchanged status is not written.
func patchStatus[T client.Object](ctx context.Context, c client.Client, applier *apply.Applier, before, obj T, status func(T) any) error {
	if equality.Semantic.DeepEqual(status(before), status(obj)) {
		return nil
	}
	if err := c.Status().Patch(ctx, obj, client.MergeFrom(before)); err != nil {
		return fmt.Errorf("patching the status: %w", err)
	}
	applier.Wrote(obj)
	return nil
}

// staleCacheRequeue is how soon an object whose cached version is older
// than the operator's own last write to it is looked at again; the cache
// normally catches up within milliseconds.
const staleCacheRequeue = 100 * time.Millisecond

// isTerminal says whether a reconcile error is one that retrying cannot fix.
func isTerminal(err error) bool {
	return errors.Is(err, reconcile.TerminalError(nil))
}
