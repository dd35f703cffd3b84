package probe

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"net/http"
	"os"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// maxHeaderBytes bounds response headers, for the same reason bodies are
// bounded: a hostile or broken target must not be able to exhaust memory.
const maxHeaderBytes = 64 << 10

// session is the HTTP state of one run: fresh connections (so every run
// measures what a new customer sees: DNS, connect, TLS handshake) that the
// steps of a flow then reuse, and the flow's cookie jar.
type session struct {
	jar http.CookieJar
	// transports are keyed by the TLS spec of the request; requests without
	// TLS settings share the nil entry.
	transports map[*probeconfig.TLS]*http.Transport
}

func newSession(jar http.CookieJar) *session {
	return &session{jar: jar, transports: map[*probeconfig.TLS]*http.Transport{}}
}

// client returns an HTTP client for a request with the given TLS and
// redirect settings.
func (s *session) client(spec *probeconfig.TLS, followRedirects bool) (*http.Client, error) {
	tr, ok := s.transports[spec]
	if !ok {
		cfg, err := tlsConfig(spec)
		if err != nil {
			return nil, err
		}
		tr = &http.Transport{
			Proxy: http.ProxyFromEnvironment,
			// No dial or handshake timeouts of their own: the run context's
			// deadline bounds every phase, so there is one timeout to reason about.
			DialContext:            (&net.Dialer{}).DialContext,
			TLSClientConfig:        cfg,
			ForceAttemptHTTP2:      true,
			MaxResponseHeaderBytes: maxHeaderBytes,
		}
		s.transports[spec] = tr
	}
	c := &http.Client{Transport: tr, Jar: s.jar}
	if !followRedirects {
		c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}
	return c, nil
}

// close releases the run's connections; they are not pooled across runs.
func (s *session) close() {
	for _, tr := range s.transports {
		tr.CloseIdleConnections()
	}
}

// tlsConfig builds the client TLS configuration. The CA file is read on every
// run, like header secret files, so a rotated CA bundle applies without a
// config change.
func tlsConfig(spec *probeconfig.TLS) (*tls.Config, error) {
	cfg := &tls.Config{MinVersion: tls.VersionTLS12}
	if spec == nil {
		return cfg, nil
	}
	cfg.InsecureSkipVerify = spec.InsecureSkipVerify //nolint:gosec // explicitly requested by the probe's author
	cfg.ServerName = spec.ServerName
	if spec.CAFile != "" {
		pem, err := os.ReadFile(spec.CAFile)
		if err != nil {
			return nil, failf(ReasonConfig, "read CA file: %v", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, failf(ReasonConfig, "CA file %s holds no PEM certificate", spec.CAFile)
		}
		cfg.RootCAs = pool
	}
	return cfg, nil
}
