package probe

import (
	"bytes"
	"encoding/json"
	"testing"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// TestJSONText checks fields as assertions and captures see them: looked up
// by path, then printed for comparison.
func TestJSONText(t *testing.T) {
	d := json.NewDecoder(bytes.NewReader([]byte(`{"a":{"b":[{"c":"x"},{"c":2.50}]},"list":[[1,2],[3]],"dash-key":{"n":-7},"e":1e3,"o":{"k":[true,null]}}`)))
	d.UseNumber()
	var doc any
	if err := d.Decode(&doc); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		path, want string
		found      bool
	}{
		{"a.b[0].c", "x", true},
		{"a.b[1].c", "2.5", true},
		{"$.a.b[1].c", "2.5", true},
		{"list[0][1]", "2", true},
		{"list[1]", "[3]", true},
		{"dash-key.n", "-7", true},
		{"e", "1000", true},
		{"o", `{"k":[true,null]}`, true},
		{"o.k[1]", "null", true},
		{"a.b[2]", "", false},
		{"a.x", "", false},
		{"a.b.c", "", false},
		{"list[0].x", "", false},
	}
	for _, tt := range tests {
		p, err := probeconfig.ParseJSONPath(tt.path)
		if err != nil {
			t.Fatalf("parse %q: %v", tt.path, err)
		}
		v, ok := p.Lookup(doc)
		if ok != tt.found || (ok && jsonText(v) != tt.want) {
			t.Errorf("%s = %q (found %v), want %q (found %v)", tt.path, jsonText(v), ok, tt.want, tt.found)
		}
	}
}
