package probeconfig

import (
	"fmt"
	"regexp"
	"strings"
)

// placeholderRE matches ${name}; anything else containing "${" stays literal
// so a body like `{"a":"${"}` is not an error.
var placeholderRE = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// captureNameRE is the syntax of a capture name, the same as a placeholder's.
var captureNameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// Template is a string with ${name} placeholders, split once at load time so
// each run only concatenates.
type Template struct {
	// parts alternate literal text and placeholder names: even indexes are
	// literals, odd indexes are names.
	parts []string
}

// literal is a template without placeholders: plain HTTP probes have no
// captures, so their strings are never scanned for ${...}.
func literal(s string) Template { return Template{parts: []string{s}} }

// parseTemplate splits s and checks every placeholder against the keys of
// defined, the captures of earlier flow steps.
func parseTemplate(s string, defined map[string]string) (Template, error) {
	var t Template
	last := 0
	for _, m := range placeholderRE.FindAllStringSubmatchIndex(s, -1) {
		name := s[m[2]:m[3]]
		if _, ok := defined[name]; !ok {
			return Template{}, fmt.Errorf("${%s} is used before a capture of that name is defined by an earlier step", name)
		}
		t.parts = append(t.parts, s[last:m[0]], name)
		last = m[1]
	}
	t.parts = append(t.parts, s[last:])
	return t, nil
}

// Render substitutes the captured values.
func (t Template) Render(vars map[string]string) string {
	if len(t.parts) == 1 {
		return t.parts[0]
	}
	var b strings.Builder
	for i, p := range t.parts {
		if i%2 == 1 {
			p = vars[p]
		}
		b.WriteString(p)
	}
	return b.String()
}
