package probeconfig

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
)

// credentialWords mark a header name as naming a credential: Authorization,
// Proxy-Authorization, Cookie, X-Access-Token, X-Api-Key, X-Client-Secret...
var credentialWords = []string{"auth", "cookie", "token", "secret", "key", "password", "passwd", "credential"}

// notCredentialHeaders contain a credential word but carry none: an
// idempotency key only names a request.
var notCredentialHeaders = []string{"idempotency-key"}

// credentialParams are query parameters that carry credentials.
var credentialParams = []string{
	"api_key", "apikey", "api-key", "token", "access_token", "auth_token", "id_token", "refresh_token",
	"password", "passwd", "secret", "client_secret",
}

// LiteralCredentials warns about credentials written into the probe itself
// rather than read from a Secret: a header whose name says it carries one
// (Authorization, Cookie, anything with token, secret, key or password in its
// name) with a literal value, a URL query parameter such as token= or
// api_key=, and a password in a URL's user info. Anyone who can read the
// monitor or the collector ConfigMap can read them, and URLs end up in
// server and proxy logs. These probes work, so it is a warning, not a
// validation error. In a flow step, a value built from a ${capture} was
// obtained by the flow and is not a literal.
func LiteralCredentials(p Probe) []string {
	var warnings []string
	if p.HTTP != nil {
		warnings = append(warnings, requestCredentials("http: ", p.HTTP, false)...)
	}
	if p.Flow != nil {
		for _, s := range p.Flow.Steps {
			warnings = append(warnings, requestCredentials(fmt.Sprintf("flow: step %q: ", s.Name), &s.HTTPRequest, true)...)
		}
	}
	return warnings
}

// requestCredentials lists the literal credentials of one request, each
// warning starting with where. inFlow says whether ${name} is a capture.
func requestCredentials(where string, r *HTTPRequest, inFlow bool) []string {
	literal := func(v string) bool { return v != "" && (!inFlow || !placeholderRE.MatchString(v)) }
	var warnings []string
	for i, h := range r.Header {
		if h.ValueFile == "" && literal(h.Value) && isCredentialHeader(h.Name) {
			warnings = append(warnings, fmt.Sprintf("%sheaders[%d] (%s): a credential given as a literal value, which anyone who can read the monitor or the collector ConfigMap can read; take it from a Secret (valueFrom.secretKeyRef)",
				where, i, h.Name))
		}
	}
	rest, query, _ := strings.Cut(r.URL, "?")
	query, _, _ = strings.Cut(query, "#")
	if _, afterScheme, ok := strings.Cut(rest, "://"); ok {
		authority, _, _ := strings.Cut(afterScheme, "/")
		if at := strings.LastIndexByte(authority, '@'); at >= 0 {
			if _, password, ok := strings.Cut(authority[:at], ":"); ok && literal(password) {
				warnings = append(warnings, where+"url: holds a password in its user info; send credentials in an Authorization header taken from a Secret")
			}
		}
	}
	// Parsed by hand rather than with url.ParseQuery to keep the order.
	for _, pair := range strings.Split(query, "&") {
		name, value, _ := strings.Cut(pair, "=")
		if n, err := url.QueryUnescape(name); err == nil {
			name = n
		}
		if literal(value) && slices.Contains(credentialParams, strings.ToLower(name)) {
			warnings = append(warnings, fmt.Sprintf("%surl: query parameter %q holds a literal credential, which servers and proxies log; send it in a header taken from a Secret", where, name))
		}
	}
	return warnings
}

// isCredentialHeader reports whether a header's name says it carries a
// credential.
func isCredentialHeader(name string) bool {
	lower := strings.ToLower(name)
	return !slices.Contains(notCredentialHeaders, lower) &&
		slices.ContainsFunc(credentialWords, func(w string) bool { return strings.Contains(lower, w) })
}
