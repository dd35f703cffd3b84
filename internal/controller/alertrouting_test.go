package controller_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/utils/ptr"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestAlertRoutingPerNamespace routes the samples' teams to receivers of a
// user's AlertmanagerConfig: the generated AlertmanagerConfig copies the
// receivers that exist, leaves out a route to one that does not (the map
// says which), takes it in as soon as it is defined, and drops a deleted
// map's routes and ownership.
func TestAlertRoutingPerNamespace(t *testing.T) {
	ctx := context.Background()
	c := env.Client
	ns := newNamespace(t, c)
	createSamples(t, c, ns)
	create(t, c, ns, `apiVersion: monitoring.coreos.com/v1alpha1
kind: AlertmanagerConfig
metadata:
  name: team-receivers
spec:
  receivers:
  - name: provisioning-pager
    webhookConfigs: [{url: "http://hooks.example.com/provisioning"}]
`)
	routedTeams := func(want ...string) func() error {
		return func() error {
			config, err := get(t, c, ns, render.AlertmanagerConfigName, &monitoringv1alpha1.AlertmanagerConfig{})
			if err != nil {
				return err
			}
			var teams, receivers []string
			if config.Spec.Route != nil {
				children, err := config.Spec.Route.ChildRoutes()
				if err != nil {
					return err
				}
				for _, child := range children {
					teams = append(teams, child.Matchers[0].Value)
				}
			}
			for _, r := range config.Spec.Receivers {
				receivers = append(receivers, r.Name)
			}
			if !slices.Equal(teams, want) || len(receivers) != len(want) {
				return fmt.Errorf("routed teams %v with receivers %v, want teams %v", teams, receivers, want)
			}
			if len(config.Spec.InhibitRules) == 0 {
				return fmt.Errorf("no inhibition rules")
			}
			return nil
		}
	}
	// Before any map routes a team, the AlertmanagerConfig holds the
	// inhibition rules alone, and the maps converge.
	for _, name := range []string{"business-phone-system", "marketing-automation-trial"} {
		eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, name) })
	}
	eventually(t, convergeTimeout, routedTeams())
	phone, _ := get(t, c, ns, "business-phone-system", &cxv1alpha1.JourneyMap{})
	phone.Spec.Alerting = &cxv1alpha1.JourneyAlerting{
		ReceiversFrom: &cxv1alpha1.LocalObjectReference{Name: "team-receivers"},
		Receivers:     []cxv1alpha1.TeamReceiver{{Team: "provisioning", Receiver: "provisioning-pager"}, {Team: "voice-platform", Receiver: "voice-oncall"}},
	}
	if err := c.Update(ctx, phone); err != nil {
		t.Fatal(err)
	}

	eventually(t, convergeTimeout, routedTeams("provisioning"))
	eventually(t, convergeTimeout, func() error {
		m, _ := get(t, c, ns, "business-phone-system", &cxv1alpha1.JourneyMap{})
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.AlertsRoutedCondition, "False", cxv1alpha1.ReceiverNotFoundReason); err != nil {
			return err
		}
		if msg := meta.FindStatusCondition(m.Status.Conditions, cxv1alpha1.AlertsRoutedCondition).Message; !strings.Contains(msg, "receiver voice-oncall of team voice-platform is not defined in AlertmanagerConfig team-receivers") {
			return fmt.Errorf("the condition does not name the missing receiver: %s", msg)
		}
		return nil
	})
	config, _ := get(t, c, ns, render.AlertmanagerConfigName, &monitoringv1alpha1.AlertmanagerConfig{})
	if len(config.OwnerReferences) != 2 {
		t.Errorf("want both maps as owners, got %v", config.OwnerReferences)
	}
	if url := config.Spec.Receivers[0].WebhookConfigs[0].URL; url == nil || *url != "http://hooks.example.com/provisioning" {
		t.Errorf("receiver not copied as defined: %v", url)
	}

	source, _ := get(t, c, ns, "team-receivers", &monitoringv1alpha1.AlertmanagerConfig{})
	source.Spec.Receivers = append(source.Spec.Receivers, monitoringv1alpha1.Receiver{Name: "voice-oncall",
		WebhookConfigs: []monitoringv1alpha1.WebhookConfig{{URL: ptr.To("http://hooks.example.com/voice")}}})
	if err := c.Update(ctx, source); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, routedTeams("provisioning", "voice-platform"))
	eventually(t, convergeTimeout, func() error {
		m, _ := get(t, c, ns, "business-phone-system", &cxv1alpha1.JourneyMap{})
		return conditionIs(m.Status.Conditions, cxv1alpha1.AlertsRoutedCondition, "True", cxv1alpha1.AlertmanagerConfigAppliedReason)
	})

	trial, _ := get(t, c, ns, "marketing-automation-trial", &cxv1alpha1.JourneyMap{})
	if err := c.Delete(ctx, trial); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		config, err := get(t, c, ns, render.AlertmanagerConfigName, &monitoringv1alpha1.AlertmanagerConfig{})
		if err != nil {
			return err
		}
		for _, in := range config.Spec.InhibitRules {
			for _, m := range in.SourceMatch {
				if m.Value == "marketing-automation-trial" {
					return fmt.Errorf("the deleted map's inhibition rules are still there")
				}
			}
		}
		if len(config.OwnerReferences) != 1 || config.OwnerReferences[0].Name != "business-phone-system" {
			return fmt.Errorf("owners %v, want business-phone-system only", config.OwnerReferences)
		}
		return nil
	})
}

// TestMaintenanceWindowsTheAPIServerCannotJudge gives a sample monitor a
// window in a time zone nobody knows, then two that overlap with the map's:
// the monitor stays Ready (its rules and probe run, without the windows)
// and InMaintenance says what is wrong; a good window then shows when it
// next opens.
func TestMaintenanceWindowsTheAPIServerCannotJudge(t *testing.T) {
	ctx := context.Background()
	c := env.Client
	ns := newNamespace(t, c)
	createSamples(t, c, ns)
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "pricing-page") })

	setWindows := func(windows ...cxv1alpha1.TimeWindow) {
		t.Helper()
		m, _ := get(t, c, ns, "pricing-page", &cxv1alpha1.TouchpointMonitor{})
		m.Spec.MaintenanceWindows = windows
		if err := c.Update(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	inMaintenance := func(status, reason, message string) func() error {
		return func() error {
			if err := monitorReady(t, c, ns, "pricing-page"); err != nil {
				return err
			}
			m, _ := get(t, c, ns, "pricing-page", &cxv1alpha1.TouchpointMonitor{})
			if err := conditionIs(m.Status.Conditions, cxv1alpha1.InMaintenanceCondition, status, reason); err != nil {
				return err
			}
			if msg := meta.FindStatusCondition(m.Status.Conditions, cxv1alpha1.InMaintenanceCondition).Message; !strings.Contains(msg, message) {
				return fmt.Errorf("InMaintenance says %q, want %q", msg, message)
			}
			return nil
		}
	}

	setWindows(cxv1alpha1.TimeWindow{Name: "nightly", Start: "02:00", Duration: "1h", TimeZone: "Europe/Atlantis"})
	eventually(t, convergeTimeout, inMaintenance("False", cxv1alpha1.InvalidMaintenanceWindowReason, `unknown time zone "Europe/Atlantis"`))

	journeyMap, _ := get(t, c, ns, "marketing-automation-trial", &cxv1alpha1.JourneyMap{})
	journeyMap.Spec.MaintenanceWindows = []cxv1alpha1.TimeWindow{{Name: "platform", Start: "01:30", Duration: "1h", TimeZone: "UTC"}}
	if err := c.Update(ctx, journeyMap); err != nil {
		t.Fatal(err)
	}
	setWindows(cxv1alpha1.TimeWindow{Name: "nightly", Start: "02:00", Duration: "1h", TimeZone: "UTC"})
	eventually(t, convergeTimeout, inMaintenance("False", cxv1alpha1.InvalidMaintenanceWindowReason, "windows platform and nightly overlap"))
	// The map shows its own window.
	eventually(t, convergeTimeout, func() error {
		m, _ := get(t, c, ns, "marketing-automation-trial", &cxv1alpha1.JourneyMap{})
		if meta.FindStatusCondition(m.Status.Conditions, cxv1alpha1.InMaintenanceCondition) == nil {
			return fmt.Errorf("the map has no InMaintenance condition")
		}
		return nil
	})

	// Which of the two holds depends on the time of day the test runs.
	setWindows(cxv1alpha1.TimeWindow{Name: "nightly", Start: "03:00", Duration: "1h", TimeZone: "UTC"})
	eventually(t, convergeTimeout, func() error {
		closed := inMaintenance("False", cxv1alpha1.NoWindowOpenReason, "opens at")()
		if closed != nil && inMaintenance("True", cxv1alpha1.WindowOpenReason, "is open until")() != nil {
			return closed
		}
		return nil
	})
}
