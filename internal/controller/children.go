package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	corev1 "k8s.io/api/core/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/manager"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/apply"
	"github.com/journeymap/journey-operator/internal/render"
)

// applyRules applies a rule set in the form the cluster supports and
// deletes the form previously applied if it differs, e.g. after the
// Prometheus Operator was installed. recheck is the Applier's request to be
// called again (see apply.Result).
func applyRules(ctx context.Context, applier *apply.Applier, scheme *runtime.Scheme, rules render.RulesObject, previous *cxv1alpha1.RulesStatus, prometheusOperator bool) (kind cxv1alpha1.RulesKind, recheck time.Duration, err error) {
	kind = cxv1alpha1.RulesKindConfigMap
	var desired client.Object
	if prometheusOperator {
		kind = cxv1alpha1.RulesKindPrometheusRule
		desired, err = render.BuildPrometheusRule(rules, scheme)
	} else {
		desired, err = render.BuildRuleConfigMap(rules, scheme)
	}
	if err != nil {
		return kind, 0, fmt.Errorf("building rules %s: %w", rules.Name, err)
	}
	res, err := applier.Apply(ctx, desired)
	if err != nil {
		return kind, 0, err
	}
	if previous != nil && (previous.Kind != kind || previous.Name != rules.Name) {
		if err := deleteRules(ctx, applier, *previous, desired.GetNamespace()); err != nil {
			return kind, 0, err
		}
	}
	return kind, res.RecheckAfter, nil
}

// sooner is the shorter of two requeue delays, zero meaning none.
func sooner(a, b time.Duration) time.Duration {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// settle turns a write refused because the namespace is being deleted into
// no error: everything in the namespace is about to go, and a retry would
// only be refused again. Other errors pass through.
func settle(ctx context.Context, err error) error {
	if err != nil && errors.Is(err, apply.ErrNamespaceTerminating) {
		ctrl.LoggerFrom(ctx).V(1).Info("not writing into a namespace that is being deleted")
		return nil
	}
	return err
}

// deleteRules deletes a rule set applied before.
func deleteRules(ctx context.Context, applier *apply.Applier, rules cxv1alpha1.RulesStatus, namespace string) error {
	meta := metav1.ObjectMeta{Name: rules.Name, Namespace: namespace}
	if rules.Kind == cxv1alpha1.RulesKindPrometheusRule {
		return applier.Delete(ctx, &monitoringv1.PrometheusRule{ObjectMeta: meta})
	}
	return applier.Delete(ctx, &corev1.ConfigMap{ObjectMeta: meta})
}

// switchToPrometheusOperator starts watching the Prometheus Operator kinds a
// running controller owns, and requeues every object of the controller's
// kind so that each moves its children over.
func switchToPrometheusOperator(ctx context.Context, c controller.Controller, mgr manager.Manager, requeue chan<- event.GenericEvent, list client.ObjectList, owner client.Object, owned ...client.Object) error {
	for _, kind := range owned {
		// Metadata only, as with Owns(..., builder.OnlyMetadata): an owner
		// reference is all the watch needs.
		gvk, err := apiutil.GVKForObject(kind, mgr.GetScheme())
		if err != nil {
			return err
		}
		metadata := &metav1.PartialObjectMetadata{}
		metadata.SetGroupVersionKind(gvk)
		if err := c.Watch(source.Kind[client.Object](mgr.GetCache(), metadata,
			handler.EnqueueRequestForOwner(mgr.GetScheme(), mgr.GetRESTMapper(), owner, handler.OnlyControllerOwner()))); err != nil {
			return err
		}
	}
	if err := mgr.GetClient().List(ctx, list); err != nil {
		return err
	}
	items, err := metaItems(list)
	if err != nil {
		return err
	}
	go func() {
		for _, item := range items {
			select {
			case requeue <- event.GenericEvent{Object: item}:
			case <-ctx.Done():
				return
			}
		}
	}()
	return nil
}

func metaItems(list client.ObjectList) ([]client.Object, error) {
	objs, err := apimeta.ExtractList(list)
	if err != nil {
		return nil, err
	}
	out := make([]client.Object, 0, len(objs))
	for _, o := range objs {
		out = append(out, o.(client.Object))
	}
	return out, nil
}

// requestsFor turns objects into reconcile requests.
func requestsFor[T any, PT interface {
	*T
	client.Object
}](items []T) []reconcile.Request {
	requests := make([]reconcile.Request, 0, len(items))
	for i := range items {
		requests = append(requests, reconcile.Request{NamespacedName: client.ObjectKeyFromObject(PT(&items[i]))})
	}
	return requests
}
