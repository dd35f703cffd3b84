package render

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

const dashboardComponent = "dashboard"

// DashboardObject is the ConfigMap that hands a journey map's Grafana
// dashboard to the Grafana sidecar.
type DashboardObject struct {
	Map *cxv1alpha1.JourneyMap
	// JSON is the dashboard (internal/dashboard).
	JSON []byte
	// Label and Value are the label the sidecar looks for, e.g.
	// grafana_dashboard: "1".
	Label, Value string
}

// DashboardName names the dashboard ConfigMap of a journey map, a DNS-1123
// subdomain.
func DashboardName(journey string) string {
	return fitName("journey-dashboard-"+journey, maxObjectName, dns1123Char, isDNS1123Subdomain)
}

// DashboardKey is the ConfigMap key of a map's dashboard. The sidecar
// writes every key of every ConfigMap it finds into one folder, so the key
// names the namespace too: "." joins them unambiguously, as a namespace
// holds none. It fits a key's 253 characters with ".json" at its end, which
// is how the sidecar and Grafana's file provisioning know a dashboard.
func DashboardKey(namespace, journey string) string {
	const suffix = ".json"
	return fitName("journey-"+namespace+"."+journey, maxObjectName-len(suffix), dns1123Char, isDNS1123Subdomain) + suffix
}

// BuildDashboardConfigMap builds the ConfigMap of a map's dashboard,
// labelled for the Grafana sidecar.
func BuildDashboardConfigMap(d DashboardObject, scheme *runtime.Scheme) (*corev1.ConfigMap, error) {
	meta, err := childMeta(DashboardName(d.Map.Name), d.Map, map[string]string{
		ComponentLabel: dashboardComponent,
		JourneyLabel:   labelValue(d.Map.Name),
		d.Label:        d.Value,
	}, scheme)
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data:       map[string]string{DashboardKey(d.Map.Namespace, d.Map.Name): string(d.JSON)},
	}, nil
}
