package probe

import (
	"context"
	"fmt"
	"net/http/cookiejar"
	"time"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// flowCheck walks its steps in order with one cookie jar, as one customer
// session would.
type flowCheck struct {
	steps []flowStep
}

type flowStep struct {
	name     string
	http     *httpCheck
	captures []probeconfig.StepCapture
}

// stepError is a flow failure; it names the step so logs and the failure
// reason say where the journey broke.
type stepError struct {
	step string
	err  error
}

func (e *stepError) Error() string { return fmt.Sprintf("step %q: %v", e.step, e.err) }
func (e *stepError) Unwrap() error { return e.err }

func newFlowCheck(steps []probeconfig.Step) *flowCheck {
	c := &flowCheck{}
	for _, s := range steps {
		c.steps = append(c.steps, flowStep{name: s.Name, http: &httpCheck{s.Request}, captures: s.Captures})
	}
	return c
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
		v, err := captureValue(c, resp)
		if err != nil {
			return failf(ReasonCapture, "capture %s: %v", c.Name, err)
		}
		vars[c.Name] = v
	}
	return nil
}

// captureValue takes the capture's value from a response.
func captureValue(c probeconfig.StepCapture, r *response) (string, error) {
	switch c.From {
	case probeconfig.CaptureFromHeader:
		v := r.header.Get(c.Header)
		if v == "" {
			return "", fmt.Errorf("no %s header", c.Header)
		}
		return v, nil
	case probeconfig.CaptureFromRegex:
		body, err := r.text()
		if err != nil {
			return "", err
		}
		m := c.Regex.FindSubmatch(body)
		if m == nil {
			return "", fmt.Errorf("body does not match /%s/", c.Regex)
		}
		return string(m[1]), nil
	default:
		v, err := r.jsonField(c.Path)
		if err != nil {
			return "", err
		}
		return jsonText(v), nil
	}
}
