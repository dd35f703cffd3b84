package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMapExportsOffline(t *testing.T) {
	dir := t.TempDir()
	for _, name := range []string{"map.svg", "map.html"} {
		out := filepath.Join(dir, name)
		code, _, stderr := run(t, "", "map", "-f", samples(t), "--output", out, "business-phone-system")
		if code != exitOK {
			t.Fatalf("%s: exit %d\n%s", name, code, stderr)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{`data-tp="admin-portal"`, "Health not known offline", "monitored, offline", "Persona: Ravi, office IT lead"} {
			if !strings.Contains(string(data), want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
		if strings.Contains(string(data), "<script") {
			t.Errorf("%s: an export carries a script", name)
		}
	}
	// One map in the input needs no name.
	code, _, stderr := run(t, validJourney, "map", "-f", "-", "--output", filepath.Join(dir, "one.svg"))
	if code != exitOK {
		t.Errorf("one map from stdin: exit %d\n%s", code, stderr)
	}
}

func TestMapMisuse(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct {
		name    string
		args    []string
		code    int
		message string
	}{
		{"offline without output", []string{"map", "-f", samples(t)}, exitUsage, "give --output"},
		{"two names", []string{"map", "a", "b"}, exitUsage, "one map at a time"},
		{"history too long", []string{"map", "--history", "200h", "x"}, exitUsage, "at most 168h"},
		{"several maps, no name", []string{"map", "-f", samples(t), "--output", filepath.Join(dir, "m.svg")}, exitFound, "several JourneyMaps"},
		{"no such map", []string{"map", "-f", samples(t), "--output", filepath.Join(dir, "m.svg"), "nope"}, exitFound, `no JourneyMap "nope"`},
		{"unknown format", []string{"map", "-f", samples(t), "--output", filepath.Join(dir, "m.png"), "business-phone-system"}, exitUsage, "want a .svg or .html file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := run(t, "", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.message) {
				t.Errorf("exit %d, want %d with %q; stderr:\n%s", code, tc.code, tc.message, stderr)
			}
		})
	}
}
