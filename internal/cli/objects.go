package cli

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// Severity of a diagnostic: errors fail lint, warnings do not.
type Severity string

// Severities.
const (
	SeverityError   Severity = "error"
	SeverityWarning Severity = "warning"
)

// Diagnostic is one finding about the input.
type Diagnostic struct {
	File string `json:"file"`
	// Line is 1-based; 0 when the finding concerns the whole file.
	Line      int      `json:"line,omitempty"`
	Severity  Severity `json:"severity"`
	Kind      string   `json:"kind,omitempty"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name,omitempty"`
	// Field is the path of the field at fault, as the apiserver writes it.
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

// object is one journey object of the input.
type object struct {
	file string
	line int
	gvk  schema.GroupVersionKind
	// namespace is as written, or the --namespace default.
	namespace, name string
	// valid says the apiserver would accept the object.
	valid bool
	// typed is the pruned and defaulted object as the operator would read
	// it: a *Persona, *JourneyMap or *TouchpointMonitor; nil when the
	// object does not convert.
	typed runtime.Object
}

func (o *object) persona() *cxv1alpha1.Persona {
	p, _ := o.typed.(*cxv1alpha1.Persona)
	return p
}

func (o *object) journeyMap() *cxv1alpha1.JourneyMap {
	m, _ := o.typed.(*cxv1alpha1.JourneyMap)
	return m
}

func (o *object) monitor() *cxv1alpha1.TouchpointMonitor {
	m, _ := o.typed.(*cxv1alpha1.TouchpointMonitor)
	return m
}

// diag is a diagnostic about the object.
func (o *object) diag(severity Severity, fieldPath, message string) Diagnostic {
	return Diagnostic{File: o.file, Line: o.line, Severity: severity, Kind: o.gvk.Kind, Namespace: o.namespace, Name: o.name, Field: fieldPath, Message: message}
}

// where is the object's position, for messages that point at another
// object.
func (o *object) where() string { return fmt.Sprintf("%s:%d", o.file, o.line) }

// key identifies an object of a kind by namespace and name.
type key struct{ namespace, name string }

// inventory is everything read from the input.
type inventory struct {
	documents int
	files     map[string]bool
	personas  map[key]*object
	maps      map[key]*object
	// monitors in input order.
	monitors []*object
	// ignored counts the objects of other kinds, by kind.
	ignored map[string]int
	diags   []Diagnostic
	// namespace is where objects without one go.
	namespace string
}

func (inv *inventory) add(d ...Diagnostic) { inv.diags = append(inv.diags, d...) }

// errors counts the error diagnostics.
func (inv *inventory) counts() (errs, warnings int) {
	for _, d := range inv.diags {
		if d.Severity == SeverityError {
			errs++
		} else {
			warnings++
		}
	}
	return errs, warnings
}

// sortDiagnostics orders diagnostics by file and line, keeping the order
// of discovery within a line.
func sortDiagnostics(diags []Diagnostic) {
	sort.SliceStable(diags, func(i, j int) bool {
		if diags[i].File != diags[j].File {
			return diags[i].File < diags[j].File
		}
		return diags[i].Line < diags[j].Line
	})
}

// summary is one line saying what was read and found.
func (inv *inventory) summary() string {
	errs, warnings := inv.counts()
	var ignored []string
	kinds := make([]string, 0, len(inv.ignored))
	for kind := range inv.ignored {
		kinds = append(kinds, kind)
	}
	sort.Strings(kinds)
	for _, kind := range kinds {
		ignored = append(ignored, fmt.Sprintf("%d %s", inv.ignored[kind], kind))
	}
	s := fmt.Sprintf("%d documents in %d files: %d Personas, %d JourneyMaps, %d TouchpointMonitors",
		inv.documents, len(inv.files), len(inv.personas), len(inv.maps), len(inv.monitors))
	if len(ignored) > 0 {
		s += "; ignored " + strings.Join(ignored, ", ")
	}
	return s + fmt.Sprintf("; %d errors, %d warnings", errs, warnings)
}

// load reads the inputs and checks each journey object against its CRD.
// Objects without a namespace are put in namespace, as kubectl apply puts
// them in its context's namespace: the operator's checks and builders need
// one.
func load(paths []string, stdin io.Reader, validators map[schema.GroupVersionKind]*crdValidator, namespace string) *inventory {
	inv := &inventory{namespace: namespace, files: map[string]bool{}, personas: map[key]*object{}, maps: map[key]*object{}, ignored: map[string]int{}}
	docs, diags := readInputs(paths, stdin)
	inv.add(diags...)
	seen := map[string]*object{}
	for _, doc := range docs {
		inv.documents++
		inv.files[doc.file] = true
		raw, diags := doc.decode()
		inv.add(diags...)
		if raw == nil {
			continue
		}
		obj, ok := raw.(map[string]any)
		if !ok {
			inv.add(Diagnostic{File: doc.file, Line: doc.line, Severity: SeverityError, Message: fmt.Sprintf("not a Kubernetes object: a YAML %s, not a mapping", yamlKind(raw))})
			continue
		}
		apiVersion, _ := obj["apiVersion"].(string)
		kind, _ := obj["kind"].(string)
		if apiVersion == "" || kind == "" {
			inv.add(Diagnostic{File: doc.file, Line: doc.line, Severity: SeverityError, Message: "not a Kubernetes object: apiVersion and kind must be set"})
			continue
		}
		gv, err := schema.ParseGroupVersion(apiVersion)
		if err != nil {
			inv.add(Diagnostic{File: doc.file, Line: doc.line, Severity: SeverityError, Kind: kind, Field: "apiVersion", Message: err.Error()})
			continue
		}
		gvk := gv.WithKind(kind)
		if gv.Group != cxv1alpha1.GroupVersion.Group {
			inv.ignored[kind]++
			continue
		}
		validator := validators[gvk]
		if validator == nil {
			inv.add(Diagnostic{File: doc.file, Line: doc.line, Severity: SeverityError, Kind: kind, Field: "kind",
				Message: fmt.Sprintf("%s is not served by the journey-operator CRDs (%s)", gvk, servedKinds(validators))})
			continue
		}
		inv.addObject(doc, gvk, obj, validator, seen)
	}
	sortDiagnostics(inv.diags)
	return inv
}

// addObject validates one journey object and files it by kind.
func (inv *inventory) addObject(doc document, gvk schema.GroupVersionKind, raw map[string]any, validator *crdValidator, seen map[string]*object) {
	meta, _ := raw["metadata"].(map[string]any)
	name, _ := meta["name"].(string)
	namespace, _ := meta["namespace"].(string)
	if namespace == "" && validator.namespaced && meta != nil {
		namespace = inv.namespace
		meta["namespace"] = namespace
	}
	o := &object{file: doc.file, line: doc.line, gvk: gvk, namespace: namespace, name: name}

	res := validator.validate(raw)
	// Worded as strict field validation words it; kubectl apply validates
	// strictly by default, and the apiserver otherwise drops the field.
	for _, path := range res.Unknown {
		inv.add(o.diag(SeverityError, path, fmt.Sprintf("unknown field %q", path)))
	}
	for _, err := range res.Errors {
		inv.add(o.diag(SeverityError, err.Field, err.ErrorBody()))
	}
	o.valid = len(res.Errors) == 0
	if o.typed, _ = newTyped(gvk.Kind); o.typed != nil {
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(res.Object, o.typed); err != nil {
			o.typed = nil
		}
	}

	// Two documents of one object: applied together, the later silently
	// replaces the earlier.
	id := fmt.Sprintf("%s/%s/%s", gvk.Kind, namespace, name)
	if first := seen[id]; first != nil && name != "" {
		inv.add(o.diag(SeverityError, "metadata.name", fmt.Sprintf("duplicate %s %q: already defined at %s", gvk.Kind, name, first.where())))
		return
	}
	seen[id] = o
	k := key{namespace, name}
	switch gvk.Kind {
	case "Persona":
		inv.personas[k] = o
	case "JourneyMap":
		inv.maps[k] = o
	case "TouchpointMonitor":
		inv.monitors = append(inv.monitors, o)
	}
}

// newTyped is the typed object of a journey kind.
func newTyped(kind string) (runtime.Object, error) {
	switch kind {
	case "Persona":
		return &cxv1alpha1.Persona{}, nil
	case "JourneyMap":
		return &cxv1alpha1.JourneyMap{}, nil
	case "TouchpointMonitor":
		return &cxv1alpha1.TouchpointMonitor{}, nil
	}
	return nil, fmt.Errorf("unknown kind %s", kind)
}

func servedKinds(validators map[schema.GroupVersionKind]*crdValidator) string {
	var kinds []string
	for gvk := range validators {
		kinds = append(kinds, gvk.GroupVersion().String()+" "+gvk.Kind)
	}
	sort.Strings(kinds)
	return "served: " + strings.Join(kinds, ", ")
}

func yamlKind(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	case nil:
		return "null"
	default:
		return "scalar"
	}
}
