package controller

import (
	"fmt"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// maxCollectorConfig is how much probe configuration one collector
// ConfigMap may hold: the apiserver refuses a ConfigMap over 1 MiB, and the
// rest of the object needs room too.
const maxCollectorConfig = 1<<20 - 64<<10

// fitCollector keeps the probes of a collector within maxCollectorConfig.
// When they do not fit, the largest are left out until the rest do, so that
// one oversized monitor costs its own probe and not every probe of the
// journey. It returns the monitors left out, each with its size, largest
// first.
func fitCollector(c render.Collector) (render.Collector, []string) {
	sizes := make(map[string]int, len(c.Probed))
	total := 0
	for _, b := range c.Probed {
		size := probeSize(c, b)
		sizes[b.Monitor.Name] = size
		total += size
	}
	if total <= maxCollectorConfig {
		return c, nil
	}
	bySize := slices.Clone(c.Probed)
	slices.SortStableFunc(bySize, func(a, b journey.TouchpointBinding) int {
		return sizes[b.Monitor.Name] - sizes[a.Monitor.Name]
	})
	leftOut := map[string]bool{}
	var described []string
	for _, b := range bySize {
		if total <= maxCollectorConfig {
			break
		}
		leftOut[b.Monitor.Name] = true
		total -= sizes[b.Monitor.Name]
		described = append(described, fmt.Sprintf("%s (%d KiB)", b.Monitor.Name, (sizes[b.Monitor.Name]+1023)/1024))
	}
	fitted := c
	fitted.Probed = slices.DeleteFunc(slices.Clone(c.Probed), func(b journey.TouchpointBinding) bool { return leftOut[b.Monitor.Name] })
	return fitted, described
}

// probeSize is the size one monitor adds to the collector configuration.
func probeSize(c render.Collector, b journey.TouchpointBinding) int {
	one := c
	one.Probed = []journey.TouchpointBinding{b}
	config, err := yaml.Marshal(render.ProbeConfig(one))
	if err != nil {
		return 0
	}
	return len(config)
}

// describeLeftOut explains why monitors are missing from a collector.
func describeLeftOut(leftOut []string) string {
	return fmt.Sprintf("the probes of this map exceed the %d KiB one collector ConfigMap holds; left out, largest first: %s; shrink their bodies or assertions, or move some touchpoints to another map",
		maxCollectorConfig>>10, strings.Join(leftOut, ", "))
}
