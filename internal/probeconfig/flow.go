package probeconfig

import (
	"errors"
	"fmt"
	"regexp"
)

// Step is a compiled FlowStep.
type Step struct {
	Name     string
	Request  *Request
	Captures []StepCapture
}

// StepCapture is a compiled Capture. From says which of Path, Header and
// Regex is in use.
type StepCapture struct {
	Name   string
	From   string
	Path   JSONPath
	Header string
	// Regex has at least one group; the first one is the value.
	Regex *regexp.Regexp
}

func compileFlow(f *Flow) ([]Step, error) {
	if len(f.Steps) == 0 {
		return nil, errors.New("no steps")
	}
	var steps []Step
	names := map[string]bool{}
	// capturedBy maps each capture name to the step that takes it, and grows
	// step by step, so a step can only use what earlier steps captured. A
	// name is captured once in a flow: were a later step to capture it
	// again, ${name} would mean different values depending on where it is
	// used, and a reader of the spec, or of a failed run's "capture name",
	// would have to work out which definition applies. A second name (t2)
	// costs nothing and keeps one definition per placeholder.
	capturedBy := map[string]string{}
	for i, s := range f.Steps {
		if s.Name == "" {
			return nil, fmt.Errorf("steps[%d]: name missing", i)
		}
		if names[s.Name] {
			return nil, fmt.Errorf("steps[%d]: step name %q used twice", i, s.Name)
		}
		names[s.Name] = true
		req, err := compileRequest(&s.HTTPRequest, capturedBy)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", s.Name, err)
		}
		st := Step{Name: s.Name, Request: req}
		inStep := map[string]int{}
		for j, cp := range s.Capture {
			compiled, err := compileCapture(cp)
			if err != nil {
				return nil, fmt.Errorf("step %q: capture[%d]: %w", s.Name, j, err)
			}
			if k, ok := inStep[cp.Name]; ok {
				return nil, fmt.Errorf("step %q: capture[%d]: %q is already captured by capture[%d] of this step; give each capture its own name", s.Name, j, cp.Name, k)
			}
			if by, ok := capturedBy[cp.Name]; ok {
				return nil, fmt.Errorf("step %q: capture[%d]: %q is already captured by step %q; give this capture another name, such as %s2", s.Name, j, cp.Name, by, cp.Name)
			}
			inStep[cp.Name] = j
			st.Captures = append(st.Captures, compiled)
		}
		for _, cp := range st.Captures {
			capturedBy[cp.Name] = s.Name
		}
		steps = append(steps, st)
	}
	return steps, nil
}

func compileCapture(c Capture) (StepCapture, error) {
	out := StepCapture{Name: c.Name, From: c.From}
	if !captureNameRE.MatchString(c.Name) {
		return out, fmt.Errorf("name %q: want letters, digits and _, not starting with a digit", c.Name)
	}
	var err error
	switch c.From {
	case CaptureFromJSONPath:
		out.Path, err = ParseJSONPath(c.Expression)
	case CaptureFromHeader:
		if !isToken(c.Expression) {
			err = fmt.Errorf("expression %q is not a header name", c.Expression)
		}
		out.Header = c.Expression
	case CaptureFromRegex:
		if out.Regex, err = regexp.Compile(c.Expression); err == nil && out.Regex.NumSubexp() < 1 {
			err = fmt.Errorf("regex %q has no group to capture", c.Expression)
		}
	default:
		err = fmt.Errorf("from %q: want %s, %s or %s", c.From, CaptureFromJSONPath, CaptureFromHeader, CaptureFromRegex)
	}
	return out, err
}
