package probe

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// defaultTimeout applies when a probe sets none; it is capped by the
// interval so a run normally ends before the next one is due.
const defaultTimeout = 10 * time.Second

// compiledProbe is a validated Probe ready to run: regexes compiled, paths
// and templates parsed, so runs do no parsing and cannot hit config errors
// that validation could have caught.
type compiledProbe struct {
	// def is the probe as configured; a reload compares it to decide whether
	// the probe changed.
	def Probe
	// labels are the values of the metric labels, in labelNames order.
	labels   []string
	interval time.Duration
	timeout  time.Duration
	// steps are a flow's step names, in order; nil for other kinds.
	steps   []string
	checker checker
}

// Validate checks the whole configuration and reports every problem found,
// so one edit can fix them all. It is what a reload runs before applying a
// file; the operator may call it on what it renders.
func (c *Config) Validate() error {
	_, err := compileConfig(c)
	return err
}

// compileConfig compiles every probe. The error lists all problems on one
// line, separated by "; ", because it is logged as one line.
func compileConfig(c *Config) ([]*compiledProbe, error) {
	var problems []string
	seen := map[string]bool{}
	out := make([]*compiledProbe, 0, len(c.Probes))
	for i, p := range c.Probes {
		where := fmt.Sprintf("probes[%d]", i)
		if p.ID != "" {
			where = fmt.Sprintf("probe %q", p.ID)
		}
		if seen[p.ID] && p.ID != "" {
			problems = append(problems, where+": duplicate id")
			continue
		}
		seen[p.ID] = true
		cp, err := compileProbe(p)
		if err != nil {
			problems = append(problems, where+": "+err.Error())
			continue
		}
		out = append(out, cp)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "; "))
	}
	return out, nil
}

func compileProbe(p Probe) (*compiledProbe, error) {
	if p.ID == "" {
		return nil, errors.New("id missing")
	}
	var missing []string
	for _, l := range []struct{ name, value string }{
		{"namespace", p.Labels.Namespace},
		{"journey", p.Labels.Journey},
		{"touchpoint", p.Labels.Touchpoint},
	} {
		if l.value == "" {
			missing = append(missing, "labels."+l.name)
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%s missing", strings.Join(missing, ", "))
	}
	cp := &compiledProbe{
		def:      p,
		labels:   []string{p.Labels.Namespace, p.Labels.Journey, p.Labels.Stage, p.Labels.Touchpoint, p.Labels.Persona, p.ID},
		interval: p.Interval.Duration,
		timeout:  p.Timeout.Duration,
	}
	if cp.interval <= 0 {
		return nil, fmt.Errorf("interval must be positive, got %s", cp.interval)
	}
	if cp.timeout < 0 {
		return nil, fmt.Errorf("timeout must not be negative, got %s", cp.timeout)
	}
	if cp.timeout == 0 {
		cp.timeout = min(defaultTimeout, cp.interval)
	}

	var kinds []string
	var err error
	if p.HTTP != nil {
		kinds = append(kinds, "http")
		cp.checker, err = compileHTTPProbe(p.HTTP)
	}
	if p.TCP != nil {
		kinds = append(kinds, "tcp")
		cp.checker, err = compileTCP(p.TCP)
	}
	if p.DNS != nil {
		kinds = append(kinds, "dns")
		cp.checker, err = compileDNS(p.DNS)
	}
	if p.Flow != nil {
		kinds = append(kinds, "flow")
		var f *flowCheck
		if f, err = compileFlow(p.Flow); err == nil {
			cp.checker = f
			for _, s := range f.steps {
				cp.steps = append(cp.steps, s.name)
			}
		}
	}
	switch {
	case len(kinds) == 0:
		return nil, errors.New("no check: set one of http, tcp, dns, flow")
	case len(kinds) > 1:
		return nil, fmt.Errorf("set exactly one of http, tcp, dns, flow, not %s", strings.Join(kinds, " and "))
	case err != nil:
		return nil, fmt.Errorf("%s: %w", kinds[0], err)
	}
	return cp, nil
}
