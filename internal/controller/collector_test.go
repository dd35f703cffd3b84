package controller

import (
	"fmt"
	"strings"
	"testing"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

func TestFitCollectorLeavesOutTheLargestProbes(t *testing.T) {
	journeyMap := faultMap()
	journeyMap.Spec.Stages = append(journeyMap.Spec.Stages, cxv1alpha1.Stage{Name: "usage"})
	usage := &journeyMap.Spec.Stages[len(journeyMap.Spec.Stages)-1]
	collector := func(probes int) render.Collector {
		c := render.Collector{Map: journeyMap}
		for i := range probes {
			name := fmt.Sprintf("bulk-%02d", i)
			if len(usage.Touchpoints) <= i {
				usage.Touchpoints = append(usage.Touchpoints, cxv1alpha1.Touchpoint{Name: name, Channel: "api"})
			}
			m := faultMonitor(name, name)
			m.Spec.Probe.HTTP.Method = cxv1alpha1.HTTPMethod("POST")
			// Within the schema's 16 KiB per body; the last is the largest.
			m.Spec.Probe.HTTP.Body = strings.Repeat("x", 15000+10*i)
			b, ok := journey.Resolve(m, journeyMap)
			if !ok {
				t.Fatalf("touchpoint %s not in the map", name)
			}
			c.Probed = append(c.Probed, b)
		}
		return c
	}

	small := collector(10)
	if fitted, leftOut := render.FitCollector(small); len(leftOut) != 0 || len(fitted.Probed) != 10 {
		t.Fatalf("probes that fit were left out: %v", leftOut)
	}

	large := collector(70)
	fitted, leftOut := render.FitCollector(large)
	if len(leftOut) == 0 || !strings.HasPrefix(leftOut[0], "bulk-69 (") {
		t.Fatalf("left out %v, want the largest monitor bulk-69 first", leftOut)
	}
	if len(fitted.Probed)+len(leftOut) != 70 || len(large.Probed) != 70 {
		t.Fatalf("kept %d and left out %d of 70, or changed the input", len(fitted.Probed), len(leftOut))
	}
	for _, b := range fitted.Probed {
		if strings.HasPrefix(leftOut[0], b.Monitor.Name+" ") {
			t.Fatalf("%s both kept and left out", b.Monitor.Name)
		}
	}
	if msg := describeLeftOut(leftOut); !strings.Contains(msg, "bulk-69 (16 KiB)") {
		t.Fatalf("message %q does not name the monitor and its size", msg)
	}
}
