package probeconfig

import (
	"go/parser"
	"go/token"
	"os"
	"strconv"
	"strings"
	"testing"
)

// TestLeafImports keeps the package a leaf the operator can link without the
// collector's engine: stdlib, YAML, metav1 and internal/schedule (itself
// stdlib only) only. A stdlib path has no dot
// in its first element; net/http is stdlib but is the engine's business.
func TestLeafImports(t *testing.T) {
	allowed := map[string]bool{"sigs.k8s.io/yaml": true, "k8s.io/apimachinery/pkg/apis/meta/v1": true,
		"github.com/journeymap/journey-operator/internal/schedule": true}
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		f, err := parser.ParseFile(token.NewFileSet(), e.Name(), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, spec := range f.Imports {
			path, _ := strconv.Unquote(spec.Path.Value)
			stdlib := !strings.Contains(strings.Split(path, "/")[0], ".")
			if (!stdlib && !allowed[path]) || strings.HasPrefix(path, "net/http") {
				t.Errorf("%s imports %s; probeconfig must stay a leaf package", e.Name(), path)
			}
		}
	}
}
