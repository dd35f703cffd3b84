package health

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/prometheus/common/config"
	"github.com/prometheus/common/model"
)

// ClientOptions say how to reach the query API of Prometheus (or of a
// Thanos or Mimir query front end).
type ClientOptions struct {
	// URL of the API, e.g. http://prometheus.monitoring:9090.
	URL string
	// BearerTokenFile is read at every request, so a rotated token applies
	// at once.
	BearerTokenFile string
	// CAFile is a PEM bundle of CAs to trust for https:// URLs.
	CAFile string
	// Timeout bounds one health cycle, all its queries together; 5s when
	// zero.
	Timeout time.Duration
}

// queryClient runs instant queries. The HTTP client comes from
// prometheus/common's config, as Prometheus' own clients do: bearer token
// file, CA file and the proxy from the environment (HTTPS_PROXY, NO_PROXY).
type queryClient struct {
	endpoint string
	http     *http.Client
	timeout  time.Duration
}

func newQueryClient(opts ClientOptions) (*queryClient, error) {
	u, err := url.Parse(opts.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("prometheus URL %q is not an http:// or https:// URL", opts.URL)
	}
	u.Path = strings.TrimSuffix(u.Path, "/") + "/api/v1/query"
	cfg := config.HTTPClientConfig{
		TLSConfig:       config.TLSConfig{CAFile: opts.CAFile},
		ProxyConfig:     config.ProxyConfig{ProxyFromEnvironment: true},
		FollowRedirects: true,
		EnableHTTP2:     true,
	}
	if opts.BearerTokenFile != "" {
		cfg.Authorization = &config.Authorization{Type: "Bearer", CredentialsFile: opts.BearerTokenFile}
	}
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("prometheus client configuration: %w", err)
	}
	client, err := config.NewClientFromConfig(cfg, "journey-operator")
	if err != nil {
		return nil, fmt.Errorf("prometheus client for %s: %w", opts.URL, err)
	}
	timeout := opts.Timeout
	if timeout == 0 {
		timeout = 5 * time.Second
	}
	return &queryClient{endpoint: u.String(), http: client, timeout: timeout}, nil
}

// Unavailable is a health cycle that failed. Reason names the failure in
// words that stay the same for as long as it lasts — no port, time or
// count — so that status shows it with one write; Err holds the detail,
// for logs.
type Unavailable struct {
	Reason string
	Err    error
}

func (u *Unavailable) Error() string {
	if u.Err == nil {
		return "Prometheus " + u.Reason
	}
	return "Prometheus " + u.Reason + ": " + u.Err.Error()
}

func (u *Unavailable) Unwrap() error { return u.Err }

// apiResponse is the envelope of the Prometheus HTTP API.
type apiResponse struct {
	Status    string `json:"status"`
	ErrorType string `json:"errorType"`
	Error     string `json:"error"`
	Data      struct {
		ResultType string          `json:"resultType"`
		Result     json.RawMessage `json:"result"`
	} `json:"data"`
}

// query runs one instant query and returns its vector.
func (c *queryClient) query(ctx context.Context, promql string) (model.Vector, error) {
	result, err := c.ask(ctx, c.endpoint, url.Values{"query": {promql}}, model.ValVector)
	if err != nil {
		return nil, err
	}
	var vector model.Vector
	if err := json.Unmarshal(result, &vector); err != nil {
		return nil, &Unavailable{Reason: "answered a vector that does not decode", Err: fmt.Errorf("query %s: %w", promql, err)}
	}
	return vector, nil
}

// ask posts a query to an endpoint of the API and returns its result,
// which must be of the type wanted.
func (c *queryClient) ask(ctx context.Context, endpoint string, form url.Values, want model.ValueType) (json.RawMessage, error) {
	promql := form.Get("query")
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &Unavailable{Reason: "could not be asked", Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, &Unavailable{Reason: c.transportReason(ctx, err), Err: fmt.Errorf("query %s: %w", promql, err)}
	}
	// The body is read whole below; a failure to close it changes nothing.
	defer func() { _ = resp.Body.Close() }()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return nil, &Unavailable{Reason: c.transportReason(ctx, err), Err: fmt.Errorf("reading the answer to %s: %w", promql, err)}
	}
	return decodeResult(resp, body, promql, want)
}

// decodeResult reads the API's answer; an error names what was wrong with
// it in stable words.
func decodeResult(resp *http.Response, body []byte, promql string, want model.ValueType) (json.RawMessage, error) {
	var answer apiResponse
	jsonErr := json.Unmarshal(body, &answer)
	switch {
	case resp.StatusCode/100 != 2:
		// Prometheus explains its own errors in JSON; a proxy or load
		// balancer in front of it rarely does.
		reason := fmt.Sprintf("answered HTTP %d %s", resp.StatusCode, http.StatusText(resp.StatusCode))
		if jsonErr == nil && answer.ErrorType != "" {
			reason += " (" + answer.ErrorType + ")"
		}
		return nil, &Unavailable{Reason: reason, Err: fmt.Errorf("query %s: %s", promql, firstLine(body))}
	case jsonErr != nil:
		reason := "answered with a body that is not JSON"
		if mediaType, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mediaType != "" && mediaType != "application/json" {
			reason = "answered with " + mediaType + ", not JSON"
		}
		return nil, &Unavailable{Reason: reason, Err: fmt.Errorf("query %s: %w", promql, jsonErr)}
	case answer.Status != "success":
		return nil, &Unavailable{Reason: "answered an error (" + answer.ErrorType + ")", Err: fmt.Errorf("query %s: %s", promql, answer.Error)}
	case answer.Data.ResultType != want.String():
		return nil, &Unavailable{Reason: fmt.Sprintf("answered a %q result where a %s was asked for", answer.Data.ResultType, want), Err: fmt.Errorf("query %s", promql)}
	}
	return answer.Data.Result, nil
}

// firstLine is the start of a body, for logs.
func firstLine(body []byte) string {
	line, _, _ := strings.Cut(string(body), "\n")
	if len(line) > 200 {
		line = line[:200]
	}
	return line
}

// transportReason names a failure to get an answer at all.
func (c *queryClient) transportReason(ctx context.Context, err error) string {
	var netErr net.Error
	var dnsErr *net.DNSError
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded), errors.Is(err, context.DeadlineExceeded), errors.As(err, &netErr) && netErr.Timeout():
		return fmt.Sprintf("did not answer within %s", c.timeout)
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused the connection"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		return "closed the connection without an answer"
	case errors.As(err, &dnsErr):
		return "has a host name that does not resolve"
	default:
		return "could not be reached"
	}
}
