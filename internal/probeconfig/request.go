package probeconfig

import (
	"errors"
	"fmt"
	"net/url"
	"regexp"
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
// HTTP probe, whose strings are taken literally; for a flow step it holds the
// captures of earlier steps, which its URL, header values and body may
// reference as ${name}.
func compileRequest(r *HTTPRequest, defined map[string]bool) (*Request, error) {
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
