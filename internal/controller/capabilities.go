package controller

import (
	"context"
	"sync"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
)

// The Prometheus Operator CRDs the operator writes when they exist.
var prometheusOperatorCRDs = []string{"prometheusrules.monitoring.coreos.com", "servicemonitors.monitoring.coreos.com"}

// PrometheusOperator tracks whether the Prometheus Operator CRDs are
// installed. Without them, rules go into ConfigMaps holding plain rule
// files and the collector Service carries scrape annotations. When the CRDs
// appear while the operator runs, the registered callbacks start watching
// the new kinds and requeue every object, so the switch needs no restart.
type PrometheusOperator struct {
	mu        sync.Mutex
	installed bool
	onInstall []func(context.Context) error
}

// Installed reports whether the Prometheus Operator CRDs are established.
func (p *PrometheusOperator) Installed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.installed
}

// OnInstall registers a callback run once when the CRDs appear after
// start-up. Callbacks registered after that are not run.
func (p *PrometheusOperator) OnInstall(f func(context.Context) error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.onInstall = append(p.onInstall, f)
}

// Detect reads the CRDs once, at start-up, before the reconcilers run.
func (p *PrometheusOperator) Detect(ctx context.Context, r client.Reader) error {
	established, err := crdsEstablished(ctx, r)
	if err != nil {
		return err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.installed = established
	return nil
}

func crdsEstablished(ctx context.Context, r client.Reader) (bool, error) {
	for _, name := range prometheusOperatorCRDs {
		crd := &apiextensionsv1.CustomResourceDefinition{}
		if err := r.Get(ctx, client.ObjectKey{Name: name}, crd); err != nil {
			if apierrors.IsNotFound(err) {
				return false, nil
			}
			return false, err
		}
		if !isEstablished(crd) {
			return false, nil
		}
	}
	return true, nil
}

func isEstablished(crd *apiextensionsv1.CustomResourceDefinition) bool {
	for _, c := range crd.Status.Conditions {
		if c.Type == apiextensionsv1.Established && c.Status == apiextensionsv1.ConditionTrue {
			return true
		}
	}
	return false
}

// crdReconciler notices the Prometheus Operator CRDs appearing.
type crdReconciler struct {
	reader     client.Reader
	capability *PrometheusOperator
}

// SetupWithManager watches the two CRDs, by metadata only.
func (p *PrometheusOperator) SetupWithManager(mgr ctrl.Manager) error {
	r := &crdReconciler{reader: mgr.GetAPIReader(), capability: p}
	isOurs := predicate.NewPredicateFuncs(func(o client.Object) bool {
		for _, name := range prometheusOperatorCRDs {
			if o.GetName() == name {
				return true
			}
		}
		return false
	})
	return ctrl.NewControllerManagedBy(mgr).
		Named("prometheus-operator-crds").
		For(&apiextensionsv1.CustomResourceDefinition{}, builder.OnlyMetadata, builder.WithPredicates(isOurs, predicate.Funcs{
			DeleteFunc: func(event.DeleteEvent) bool { return false },
		})).
		Complete(r)
}

func (r *crdReconciler) Reconcile(ctx context.Context, _ reconcile.Request) (reconcile.Result, error) {
	if r.capability.Installed() {
		return reconcile.Result{}, nil
	}
	established, err := crdsEstablished(ctx, r.reader)
	if err != nil || !established {
		return reconcile.Result{}, err
	}
	r.capability.mu.Lock()
	r.capability.installed = true
	callbacks := r.capability.onInstall
	r.capability.mu.Unlock()
	ctrl.LoggerFrom(ctx).Info("Prometheus Operator CRDs appeared: writing PrometheusRules and ServiceMonitors from now on")
	for _, f := range callbacks {
		if err := f(ctx); err != nil {
			return reconcile.Result{}, err
		}
	}
	return reconcile.Result{}, nil
}
