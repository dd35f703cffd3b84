package probeconfig

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
)

// Request is a compiled HTTPRequest: the one form behind both HTTP probes
// and flow steps.
type Request struct {
	// Method is the request method, GET when the config sets none.
	Method          string
	URL             Template
	Headers         []RequestHeader
	Body            Template
	ExpectedStatus  []int
	BodyContains    []string
	BodyRegex       *regexp.Regexp
	JSON            []JSONCheck
	FollowRedirects bool
	TLS             *TLS
}

// RequestHeader is a compiled Header: its value is Value, or the content of
// File when File is set.
type RequestHeader struct {
	Name  string
	Value Template
	File  string
}

// JSONCheck is a compiled JSONAssertion.
type JSONCheck struct {
	Path   JSONPath
	Equals *string
}

// compileRequest validates r and compiles it. defined is nil for a plain
// HTTP probe, whose strings are taken literally; for a flow step its keys
// are the captures of earlier steps, which its URL, header values and body
// may reference as ${name}.
func compileRequest(r *HTTPRequest, defined map[string]string) (*Request, error) {
	tmpl := func(s string) (Template, error) {
		if defined == nil {
			return literal(s), nil
		}
		return parseTemplate(s, defined)
	}
	c := &Request{
		Method:          r.Method,
		ExpectedStatus:  r.ExpectedStatus,
		BodyContains:    r.BodyContains,
		FollowRedirects: r.FollowRedirects,
		TLS:             r.TLS,
	}
	if c.Method == "" {
		c.Method = "GET"
	}
	if !isToken(c.Method) {
		return nil, fmt.Errorf("method %q is not a valid HTTP method", r.Method)
	}
	var err error
	if c.URL, err = tmpl(r.URL); err != nil {
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
		if at, ok := controlChar(h.Value); ok {
			return nil, fmt.Errorf("headers[%d] (%s): value contains the control character %U at byte %d; a header value is one line without control characters (tab aside), so remove it",
				i, h.Name, h.Value[at], at)
		}
		v, err := tmpl(h.Value)
		if err != nil {
			return nil, fmt.Errorf("headers[%d] (%s): %w", i, h.Name, err)
		}
		c.Headers = append(c.Headers, RequestHeader{Name: h.Name, Value: v, File: h.ValueFile})
	}
	if c.Body, err = tmpl(r.Body); err != nil {
		return nil, fmt.Errorf("body: %w", err)
	}
	for _, code := range r.ExpectedStatus {
		if code < 100 || code > 599 {
			return nil, fmt.Errorf("expectedStatus: %d is not an HTTP status code", code)
		}
	}
	if r.BodyRegex != "" {
		if c.BodyRegex, err = regexp.Compile(r.BodyRegex); err != nil {
			return nil, fmt.Errorf("bodyRegex: %w", err)
		}
	}
	for i, a := range r.JSON {
		p, err := ParseJSONPath(a.Path)
		if err != nil {
			return nil, fmt.Errorf("json[%d]: %w", i, err)
		}
		c.JSON = append(c.JSON, JSONCheck{Path: p, Equals: a.Equals})
	}
	return c, nil
}

// checkURL requires an absolute http(s) URL with a host and a port a
// connection can use. Captured values may make up any part of a flow step's
// URL, so there only the literal text before the first ${...} is checked:
// that it can begin an http(s) URL, and the host and port when they end
// before the first placeholder. The rest is checked when a run builds the
// request.
func checkURL(raw string) error {
	if raw == "" {
		return errors.New("missing")
	}
	known, whole := raw, true
	if loc := placeholderRE.FindStringIndex(raw); loc != nil {
		known, whole = raw[:loc[0]], false
	}
	scheme, rest, ok := strings.Cut(known, "://")
	if !ok {
		lower := strings.ToLower(known)
		if whole || !strings.HasPrefix("http://", lower) && !strings.HasPrefix("https://", lower) {
			return fmt.Errorf("%q: must start with http:// or https://", raw)
		}
		return nil
	}
	// url.Parse lower-cases the scheme, and so does net/http.
	if s := strings.ToLower(scheme); s != "http" && s != "https" {
		return fmt.Errorf("%q: scheme must be http or https", raw)
	}
	target := raw
	if !whole {
		end := strings.IndexAny(rest, "/?#")
		if end < 0 {
			return nil // the host or port comes from a capture
		}
		target = scheme + "://" + rest[:end]
	}
	u, err := url.Parse(target)
	if err != nil {
		return err
	}
	if u.Hostname() == "" {
		return fmt.Errorf("%q: no host", raw)
	}
	if port := u.Port(); port != "" {
		if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
			return fmt.Errorf("%q: port %s is not from 1 to 65535", raw, port)
		}
	}
	return nil
}

// controlChar finds the first byte net/http refuses in a header value: a
// control character other than tab.
func controlChar(s string) (int, bool) {
	i := strings.IndexFunc(s, func(r rune) bool { return r < ' ' && r != '\t' || r == 0x7f })
	return i, i >= 0
}

// isToken reports whether s is an HTTP token (RFC 9110), the syntax of
// methods and header names.
func isToken(s string) bool {
	return s != "" && !strings.ContainsFunc(s, func(r rune) bool {
		return r > '~' || r <= ' ' || strings.ContainsRune(`"(),/:;<=>?@[\]{}`, r)
	})
}
