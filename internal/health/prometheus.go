package health

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"math"
	"net/http"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/prometheus/client_golang/api"
	promv1 "github.com/prometheus/client_golang/api/prometheus/v1"
	"github.com/prometheus/common/model"
)

// Source reads SLIs and alerts from a Prometheus-compatible HTTP API
// (Prometheus, or a Thanos or Mimir query front end).
type Source struct {
	api promv1.API
	// timeout bounds one observation, all its queries together.
	timeout time.Duration
}

// SourceOptions say how to reach the query API.
type SourceOptions struct {
	// URL of the API, e.g. http://prometheus.monitoring:9090.
	URL string
	// BearerTokenFile is read at every request, so a rotated token applies
	// at once.
	BearerTokenFile string
	// CAFile is a PEM bundle of CAs to trust for https:// URLs.
	CAFile string
	// Timeout bounds one observation of a touchpoint, all its queries
	// together; 5s when zero. Health is read inside a reconcile, which
	// holds one of the controller's workers: an unbounded wait on a slow
	// Prometheus would hold back every spec change queued behind it.
	Timeout time.Duration
}

// NewSource builds a Source.
func NewSource(opts SourceOptions) (*Source, error) {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if opts.CAFile != "" {
		pem, err := os.ReadFile(opts.CAFile)
		if err != nil {
			return nil, fmt.Errorf("reading the Prometheus CA file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("the Prometheus CA file %s holds no PEM certificate", opts.CAFile)
		}
		transport.TLSClientConfig = &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
	}
	var rt http.RoundTripper = transport
	if opts.BearerTokenFile != "" {
		rt = bearerToken{file: opts.BearerTokenFile, next: transport}
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	client, err := api.NewClient(api.Config{Address: opts.URL, Client: &http.Client{Transport: rt, Timeout: timeout}})
	if err != nil {
		return nil, fmt.Errorf("prometheus URL %q: %w", opts.URL, err)
	}
	return &Source{api: promv1.NewAPI(client), timeout: timeout}, nil
}

type bearerToken struct {
	file string
	next http.RoundTripper
}

func (b bearerToken) RoundTrip(req *http.Request) (*http.Response, error) {
	token, err := os.ReadFile(b.file)
	if err != nil {
		return nil, fmt.Errorf("reading the Prometheus bearer token: %w", err)
	}
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+strings.TrimSpace(string(token)))
	return b.next.RoundTrip(req)
}

// TouchpointQuery names the series of one monitored touchpoint.
type TouchpointQuery struct {
	Namespace, Journey, Touchpoint string
	// ObjectiveWindow is the window with a recording rule, e.g. "28d".
	ObjectiveWindow string
	// Probe says whether a probe watches the touchpoint.
	Probe bool
	// Latency says whether a latency objective is recorded.
	Latency bool
}

func (q TouchpointQuery) selector() string {
	return fmt.Sprintf(`namespace=%q, journey=%q, touchpoint=%q`, q.Namespace, q.Journey, q.Touchpoint)
}

// Observation is what Prometheus says about a touchpoint now. Ratios are
// error ratios from 0 to 1; nil means no series.
type Observation struct {
	ErrorsShort     *float64 // over 5m: whether telemetry exists at all
	ErrorsLastHour  *float64
	ErrorsObjective *float64
	// ProbeSuccess is the lowest last result of the touchpoint's probes.
	ProbeSuccess *float64
	// LatencySeconds is the probe latency at the objective's percentile.
	LatencySeconds *float64
	Alerts         []Alert
}

// Alert is a firing alert.
type Alert struct {
	Name, Severity string
	Since          time.Time
}

// Observe queries everything the health of one touchpoint is judged by.
func (s *Source) Observe(ctx context.Context, q TouchpointQuery) (Observation, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	sel := q.selector()
	var obs Observation
	scalars := []struct {
		into  **float64
		query string
		skip  bool
	}{
		{&obs.ErrorsShort, fmt.Sprintf("max(journey:touchpoint_errors:ratio_rate5m{%s})", sel), false},
		{&obs.ErrorsLastHour, fmt.Sprintf("max(journey:touchpoint_errors:ratio_rate1h{%s})", sel), false},
		{&obs.ErrorsObjective, fmt.Sprintf("max(journey:touchpoint_errors:ratio_rate%s{%s})", q.ObjectiveWindow, sel), false},
		{&obs.ProbeSuccess, fmt.Sprintf("min(journey_probe_success{%s})", sel), !q.Probe},
		{&obs.LatencySeconds, fmt.Sprintf("max(journey:touchpoint_latency_seconds:quantile_rate5m{%s})", sel), !q.Latency},
	}
	for _, s2 := range scalars {
		if s2.skip {
			continue
		}
		v, err := s.scalar(ctx, s2.query)
		if err != nil {
			return Observation{}, err
		}
		*s2.into = v
	}
	alerts, err := s.alerts(ctx, sel)
	if err != nil {
		return Observation{}, err
	}
	obs.Alerts = alerts
	return obs, nil
}

// JourneySuccess reads the journey success ratio roll-up; nil when there is
// no series.
func (s *Source) JourneySuccess(ctx context.Context, namespace, journey string) (*float64, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	return s.scalar(ctx, fmt.Sprintf("max(journey:success:ratio_rate5m{namespace=%q, journey=%q})", namespace, journey))
}

func (s *Source) scalar(ctx context.Context, query string) (*float64, error) {
	value, _, _, err := s.api.Query(ctx, query, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus: %w", err)
	}
	vector, ok := value.(model.Vector)
	if !ok || len(vector) == 0 {
		return nil, nil
	}
	v := float64(vector[0].Value)
	if math.IsNaN(v) {
		// A ratio over a window holding a single sample is 0/0: no data yet.
		return nil, nil
	}
	return &v, nil
}

// alerts lists the firing alerts of a touchpoint with the time each became
// active, which ALERTS_FOR_STATE keeps as its value.
func (s *Source) alerts(ctx context.Context, sel string) ([]Alert, error) {
	query := fmt.Sprintf(`ALERTS_FOR_STATE{%s} and ignoring(alertstate) ALERTS{%s, alertstate="firing"}`, sel, sel)
	value, _, _, err := s.api.Query(ctx, query, time.Time{})
	if err != nil {
		return nil, fmt.Errorf("querying Prometheus alerts: %w", err)
	}
	vector, _ := value.(model.Vector)
	alerts := make([]Alert, 0, len(vector))
	for _, sample := range vector {
		alerts = append(alerts, Alert{
			Name:     string(sample.Metric[model.AlertNameLabel]),
			Severity: string(sample.Metric["severity"]),
			Since:    time.Unix(int64(sample.Value), 0).UTC(),
		})
	}
	sort.Slice(alerts, func(i, j int) bool {
		if alerts[i].Name != alerts[j].Name {
			return alerts[i].Name < alerts[j].Name
		}
		if alerts[i].Severity != alerts[j].Severity {
			return alerts[i].Severity < alerts[j].Severity
		}
		return alerts[i].Since.Before(alerts[j].Since)
	})
	return alerts, nil
}
