package install

import (
	"bytes"
	"fmt"
	"strings"
	"testing"

	lua "github.com/yuin/gopher-lua"
	"sigs.k8s.io/yaml"
)

const (
	healthScript = "hack/argocd/health.lua"
	gitopsDoc    = "docs/gitops.md"
	// argoCDKey is where docs/gitops.md puts the script in argocd-cm's
	// resource.customizations: one wildcard entry for the three kinds.
	argoCDKey = "cx.journeymap.dev/*"
)

// argoCDHealth runs hack/argocd/health.lua on obj as Argo CD does: with
// gopher-lua (Argo CD's interpreter), obj as a global table, and only the
// base, table, string and math libraries of Argo CD's sandbox.
func argoCDHealth(t *testing.T, obj map[string]any) (status, message string) {
	t.Helper()
	l := lua.NewState(lua.Options{SkipOpenLibs: true})
	defer l.Close()
	for name, open := range map[string]lua.LGFunction{
		lua.BaseLibName: lua.OpenBase, lua.TabLibName: lua.OpenTable,
		lua.StringLibName: lua.OpenString, lua.MathLibName: lua.OpenMath,
	} {
		l.Push(l.NewFunction(open))
		l.Push(lua.LString(name))
		l.Call(1, 0)
	}
	l.SetGlobal("obj", toLua(l, obj))
	if err := l.DoString(string(readRepoFile(t, healthScript))); err != nil {
		t.Fatalf("%s: %v", healthScript, err)
	}
	hs, ok := l.Get(-1).(*lua.LTable)
	if !ok {
		t.Fatalf("%s returned %s, want a table", healthScript, l.Get(-1).Type())
	}
	status = lua.LVAsString(hs.RawGetString("status"))
	message = lua.LVAsString(hs.RawGetString("message"))
	switch status {
	case "Healthy", "Progressing", "Degraded", "Suspended", "Missing", "Unknown":
	default:
		t.Fatalf("%s returned status %q, which Argo CD does not know", healthScript, status)
	}
	return status, message
}

// toLua converts a decoded JSON value into Lua values, as Argo CD does:
// objects become tables, arrays 1-based tables, numbers Lua numbers.
func toLua(l *lua.LState, v any) lua.LValue {
	switch v := v.(type) {
	case map[string]any:
		t := l.NewTable()
		for k, e := range v {
			t.RawSetString(k, toLua(l, e))
		}
		return t
	case []any:
		t := l.NewTable()
		for _, e := range v {
			t.Append(toLua(l, e))
		}
		return t
	case string:
		return lua.LString(v)
	case bool:
		return lua.LBool(v)
	case int64:
		return lua.LNumber(v)
	case float64:
		return lua.LNumber(v)
	case nil:
		return lua.LNil
	default:
		panic(fmt.Sprintf("no Lua value for %T", v))
	}
}

// fixture is a journey object with a status, as the operator writes it.
func fixture(t *testing.T, manifest string) map[string]any {
	t.Helper()
	obj := map[string]any{}
	data, err := yaml.YAMLToJSON([]byte(manifest))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(data, &obj); err != nil {
		t.Fatal(err)
	}
	return obj
}

func TestArgoCDHealthCheck(t *testing.T) {
	cases := []struct {
		name, manifest, status, message string
	}{
		{
			name: "not reconciled yet",
			manifest: `
kind: JourneyMap
metadata: {name: trial, generation: 1}
spec: {personaRef: {name: cmo}}`,
			status: "Progressing", message: "Waiting for journey-operator to reconcile",
		},
		{
			name: "ready for an older spec",
			manifest: `
kind: JourneyMap
metadata: {name: trial, generation: 3}
status:
  observedGeneration: 2
  conditions:
  - {type: Ready, status: "True", reason: Succeeded, message: all conditions are true, observedGeneration: 2}`,
			status: "Progressing", message: "observe generation 3",
		},
		{
			name: "ready",
			manifest: `
kind: TouchpointMonitor
metadata: {name: checkout, generation: 2}
status:
  observedGeneration: 2
  health: Critical
  conditions:
  - {type: Ready, status: "True", reason: Succeeded, message: all conditions are true, observedGeneration: 2}`,
			status: "Healthy", message: "Customer health Critical; Succeeded: all conditions are true",
		},
		{
			name: "waiting for a reference",
			manifest: `
kind: JourneyMap
metadata: {name: trial, generation: 1}
status:
  observedGeneration: 1
  conditions:
  - {type: PersonaResolved, status: "False", reason: PersonaNotFound, message: persona cmo does not exist, observedGeneration: 1}
  - {type: Ready, status: "False", reason: PersonaNotFound, message: persona cmo does not exist, observedGeneration: 1}`,
			status: "Progressing", message: "PersonaNotFound: persona cmo does not exist",
		},
		{
			name: "invalid spec",
			manifest: `
kind: TouchpointMonitor
metadata: {name: checkout, generation: 4}
status:
  observedGeneration: 3
  conditions:
  - {type: Stalled, status: "True", reason: InvalidSpec, message: "bodyRegex: missing closing )", observedGeneration: 4}
  - {type: Ready, status: "False", reason: InvalidSpec, message: "bodyRegex: missing closing )", observedGeneration: 4}`,
			status: "Degraded", message: "InvalidSpec: bodyRegex: missing closing )",
		},
		{
			name: "stalled on a spec since replaced",
			manifest: `
kind: TouchpointMonitor
metadata: {name: checkout, generation: 5}
status:
  observedGeneration: 3
  conditions:
  - {type: Stalled, status: "True", reason: InvalidSpec, message: "bodyRegex: missing closing )", observedGeneration: 4}`,
			status: "Progressing", message: "observe generation 5",
		},
		{
			name: "stall resolved",
			manifest: `
kind: Persona
metadata: {name: cmo, generation: 2}
status:
  observedGeneration: 2
  conditions:
  - {type: Stalled, status: "False", reason: Succeeded, message: the spec is valid, observedGeneration: 2}
  - {type: Ready, status: "True", reason: Succeeded, message: all conditions are true, observedGeneration: 2}`,
			status: "Healthy", message: "Succeeded: all conditions are true",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			status, message := argoCDHealth(t, fixture(t, tc.manifest))
			if status != tc.status || !strings.Contains(message, tc.message) {
				t.Errorf("got %s (%q), want %s with %q", status, message, tc.status, tc.message)
			}
		})
	}
}

// TestArgoCDSnippetIsTheHealthScript keeps the argocd-cm snippet that
// docs/gitops.md tells users to paste identical to the tested script.
func TestArgoCDSnippetIsTheHealthScript(t *testing.T) {
	doc := readRepoFile(t, gitopsDoc)
	script := readRepoFile(t, healthScript)
	var found bool
	for _, block := range fencedBlocks(doc, "yaml") {
		if !bytes.Contains(block, []byte("name: argocd-cm")) {
			continue
		}
		found = true
		var cm struct {
			Data map[string]string `json:"data"`
		}
		if err := yaml.Unmarshal(block, &cm); err != nil {
			t.Fatalf("%s: the argocd-cm snippet is not valid YAML: %v", gitopsDoc, err)
		}
		var customizations map[string]struct {
			HealthLua string `json:"health.lua"`
		}
		if err := yaml.Unmarshal([]byte(cm.Data["resource.customizations"]), &customizations); err != nil {
			t.Fatalf("%s: resource.customizations is not valid YAML: %v", gitopsDoc, err)
		}
		if got := customizations[argoCDKey].HealthLua; got != string(script) {
			t.Errorf("%s: the health.lua of %s differs from %s:\n%s", gitopsDoc, argoCDKey, healthScript, got)
		}
	}
	if !found {
		t.Fatalf("%s has no argocd-cm snippet", gitopsDoc)
	}
}

// fencedBlocks returns the contents of the Markdown code blocks of a
// language.
func fencedBlocks(doc []byte, language string) [][]byte {
	var blocks [][]byte
	var current *bytes.Buffer
	for _, line := range strings.SplitAfter(string(doc), "\n") {
		switch {
		case current == nil && strings.TrimSpace(line) == "```"+language:
			current = &bytes.Buffer{}
		case current != nil && strings.TrimSpace(line) == "```":
			blocks = append(blocks, current.Bytes())
			current = nil
		case current != nil:
			current.WriteString(line)
		}
	}
	return blocks
}
