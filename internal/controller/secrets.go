package controller

import (
	"context"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
)

// +kubebuilder:rbac:groups="",resources=secrets,verbs=get;list;watch

// missingSecrets returns the places where the monitor's probe reads a
// Secret that does not exist. Only the Secrets' metadata is cached: whether
// a Secret exists is all the operator needs to know of it.
func missingSecrets(ctx context.Context, r client.Reader, monitor *cxv1alpha1.TouchpointMonitor) ([]journey.SecretUse, error) {
	var missing []journey.SecretUse
	exists := map[string]bool{}
	for _, use := range journey.SecretUses(monitor) {
		found, checked := exists[use.Secret]
		if !checked {
			secret := &metav1.PartialObjectMetadata{}
			secret.SetGroupVersionKind(corev1.SchemeGroupVersion.WithKind("Secret"))
			err := r.Get(ctx, client.ObjectKey{Namespace: monitor.Namespace, Name: use.Secret}, secret)
			if err != nil && !apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("reading Secret %s: %w", use.Secret, err)
			}
			found = err == nil
			exists[use.Secret] = found
		}
		if !found {
			missing = append(missing, use)
		}
	}
	return missing, nil
}

// describeMissingSecrets says which Secret each field names, in spec order.
func describeMissingSecrets(missing []journey.SecretUse) string {
	parts := make([]string, 0, len(missing))
	for _, use := range missing {
		parts = append(parts, fmt.Sprintf("%s names Secret %q", use.Field, use.Secret))
	}
	return strings.Join(parts, "; ")
}

// monitorsOfSecret finds the monitors whose probe reads a Secret.
func monitorsOfSecret(ctx context.Context, r client.Reader, secret client.Object) ([]cxv1alpha1.TouchpointMonitor, error) {
	var list cxv1alpha1.TouchpointMonitorList
	if err := r.List(ctx, &list, client.InNamespace(secret.GetNamespace()), client.MatchingFields{monitorSecretIndex: secret.GetName()}); err != nil {
		return nil, err
	}
	return list.Items, nil
}

// secretEvents turns a Secret's creation or deletion into requests for the
// objects that read it, through to.
func secretEvents(r client.Reader, to func([]cxv1alpha1.TouchpointMonitor) []reconcile.Request) func(context.Context, client.Object) []reconcile.Request {
	return func(ctx context.Context, secret client.Object) []reconcile.Request {
		monitors, err := monitorsOfSecret(ctx, r, secret)
		if err != nil {
			ctrl.LoggerFrom(ctx).Error(err, "listing the monitors that read a Secret", "secret", secret.GetName())
			return nil
		}
		return to(monitors)
	}
}
