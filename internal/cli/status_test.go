package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"

	goldenfile "github.com/journeymap/journey-operator/internal/test/golden"
)

// statusNamespace is where the status scenario lives, offline and on the
// test apiserver alike.
const statusNamespace = "shop"

// alertSince is when the scenario's alerts became active.
var alertSince = metav1.NewTime(time.Date(2026, 12, 6, 5, 3, 0, 0, time.UTC))

// statusScenario is config/samples as the apiserver would store them, in
// namespace shop, plus two monitors that go wrong: one naming a
// touchpoint the map lacks, one naming a touchpoint that already has a
// monitor. Its status is the operator's view of a bad moment: sign-up
// fails now (a page alert), checkout is slow to recover (a ticket alert),
// the contacts API has no data yet. The business-phone map has no status
// at all, and its persona is left out.
type statusScenario struct {
	personas []*cxv1alpha1.Persona
	maps     []*cxv1alpha1.JourneyMap
	monitors []*cxv1alpha1.TouchpointMonitor
}

func newStatusScenario(t *testing.T) statusScenario {
	t.Helper()
	validators, err := loadCRDValidators()
	if err != nil {
		t.Fatal(err)
	}
	inv := load([]string{samples(t)}, nil, validators, statusNamespace)
	if errs, _ := inv.counts(); errs > 0 {
		t.Fatalf("samples do not load: %v", inv.diags)
	}
	var sc statusScenario
	sc.personas = append(sc.personas, inv.personas[key{statusNamespace, "startup-cmo"}].persona().DeepCopy())
	for _, name := range []string{"marketing-automation-trial", "business-phone-system"} {
		sc.maps = append(sc.maps, inv.maps[key{statusNamespace, name}].journeyMap().DeepCopy())
	}
	for _, m := range inv.monitors {
		sc.monitors = append(sc.monitors, m.monitor().DeepCopy())
	}
	stray := sc.monitor(t, "checkout").DeepCopy()
	stray.Name, stray.Spec.Touchpoint = "payment-gateway", "payment-gateway"
	duplicate := sc.monitor(t, "pricing-page").DeepCopy()
	duplicate.Name = "pricing-page-v2"
	sc.monitors = append(sc.monitors, stray, duplicate)

	// Every object is at generation 1, its first spec, and reconciled.
	ready := func() []metav1.Condition {
		return []metav1.Condition{{Type: cxv1alpha1.ReadyCondition, Status: metav1.ConditionTrue, Reason: cxv1alpha1.SucceededReason, Message: "all conditions are true", ObservedGeneration: 1, LastTransitionTime: alertSince}}
	}
	sc.personas[0].Status = cxv1alpha1.PersonaStatus{
		Conditions: ready(), ObservedGeneration: 1, JourneyMaps: []string{"marketing-automation-trial"}, JourneyMapCount: 1,
		Health: cxv1alpha1.HealthCritical, ExperienceScore: ptr.To[int32](58),
	}
	sc.maps[0].Status = cxv1alpha1.JourneyMapStatus{
		Conditions: ready(), ObservedGeneration: 1,
		Health: cxv1alpha1.HealthCritical, Score: ptr.To[int32](58), SuccessRatio: "0.9731",
		Coverage:     &cxv1alpha1.Coverage{MonitoredTouchpoints: 4, TotalTouchpoints: 14, Summary: "4/14"},
		WeakestStage: "purchase", FiringAlerts: 2,
		Stages: []cxv1alpha1.StageStatus{
			{Name: "awareness", Health: cxv1alpha1.HealthUnknown, TotalTouchpoints: 2},
			{Name: "consideration", Health: cxv1alpha1.HealthHealthy, Score: ptr.To[int32](100), MonitoredTouchpoints: 1, TotalTouchpoints: 2},
			{Name: "purchase", Health: cxv1alpha1.HealthCritical, Score: ptr.To[int32](30), MonitoredTouchpoints: 2, TotalTouchpoints: 3, FiringAlerts: 2},
			{Name: "onboarding", Health: cxv1alpha1.HealthUnknown, MonitoredTouchpoints: 1, TotalTouchpoints: 3},
		},
	}
	sc.monitor(t, "pricing-page").Status = cxv1alpha1.TouchpointMonitorStatus{
		Conditions: ready(), ObservedGeneration: 1, Stage: "consideration", Health: cxv1alpha1.HealthHealthy,
		SLI: &cxv1alpha1.SLIStatus{Availability: "99.95", AvailabilityLastHour: "100.00", Latency: "230ms", ErrorBudgetRemaining: "90", BurnRate: "0.10"},
	}
	sc.monitor(t, "trial-signup").Status = cxv1alpha1.TouchpointMonitorStatus{
		Conditions: ready(), ObservedGeneration: 1, Stage: "purchase", Health: cxv1alpha1.HealthCritical,
		SLI:          &cxv1alpha1.SLIStatus{Availability: "98.70", AvailabilityLastHour: "81.20", Latency: "1.9s", ErrorBudgetRemaining: "-160", BurnRate: "14"},
		FiringAlerts: []cxv1alpha1.FiringAlert{{Name: "JourneyTouchpointErrorBudgetBurn", Severity: "critical", Since: &alertSince}},
	}
	sc.monitor(t, "checkout").Status = cxv1alpha1.TouchpointMonitorStatus{
		Conditions: ready(), ObservedGeneration: 1, Stage: "purchase", Health: cxv1alpha1.HealthDegraded,
		SLI:          &cxv1alpha1.SLIStatus{Availability: "99.41", AvailabilityLastHour: "99.80", ErrorBudgetRemaining: "-18", BurnRate: "1.1"},
		FiringAlerts: []cxv1alpha1.FiringAlert{{Name: "JourneyTouchpointErrorBudgetBurn", Severity: "warning", Since: &alertSince}},
	}
	sc.monitor(t, "contacts-api").Status = cxv1alpha1.TouchpointMonitorStatus{
		Conditions: append(ready(), metav1.Condition{Type: cxv1alpha1.TelemetryBoundCondition, Status: metav1.ConditionFalse, Reason: cxv1alpha1.NoDataReason,
			Message: "Prometheus has no SLI series for this touchpoint: are its rules loaded and its metrics scraped?", ObservedGeneration: 1, LastTransitionTime: alertSince}),
		ObservedGeneration: 1, Stage: "onboarding", Health: cxv1alpha1.HealthUnknown,
	}
	stray.Status = cxv1alpha1.TouchpointMonitorStatus{Conditions: []metav1.Condition{{
		Type: cxv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: cxv1alpha1.TouchpointNotFoundReason, ObservedGeneration: 1, LastTransitionTime: alertSince,
		Message: `journey map "marketing-automation-trial" has no touchpoint "payment-gateway"`,
	}}}
	duplicate.Status = cxv1alpha1.TouchpointMonitorStatus{Conditions: []metav1.Condition{{
		Type: cxv1alpha1.ReadyCondition, Status: metav1.ConditionFalse, Reason: cxv1alpha1.DuplicateMonitorReason, ObservedGeneration: 1, LastTransitionTime: alertSince,
		Message: `touchpoint "pricing-page" is monitored by "pricing-page"`,
	}}}
	// The duplicate is younger: created after the monitor in charge.
	for i, m := range sc.monitors {
		m.CreationTimestamp = metav1.NewTime(alertSince.Add(time.Duration(i) * time.Second))
	}
	return sc
}

func (sc statusScenario) monitor(t *testing.T, name string) *cxv1alpha1.TouchpointMonitor {
	t.Helper()
	for _, m := range sc.monitors {
		if m.Name == name {
			return m
		}
	}
	t.Fatalf("no monitor %s in the scenario", name)
	return nil
}

// journey is what status reads for one map of the scenario.
func (sc statusScenario) journey(name string) journeyObjects {
	for _, m := range sc.maps {
		if m.Name != name {
			continue
		}
		objs := journeyObjects{Map: m, Monitors: monitorsOf(m, sc.monitors)}
		for _, p := range sc.personas {
			if p.Name == m.Spec.PersonaRef.Name {
				objs.Persona = p
			}
		}
		return objs
	}
	return journeyObjects{}
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name, got string) {
	t.Helper()
	goldenfile.Check(t, name, []byte(got))
}

func TestStatusTree(t *testing.T) {
	sc := newStatusScenario(t)
	view := buildJourneyView(sc.journey("marketing-automation-trial"))
	golden(t, "status-tree.txt", treeText(view, painter{}))
	golden(t, "status-tree-color.txt", treeText(view, painter{color: true}))
	frame, err := marshalFrame(view)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "status-tree.json", string(frame))

	// Colour adds escape codes and nothing else: the words are the same.
	colored := treeText(view, painter{color: true})
	if plain := stripANSI(colored); plain != treeText(view, painter{}) {
		t.Errorf("coloured text without its escape codes differs from the plain text:\n%s", plain)
	}
}

func TestStatusTreeOfAnUnreconciledJourney(t *testing.T) {
	sc := newStatusScenario(t)
	golden(t, "status-tree-unreconciled.txt", treeText(buildJourneyView(sc.journey("business-phone-system")), painter{}))
}

func TestStatusList(t *testing.T) {
	sc := newStatusScenario(t)
	rows := buildRows(sc.maps)
	golden(t, "status-list.txt", tableText(rows, false, painter{}))
	golden(t, "status-list-all-namespaces.txt", tableText(rows, true, painter{}))
	if plain := stripANSI(tableText(rows, false, painter{color: true})); plain != tableText(rows, false, painter{}) {
		t.Errorf("colour shifts the columns:\n%s", plain)
	}
}

// TestStatusTextIsClean: what users wrote cannot move the cursor or
// recolour the terminal.
func TestStatusTextIsClean(t *testing.T) {
	sc := newStatusScenario(t)
	objs := sc.journey("marketing-automation-trial")
	objs.Map.Spec.Goal = "buy\x1b[2J now"
	objs.Map.Spec.Stages[0].DisplayName = "Aware\x1b]0;pwned\x07ness"
	objs.Map.Status.Conditions[0].Status = metav1.ConditionFalse
	objs.Map.Status.Conditions[0].Message = "line one\nline two\r"
	text := treeText(buildJourneyView(objs), painter{})
	if strings.ContainsAny(text, "\x1b\x07\r") {
		t.Errorf("control characters in the output:\n%q", text)
	}
	for _, want := range []string{"goal: buy [2J now", `awareness "Aware\x1b]0;pwned\aness"`, "not ready: Succeeded: line one line two"} {
		if !strings.Contains(text, want) {
			t.Errorf("output lacks %q:\n%s", want, text)
		}
	}
}

func TestStatusFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"a", "b"}, "one NAME at most"},
		{[]string{"a", "-A"}, "give -n NAMESPACE instead of -A"},
		{[]string{"-o", "yaml"}, `unknown --output "yaml"`},
		{[]string{"--color=sometimes"}, `unknown --color "sometimes"`},
		{[]string{"--no-such-flag"}, "flag provided but not defined"},
	} {
		code, _, stderr := run(t, "", append([]string{"status"}, tc.args...)...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("status %v: exit %d, want %d with %q:\n%s", tc.args, code, exitUsage, tc.want, stderr)
		}
	}
	code, out, _ := run(t, "", "status", "--help")
	if code != exitOK || !strings.Contains(out, "kubectl journey status marketing-automation-trial --watch") {
		t.Errorf("status --help: exit %d:\n%s", code, out)
	}
}

// TestStatusFrames: on a terminal --watch redraws in place; piped, views
// follow each other.
func TestStatusFrames(t *testing.T) {
	s := statusSession{statusOptions: statusOptions{watch: true, output: "text"}, terminal: true}
	if got := string(s.framed([]byte("view\n"), false)); got != "\x1b[H\x1b[2Jview\n" {
		t.Errorf("terminal: %q", got)
	}
	s.terminal = false
	if got := string(s.framed([]byte("view\n"), true)); got != "view\n" {
		t.Errorf("first piped view: %q", got)
	}
	if got := string(s.framed([]byte("view\n"), false)); got != "\nview\n" {
		t.Errorf("later piped view: %q", got)
	}
	s.output = "json"
	if got := string(s.framed([]byte("{}\n"), false)); got != "{}\n" {
		t.Errorf("json: %q", got)
	}
}

func TestStatusWithoutKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", filepath.Join(t.TempDir(), "none"))
	t.Setenv("HOME", t.TempDir())
	code, _, stderr := run(t, "", "status")
	if code != exitFound || !strings.Contains(stderr, "no kubeconfig found: pass --kubeconfig, set KUBECONFIG") {
		t.Errorf("exit %d:\n%s", code, stderr)
	}
}

func stripANSI(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\x1b' {
			for i < len(s) && s[i] != 'm' {
				i++
			}
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
