package probe

import (
	"context"
	"errors"
	"fmt"
	"net/http/cookiejar"
	"regexp"
	"time"
)

// The sources a Capture can take a value from (Capture.From).
const (
	// CaptureFromJSONPath takes the field at a JSON path (syntax `a.b[0].c`)
	// of the response body, printed as JSON assertions compare it.
	CaptureFromJSONPath = "JSONPath"
	// CaptureFromHeader takes the value of a response header.
	CaptureFromHeader = "Header"
	// CaptureFromRegex takes the first group of a regular expression (RE2)
	// matched against the response body.
	CaptureFromRegex = "Regex"
)

// flowCheck walks its steps in order with one cookie jar, as one customer
// session would.
type flowCheck struct {
	steps []flowStep
}

type flowStep struct {
	name     string
	http     *httpCheck
	captures []capture
}

// capture is a compiled Capture; exactly one of path, header, re is in use,
// chosen by from.
type capture struct {
	name   string
	from   string
	path   jsonPath
	header string
	re     *regexp.Regexp
}

// stepError is a flow failure; it names the step so logs and the failure
// reason say where the journey broke.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return fmt.Sprintf("step %q: %v", e.step, e.err) }
func (e *stepError) Unwrap() error { return e.err }

func compileFlow(f *Flow) (*flowCheck, error) {
	if len(f.Steps) == 0 {
		return nil, errors.New("no steps")
	}
	c := &flowCheck{}
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
		hc, err := compileHTTP(&s.HTTPRequest, defined)
		if err != nil {
			return nil, fmt.Errorf("step %q: %w", s.Name, err)
		}
		st := flowStep{name: s.Name, http: hc}
		for j, cp := range s.Capture {
			compiled, err := compileCapture(cp)
			if err != nil {
				return nil, fmt.Errorf("step %q: capture[%d]: %w", s.Name, j, err)
			}
			if defined[cp.Name] {
				return nil, fmt.Errorf("step %q: capture %q is defined twice", s.Name, cp.Name)
			}
			st.captures = append(st.captures, compiled)
		}
		for _, cp := range st.captures {
			defined[cp.name] = true
		}
		c.steps = append(c.steps, st)
	}
	return c, nil
}

func compileCapture(c Capture) (capture, error) {
	out := capture{name: c.Name, from: c.From}
	if !captureNameRE.MatchString(c.Name) {
		return out, fmt.Errorf("name %q: want letters, digits and _, not starting with a digit", c.Name)
	}
	var err error
	switch c.From {
	case CaptureFromJSONPath:
		out.path, err = parseJSONPath(c.Expression)
	case CaptureFromHeader:
		if !isToken(c.Expression) {
			err = fmt.Errorf("expression %q is not a header name", c.Expression)
		}
		out.header = c.Expression
	case CaptureFromRegex:
		if out.re, err = regexp.Compile(c.Expression); err == nil && out.re.NumSubexp() < 1 {
			err = fmt.Errorf("regex %q has no group to capture", c.Expression)
		}
	default:
		err = fmt.Errorf("from %q: want %s, %s or %s", c.From, CaptureFromJSONPath, CaptureFromHeader, CaptureFromRegex)
	}
	return out, err
}

func (c *flowCheck) check(ctx context.Context, observe stepObserver) error {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return err
	}
	s := newSession(jar)
	defer s.close()
	vars := map[string]string{}
	for _, st := range c.steps {
		start := time.Now()
		err := st.run(ctx, s, vars)
		observe(st.name, time.Since(start), err)
		if err != nil {
			return &stepError{step: st.name, err: err}
		}
	}
	return nil
}

// run sends the step's request and stores its captures in vars.
func (st *flowStep) run(ctx context.Context, s *session, vars map[string]string) error {
	resp, err := st.http.do(ctx, s, vars)
	if err != nil {
		return err
	}
	for _, c := range st.captures {
		v, err := c.value(resp)
		if err != nil {
			return failf(ReasonCapture, "capture %s: %v", c.name, err)
		}
		vars[c.name] = v
	}
	return nil
}

func (c *capture) value(r *response) (string, error) {
	switch c.from {
	case CaptureFromHeader:
		v := r.header.Get(c.header)
		if v == "" {
			return "", fmt.Errorf("no %s header", c.header)
		}
		return v, nil
	case CaptureFromRegex:
		body, err := r.text()
		if err != nil {
			return "", err
		}
		m := c.re.FindSubmatch(body)
		if m == nil {
			return "", fmt.Errorf("body does not match /%s/", c.re)
		}
		return string(m[1]), nil
	default:
		v, err := r.jsonField(c.path)
		if err != nil {
			return "", err
		}
		return jsonText(v), nil
	}
}
