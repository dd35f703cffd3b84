package controller_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestEditWritesOnlyWhatChanged edits a converged monitor's objective a few
// times. Each edit changes the monitor's rules, the map's roll-up rules
// (which carry every touchpoint's budget) and the monitor's status, and
// must cost exactly those three writes: no second status patch from a
// reconcile that read the cache from before the first, nothing for the
// other monitors of the map.
func TestEditWritesOnlyWhatChanged(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	createSamples(t, c, ns)
	for _, name := range []string{"pricing-page", "trial-signup", "contacts-api", "checkout", "admin-portal", "sip-gateway", "porting-api"} {
		eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, name) })
	}
	waitQuiet := func() {
		eventually(t, convergeTimeout, func() error {
			before := writes.Total()
			time.Sleep(time.Second)
			if after := writes.Total(); after != before {
				return fmt.Errorf("%d writes in the last second", after-before)
			}
			return nil
		})
	}
	want := []string{
		"1× PATCH /apis/cx.journeymap.dev/v1alpha1/namespaces/" + ns + "/touchpointmonitors/pricing-page/status",
		"1× PATCH /apis/monitoring.coreos.com/v1/namespaces/" + ns + "/prometheusrules/" + render.JourneyRulesName("marketing-automation-trial"),
		"1× PATCH /apis/monitoring.coreos.com/v1/namespaces/" + ns + "/prometheusrules/" + render.MonitorRulesName("pricing-page"),
	}
	slices.Sort(want)

	waitQuiet()
	for _, availability := range []string{"99.4", "99.6", "99.4", "99.6", "99.4"} {
		before := writes.Snapshot()
		monitor := &cxv1alpha1.TouchpointMonitor{}
		if err := c.Get(context.Background(), types.NamespacedName{Namespace: ns, Name: "pricing-page"}, monitor); err != nil {
			t.Fatal(err)
		}
		monitor.Spec.Objectives.Availability = availability
		if err := c.Update(context.Background(), monitor); err != nil {
			t.Fatal(err)
		}
		eventually(t, convergeTimeout, func() error {
			if _, err := get(t, c, ns, "pricing-page", monitor); err != nil {
				return err
			}
			if monitor.Status.ObservedGeneration != monitor.Generation {
				return fmt.Errorf("observedGeneration %d, generation %d", monitor.Status.ObservedGeneration, monitor.Generation)
			}
			return nil
		})
		waitQuiet()
		if got := writes.Since(before); !slices.Equal(got, want) {
			t.Fatalf("setting availability %s wrote:\n%s\nwant exactly:\n%s", availability, strings.Join(got, "\n"), strings.Join(want, "\n"))
		}
	}
}
