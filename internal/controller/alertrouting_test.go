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
