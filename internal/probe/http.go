package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// MaxBodyBytes is how much of a response body a run reads. Reading stops
// there, so a target that sends a gigabyte costs at most this much memory;
// a target that never ends its body is cut off by the run's timeout.
const MaxBodyBytes = 1 << 20

// httpCheck runs a compiled request. It is the one request executor behind
// both HTTP probes and flow steps.
type httpCheck struct {
	*probeconfig.Request
}

// httpProbe is a plain HTTP probe: one request in a fresh session.
type httpProbe struct {
	req *httpCheck
}

func (h *httpProbe) check(ctx context.Context, _ stepObserver) error {
	s := newSession(nil)
	defer s.close()
	_, err := h.req.do(ctx, s, nil)
	return err
}

// response is what the assertions and captures of a run look at.
type response struct {
	status int
	header http.Header
	body   []byte
	// truncated is set when the body was longer than MaxBodyBytes; checks
	// that need the body then fail rather than judge a part of it.
	truncated bool

	parsed bool
	doc    any
	docErr error
}

// do sends the request with captured values substituted, reads a bounded
// body and runs the assertions. The response is returned even when an
// assertion fails, so callers can still report it.
func (c *httpCheck) do(ctx context.Context, s *session, vars map[string]string) (*response, error) {
	client, err := s.client(c.TLS, c.FollowRedirects)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if b := c.Body.Render(vars); b != "" {
		body = strings.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.Method, c.URL.Render(vars), body)
	if err != nil {
		return nil, failf(ReasonConfig, "build request: %v", err)
	}
	for _, h := range c.Headers {
		v, err := resolveHeader(h, vars)
		if err != nil {
			return nil, err
		}
		if http.CanonicalHeaderKey(h.Name) == "Host" {
			req.Host = v
			continue
		}
		req.Header.Add(h.Name, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "journey-probe")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	// The body is read (bounded) before this returns; a close error after
	// reading loses nothing the probe judges.
	defer func() { _ = resp.Body.Close() }()
	r := &response{status: resp.StatusCode, header: resp.Header}
	if r.body, r.truncated, err = readBounded(resp.Body); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return r, c.assert(r)
}

// resolveHeader returns the header's value. A file is read on every run so
// that a rotated Secret applies at once; its trailing newline is dropped
// because files written by hand usually have one and a header value cannot.
func resolveHeader(h probeconfig.RequestHeader, vars map[string]string) (string, error) {
	if h.File == "" {
		return h.Value.Render(vars), nil
	}
	b, err := os.ReadFile(h.File)
	if err != nil {
		return "", failf(ReasonConfig, "header %s: %v", h.Name, err)
	}
	return strings.TrimRight(string(b), "\r\n"), nil
}

// readBounded reads at most MaxBodyBytes and reports whether there was more.
func readBounded(body io.Reader) ([]byte, bool, error) {
	b, err := io.ReadAll(io.LimitReader(body, MaxBodyBytes+1))
	if len(b) > MaxBodyBytes {
		return b[:MaxBodyBytes], true, nil
	}
	return b, false, err
}

// assert checks the response against the request's expectations, cheapest
// first, and fails at the first one that does not hold.
func (c *httpCheck) assert(r *response) error {
	if !c.statusOK(r.status) {
		want := "2xx"
		if len(c.ExpectedStatus) > 0 {
			want = fmt.Sprint(c.ExpectedStatus)
		}
		return failf(ReasonStatus, "status %d, want %s", r.status, want)
	}
	if len(c.BodyContains) > 0 || c.BodyRegex != nil {
		body, err := r.text()
		if err != nil {
			return &failure{reason: ReasonBody, err: err}
		}
		for _, s := range c.BodyContains {
			if !bytes.Contains(body, []byte(s)) {
				return failf(ReasonBody, "body does not contain %q", s)
			}
		}
		if c.BodyRegex != nil && !c.BodyRegex.Match(body) {
			return failf(ReasonBody, "body does not match /%s/", c.BodyRegex)
		}
	}
	for _, a := range c.JSON {
		v, err := r.jsonField(a.Path)
		if err != nil {
			return &failure{reason: ReasonJSON, err: err}
		}
		if a.Equals != nil {
			if got := jsonText(v); got != *a.Equals {
				// Clipped: the field may be large, or a token that does not belong in logs in full.
				return failf(ReasonJSON, "JSON path %s is %.64q, want %q", a.Path, got, *a.Equals)
			}
		}
	}
	return nil
}

func (c *httpCheck) statusOK(code int) bool {
	if len(c.ExpectedStatus) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(c.ExpectedStatus, code)
}

// text is the body, for checks that need all of it.
func (r *response) text() ([]byte, error) {
	if r.truncated {
		return nil, fmt.Errorf("response body exceeds the %d byte limit", MaxBodyBytes)
	}
	return r.body, nil
}

// jsonField decodes the body once per response and looks up a path in it.
func (r *response) jsonField(p probeconfig.JSONPath) (any, error) {
	if !r.parsed {
		r.parsed = true
		body, err := r.text()
		if err == nil {
			d := json.NewDecoder(bytes.NewReader(body))
			d.UseNumber()
			err = d.Decode(&r.doc)
		}
		if err != nil {
			r.docErr = fmt.Errorf("body is not JSON: %w", err)
		}
	}
	if r.docErr != nil {
		return nil, r.docErr
	}
	v, ok := p.Lookup(r.doc)
	if !ok {
		return nil, fmt.Errorf("JSON path %s not found", p)
	}
	return v, nil
}
