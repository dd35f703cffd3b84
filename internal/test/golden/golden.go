// Package golden compares test output with files under a package's
// testdata/ and rewrites them when the tests run with -update. Only tests
// import it.
package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/ from the current output")

// shownDiffer is the largest output printed beside a difference; larger
// output is better read as the diff -update leaves in git.
const shownDiffer = 8 << 10

// Check compares got with testdata/name. With -update it writes got there
// first, so that the change is reviewed in git.
func Check(t testing.TB, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (go test -run '%s' -update writes it)", err, t.Name())
	}
	if bytes.Equal(got, want) {
		return
	}
	shown := ""
	if len(got) <= shownDiffer {
		shown = "\n--- got\n" + string(got)
	}
	t.Errorf("%s differs from the output; if the change is intended, go test -run '%s' -update rewrites it and git diff shows how%s", path, t.Name(), shown)
}
