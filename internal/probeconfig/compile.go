package probeconfig

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"

	"github.com/journeymap/journey-operator/internal/schedule"
)

// defaultTimeout applies when a probe sets none; it is capped by the
// interval so a run normally ends before the next one is due.
const defaultTimeout = 10 * time.Second

// Compiled is a valid Probe with everything the collector interprets already
// parsed: regexes compiled, paths and templates parsed, defaults applied. The
// engine runs these forms, so a run cannot hit a config error that
// validation could have caught, and validation cannot accept what the engine
// would read differently.
type Compiled struct {
	// Probe is the probe as configured; a reload compares it to decide
	// whether the probe changed.
	Probe Probe
	// Timeout is the probe's timeout, or the default when it sets none.
	Timeout time.Duration

	// Exactly one of HTTP, TCP, DNS and Flow is set, as in Probe.
	HTTP *Request
	TCP  *TCPCheck
	DNS  *DNSQuery
	Flow []Step

	// Maintenance are the compiled maintenance windows.
	Maintenance []schedule.Window
}

// Validate checks the whole configuration and reports every problem found,
// so one edit can fix them all. It needs no network and reads no file: the
// operator calls it on what it renders, the collector before applying a file.
func (c *Config) Validate() error {
	_, err := Compile(c)
	return err
}

// Compile validates every probe and returns them compiled, in order. The
// error lists all problems on one line, separated by "; ", because it is
// logged as one line.
func Compile(c *Config) ([]Compiled, error) {
	var problems []string
	seen := map[string]bool{}
	out := make([]Compiled, 0, len(c.Probes))
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

func compileProbe(p Probe) (Compiled, error) {
	cp := Compiled{Probe: p, Timeout: p.Timeout.Duration}
	if p.ID == "" {
		return cp, errors.New("id missing")
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
		return cp, fmt.Errorf("%s missing", strings.Join(missing, ", "))
	}
	if p.Interval.Duration <= 0 {
		return cp, fmt.Errorf("interval must be positive, got %s", p.Interval.Duration)
	}
	if cp.Timeout < 0 {
		return cp, fmt.Errorf("timeout must not be negative, got %s", cp.Timeout)
	}
	if cp.Timeout == 0 {
		cp.Timeout = min(defaultTimeout, p.Interval.Duration)
	}
	for _, w := range p.Maintenance {
		window, err := schedule.Compile(w)
		if err != nil {
			return cp, fmt.Errorf("maintenance: %w", err)
		}
		cp.Maintenance = append(cp.Maintenance, window)
	}

	var kinds []string
	var err error
	if p.HTTP != nil {
		kinds = append(kinds, "http")
		cp.HTTP, err = compileRequest(p.HTTP, nil)
	}
	if p.TCP != nil {
		kinds = append(kinds, "tcp")
		cp.TCP, err = p.TCP, checkTCP(p.TCP)
	}
	if p.DNS != nil {
		kinds = append(kinds, "dns")
		cp.DNS, err = compileDNS(p.DNS)
	}
	if p.Flow != nil {
		kinds = append(kinds, "flow")
		cp.Flow, err = compileFlow(p.Flow)
	}
	switch {
	case len(kinds) == 0:
		return cp, errors.New("no check: set one of http, tcp, dns, flow")
	case len(kinds) > 1:
		return cp, fmt.Errorf("set exactly one of http, tcp, dns, flow, not %s", strings.Join(kinds, " and "))
	case err != nil:
		return cp, fmt.Errorf("%s: %w", kinds[0], err)
	}
	return cp, nil
}

// checkTCP requires a host:port address.
func checkTCP(t *TCPCheck) error {
	host, port, err := net.SplitHostPort(t.Address)
	if err != nil {
		return fmt.Errorf("address %q: %w", t.Address, err)
	}
	if host == "" || port == "" {
		return fmt.Errorf("address %q: want host:port", t.Address)
	}
	return nil
}
