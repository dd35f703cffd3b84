package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// BenchmarkLint1000Journeys lints 1,000 journey maps, each with its
// persona and three monitors (an HTTP probe, a TCP probe and a metric
// SLI), one journey per file: what a large GitOps repository holds.
func BenchmarkLint1000Journeys(b *testing.B) {
	dir := b.TempDir()
	for i := range 1000 {
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("journey-%04d.yaml", i)), []byte(generatedJourney(i)), 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	for b.Loop() {
		code, out, stderr := runBench(dir)
		if code != 0 || !strings.Contains(out, "1000 JourneyMaps, 3000 TouchpointMonitors; 0 errors") {
			b.Fatalf("exit %d:\n%s%s", code, tail(out), stderr)
		}
	}
}

func runBench(dir string) (int, string, string) {
	var stdout, stderr strings.Builder
	code := Main([]string{"lint", dir}, strings.NewReader(""), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func tail(s string) string {
	if len(s) > 2000 {
		return s[len(s)-2000:]
	}
	return s
}

// generatedJourney is journey i: a persona, a map of three stages and a
// monitor on each moment of truth.
func generatedJourney(i int) string {
	return fmt.Sprintf(`apiVersion: cx.journeymap.dev/v1alpha1
kind: Persona
metadata: {name: persona-%[1]d, namespace: bench}
spec:
  displayName: Persona %[1]d
  expectations: {availabilityPercent: "99.5"}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata: {name: journey-%[1]d, namespace: bench}
spec:
  personaRef: {name: persona-%[1]d}
  goal: Buy plan %[1]d
  stages:
    - name: consideration
      touchpoints:
        - {name: pricing-%[1]d, channel: web, momentOfTruth: true}
    - name: purchase
      touchpoints:
        - {name: checkout-%[1]d, channel: web, criticality: Critical, momentOfTruth: true}
    - name: usage
      touchpoints:
        - {name: api-%[1]d, channel: api, momentOfTruth: true}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: pricing-%[1]d, namespace: bench}
spec:
  journeyMapRef: {name: journey-%[1]d}
  touchpoint: pricing-%[1]d
  probe:
    http:
      url: https://shop-%[1]d.example.com/pricing
      bodyRegex: "Starter|Pro"
      json: [{path: "plans[0].name"}]
  objectives: {latency: {threshold: 800ms}}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: checkout-%[1]d, namespace: bench}
spec:
  journeyMapRef: {name: journey-%[1]d}
  touchpoint: checkout-%[1]d
  probe:
    tcp: {address: "checkout-%[1]d.example.com:443"}
  objectives: {availability: "99.9", window: 28d}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: api-%[1]d, namespace: bench}
spec:
  journeyMapRef: {name: journey-%[1]d}
  touchpoint: api-%[1]d
  metric:
    errorsQuery: 'sum(rate(http_requests_total{job="api-%[1]d", code=~"5.."}[{{.window}}]))'
    totalQuery: 'sum(rate(http_requests_total{job="api-%[1]d"}[{{.window}}]))'
  objectives: {availability: "99.5"}
`, i)
}
