package render_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/validation"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
	"github.com/journeymap/journey-operator/internal/scheme"
)

// childNames are the names derived from one object name, each with the
// validation of the kind it names.
func childNames(name string) map[string]struct {
	name     string
	validate func(string) []string
} {
	type named = struct {
		name     string
		validate func(string) []string
	}
	return map[string]named{
		"collector":     {render.CollectorName(name), validation.IsDNS1035Label},
		"journey rules": {render.JourneyRulesName(name), validation.IsDNS1123Subdomain},
		"monitor rules": {render.MonitorRulesName(name), validation.IsDNS1123Subdomain},
	}
}

func TestChildNamesValid(t *testing.T) {
	long := strings.Repeat("a", 253)
	dotted := strings.Repeat("abcdefghi.", 25) + "xyz"
	for _, name := range []string{
		"pizza.night.v2", "a.b", "a-b", "a", "0", "9lives", long, dotted,
		strings.Repeat("a", 49), strings.Repeat("a", 50), strings.Repeat("a", 48) + ".b",
		strings.Repeat("a", 53) + "-" + strings.Repeat("b", 199), strings.Repeat("1.", 126) + "1",
	} {
		for kind, child := range childNames(name) {
			if errs := child.validate(child.name); len(errs) > 0 {
				t.Errorf("%s name of %q is %q: %v", kind, name, child.name, errs)
			}
		}
	}
}

// TestChildNamesKept pins names that were valid before names were fitted
// to their kind: changing them would orphan existing children.
func TestChildNamesKept(t *testing.T) {
	for got, want := range map[string]string{
		render.CollectorName("marketing-automation-trial"): "journey-probe-marketing-automation-trial",
		render.JourneyRulesName("pizza.night.v2"):          "journey-rollup-pizza.night.v2",
		render.MonitorRulesName("pricing-page"):            "touchpoint-slo-pricing-page",
		// Long names were already cut and hashed this way.
		render.CollectorName(strings.Repeat("a", 60)): "journey-probe-" + strings.Repeat("a", 40) + "-9475adff",
	} {
		if got != want {
			t.Errorf("name %q, want %q", got, want)
		}
	}
}

func TestChildNamesCollisionFree(t *testing.T) {
	groups := [][]string{
		{"a.b", "a-b", "a--b", "a.b.c", "a-b-c", "a.b-c"},
		{"pizza.night.v2", "pizza-night-v2", "pizza-night.v2"},
		{strings.Repeat("a", 253), strings.Repeat("a", 252) + "b", strings.Repeat("a", 252), strings.Repeat("a", 60)},
		{strings.Repeat("a", 48) + ".b", strings.Repeat("a", 48) + "-b"},
	}
	for _, names := range groups {
		seen := map[string]string{}
		for _, name := range names {
			for kind, child := range childNames(name) {
				key := kind + "/" + child.name
				if other, ok := seen[key]; ok {
					t.Errorf("%q and %q share the %s name %q", other, name, kind, child.name)
				}
				seen[key] = name
			}
		}
	}
}

// TestChildNamesProperty checks random valid object names: every derived
// name is valid for its kind, stable, and no two names share a child.
func TestChildNamesProperty(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	seen := map[string]string{}
	for range 20000 {
		name := randomObjectName(rng)
		if errs := validation.IsDNS1123Subdomain(name); len(errs) > 0 {
			t.Fatalf("generator made the invalid name %q: %v", name, errs)
		}
		for kind, child := range childNames(name) {
			if errs := child.validate(child.name); len(errs) > 0 {
				t.Fatalf("%s name of %q is %q: %v", kind, name, child.name, errs)
			}
			if again := childNames(name)[kind].name; again != child.name {
				t.Fatalf("%s name of %q is unstable: %q, then %q", kind, name, child.name, again)
			}
			key := kind + "/" + child.name
			if other, ok := seen[key]; ok && other != name {
				t.Fatalf("%q and %q share the %s name %q", other, name, kind, child.name)
			}
			seen[key] = name
		}
	}
}

// randomObjectName makes a DNS-1123 subdomain, biased toward the edges:
// dots, hyphens, digits first, and lengths near 63 and 253.
func randomObjectName(rng *rand.Rand) string {
	const alnum = "abcdefghijklmnopqrstuvwxyz0123456789"
	lengths := []int{1, 2, 3, 10, 48, 49, 50, 62, 63, 64, 100, 238, 252, 253}
	n := lengths[rng.IntN(len(lengths))]
	b := make([]byte, n)
	for i := range b {
		b[i] = alnum[rng.IntN(len(alnum))]
		// Inner characters may be "-" or "." unless next to a ".".
		if i > 0 && i < n-1 && b[i-1] != '.' {
			switch rng.IntN(6) {
			case 0:
				b[i] = '-'
			case 1:
				b[i] = '.'
			}
		}
	}
	// A "-" before a "." is not allowed either; smooth it over.
	return strings.ReplaceAll(string(b), "-.", "a.")
}

// TestCollectorOfDottedMap renders the collector of a map whose name has
// dots and 253 characters: every name and label value in it must be one
// the apiserver accepts.
func TestCollectorOfDottedMap(t *testing.T) {
	maps, monitors := samples(t)
	for _, mapName := range []string{"pizza.night.v2", strings.Repeat("pizza.", 41) + "night"} {
		journeyMap := maps["marketing-automation-trial"].DeepCopy()
		journeyMap.Name, journeyMap.UID = mapName, types.UID("uid-"+mapName)
		c := render.Collector{Map: journeyMap, Image: "journey-probe:test"}
		for _, m := range monitors {
			if m.Spec.JourneyMapRef.Name == "marketing-automation-trial" && m.Spec.Probe != nil {
				m = m.DeepCopy()
				m.Name = mapName + ".monitor"
				m.Spec.JourneyMapRef.Name = mapName
				c.Probed = append(c.Probed, bind(t, map[string]*cxv1alpha1.JourneyMap{mapName: journeyMap}, m))
			}
		}
		s := scheme.New()
		service, err := render.BuildCollectorService(c, s)
		if err != nil {
			t.Fatal(err)
		}
		deployment, err := render.BuildCollectorDeployment(c, s)
		if err != nil {
			t.Fatal(err)
		}
		if errs := validation.IsDNS1035Label(service.Name); len(errs) > 0 {
			t.Errorf("Service name %q: %v", service.Name, errs)
		}
		labelSets := []map[string]string{service.Labels, service.Spec.Selector, deployment.Labels, deployment.Spec.Template.Labels}
		for _, b := range c.Probed {
			rules, err := render.MonitorRules(b)
			if err != nil {
				t.Fatal(err)
			}
			labelSets = append(labelSets, rules.Labels)
			if errs := validation.IsDNS1123Subdomain(rules.Name); len(errs) > 0 {
				t.Errorf("rules name %q: %v", rules.Name, errs)
			}
		}
		for _, labels := range labelSets {
			for k, v := range labels {
				if errs := validation.IsValidLabelValue(v); len(errs) > 0 {
					t.Errorf("label %s=%q: %v", k, v, errs)
				}
			}
		}
		for _, v := range deployment.Spec.Template.Spec.Volumes {
			if errs := validation.IsDNS1123Label(v.Name); len(errs) > 0 {
				t.Errorf("volume name %q: %v", v.Name, errs)
			}
		}
		for _, ctr := range deployment.Spec.Template.Spec.Containers {
			if errs := validation.IsDNS1123Label(ctr.Name); len(errs) > 0 {
				t.Errorf("container name %q: %v", ctr.Name, errs)
			}
		}
	}
}
