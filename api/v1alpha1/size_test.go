package v1alpha1_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/test/manifests"
)

// probeTextBudget is the limit of the http and flow size rules.
const probeTextBudget = 24576

// TestLargestProbeFitsInBudget builds the largest flow the schema admits:
// 10 steps with every list at its MaxItems and every bounded field at its
// MaxLength, and the free text filled up to the size rule's limit. The
// apiserver must admit it, and the collector configuration rendered from
// it must stay within 64 KiB, as ProbeSpec's comment computes.
func TestLargestProbeFitsInBudget(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t, "size")
	long := func(c byte, n int) string { return strings.Repeat(string(c), n) }

	counted := 0
	var steps []any
	for s := range 10 {
		name := fmt.Sprintf("s%d-%s", s, long('a', 60))
		counted += len(name)
		url := "https://app.example.com/" + long('u', 40)
		counted += len(url)
		var headers []any
		for h := range 20 {
			hn := fmt.Sprintf("X-H%02d", h)
			if h%2 == 0 {
				headers = append(headers, map[string]any{"name": hn, "value": "v"})
				counted += len(hn) + 1
			} else {
				headers = append(headers, map[string]any{"name": hn, "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "creds", "key": "k"}}})
				counted += len(hn) + len("creds") + 1
			}
		}
		var contains, json, captures, status []any
		for i := range 10 {
			contains = append(contains, "c")
			json = append(json, map[string]any{"path": "p", "equals": "e"})
			captures = append(captures, map[string]any{"name": fmt.Sprintf("c%d_%d", s, i), "from": "Header", "expression": "X"})
			status = append(status, int64(200+i))
			counted += 1 + 2 + len(fmt.Sprintf("c%d_%d", s, i)) + 1
		}
		counted++ // bodyRegex
		steps = append(steps, map[string]any{
			"name": name, "url": url, "method": "OPTIONS", "headers": headers,
			"expectedStatus": status, "bodyContains": contains, "bodyRegex": ".", "json": json,
			"followRedirects": false, "capture": captures,
			"tls": map[string]any{
				"insecureSkipVerify": true, "serverName": long('n', 253),
				"caSecretRef": map[string]any{"name": long('s', 253), "key": long('k', 253)},
			},
		})
	}
	// Fill the rest of the budget with bodies, at most 16384 each.
	left := probeTextBudget - counted
	for s := 0; left > 0; s++ {
		n := min(left, 16384)
		steps[s].(map[string]any)["body"] = long('b', n)
		left -= n
	}

	monitor := parse(t, manifests.ValidMonitor)
	monitor.SetNamespace(ns)
	monitor.SetName(long('m', 253))
	must(t, unstructured.SetNestedField(monitor.Object, map[string]any{"flow": map[string]any{"steps": steps}}, "spec", "probe"))
	if err := env.Client.Create(ctx, monitor); err != nil {
		t.Fatalf("the largest flow is rejected: %v", err)
	}
	typed := &cxv1alpha1.TouchpointMonitor{}
	if err := env.Client.Get(ctx, client.ObjectKeyFromObject(monitor), typed); err != nil {
		t.Fatal(err)
	}
	journeyMap := &cxv1alpha1.JourneyMap{}
	journeyMap.Name = long('j', 253)
	journeyMap.Spec.PersonaRef.Name = long('p', 253)
	journeyMap.Spec.Stages = []cxv1alpha1.Stage{{Name: long('g', 63), Touchpoints: []cxv1alpha1.Touchpoint{{Name: long('t', 63)}}}}
	binding := journey.TouchpointBinding{Monitor: typed, Map: journeyMap, Stage: &journeyMap.Spec.Stages[0], Touchpoint: &journeyMap.Spec.Stages[0].Touchpoints[0]}
	config, err := yaml.Marshal(render.ProbeConfig(render.Collector{Map: journeyMap, Probed: []journey.TouchpointBinding{binding}}))
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("largest flow: %d bytes of counted text, %d bytes of collector configuration", probeTextBudget, len(config))
	if len(config) > 64*1024 {
		t.Errorf("the largest probe renders to %d bytes of collector configuration, more than 64 KiB", len(config))
	}

	// One byte more is refused: step 1 holds the rest of the budget.
	steps[1].(map[string]any)["body"] = steps[1].(map[string]any)["body"].(string) + "b"
	monitor = parse(t, manifests.ValidMonitor)
	monitor.SetNamespace(ns)
	monitor.SetName("one-byte-more")
	must(t, unstructured.SetNestedField(monitor.Object, map[string]any{"flow": map[string]any{"steps": steps}}, "spec", "probe"))
	if err := env.Client.Create(ctx, monitor); err == nil || !strings.Contains(err.Error(), "flow is too large") {
		t.Errorf("a flow one byte over the budget: want \"flow is too large\", got %v", err)
	}
}
