package v1alpha1_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	apiextv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/test/manifests"
)

// durationMaxLength is the maxLength every duration field declares.
const durationMaxLength = 32

// durationField is a metav1.Duration field of a kind, and the range its
// schema admits beyond the syntax.
type durationField struct {
	kind, path string
	min, max   time.Duration
	minOpen    bool // min itself is rejected
}

func (f durationField) inRange(d time.Duration) bool {
	if f.minOpen && d <= f.min || d < f.min {
		return false
	}
	return d <= f.max
}

// durationFields lists every metav1.Duration field with its range. The test
// below finds the Duration fields of the Go types by reflection and fails
// when one is missing here, so a new field cannot skip the checks.
var durationFields = []durationField{
	{kind: "Persona", path: "spec.expectations.maxLatency", min: 0, minOpen: true, max: 5 * time.Minute},
	{kind: "TouchpointMonitor", path: "spec.probe.interval", min: 5 * time.Second, max: time.Hour},
	{kind: "TouchpointMonitor", path: "spec.probe.timeout", min: 0, minOpen: true, max: 5 * time.Minute},
	{kind: "TouchpointMonitor", path: "spec.objectives.latency.threshold", min: 0, minOpen: true, max: 5 * time.Minute},
}

// matchesRE finds the regular expressions of CEL matches() calls; the
// duration pattern holds no quote and no backslash, so the CEL literal is
// the pattern itself.
var matchesRE = regexp.MustCompile(`\.matches\('([^'\\]*)'\)`)

// TestDurationFieldsCarryThePattern reads the deployed CRDs
// (config/crd/bases) and checks that every metav1.Duration field of the Go
// types is a string of at most durationMaxLength characters with a format
// rule and a guarded range rule using one and the same pattern, and that
// every rule calling duration() checks that pattern first.
func TestDurationFieldsCarryThePattern(t *testing.T) {
	pattern := durationPattern(t)
	if _, err := regexp.Compile(pattern); err != nil {
		t.Fatalf("the duration pattern does not compile: %v", err)
	}

	found := map[string]bool{}
	for kind, typ := range map[string]reflect.Type{
		"Persona":           reflect.TypeFor[cxv1alpha1.Persona](),
		"JourneyMap":        reflect.TypeFor[cxv1alpha1.JourneyMap](),
		"TouchpointMonitor": reflect.TypeFor[cxv1alpha1.TouchpointMonitor](),
	} {
		for _, path := range durationPaths(typ, "") {
			found[kind+" "+path] = true
		}
	}
	listed := map[string]bool{}
	for _, f := range durationFields {
		listed[f.kind+" "+f.path] = true
		if !found[f.kind+" "+f.path] {
			t.Errorf("%s %s is listed in durationFields but is no metav1.Duration field", f.kind, f.path)
		}
	}
	for f := range found {
		if !listed[f] {
			t.Errorf("the metav1.Duration field %s is not listed in durationFields: give it the duration pattern, a range rule and a row there", f)
		}
	}

	for _, f := range durationFields {
		s := schemaAt(t, f.kind, f.path)
		if s.Type != "string" || s.MaxLength == nil || *s.MaxLength != durationMaxLength {
			t.Errorf("%s %s: want type string with maxLength %d, got type %q maxLength %v", f.kind, f.path, durationMaxLength, s.Type, s.MaxLength)
		}
		var format, guarded bool
		for _, r := range s.XValidations {
			if r.Message == "" {
				t.Errorf("%s %s: rule %q has no message", f.kind, f.path, r.Rule)
			}
			format = format || r.Rule == "self.matches('"+pattern+"')"
			guarded = guarded || strings.HasPrefix(r.Rule, "!self.matches('"+pattern+"') || ")
		}
		if !format || !guarded {
			t.Errorf("%s %s: want a format rule self.matches(<pattern>) and a range rule guarded by !self.matches(<pattern>) ||, got %+v", f.kind, f.path, s.XValidations)
		}
	}

	// Every rule of every CRD that converts with duration() uses the
	// pattern, so that it never meets a string it cannot convert.
	for _, kind := range []string{"Persona", "JourneyMap", "TouchpointMonitor"} {
		walkSchema(loadCRD(t, kind).Spec.Versions[0].Schema.OpenAPIV3Schema, kind, func(path string, s *apiextv1.JSONSchemaProps) {
			for _, r := range s.XValidations {
				if r.Message == "" && r.MessageExpression == "" {
					t.Errorf("%s %s: rule %q has no message", kind, path, r.Rule)
				}
				if !strings.Contains(r.Rule, "duration(self") {
					continue
				}
				matches := matchesRE.FindAllStringSubmatch(r.Rule, -1)
				if len(matches) == 0 {
					t.Errorf("%s %s: rule %q converts with duration() without checking the duration pattern", kind, path, r.Rule)
				}
				for _, m := range matches {
					if m[1] != pattern {
						t.Errorf("%s %s: rule %q checks a pattern other than the duration pattern", kind, path, r.Rule)
					}
				}
			}
		})
	}
}

// TestDurationPatternMatchesParseDuration is a property test of the
// deployed pattern against the decoder the manager uses. For every string
// of a large generated corpus of at most durationMaxLength characters:
//
//   - sound: the pattern admits it ⇒ time.ParseDuration parses it, so an
//     admitted value can always be decoded and converted by duration();
//   - complete: time.ParseDuration parses it to a value within ±24h ⇒ the
//     pattern admits it; 24h is above every field's maximum, so no value a
//     field's range admits is refused as malformed, nor what a typed
//     client writes back (d.String());
//   - per field: the schema (maxLength, pattern, range rule) admits it ⇔
//     time.ParseDuration parses it to a value within the field's range.
func TestDurationPatternMatchesParseDuration(t *testing.T) {
	re := regexp.MustCompile(durationPattern(t))
	corpus := durationCorpus(200_000)
	var admitted, parsedButTooBig int
	for _, s := range corpus {
		short := utf8.RuneCountInString(s) <= durationMaxLength
		matched := re.MatchString(s)
		d, err := time.ParseDuration(s)
		parsed := err == nil
		if !short {
			continue
		}
		if matched {
			admitted++
		}
		if matched && !parsed {
			t.Errorf("sound: the pattern admits %q, which time.ParseDuration rejects: %v", s, err)
		}
		if parsed && d.Abs() <= 24*time.Hour && !matched {
			t.Errorf("complete: time.ParseDuration parses %q to %s, which the pattern rejects", s, d)
		}
		if parsed && !matched {
			parsedButTooBig++
		}
		// A typed client writes the value back as d.String(), e.g.
		// "1h30m0s" or "250µs"; that must be admitted too.
		if parsed && d.Abs() <= 24*time.Hour && (utf8.RuneCountInString(d.String()) > durationMaxLength || !re.MatchString(d.String())) {
			t.Errorf("round trip: %q decodes to %s, which the schema would refuse when written back", s, d)
		}
		for _, f := range durationFields {
			schema := matched && f.inRange(d)
			want := parsed && f.inRange(d)
			if schema != want {
				t.Errorf("%s %s: the schema admits %q: %v, time.ParseDuration and the range %v..%v say %v", f.kind, f.path, s, schema, f.min, f.max, want)
			}
		}
	}
	t.Logf("checked %d strings: %d admitted by the pattern, %d parsed by time.ParseDuration but refused as beyond the overflow guard", len(corpus), admitted, parsedButTooBig)
	if admitted < len(corpus)/10 || admitted > len(corpus)*9/10 {
		t.Errorf("the corpus is lopsided: %d of %d admitted", admitted, len(corpus))
	}
}

// TestDurationValuesOnTheAPIServer applies durations to the real apiserver:
// a table of values, and a sample of the generated corpus, in a Persona's
// expectations.maxLatency. Whatever the apiserver admits must be exactly
// what time.ParseDuration parses within the field's range, must decode
// through the typed client to time.ParseDuration's value, and must never be
// reported as a CEL type conversion error.
func TestDurationValuesOnTheAPIServer(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t, "durations")
	field := durationFields[0]

	admitted := []string{"2s", "800ms", "1m30s", "1.5s", ".5s", "5.s", "250us", "250µs", "250μs", "1000000000ns", "+2s",
		"0.000001s", "00002s", "1m0.5s", "4m59.999999999s", "5m", "0.0833333333h", "1s1s1s", "300000ms"}
	rejected := []string{"1y", "2d", "1w", "2 s", "2", "", "0", "0s", "-2s", "-0", "+0s", "5m1ns", "1h", ".", "s", "1.2.3s",
		"1e3ms", "1h.0m0s", "2S", "2sec", "1h-5m", "9999999999999h", "1000000000000000000000000000000000s", "２s", "\u00a02s"}

	sample := append(append([]string{}, admitted...), rejected...)
	r := rand.New(rand.NewPCG(7, 11))
	for _, s := range durationCorpus(20_000) {
		if r.IntN(100) == 0 {
			sample = append(sample, s)
		}
	}

	var accepted int
	for i, value := range sample {
		d, err := time.ParseDuration(value)
		want := err == nil && field.inRange(d) && utf8.RuneCountInString(value) <= durationMaxLength
		persona := parse(t, manifests.ValidPersona)
		persona.SetNamespace(ns)
		persona.SetName(fmt.Sprintf("duration-%d", i))
		if err := unstructured.SetNestedField(persona.Object, value, "spec", "expectations", "maxLatency"); err != nil {
			t.Fatal(err)
		}
		createErr := env.Client.Create(ctx, persona)
		switch {
		case want && createErr != nil:
			t.Errorf("maxLatency %q (%s) rejected: %v", value, d, createErr)
		case !want && createErr == nil:
			t.Errorf("maxLatency %q admitted; time.ParseDuration says %v, %v", value, d, err)
		case !want && strings.Contains(createErr.Error(), "type conversion error"):
			t.Errorf("maxLatency %q: the rejection is a CEL type conversion error: %v", value, createErr)
		case !want && !strings.Contains(createErr.Error(), "spec.expectations.maxLatency") &&
			!strings.Contains(createErr.Error(), "maxLatency must be"):
			t.Errorf("maxLatency %q: the rejection does not name the field: %v", value, createErr)
		case want:
			accepted++
			typed := &cxv1alpha1.Persona{}
			if err := env.Client.Get(ctx, client.ObjectKeyFromObject(persona), typed); err != nil {
				t.Errorf("maxLatency %q: typed decode: %v", value, err)
			} else if typed.Spec.Expectations.MaxLatency.Duration != d {
				t.Errorf("maxLatency %q decoded to %s, want %s", value, typed.Spec.Expectations.MaxLatency.Duration, d)
			}
		}
	}
	for _, value := range admitted {
		if d, err := time.ParseDuration(value); err != nil || !field.inRange(d) {
			t.Errorf("the admitted table holds %q, which is not a duration in range: %v", value, err)
		}
	}
	// The list an informer runs must decode every stored object.
	list := &cxv1alpha1.PersonaList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatalf("typed list of the admitted Personas: %v", err)
	}
	if len(list.Items) != accepted {
		t.Errorf("typed list returned %d Personas, %d were admitted", len(list.Items), accepted)
	}
	t.Logf("applied %d values to the apiserver: %d admitted, %d rejected", len(sample), accepted, len(sample)-accepted)
}

// TestMonitorDurationsDecode applies monitors with unusual but valid
// durations in all three duration fields and decodes them with the typed
// client, as the manager's informer does.
func TestMonitorDurationsDecode(t *testing.T) {
	ctx := context.Background()
	ns := createNamespace(t, "monitor-durations")
	for i, tc := range []struct{ interval, timeout, threshold string }{
		{"30s", "10s", "800ms"},
		{"1h", "5m", "4m59.5s"},
		{"1m30s", "1m30s", "1.5s"},
		{"5s", "5s", "250µs"},
		{"0.5m", "+10s", ".25s"},
		{"3600000ms", "299999999999ns", "1μs"},
	} {
		monitor := parse(t, manifests.ValidMonitor)
		monitor.SetNamespace(ns)
		monitor.SetName(fmt.Sprintf("durations-%d", i))
		must(t, unstructured.SetNestedField(monitor.Object, tc.interval, "spec", "probe", "interval"))
		must(t, unstructured.SetNestedField(monitor.Object, tc.timeout, "spec", "probe", "timeout"))
		must(t, unstructured.SetNestedField(monitor.Object, tc.threshold, "spec", "objectives", "latency", "threshold"))
		if err := env.Client.Create(ctx, monitor); err != nil {
			t.Errorf("%+v rejected: %v", tc, err)
			continue
		}
		typed := &cxv1alpha1.TouchpointMonitor{}
		if err := env.Client.Get(ctx, client.ObjectKeyFromObject(monitor), typed); err != nil {
			t.Errorf("%+v: typed decode: %v", tc, err)
			continue
		}
		for got, want := range map[*metav1.Duration]string{
			typed.Spec.Probe.Interval:                tc.interval,
			typed.Spec.Probe.Timeout:                 tc.timeout,
			&typed.Spec.Objectives.Latency.Threshold: tc.threshold,
		} {
			if d, _ := time.ParseDuration(want); got.Duration != d {
				t.Errorf("%q decoded to %s, want %s", want, got.Duration, d)
			}
		}
	}
	list := &cxv1alpha1.TouchpointMonitorList{}
	if err := env.Client.List(ctx, list, client.InNamespace(ns)); err != nil {
		t.Fatalf("typed list: %v", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// durationCorpus generates n strings, deterministically: edge cases, random
// strings over the pattern's alphabet and some noise, and well-formed-looking
// sequences of numbers and units, valid or not, with and without sign.
func durationCorpus(n int) []string {
	r := rand.New(rand.NewPCG(2024, 11))
	out := []string{
		"", "0", "+0", "-0", "00", "0.0", ".", "-", "+", "s", ".s", "0s", "-0s", "+5s", "-5s", "5.s", ".5s", "5..5s",
		"1h30m", "1h30m15s", "1h1h", "1m1h", "1ms1s", "1sm", "1hs", "1µs", "1μs", "1us", "1uss", "1nss", "1ns1",
		"99999999999999999ns", "999999999999999999ns", "99999999999999us", "999999999999999us",
		"99999999999ms", "999999999999ms", "99999999s", "999999999s", "999999m", "9999999m", "99999h", "999999h",
		"99999h99999h99999h99999h99999h", "2562047h", "2562048h", "9223372036854775807ns", "9223372036854775808ns",
		"00000000000000000000000000001ns", "1.00000000000000000000000000001s", "1.h", "1h.5m", "+-5s", "--5s",
		"1y", "1d", "1w", "1 s", " 1s", "1s ", "1S", "1H", "1e3s", "0x10s", "１s", "1ｓ",
	}
	const alphabet = "0123456789..+-nuµμmsh"
	const noise = "dwy S:e_x\t"
	// the first 8 are valid
	units := []string{"ns", "us", "µs", "μs", "ms", "s", "m", "h", "", "d", "y", "sm", "mss", "hs", "M", "S", "µ", "n"}
	for len(out) < n {
		var b strings.Builder
		if r.IntN(2) == 0 {
			// random runes over the pattern's alphabet, some noise
			runes := []rune(alphabet)
			noiseRunes := []rune(noise)
			for k := r.IntN(durationMaxLength + 3); k > 0; k-- {
				if r.IntN(20) == 0 {
					b.WriteRune(noiseRunes[r.IntN(len(noiseRunes))])
				} else {
					b.WriteRune(runes[r.IntN(len(runes))])
				}
			}
		} else {
			// sequences of number and unit
			switch r.IntN(6) {
			case 0:
				b.WriteByte('-')
			case 1:
				b.WriteByte('+')
			}
			for c := 1 + r.IntN(4); c > 0; c-- {
				if r.IntN(4) == 0 {
					b.WriteString(strings.Repeat("0", r.IntN(6)))
				}
				digits := []int{0, 1, 1, 2, 3, 5, 6, 8, 11, 14, 17, 18, 20}[r.IntN(13)]
				for k := 0; k < digits; k++ {
					b.WriteByte(byte('0' + r.IntN(10)))
				}
				if r.IntN(3) == 0 {
					b.WriteByte('.')
					for k := r.IntN(4); k > 0; k-- {
						b.WriteByte(byte('0' + r.IntN(10)))
					}
				}
				if r.IntN(5) == 0 {
					b.WriteString(units[r.IntN(len(units))])
				} else {
					b.WriteString(units[r.IntN(8)]) // a valid unit
				}
			}
			if r.IntN(30) == 0 {
				b.WriteRune([]rune(noise)[r.IntN(len(noise))])
			}
		}
		out = append(out, b.String())
	}
	return out[:n]
}

// durationPattern reads the duration pattern from the deployed CRD: the
// format rule of a Persona's expectations.maxLatency.
func durationPattern(t *testing.T) string {
	t.Helper()
	s := schemaAt(t, "Persona", "spec.expectations.maxLatency")
	for _, r := range s.XValidations {
		if strings.HasPrefix(r.Rule, "self.matches('") {
			return strings.TrimSuffix(strings.TrimPrefix(r.Rule, "self.matches('"), "')")
		}
	}
	t.Fatalf("no duration format rule on Persona spec.expectations.maxLatency: %+v", s.XValidations)
	return ""
}

var crdFiles = map[string]string{
	"Persona":           "cx.journeymap.dev_personas.yaml",
	"JourneyMap":        "cx.journeymap.dev_journeymaps.yaml",
	"TouchpointMonitor": "cx.journeymap.dev_touchpointmonitors.yaml",
}

func loadCRD(t *testing.T, kind string) *apiextv1.CustomResourceDefinition {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(env.RepoRoot, "config", "crd", "bases", crdFiles[kind]))
	if err != nil {
		t.Fatal(err)
	}
	crd := &apiextv1.CustomResourceDefinition{}
	if err := yaml.Unmarshal(data, crd); err != nil {
		t.Fatal(err)
	}
	return crd
}

// schemaAt is the schema of the field at a dotted path; list items are
// stepped through.
func schemaAt(t *testing.T, kind, path string) *apiextv1.JSONSchemaProps {
	t.Helper()
	s := loadCRD(t, kind).Spec.Versions[0].Schema.OpenAPIV3Schema
	for _, name := range strings.Split(path, ".") {
		for s.Type == "array" {
			s = s.Items.Schema
		}
		next, ok := s.Properties[name]
		if !ok {
			t.Fatalf("%s has no field %s", kind, path)
		}
		s = &next
	}
	return s
}

func walkSchema(s *apiextv1.JSONSchemaProps, path string, visit func(string, *apiextv1.JSONSchemaProps)) {
	visit(path, s)
	for name, p := range s.Properties {
		walkSchema(&p, path+"."+name, visit)
	}
	if s.Items != nil && s.Items.Schema != nil {
		walkSchema(s.Items.Schema, path+"[]", visit)
	}
	if s.AdditionalProperties != nil && s.AdditionalProperties.Schema != nil {
		walkSchema(s.AdditionalProperties.Schema, path+"{}", visit)
	}
}

// durationPaths lists the dotted JSON paths of the metav1.Duration fields
// of typ, through structs, pointers, slices and inlined structs.
func durationPaths(typ reflect.Type, prefix string) []string {
	durationType := reflect.TypeFor[metav1.Duration]()
	for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
		typ = typ.Elem()
	}
	if typ == durationType {
		return []string{prefix}
	}
	if typ.Kind() != reflect.Struct || typ.PkgPath() == "k8s.io/apimachinery/pkg/apis/meta/v1" {
		return nil
	}
	var out []string
	for i := range typ.NumField() {
		f := typ.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("json"), ",")
		path := prefix
		switch {
		case name == "-":
			continue
		case name == "" && strings.Contains(opts, "inline") || f.Anonymous && name == "":
		default:
			if path != "" {
				path += "."
			}
			path += name
		}
		out = append(out, durationPaths(f.Type, path)...)
	}
	return out
}
