package controller

import (
	"strings"
	"testing"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

func TestFitCollectorLeavesOutTheLargestProbes(t *testing.T) {
	journeyMap := faultMap()
	bind := func(name, touchpoint string, body int) journey.TouchpointBinding {
		m := faultMonitor(name, touchpoint)
		m.Spec.Probe.HTTP.Method = cxv1alpha1.HTTPMethod("POST")
		m.Spec.Probe.HTTP.Body = strings.Repeat("x", body)
		b, ok := journey.Resolve(m, journeyMap)
		if !ok {
			t.Fatalf("touchpoint %s not in the map", touchpoint)
		}
		return b
	}
	small := render.Collector{Map: journeyMap, Probed: []journey.TouchpointBinding{bind("pricing-page", "pricing-page", 100), bind("signup", "signup", 200)}}
	if fitted, leftOut := render.FitCollector(small); len(leftOut) != 0 || len(fitted.Probed) != 2 {
		t.Fatalf("probes that fit were left out: %v", leftOut)
	}

	large := render.Collector{Map: journeyMap, Probed: []journey.TouchpointBinding{
		bind("pricing-page", "pricing-page", 600<<10),
		bind("signup", "signup", 500<<10),
	}}
	fitted, leftOut := render.FitCollector(large)
	if len(leftOut) != 1 || !strings.HasPrefix(leftOut[0], "pricing-page (") {
		t.Fatalf("left out %v, want the larger monitor pricing-page only", leftOut)
	}
	if len(fitted.Probed) != 1 || fitted.Probed[0].Monitor.Name != "signup" {
		t.Fatalf("kept %d probes, want signup", len(fitted.Probed))
	}
	if len(large.Probed) != 2 {
		t.Fatal("fitCollector changed its input")
	}
	if msg := describeLeftOut(leftOut); !strings.Contains(msg, "pricing-page (601 KiB)") {
		t.Fatalf("message %q does not name the monitor and its size", msg)
	}
}
