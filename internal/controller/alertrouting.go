package controller

import (
	"context"
	"fmt"
	"slices"
	"strings"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
)

// alertmanagerConfigCRD is the Prometheus Operator CRD the namespace's
// alert routing is written as. It is optional beside the PrometheusRule
// and ServiceMonitor CRDs, and read once at start-up.
const alertmanagerConfigCRD = "alertmanagerconfigs.monitoring.coreos.com"

// +kubebuilder:rbac:groups=monitoring.coreos.com,resources=alertmanagerconfigs,verbs=get;list;watch;create;update;patch;delete

// alertmanagerConfigsInstalled reports whether the AlertmanagerConfig CRD
// is established.
func alertmanagerConfigsInstalled(ctx context.Context, r client.Reader) (bool, error) {
	crd := &apiextensionsv1.CustomResourceDefinition{}
	if err := r.Get(ctx, client.ObjectKey{Name: alertmanagerConfigCRD}, crd); err != nil {
		if apierrors.IsNotFound(err) {
			return false, nil
		}
		return false, err
	}
	return isEstablished(crd), nil
}

// reconcileAlertRouting applies the namespace's AlertmanagerConfig and
// says in the map's AlertsRouted condition whether its routes made it.
// Without the CRD there is nothing to write; `kubectl journey render
// --alertmanager` prints the same routing for a plain Alertmanager.
func (r *JourneyMapReconciler) reconcileAlertRouting(ctx context.Context, s *mapScope) error {
	if !r.AlertmanagerConfigs {
		return nil
	}
	problems, err := r.routeNamespace(ctx, s.journey.Namespace)
	if err != nil {
		setAlertRoutingFailed(s.journey, err)
		return err
	}
	setAlertsRouted(s.journey, problems[s.journey.Name])
	return nil
}

// routeNamespace builds the routing of every map of the namespace and
// applies it as one AlertmanagerConfig. Every map builds the same object,
// so whichever reconciles last is right. A route whose receiver cannot be
// found is left out, because one unknown receiver makes the Prometheus
// Operator reject the whole AlertmanagerConfig; it and conflicting routes
// are returned per map for that map's condition.
func (r *JourneyMapReconciler) routeNamespace(ctx context.Context, namespace string) (map[string][]string, error) {
	var maps cxv1alpha1.JourneyMapList
	if err := r.List(ctx, &maps, client.InNamespace(namespace)); err != nil {
		return nil, fmt.Errorf("listing the journey maps of namespace %s: %w", namespace, err)
	}
	var journeys []render.RoutedJourney
	var owners []*cxv1alpha1.JourneyMap
	for i := range maps.Items {
		m := &maps.Items[i]
		if !m.DeletionTimestamp.IsZero() {
			continue
		}
		persona, err := personaOf(ctx, r.Client, m)
		if err != nil {
			return nil, err
		}
		monitors, err := listMonitorsOf(ctx, r.Client, namespace, m.Name)
		if err != nil {
			return nil, err
		}
		journeys = append(journeys, render.RoutedJourney{Map: m, Monitored: activeBindings(m, persona, monitors, r.Validity)})
		owners = append(owners, m)
	}
	if len(owners) == 0 {
		// The AlertmanagerConfig is owned by the maps and goes with the last.
		return nil, nil
	}
	routing := render.BuildRouting(namespace, journeys)
	problems := map[string][]string{}
	for _, c := range routing.Conflicts {
		problems[c.Map] = append(problems[c.Map], c.String())
	}
	receivers, missing, err := r.receiversOf(ctx, namespace, routing.Routes, journeys)
	if err != nil {
		return nil, err
	}
	routing.Routes = slices.DeleteFunc(routing.Routes, func(route render.TeamRoute) bool {
		if problem, ok := missing[route]; ok {
			problems[route.Map] = append(problems[route.Map], problem)
			return true
		}
		return false
	})
	config, err := render.BuildAlertmanagerConfig(routing, receivers, owners, r.Scheme())
	if err != nil {
		return nil, fmt.Errorf("building AlertmanagerConfig %s: %w", render.AlertmanagerConfigName, err)
	}
	if _, err := r.Applier.Apply(ctx, config); err != nil {
		return nil, err
	}
	return problems, nil
}

// receiversOf copies the receivers the routes name from the
// AlertmanagerConfigs the maps name in receiversFrom: the operator passes
// the receivers' Secret references on and never reads a credential. It
// returns the receivers found, and per route that cannot be served why.
func (r *JourneyMapReconciler) receiversOf(ctx context.Context, namespace string, routes []render.TeamRoute, journeys []render.RoutedJourney) ([]monitoringv1alpha1.Receiver, map[render.TeamRoute]string, error) {
	sources := map[string]*monitoringv1alpha1.AlertmanagerConfig{}
	var receivers []monitoringv1alpha1.Receiver
	missing := map[render.TeamRoute]string{}
	for _, route := range routes {
		from := ""
		for _, j := range journeys {
			if j.Map.Name == route.Map {
				from = j.Map.Spec.Alerting.ReceiversFrom.Name
			}
		}
		source, ok := sources[from]
		if !ok {
			source = &monitoringv1alpha1.AlertmanagerConfig{}
			err := r.Get(ctx, client.ObjectKey{Namespace: namespace, Name: from}, source)
			switch {
			case apierrors.IsNotFound(err):
				source = nil
			case err != nil:
				return nil, nil, fmt.Errorf("reading AlertmanagerConfig %s: %w", from, err)
			}
			sources[from] = source
		}
		if source == nil {
			missing[route] = fmt.Sprintf("receiver %s of team %s: AlertmanagerConfig %s does not exist in namespace %s", route.Receiver, route.Team, from, namespace)
			continue
		}
		i := slices.IndexFunc(source.Spec.Receivers, func(rc monitoringv1alpha1.Receiver) bool { return rc.Name == route.Receiver })
		if i < 0 {
			missing[route] = fmt.Sprintf("receiver %s of team %s is not defined in AlertmanagerConfig %s", route.Receiver, route.Team, from)
			continue
		}
		if !slices.ContainsFunc(receivers, func(rc monitoringv1alpha1.Receiver) bool { return rc.Name == route.Receiver }) {
			receivers = append(receivers, *source.Spec.Receivers[i].DeepCopy())
		}
	}
	slices.SortFunc(receivers, func(a, b monitoringv1alpha1.Receiver) int { return strings.Compare(a.Name, b.Name) })
	return receivers, missing, nil
}

// mapsOfNamespace enqueues every map of an AlertmanagerConfig's namespace:
// a receivers source changed, or the generated one drifted.
func (r *JourneyMapReconciler) mapsOfNamespace(ctx context.Context, o client.Object) []reconcile.Request {
	var maps cxv1alpha1.JourneyMapList
	if err := r.List(ctx, &maps, client.InNamespace(o.GetNamespace())); err != nil {
		ctrl.LoggerFrom(ctx).Error(err, "listing the journey maps of a namespace", "namespace", o.GetNamespace())
		return nil
	}
	return requestsFor(maps.Items)
}
