package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/journeymap/journey-operator/internal/controlplane"
	"github.com/journeymap/journey-operator/internal/test/manifests"
)

// run runs kubectl-journey and returns its exit status and output.
func run(t *testing.T, stdin string, args ...string) (int, string, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := Main(args, strings.NewReader(stdin), &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

// writeFiles writes name → content into a new directory.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func samples(t *testing.T) string {
	t.Helper()
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, "config", "samples")
}

func TestLintAcceptsTheSamples(t *testing.T) {
	code, out, stderr := run(t, "", "lint", samples(t))
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, out, stderr)
	}
	if !strings.Contains(out, "2 Personas, 2 JourneyMaps, 7 TouchpointMonitors; ignored 2 Secret; 0 errors") {
		t.Errorf("summary:\n%s", out)
	}
}

// The journey of the API tests, all valid, in one multi-document stream.
var validJourney = manifests.ValidPersona + "---\n" + manifests.ValidMap + "---\n" + manifests.ValidMonitor

// TestLintBadInput feeds lint what goes wrong in real repositories: each
// problem is reported at its file and line, lint goes on with the other
// documents, and the exit status says whether anything is an error.
func TestLintBadInput(t *testing.T) {
	cases := []struct {
		name  string
		files map[string]string
		code  int
		// want are lines the report must hold, with {dir} for the
		// directory.
		want []string
	}{
		{"valid journey", map[string]string{"j.yaml": validJourney}, 0, []string{
			"3 documents in 1 files: 1 Personas, 1 JourneyMaps, 1 TouchpointMonitors; 0 errors, 0 warnings",
		}},
		{"not YAML", map[string]string{"a.yaml": manifests.ValidPersona, "b.yaml": "kind: Persona\n  name: [unclosed\n"}, 1, []string{
			"{dir}/b.yaml:2: not YAML: yaml: line 2: mapping values are not allowed in this context",
			"1 Personas",
		}},
		{"not YAML in the second document", map[string]string{"a.yaml": manifests.ValidPersona + "---\n# second\nfoo: [\n"}, 1, []string{
			"{dir}/a.yaml:18: not YAML: yaml: line 18: did not find expected node content",
		}},
		{"not an object", map[string]string{"a.yaml": "- just\n- a list\n", "b.yaml": "plain text\n", "c.yml": "foo: bar\n"}, 1, []string{
			"{dir}/a.yaml:1: not a Kubernetes object: a YAML list, not a mapping",
			"{dir}/b.yaml:1: not a Kubernetes object: a YAML string, not a mapping",
			"{dir}/c.yml:1: not a Kubernetes object: apiVersion and kind must be set",
		}},
		{"other kinds", map[string]string{"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n---\napiVersion: v1\nkind: Secret\nmetadata: {name: y}\n", "README.md": "# not read\n"}, 0, []string{
			"2 documents in 1 files: 0 Personas, 0 JourneyMaps, 0 TouchpointMonitors; ignored 1 ConfigMap, 1 Secret; 0 errors, 0 warnings",
		}},
		{"unknown kind of the group", map[string]string{"a.yaml": "apiVersion: cx.journeymap.dev/v1alpha1\nkind: Journey\nmetadata: {name: x}\n"}, 1, []string{
			"{dir}/a.yaml:1: Journey: kind: cx.journeymap.dev/v1alpha1, Kind=Journey is not served by the journey-operator CRDs",
		}},
		{"unknown field", map[string]string{"p.yaml": strings.Replace(manifests.ValidPersona, "  displayName:", "  dispalyName: x\n  displayName:", 1)}, 1, []string{
			`{dir}/p.yaml:2: Persona/valid-persona: spec.dispalyName: unknown field "spec.dispalyName"`,
		}},
		{"field twice", map[string]string{"p.yaml": strings.Replace(manifests.ValidPersona, "  techSavviness: Medium", "  techSavviness: Medium\n  techSavviness: High", 1)}, 1, []string{
			`{dir}/p.yaml:12: duplicate field: yaml: unmarshal errors: line 12: key "techSavviness" already set in map`,
		}},
		{"duplicate object across files", map[string]string{"a.yaml": manifests.ValidPersona, "b/c.yaml": "# the same persona again\n" + manifests.ValidPersona}, 1, []string{
			`{dir}/b/c.yaml:3: Persona/valid-persona: metadata.name: duplicate Persona "valid-persona": already defined at {dir}/a.yaml:2`,
		}},
		{"schema error", map[string]string{"m.yaml": strings.Replace(manifests.ValidMonitor, `availability: "99.5"`, `availability: "100"`, 1)}, 1, []string{
			`{dir}/m.yaml:2: TouchpointMonitor/valid-monitor: spec.objectives.availability: Invalid value: "100": availability must be a percentage strictly between 0 and 100`,
		}},
		{"monitor without map", map[string]string{"m.yaml": manifests.ValidMonitor}, 1, []string{
			`{dir}/m.yaml:2: TouchpointMonitor/valid-monitor: spec.journeyMapRef.name: JourneyMap "valid-map" does not exist in namespace "default" among the linted objects`,
		}},
		{"monitor of a missing touchpoint", map[string]string{"j.yaml": strings.Replace(validJourney, "touchpoint: pricing-page", "touchpoint: pricing", 1)}, 1, []string{
			`TouchpointMonitor/valid-monitor: spec.touchpoint: JourneyMap "valid-map" ({dir}/j.yaml:18) has no touchpoint "pricing"; its touchpoints are: blog, pricing-page, sales-chat`,
			`warning: JourneyMap/valid-map: spec.stages[1].touchpoints[0]: moment of truth "pricing-page" (stage "consideration") has no valid TouchpointMonitor`,
		}},
		{"map without persona", map[string]string{"m.yaml": manifests.ValidMap}, 1, []string{
			`{dir}/m.yaml:2: JourneyMap/valid-map: spec.personaRef.name: Persona "valid-persona" does not exist in namespace "default" among the linted objects`,
		}},
		{"two monitors on one touchpoint", map[string]string{"j.yaml": validJourney, "n.yaml": strings.Replace(manifests.ValidMonitor, "name: valid-monitor", "name: another-monitor", 1)}, 1, []string{
			`{dir}/j.yaml:37: TouchpointMonitor/valid-monitor: spec.touchpoint: touchpoint "pricing-page" of JourneyMap "valid-map" is already monitored by "another-monitor" ({dir}/n.yaml:2); delete one of the two monitors`,
		}},
		{"operator check: bad regex", map[string]string{"j.yaml": strings.Replace(validJourney, "      json:\n", "      bodyRegex: \"(unclosed\"\n      json:\n", 1)}, 1, []string{
			`TouchpointMonitor/valid-monitor: spec.probe: `, "missing closing )",
		}},
		{"operator check: bad PromQL", map[string]string{"j.yaml": strings.Replace(validJourney, "  objectives:", "  metric:\n    errorsQuery: 'sum(rate(errors[{{.window}}])'\n    totalQuery: 'sum(rate(total[{{.window}}]))'\n  objectives:", 1)}, 1, []string{
			`{dir}/j.yaml:37: TouchpointMonitor/valid-monitor: spec.metric.errorsQuery is not valid PromQL: 1:30: parse error: unclosed left parenthesis`,
		}},
		{"operator check: KPI query with a fixed range", map[string]string{"j.yaml": strings.Replace(validJourney, "kpi: {category: Acquisition}", "kpi: {category: Acquisition, query: 'sum(rate(visits_total[{{.window}}])) / sum(rate(sessions_total[5m]))'}", 1)}, 1, []string{
			`JourneyMap/valid-map: spec.stages[0].kpi.query: the range of sessions_total[5m] is fixed at 5m; write [{{.window}}] so that it spans each window the rules record`,
		}},
		{"operator check: a segment RE2 refuses", map[string]string{"j.yaml": strings.Replace(validJourney, "  techSavviness: Medium", "  techSavviness: Medium\n  segment: [{name: region, operator: \"=~\", value: \"eu-(west\"}]", 1)}, 1, []string{
			`JourneyMap/valid-map: persona valid-persona: spec.segment[0]: region=~"eu-(west" is not a valid RE2 regular expression`,
		}},
		{"literal credential", map[string]string{"j.yaml": strings.Replace(validJourney, "url: https://www.example.com/pricing", "url: https://www.example.com/pricing?api_key=abc", 1)}, 0, []string{
			`warning: TouchpointMonitor/valid-monitor: spec.probe: credential written as text`,
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeFiles(t, tc.files)
			code, out, stderr := run(t, "", "lint", dir)
			if code != tc.code {
				t.Errorf("exit %d, want %d", code, tc.code)
			}
			for _, want := range tc.want {
				if want = strings.ReplaceAll(want, "{dir}", dir); !strings.Contains(out, want) {
					t.Errorf("report lacks %q", want)
				}
			}
			if t.Failed() {
				t.Logf("report:\n%s%s", out, stderr)
			}
		})
	}
}

func TestLintFollowsASymlinkedDirectory(t *testing.T) {
	link := filepath.Join(t.TempDir(), "samples")
	if err := os.Symlink(samples(t), link); err != nil {
		t.Fatal(err)
	}
	code, out, _ := run(t, "", "lint", link)
	if code != 0 || !strings.Contains(out, "7 TouchpointMonitors") || !strings.Contains(out, link+"/cx_v1alpha1_journeymap_business-phone.yaml:2:") {
		t.Errorf("exit %d:\n%s", code, out)
	}
}

func TestLintReadsStdinAndReportsMissingPaths(t *testing.T) {
	code, out, _ := run(t, validJourney+"---\n- not an object\n", "lint", "-", "/does/not/exist")
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	for _, want := range []string{"<stdin>:52: not a Kubernetes object: a YAML list", "/does/not/exist: stat /does/not/exist: no such file or directory", "1 TouchpointMonitors"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
}

func TestLintOutputFormats(t *testing.T) {
	dir := writeFiles(t, map[string]string{"m, 1.yaml": strings.Replace(manifests.ValidMonitor, `availability: "99.5"`, `availability: "100"`, 1)})
	code, out, _ := run(t, "", "lint", "--output", "json", dir)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	var report jsonReport
	if err := json.Unmarshal([]byte(out), &report); err != nil {
		t.Fatalf("%v:\n%s", err, out)
	}
	if report.Errors == 0 || report.Diagnostics[0].Line != 2 || report.Diagnostics[0].Field != "spec.objectives.availability" || report.Diagnostics[0].Kind != "TouchpointMonitor" {
		t.Errorf("report: %+v", report)
	}

	_, out, _ = run(t, "", "lint", dir, "-o", "github")
	want := "::error file=" + strings.ReplaceAll(dir, ":", "%3A") + "/m%2C 1.yaml,line=2,title=TouchpointMonitor/valid-monitor::spec.objectives.availability: Invalid value: \"100\": availability must be"
	if !strings.Contains(out, want) {
		t.Errorf("github output lacks %q:\n%s", want, out)
	}

	if code, _, stderr := run(t, "", "lint", "-o", "xml", dir); code != 2 || !strings.Contains(stderr, "unknown --output") {
		t.Errorf("exit %d: %s", code, stderr)
	}
}

func TestHelp(t *testing.T) {
	for _, args := range [][]string{{"--help"}, {"help"}, {"lint", "--help"}, {"render", "-h"}, {"help", "render"}} {
		code, out, stderr := run(t, "", args...)
		if code != 0 || !strings.Contains(out, "Usage") || !strings.Contains(out, "kubectl journey") {
			t.Errorf("%v: exit %d\n%s%s", args, code, out, stderr)
		}
	}
	if code, _, _ := run(t, ""); code != 2 {
		t.Errorf("no arguments: exit %d, want 2", code)
	}
	if code, _, _ := run(t, "", "lint"); code != 2 {
		t.Errorf("lint without a path: exit %d, want 2", code)
	}
}

func TestRenderSamples(t *testing.T) {
	code, out, stderr := run(t, "", "render", samples(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"kind: PrometheusRule", "kind: ServiceMonitor", "kind: Deployment", "name: journey-probe-marketing-automation-trial", "name: journey-rollup-business-phone-system", "name: touchpoint-slo-trial-signup"} {
		if !strings.Contains(out, want) {
			t.Errorf("render lacks %q", want)
		}
	}
	if strings.Contains(out, "ownerReferences") {
		t.Error("render writes owner references")
	}
	_, out, _ = run(t, "", "render", "--rule-configmaps", samples(t))
	if strings.Contains(out, "kind: PrometheusRule") || strings.Contains(out, "kind: ServiceMonitor") || !strings.Contains(out, "prometheus.io/scrape") {
		t.Errorf("--rule-configmaps still renders for the Prometheus Operator:\n%s", out)
	}
}

func TestRenderRefusesInvalidInput(t *testing.T) {
	dir := writeFiles(t, map[string]string{"m.yaml": manifests.ValidMonitor})
	code, out, stderr := run(t, "", "render", dir)
	if code != 1 || out != "" || !strings.Contains(stderr, "nothing rendered") {
		t.Errorf("exit %d, stdout %q, stderr %s", code, out, stderr)
	}
}

// TestPromtoolAcceptsRenderedRules checks the rule file of the samples
// with Prometheus' own promtool.
func TestPromtoolAcceptsRenderedRules(t *testing.T) {
	root, err := controlplane.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	promtool := filepath.Join(root, "bin", "promtool")
	if _, err := os.Stat(promtool); err != nil {
		t.Fatalf("promtool is missing (make tools builds it): %v", err)
	}
	code, out, stderr := run(t, "", "render", "--rules-only", samples(t))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	file := filepath.Join(t.TempDir(), "rules.yaml")
	if err := os.WriteFile(file, []byte(out), 0o644); err != nil {
		t.Fatal(err)
	}
	check, err := exec.Command(promtool, "check", "rules", file).CombinedOutput()
	if err != nil || !strings.Contains(string(check), "SUCCESS") {
		t.Fatalf("promtool check rules: %v\n%s", err, check)
	}
	t.Logf("%s", check)
}
