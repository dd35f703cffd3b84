package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/controller-runtime/pkg/client"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/demoshop"
	"github.com/journeymap/journey-operator/internal/localstack"
)

// TestConversionLeaksAndRecovers: the journey of e2e_test.go, with its
// persona narrowed to the shop's Starter customers and its stages
// measuring their entrants, added through the API. The shop then loses
// most of its trial sign-ups (demoshop.DefaultLeak) while every page
// answers: the purchase stage goes Degraded on conversion with no
// touchpoint Critical, and JourneyConversionDrop fires in Prometheus;
// without the leak both go away. The floor (40%) and the hold (1m) are
// set through the API so the test takes minutes; a baseline needs a week
// of history, which the promtool tests cover.
func TestConversionLeaksAndRecovers(t *testing.T) {
	started := time.Now()
	stack := startStack(t, localstack.Options{})
	c := stack.Env.Client
	apply(t, c, strings.ReplaceAll(journey, "SHOP", stack.ShopURL))
	persona := &cxv1alpha1.Persona{}
	update(t, c, client.ObjectKey{Namespace: "shop", Name: "startup-cmo"}, persona, func() {
		persona.Spec.Segment = []cxv1alpha1.SegmentMatcher{{Name: "plan", Operator: cxv1alpha1.MatchEqual, Value: "starter"}}
	})
	m := &cxv1alpha1.JourneyMap{}
	update(t, c, client.ObjectKey{Namespace: "shop", Name: "trial"}, m, func() {
		m.Spec.Stages[0].KPI = &cxv1alpha1.StageKPI{Category: cxv1alpha1.KPIAcquisition, Query: "sum(rate(shop_pricing_visits_total[{{.window}}]))"}
		m.Spec.Stages[1].KPI = &cxv1alpha1.StageKPI{Category: cxv1alpha1.KPIActivation, Query: "sum(rate(shop_trial_signups_total[{{.window}}]))",
			Floor: "0.4", DropFor: "1m"}
	})

	t.Log("waiting for the funnel to be recorded and judged")
	// 48% of Starter visitors sign up; with Growth's counted too (the
	// segment not applied) it would read 44%.
	waitFor(t, c, 5*time.Minute, "purchase converting 48% of Starter visitors, touchpoints Healthy", func() error {
		if err := touchpointsHealthy(c); err != nil {
			return err
		}
		m, err := journeyMap(c)
		if err != nil {
			return err
		}
		conv := m.Status.Stages[1].Conversion
		if conv == nil || conv.Now != "48%" || conv.Dropped || m.Status.Conversion != "48%" || m.Status.Stages[1].Health != cxv1alpha1.HealthHealthy {
			return fmt.Errorf("purchase %+v, conversion %+v, map conversion %q", m.Status.Stages[1], conv, m.Status.Conversion)
		}
		return nil
	})
	ready := time.Since(started)
	// Measured from a full short window, as in a running shop: with less
	// history, the 5m conversion moves faster than it ever would.
	waitFor(t, c, 10*time.Minute, "five minutes of funnel history", func() error {
		return promHas(stack.PrometheusURL, `shop_pricing_visits_total{plan="starter"} offset 5m`, true)
	})

	if err := stack.Shop.Leak("purchase", demoshop.DefaultLeak); err != nil {
		t.Fatal(err)
	}
	leaked := time.Now()
	waitFor(t, c, 5*time.Minute, "purchase Degraded on conversion, no touchpoint Critical", func() error {
		for _, name := range []string{"pricing-page", "trial-signup"} {
			if mon, err := monitor(c, name); err != nil || mon.Status.Health == cxv1alpha1.HealthCritical {
				t.Fatalf("monitor %s is %v (%v) while only customers leak", name, mon.Status.Health, err)
			}
		}
		m, err := journeyMap(c)
		if err != nil {
			return err
		}
		stage := m.Status.Stages[1]
		if stage.Health != cxv1alpha1.HealthDegraded || stage.Conversion == nil || !stage.Conversion.Dropped ||
			!strings.HasPrefix(stage.Conversion.Message, "conversion consideration → purchase ") {
			return fmt.Errorf("purchase %+v, conversion %+v", stage, stage.Conversion)
		}
		if m.Status.Health != cxv1alpha1.HealthDegraded || m.Status.WeakestStage != "purchase" {
			return fmt.Errorf("map %s, weakest %q", m.Status.Health, m.Status.WeakestStage)
		}
		shown, _ := json.Marshal(stage)
		t.Logf("map %s, conversion %s; purchase: %s", m.Status.Health, m.Status.Conversion, shown)
		return nil
	})
	degraded := time.Since(leaked)
	waitFor(t, c, 5*time.Minute, "JourneyConversionDrop firing in Prometheus", func() error {
		return conversionDropFiring(stack.PrometheusURL, true)
	})
	alerted := time.Since(leaked)
	if err := touchpointsHealthy(c); err != nil {
		t.Errorf("touchpoints while customers leak: %v", err)
	}

	if err := stack.Shop.Leak("purchase", 0); err != nil {
		t.Fatal(err)
	}
	unleaked := time.Now()
	waitFor(t, c, 5*time.Minute, "purchase Healthy again, the alert resolved", func() error {
		m, err := journeyMap(c)
		if err != nil {
			return err
		}
		if stage := m.Status.Stages[1]; stage.Health != cxv1alpha1.HealthHealthy || stage.Conversion == nil || stage.Conversion.Dropped {
			return fmt.Errorf("purchase %+v, conversion %+v", stage, stage.Conversion)
		}
		return conversionDropFiring(stack.PrometheusURL, false)
	})
	recovered := time.Since(unleaked)

	report := fmt.Sprintf("funnel: start-up to judged: %s; leak → stage Degraded: %s; leak → JourneyConversionDrop firing (dropFor 1m): %s; leak ended → Healthy, alert resolved: %s",
		ready.Round(time.Second), degraded.Round(time.Second), alerted.Round(time.Second), recovered.Round(time.Second))
	t.Log(report)
	if path := os.Getenv("E2E_FUNNEL_REPORT"); path != "" {
		if err := os.WriteFile(path, []byte(report+"\n"), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// update changes an object through the API, retrying on conflicts with
// the operator's status writes.
func update(t *testing.T, c client.Client, key client.ObjectKey, obj client.Object, change func()) {
	t.Helper()
	waitFor(t, c, 30*time.Second, "updating "+key.Name, func() error {
		if err := c.Get(context.Background(), key, obj); err != nil {
			return err
		}
		change()
		return c.Update(context.Background(), obj)
	})
}

func touchpointsHealthy(c client.Client) error {
	for _, name := range []string{"pricing-page", "trial-signup"} {
		mon, err := monitor(c, name)
		if err != nil {
			return err
		}
		if mon.Status.Health != cxv1alpha1.HealthHealthy {
			return fmt.Errorf("monitor %s is %s", name, mon.Status.Health)
		}
	}
	return nil
}

// conversionDropFiring asks Prometheus itself whether the alert fires.
func conversionDropFiring(prometheusURL string, want bool) error {
	return promHas(prometheusURL, `ALERTS{alertname="JourneyConversionDrop", alertstate="firing", journey="trial", stage="purchase", from_stage="consideration", team="growth"}`, want)
}

// promHas says whether an instant query returns anything, as wanted.
func promHas(prometheusURL, q string, want bool) error {
	resp, err := http.Get(prometheusURL + "/api/v1/query?query=" + url.QueryEscape(q))
	if err != nil {
		return err
	}
	defer func() { _ = resp.Body.Close() }() // decoded below; a close error changes no result
	var body struct {
		Data struct {
			Result []json.RawMessage `json:"result"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		return err
	}
	if has := len(body.Data.Result) > 0; has != want {
		return fmt.Errorf("%s returns a result: %v", q, has)
	}
	return nil
}
