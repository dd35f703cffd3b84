package probe

import (
	"time"

	"github.com/journeymap/journey-operator/internal/probeconfig"
	"github.com/journeymap/journey-operator/internal/schedule"
)

// compiledProbe is a validated probe ready to run.
type compiledProbe struct {
	// def is the probe as configured; a reload compares it to decide whether
	// the probe changed.
	def probeconfig.Probe
	// labels are the values of the metric labels, in labelNames order.
	labels   []string
	interval time.Duration
	timeout  time.Duration
	// steps are a flow's step names, in order; nil for other kinds.
	steps   []string
	checker checker
	// maintenance are the windows in which the probe does not run.
	maintenance []schedule.Window
}

// compileConfig validates the configuration with probeconfig, which parses
// everything a run interprets, and builds the checkers from what it parsed.
func compileConfig(c *probeconfig.Config) ([]*compiledProbe, error) {
	compiled, err := probeconfig.Compile(c)
	if err != nil {
		return nil, err
	}
	out := make([]*compiledProbe, 0, len(compiled))
	for _, p := range compiled {
		out = append(out, newCompiledProbe(p))
	}
	return out, nil
}

func newCompiledProbe(p probeconfig.Compiled) *compiledProbe {
	l := p.Probe.Labels
	cp := &compiledProbe{
		def:         p.Probe,
		labels:      []string{l.Namespace, l.Journey, l.Stage, l.Touchpoint, l.Persona, p.Probe.ID},
		interval:    p.Probe.Interval.Duration,
		timeout:     p.Timeout,
		maintenance: p.Maintenance,
	}
	switch {
	case p.HTTP != nil:
		cp.checker = &httpProbe{req: &httpCheck{p.HTTP}}
	case p.TCP != nil:
		cp.checker = &tcpCheck{address: p.TCP.Address}
	case p.DNS != nil:
		cp.checker = newDNSCheck(p.DNS)
	default:
		f := newFlowCheck(p.Flow)
		cp.checker = f
		for _, s := range f.steps {
			cp.steps = append(cp.steps, s.name)
		}
	}
	return cp
}
