package probe

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
)

// MaxBodyBytes is how much of a response body a run reads. Reading stops
// there, so a target that sends a gigabyte costs at most this much memory;
// a target that never ends its body is cut off by the run's timeout.
const MaxBodyBytes = 1 << 20

// httpCheck is a compiled HTTPRequest. It is the one request executor behind
// both HTTP probes and flow steps.
type httpCheck struct {
	method    string
	url       template
	headers   []headerSpec
	body      template
	expected  []int
	contains  []string
	bodyRegex *regexp.Regexp
	json      []jsonAssertion
	follow    bool
	tls       *TLS
}

// headerSpec is a request header whose value is inline or read from a file.
type headerSpec struct {
	name  string
	value template
	file  string
}

// jsonAssertion is a compiled JSONAssertion.
type jsonAssertion struct {
	path   jsonPath
	equals *string
}

// compileHTTP validates r and prepares it for runs. defined is nil for a
// plain HTTP probe, whose strings are taken literally; for a flow step it
// holds the captures of earlier steps, which its URL, header values and body
// may reference as ${name}.
func compileHTTP(r *HTTPRequest, defined map[string]bool) (*httpCheck, error) {
	tmpl := func(s string) (template, error) {
		if defined == nil {
			return literal(s), nil
		}
		return parseTemplate(s, defined)
	}
	c := &httpCheck{
		method:   r.Method,
		expected: r.ExpectedStatus,
		contains: r.BodyContains,
		follow:   r.FollowRedirects,
		tls:      r.TLS,
	}
	if c.method == "" {
		c.method = http.MethodGet
	}
	if !isToken(c.method) {
		return nil, fmt.Errorf("method %q is not a valid HTTP method", r.Method)
	}
	var err error
	if c.url, err = tmpl(r.URL); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	if err := checkURL(r.URL); err != nil {
		return nil, fmt.Errorf("url: %w", err)
	}
	for i, h := range r.Header {
		if !isToken(h.Name) {
			return nil, fmt.Errorf("headers[%d]: name %q is not a valid header name", i, h.Name)
		}
		if h.Value != "" && h.ValueFile != "" {
			return nil, fmt.Errorf("headers[%d] (%s): set value or valueFile, not both", i, h.Name)
		}
		v, err := tmpl(h.Value)
		if err != nil {
			return nil, fmt.Errorf("headers[%d] (%s): %w", i, h.Name, err)
		}
		c.headers = append(c.headers, headerSpec{name: h.Name, value: v, file: h.ValueFile})
	}
	if c.body, err = tmpl(r.Body); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	for _, code := range r.ExpectedStatus {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("expectedStatus: %d is not an HTTP status code", code)
		}
	}
	if r.BodyRegex != "" {
		if c.bodyRegex, err = regexp.Compile(r.BodyRegex); err != nil {
			return nil, fmt.Errorf("bodyRegex: %w", err)
		}
	}
	for i, a := range r.JSON {
		p, err := parseJSONPath(a.Path)
		if err != nil {
			return nil, fmt.Errorf("json[%d]: %w", i, err)
		}
		c.json = append(c.json, jsonAssertion{path: p, equals: a.Equals})
	}
	return c, nil
}

// httpProbe is a plain HTTP probe: one request in a fresh session.
type httpProbe struct {
	req *httpCheck
}

func compileHTTPProbe(r *HTTPRequest) (*httpProbe, error) {
	c, err := compileHTTP(r, nil)
	if err != nil {
		return nil, err
	}
	return &httpProbe{req: c}, nil
}

func (h *httpProbe) check(ctx context.Context, _ stepObserver) error {
	s := newSession(nil)
	defer s.close()
	_, err := h.req.do(ctx, s, nil)
	return err
}

// checkURL requires an absolute http(s) URL. Captured values may make up any
// part of a flow step's URL, so with placeholders only a literal scheme can be
// checked here; the rest is checked when a run builds the request.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("missing")
	}
	if loc := placeholderRE.FindStringIndex(raw); loc != nil {
		if scheme, _, ok := strings.Cut(raw[:loc[0]], "://"); ok && scheme != "http" && scheme != "https" {
			return fmt.Errorf("%q: scheme must be http or https", raw)
		}
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	if u.Host == "" {
		return fmt.Errorf("%q: no host", raw)
	}
	return nil
}

// isToken reports whether s is an HTTP token (RFC 9110), the syntax of
// methods and header names.
func isToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r > '~' || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
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
	client, err := s.client(c.tls, c.follow)
	if err != nil {
		return nil, err
	}
	var body io.Reader
	if b := c.body.render(vars); b != "" {
		body = strings.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, c.method, c.url.render(vars), body)
	if err != nil {
		return nil, failf(ReasonConfig, "build request: %v", err)
	}
	for _, h := range c.headers {
		v, err := h.resolve(vars)
		if err != nil {
			return nil, err
		}
		if http.CanonicalHeaderKey(h.name) == "Host" {
			req.Host = v
			continue
		}
		req.Header.Add(h.name, v)
	}
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "journey-probe")
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	r := &response{status: resp.StatusCode, header: resp.Header}
	if r.body, r.truncated, err = readBounded(resp.Body); err != nil {
		return nil, fmt.Errorf("read body: %w", err)
	}
	return r, c.assert(r)
}

// resolve returns the header's value. A file is read on every run so that a
// rotated Secret applies at once; its trailing newline is dropped because
// files written by hand usually have one and a header value cannot.
func (h headerSpec) resolve(vars map[string]string) (string, error) {
	if h.file == "" {
		return h.value.render(vars), nil
	}
	b, err := os.ReadFile(h.file)
	if err != nil {
		return "", failf(ReasonConfig, "header %s: %v", h.name, err)
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
		if len(c.expected) > 0 {
			want = fmt.Sprint(c.expected)
		}
		return failf(ReasonStatus, "status %d, want %s", r.status, want)
	}
	if len(c.contains) > 0 || c.bodyRegex != nil {
		body, err := r.text()
		if err != nil {
			return &failure{reason: ReasonBody, err: err}
		}
		for _, s := range c.contains {
			if !bytes.Contains(body, []byte(s)) {
				return failf(ReasonBody, "body does not contain %q", s)
			}
		}
		if c.bodyRegex != nil && !c.bodyRegex.Match(body) {
			return failf(ReasonBody, "body does not match /%s/", c.bodyRegex)
		}
	}
	for _, a := range c.json {
		v, err := r.jsonField(a.path)
		if err != nil {
			return &failure{reason: ReasonJSON, err: err}
		}
		if a.equals != nil {
			if got := jsonText(v); got != *a.equals {
				// Clipped: the field may be large, or a token that does not belong in logs in full.
				return failf(ReasonJSON, "JSON path %s is %.64q, want %q", a.path.text, got, *a.equals)
			}
		}
	}
	return nil
}

func (c *httpCheck) statusOK(code int) bool {
	if len(c.expected) == 0 {
		return code >= 200 && code <= 299
	}
	return slices.Contains(c.expected, code)
}

// text is the body, for checks that need all of it.
func (r *response) text() ([]byte, error) {
	if r.truncated {
		return nil, fmt.Errorf("response body exceeds the %d byte limit", MaxBodyBytes)
	}
	return r.body, nil
}

// jsonField decodes the body once per response and looks up a path in it.
func (r *response) jsonField(p jsonPath) (any, error) {
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
	v, ok := p.lookup(r.doc)
	if !ok {
		return nil, fmt.Errorf("JSON path %s not found", p.text)
	}
	return v, nil
}
