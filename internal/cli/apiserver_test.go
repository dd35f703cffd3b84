package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/journeymap/journey-operator/internal/test/manifests"
)

// TestLintAgreesWithTheAPIServer creates every manifest of a table of
// invalid ones (the API tests' table, plus unknown and valid objects) on a
// real kube-apiserver and lints it: both must give the same verdict and,
// field by field, the same messages.
func TestLintAgreesWithTheAPIServer(t *testing.T) {
	env := startControlPlane(t)
	validators, err := loadCRDValidators()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName("lint")
	if err := env.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	cases := manifests.InvalidCases()
	cases = append(cases,
		manifests.Invalid{Name: "valid persona", Base: manifests.ValidPersona, Mutate: func(map[string]any) {}, Message: ""},
		manifests.Invalid{Name: "valid map", Base: manifests.ValidMap, Mutate: func(map[string]any) {}, Message: ""},
		manifests.Invalid{Name: "valid monitor", Base: manifests.ValidMonitor, Mutate: func(map[string]any) {}, Message: ""},
		manifests.Invalid{Name: "persona name not a DNS subdomain", Base: manifests.ValidPersona, Mutate: manifests.Set("Paige_CMO", "metadata", "name"), Message: "metadata.name: Invalid value"},
		manifests.Invalid{Name: "monitor unknown field", Base: manifests.ValidMonitor, Mutate: manifests.Set("x", "spec", "probe", "http", "urll"), Message: `unknown field "spec.probe.http.urll"`},
		manifests.Invalid{Name: "map unknown nested field", Base: manifests.ValidMap, Mutate: manifests.Set(true, "spec", "stages", 0, "touchpoints", 0, "critical"), Message: `unknown field "spec.stages[0].touchpoints[0].critical"`},
	)
	dir := t.TempDir()
	for i, tc := range cases {
		t.Run(tc.Name, func(t *testing.T) {
			obj := parse(t, tc.Base)
			obj.SetNamespace("lint")
			if tc.Name != "persona name not a DNS subdomain" {
				obj.SetName(fmt.Sprintf("case-%d", i))
			}
			tc.Mutate(obj.Object)
			manifest, err := yaml.Marshal(obj.Object)
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(dir, fmt.Sprintf("case-%d.yaml", i))
			if err := os.WriteFile(file, manifest, 0o644); err != nil {
				t.Fatal(err)
			}

			inv := load([]string{file}, nil, validators, "default")
			var lint []string
			for _, d := range inv.diags {
				if d.Severity != SeverityError {
					t.Errorf("unexpected warning: %s", d.text())
					continue
				}
				lint = append(lint, fieldMessage(d.Field, d.Message))
			}

			// Strict, as kubectl apply validates by default: unknown fields
			// are errors there too.
			err = env.Client.Create(ctx, obj, client.FieldValidation("Strict"))
			server := serverMessages(err)
			sort.Strings(lint)
			sort.Strings(server)
			if strings.Join(lint, "\n") != strings.Join(server, "\n") {
				t.Fatalf("lint and the apiserver disagree\nlint:\n  %s\napiserver (%v):\n  %s", strings.Join(lint, "\n  "), err, strings.Join(server, "\n  "))
			}
			if tc.Message != "" && !strings.Contains(strings.Join(lint, "\n"), tc.Message) {
				t.Errorf("lint does not say %q:\n%s", tc.Message, strings.Join(lint, "\n"))
			}
		})
	}
}

func fieldMessage(fieldPath, message string) string {
	if fieldPath == "" {
		return message
	}
	return fieldPath + ": " + message
}

// serverMessages are the field errors of a refused create, as lint words
// them: each cause of an Invalid error, and strict field validation's
// unknown fields.
func serverMessages(err error) []string {
	if err == nil {
		return nil
	}
	// Strict field validation refuses with a BadRequest listing the
	// unknown fields; lint names each field in front of the same message.
	if _, strict, ok := strings.Cut(err.Error(), "strict decoding error: "); ok && apierrors.IsBadRequest(err) {
		var out []string
		for _, m := range unknownField.FindAllStringSubmatch(strict, -1) {
			out = append(out, fieldMessage(m[1], m[0]))
		}
		return out
	}
	var status apierrors.APIStatus
	if !errors.As(err, &status) || status.Status().Details == nil {
		return []string{"unexpected error: " + err.Error()}
	}
	var out []string
	for _, cause := range status.Status().Details.Causes {
		out = append(out, fieldMessage(cause.Field, cause.Message))
	}
	return out
}

var unknownField = regexp.MustCompile(`unknown field "([^"]+)"`)

func parse(t *testing.T, manifest string) *unstructured.Unstructured {
	t.Helper()
	obj := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(manifest), &obj.Object); err != nil {
		t.Fatal(err)
	}
	return obj
}
