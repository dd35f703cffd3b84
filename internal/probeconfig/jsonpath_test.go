package probeconfig

import "testing"

func TestJSONPathSyntaxErrors(t *testing.T) {
	for _, p := range []string{"", "$", "a..b", "a.", "a[", "a[x]", "a[-1]", "a[0]b", "[0]]"} {
		if _, err := ParseJSONPath(p); err == nil {
			t.Errorf("%q parsed, want a syntax error", p)
		}
	}
}
