package controller_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controller"
	"github.com/journeymap/journey-operator/internal/dashboard"
	"github.com/journeymap/journey-operator/internal/dashboard/dashboardtest"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestDashboardChild checks the map's dashboard ConfigMap: labelled for the
// Grafana sidecar, controlled by the map, holding the dashboard of the map
// with a panel query per bound touchpoint; restored when deleted, and gone
// with the map (kube-controller-manager's garbage collector).
func TestDashboardChild(t *testing.T) {
	runControllerManager(t)
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, persona+"\n---\n"+journeyMap+"\n---\n"+monitorYAML("cart", "cart"))
	eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, "checkout-journey") })
	journey, _ := get(t, c, ns, "checkout-journey", &cxv1alpha1.JourneyMap{})
	name := render.DashboardName(journey.Name)

	var cm *corev1.ConfigMap
	// The map is Ready before the monitor's binding may have reached it:
	// wait for the dashboard that shows the cart's queries.
	eventually(t, convergeTimeout, func() (err error) {
		if cm, err = get(t, c, ns, name, &corev1.ConfigMap{}); err != nil {
			return err
		}
		d, err := readDashboard(cm, ns, journey.Name)
		if err != nil {
			return err
		}
		for _, target := range d.Targets() {
			if strings.Contains(target.Expr, `touchpoint="cart"`) {
				return nil
			}
		}
		return fmt.Errorf("no query of the cart touchpoint yet in %d queries", len(d.Targets()))
	})
	if cm.Labels[controller.DefaultDashboardLabel] != controller.DefaultDashboardLabelValue ||
		cm.Labels[render.ManagedByLabel] != render.ManagedByValue || cm.Labels[render.JourneyLabel] != journey.Name {
		t.Errorf("labels %v: want the sidecar's grafana_dashboard=1, managed-by and journey", cm.Labels)
	}
	assertControlledBy(t, cm, journey.UID)

	if err := c.Delete(context.Background(), cm); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		restored, err := get(t, c, ns, name, &corev1.ConfigMap{})
		if err != nil {
			return err
		}
		if restored.UID == cm.UID {
			return fmt.Errorf("not deleted yet")
		}
		_, err = readDashboard(restored, ns, journey.Name)
		return err
	})

	if err := c.Delete(context.Background(), journey); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*convergeTimeout, func() error { return gone(t, c, ns, name, &corev1.ConfigMap{}) })
}

// TestDashboardOfUnusualMap gives a map the longest name the apiserver
// admits and hostile text in every display name: its dashboard still
// appears, under a fitted name and key, as valid JSON.
func TestDashboardOfUnusualMap(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	name := strings.Repeat("j", 253)
	hostile := `"}]}, </script><script>window.pwned=1</script> {{ .Values }} ${__user.login} \ ünïcødé ` + "\u202eRTL"
	create(t, c, ns, fmt.Sprintf(`
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata: {name: %s}
spec:
  personaRef: {name: shopper}
  goal: %q
  stages:
    - name: browse
      displayName: %q
      touchpoints:
        - {name: catalog, displayName: %q, channel: web}
`, name, hostile, hostile, hostile))
	eventually(t, convergeTimeout, func() error {
		cm, err := get(t, c, ns, render.DashboardName(name), &corev1.ConfigMap{})
		if err != nil {
			return err
		}
		d, err := readDashboard(cm, ns, name)
		if err != nil {
			return err
		}
		if !strings.Contains(d.Title, name) {
			return fmt.Errorf("title %q does not name the map", d.Title)
		}
		return nil
	})
}

// readDashboard reads the dashboard out of its ConfigMap and checks that it
// is the map's.
func readDashboard(cm *corev1.ConfigMap, ns, journey string) (*dashboardtest.Dashboard, error) {
	key := render.DashboardKey(ns, journey)
	data, ok := cm.Data[key]
	if !ok || len(cm.Data) != 1 {
		return nil, fmt.Errorf("ConfigMap %s holds %d keys, want only %s", cm.Name, len(cm.Data), key)
	}
	if !json.Valid([]byte(data)) {
		return nil, fmt.Errorf("ConfigMap %s: invalid JSON", cm.Name)
	}
	d, err := dashboardtest.Parse([]byte(data))
	if err != nil {
		return nil, err
	}
	if d.UID != dashboard.UID(ns, journey) {
		return nil, fmt.Errorf("UID %s, want %s", d.UID, dashboard.UID(ns, journey))
	}
	return d, nil
}

func TestDashboardOptionsValidate(t *testing.T) {
	for _, tc := range []struct {
		opts    controller.DashboardOptions
		wantErr string
	}{
		{opts: controller.DashboardOptions{}},
		{opts: controller.DashboardOptions{Label: "example.com/dashboard", Value: "journeys"}},
		{opts: controller.DashboardOptions{Label: "grafana dashboard"}, wantErr: `dashboard label "grafana dashboard" is not a valid label name`},
		{opts: controller.DashboardOptions{Value: "yes please"}, wantErr: `dashboard label value "yes please" is not a valid label value`},
		{opts: controller.DashboardOptions{Label: render.ManagedByLabel}, wantErr: "is one the operator sets itself"},
	} {
		err := tc.opts.Validate()
		switch {
		case tc.wantErr == "" && err != nil:
			t.Errorf("%+v: %v", tc.opts, err)
		case tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)):
			t.Errorf("%+v: error %v, want one containing %q", tc.opts, err, tc.wantErr)
		}
	}
}
