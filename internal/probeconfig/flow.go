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
	// defined grows step by step, so a step can only use what earlier steps captured.
	defined := map[string]bool{}
	for i, s := range f.Steps {
		if s.Name == "" {
			return nil, fmt.Errorf("steps[%d]: name missing", i)
		}
		if names[s.Name] {
			return nil, fmt.Errorf("steps[%d]: step name %q used twice", i, s.Name)
		}
		names[s.Name] = true
		req, err := compileRequest(&s.HTTPRequest, defined)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", s.Name, err)
		}
		st := Step{Name: s.Name, Request: req}
		for j, cp := range s.Capture {
			compiled, err := compileCapture(cp)
			if err != nil {
				return nil, fmt.Errorf("step %q: capture[%d]: %w", s.Name, j, err)
			}
			if defined[cp.Name] {
				return nil, fmt.Errorf("step %q: capture %q is defined twice", s.Name, cp.Name)
			}
			st.Captures = append(st.Captures, compiled)
		}
		for _, cp := range st.Captures {
			defined[cp.Name] = true
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
