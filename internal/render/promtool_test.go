package render_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/render"
)

// TestPromtoolRules proves the generated alerts with Prometheus' own rule
// unit tests: the rule files of representative monitors are rendered into a
// temporary directory beside the committed test files of
// testdata/promtool/, and `promtool test rules` evaluates them against
// synthetic probe and service metrics. The test files say, case by case,
// when the page and ticket tiers fire, when they stay quiet and when they
// resolve; this test keeps them honest against the current rule builders.
//
// The rendered files are named after what the test files' rule_files: load:
//
//	pricing-page.rules.yaml     probe SLI, 99.5% over 28d, latency objective
//	pricing-page-1h.rules.yaml  the same monitor with a 1h objective window,
//	                            as the e2e tests shorten it
//	pricing-page-maintenance.rules.yaml
//	                            the same with a maintenance window
//	contacts-api.rules.yaml     probe and errors/total metric SLIs, 99.9% over 30d
//	checkout.rules.yaml         good/total metric SLI, 99.5% over the default 28d
//	onboarding-call-1h.rules.yaml
//	                            a threshold SLI on a staffed touchpoint: the
//	                            p90 wait for the onboarding call at most 120s,
//	                            99% of the time over 1h
//	journey-marketing-automation-trial.rules.yaml
//	                            the map's stage and journey roll-up
func TestPromtoolRules(t *testing.T) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	promtool := filepath.Join(root, "bin", "promtool")
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("promtool is not built (%v): run make tools", err)
	}

	// The test files' timings are computed from these windows; if the
	// scaling changes, they must be recomputed, and this says so before
	// promtool reports a confusing timing mismatch.
	assertWindows(t, "28d", "page 56m/5m@14.4 for 2m, page 5h36m/28m@6 for 2m, ticket 22h24m/1h52m@3 for 14m, ticket 2d19h12m/5h36m@1 for 14m", "30s", "2d19h12m 28d every 2m")
	assertWindows(t, "30d", "page 1h/5m@14.4 for 2m, page 6h/30m@6 for 2m, ticket 1d/2h@3 for 15m, ticket 3d/6h@1 for 15m", "30s", "1d 3d 30d every 2m")
	assertWindows(t, "1h", "page 1m/1m@14.4, page 1m/1m@6, ticket 2m/1m@3, ticket 6m/1m@1", "15s", "")

	// JOURNEY_PROMTOOL_DIR keeps the rendered files and test files in a
	// directory of your choice, to iterate on a test file with
	// `bin/promtool test rules --debug <file>` there.
	dir := os.Getenv("JOURNEY_PROMTOOL_DIR")
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, groups := range promtoolRuleFiles(t) {
		file, err := render.RuleFile(groups)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), file, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	tests, err := filepath.Glob(filepath.Join("testdata", "promtool", "*.yaml"))
	if err != nil || len(tests) == 0 {
		t.Fatalf("no promtool test files in testdata/promtool: %v", err)
	}
	for _, src := range tests {
		data, err := os.ReadFile(src)
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(src)), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// One promtool run per file, so a failure names the file whose
	// scenarios broke.
	for _, src := range tests {
		name := filepath.Base(src)
		t.Run(strings.TrimSuffix(name, ".yaml"), func(t *testing.T) {
			var out bytes.Buffer
			cmd := exec.Command(promtool, "test", "rules", name)
			cmd.Dir = dir
			cmd.Stdout, cmd.Stderr = &out, &out
			if err := cmd.Run(); err != nil {
				t.Fatalf("promtool test rules %s: %v\n%s", src, err, out.String())
			}
		})
	}
}

// promtoolRuleFiles renders the rule files the promtool test files load,
// by file name.
func promtoolRuleFiles(t *testing.T) map[string][]monitoringv1.RuleGroup {
	t.Helper()
	maps, monitors := samples(t)
	files := map[string][]monitoringv1.RuleGroup{}
	const journeyName = "marketing-automation-trial"
	var journeyBindings []journey.TouchpointBinding
	for _, m := range monitors {
		if m.Spec.JourneyMapRef.Name != journeyName {
			continue
		}
		b := bind(t, maps, m)
		journeyBindings = append(journeyBindings, b)
		switch m.Name {
		case "pricing-page", "contacts-api", "checkout":
			files[m.Name+".rules.yaml"] = monitorGroups(t, b)
		}
		if m.Name == "pricing-page" {
			// The e2e tests shorten the objective window through the API
			// so that alerts fire within minutes; the rules must still
			// work at that scale.
			short := m.DeepCopy()
			short.Spec.Objectives.Window = "1h"
			files["pricing-page-1h.rules.yaml"] = monitorGroups(t, bind(t, maps, short))
			// The same with a daily maintenance window, 00:30 to 00:40.
			paused := short.DeepCopy()
			paused.Spec.MaintenanceWindows = []cxv1alpha1.TimeWindow{{Name: "nightly", Start: "00:30", Duration: "10m", TimeZone: "UTC"}}
			files["pricing-page-maintenance.rules.yaml"] = monitorGroups(t, bind(t, maps, paused))
		}
	}
	files["onboarding-call-1h.rules.yaml"] = monitorGroups(t, bind(t, maps, onboardingCallMonitor()))
	if len(files) != 6 {
		t.Fatalf("the samples lack a monitor the promtool tests need; rendered %d rule files", len(files))
	}
	rollup, err := render.JourneyRules(maps[journeyName], nil, journeyBindings)
	if err != nil {
		t.Fatal(err)
	}
	files["journey-"+journeyName+".rules.yaml"] = rollup.Groups
	return files
}

// onboardingCallMonitor watches a touchpoint people staff, through the
// level its call system records: the p90 wait to be answered.
func onboardingCallMonitor() *cxv1alpha1.TouchpointMonitor {
	m := &cxv1alpha1.TouchpointMonitor{Spec: cxv1alpha1.TouchpointMonitorSpec{
		JourneyMapRef: cxv1alpha1.LocalObjectReference{Name: "marketing-automation-trial"},
		Touchpoint:    "onboarding-call",
		Metric: &cxv1alpha1.MetricSLI{Threshold: &cxv1alpha1.ThresholdSLI{
			Query: `max by (team) (onboarding_call_wait_seconds{quantile="0.9"})`, Max: "120",
		}},
		Objectives: cxv1alpha1.Objectives{Availability: "99", Window: "1h"},
	}}
	m.Name, m.Namespace = "onboarding-call", "shop"
	return m
}

func monitorGroups(t *testing.T, b journey.TouchpointBinding) []monitoringv1.RuleGroup {
	t.Helper()
	rules, err := render.MonitorRules(b)
	if err != nil {
		t.Fatalf("%s: %v", b.Monitor.Name, err)
	}
	return rules.Groups
}

// assertWindows checks the burn-rate tiers, evaluation interval and long
// windows (those of the slow group, with its interval) an objective window
// scales to.
func assertWindows(t *testing.T, objective, tiers, interval, long string) {
	t.Helper()
	w, err := journey.WindowsFor(objective)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tier := range w.Tiers {
		s := "ticket "
		if tier.Page {
			s = "page "
		}
		s += fmt.Sprintf("%s/%s@%g", tier.Long, tier.Short, tier.Factor)
		if tier.For != "" {
			s += " for " + tier.For
		}
		got = append(got, s)
	}
	if g := strings.Join(got, ", "); g != tiers || w.Interval != interval {
		t.Fatalf("the %s windows are now %q every %s; the promtool test files in testdata/promtool assume %q every %s: recompute their timings",
			objective, g, w.Interval, tiers, interval)
	}
	gotLong := ""
	if len(w.Long) > 0 {
		gotLong = strings.Join(w.Long, " ") + " every " + w.LongInterval
	}
	if gotLong != long {
		t.Fatalf("the %s long windows are now %q; the promtool test files in testdata/promtool assume %q (and name the long group in group_eval_order)",
			objective, gotLong, long)
	}
}
