package health

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/types"

	"github.com/journeymap/journey-operator/internal/test/testenv"
)

// TestPollerReadsConversions: the funnel series the roll-up rules record
// reach the map's reading through the real Prometheus, in whole percent;
// a drop changes the reading and enqueues the map, while noise below a
// percent enqueues nothing. Conversions cost one query per cycle, however
// many maps and stages there are (TestQueriesAreFixedAndScoped).
func TestPollerReadsConversions(t *testing.T) {
	e := newExporter(t)
	conv := func(name, stage, from string) string {
		return fmt.Sprintf(`%s{namespace="shop", journey="trial", persona="cmo", stage=%q, from_stage=%q}`, name, stage, from)
	}
	now := conv("journey:stage_conversion:ratio_rate30m", "purchase", "consideration")
	baseline := conv("journey:stage_conversion_baseline:ratio_rate30m", "purchase", "consideration")
	dropped := conv("journey:stage_conversion_dropped:ratio_rate5m", "purchase", "consideration")
	e.set(now, 0.4812)
	e.set(baseline, 0.4790)
	e.set(conv("journey:stage_conversion:ratio_rate30m", "onboarding", "purchase"), 0.5)
	e.set(`journey:conversion:ratio_rate30m{namespace="shop", journey="trial", persona="cmo", from_stage="consideration", to_stage="onboarding"}`, 0.2406)
	// Another namespace is out of scope.
	e.set(`journey:stage_conversion:ratio_rate30m{namespace="other", journey="trial", stage="purchase", from_stage="consideration"}`, 0.1)
	prom := startPrometheus(t, freeAddress(t), e.server.URL)
	p := newTestPoller(t, prom.url(), time.Second)
	ctx := context.Background()
	mapKey, journey := types.NamespacedName{Namespace: "shop", Name: "trial"}, JourneyKey{Namespace: "shop", Journey: "trial"}

	steady := []StageConversion{
		{Stage: "onboarding", From: "purchase", Now: "50%"},
		{Stage: "purchase", From: "consideration", Now: "48%", Baseline: "48%"},
	}
	testenv.Eventually(t, 30*time.Second, func() error {
		if err := p.Poll(ctx); err != nil {
			return err
		}
		r := p.Journey(mapKey, journey)
		if r.Conversion != "24%" || !slices.Equal(r.Conversions, steady) {
			return fmt.Errorf("reading %+v", r)
		}
		return nil
	})

	mapEvents := func() int {
		n := 0
		for {
			select {
			case <-p.MapEvents():
				n++
			default:
				return n
			}
		}
	}
	mapEvents()
	// Noise: 48.12% → 48.31% is 48% still.
	e.set(now, 0.4831)
	time.Sleep(2 * time.Second) // two scrapes
	if err := p.Poll(ctx); err != nil {
		t.Fatal(err)
	}
	if n := mapEvents(); n != 0 {
		t.Errorf("noise below a percent enqueued the map %d time(s)", n)
	}

	e.set(dropped, 0.2196)
	testenv.Eventually(t, 30*time.Second, func() error {
		if err := p.Poll(ctx); err != nil {
			return err
		}
		if n := mapEvents(); n != 1 {
			return fmt.Errorf("%d map events", n)
		}
		return nil
	})
	// 21.96% shows rounded down: a drop never reads as high as the
	// threshold it fell below.
	r := p.Journey(mapKey, journey)
	if i := slices.IndexFunc(r.Conversions, func(c StageConversion) bool { return c.Stage == "purchase" }); i < 0 || r.Conversions[i].Dropped != "21%" {
		t.Errorf("after the drop: %+v", r.Conversions)
	}
}
