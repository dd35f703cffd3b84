package probe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
)

// Reason says why a probe run ended the way it did. It is the `reason` label
// of journey_probe_total, so the set is small and stable: alerts and
// dashboards group by it, and a free-text error would explode cardinality.
type Reason string

// The reasons a run can end with. Only ReasonOK means success.
const (
	// ReasonOK: every assertion held.
	ReasonOK Reason = "ok"
	// ReasonStatus: the HTTP status code was not an expected one.
	ReasonStatus Reason = "status"
	// ReasonBody: a body substring or regex assertion failed, or the body
	// was too large to check.
	ReasonBody Reason = "body"
	// ReasonJSON: the body was not JSON or a JSON path assertion failed.
	ReasonJSON Reason = "json"
	// ReasonTimeout: the probe did not finish within its timeout.
	ReasonTimeout Reason = "timeout"
	// ReasonConnect: the target could not be reached (refused, reset, closed).
	ReasonConnect Reason = "connect"
	// ReasonTLS: the TLS handshake failed, e.g. an untrusted certificate.
	ReasonTLS Reason = "tls"
	// ReasonDNS: a name did not resolve, or a DNS probe's answer was wrong.
	ReasonDNS Reason = "dns"
	// ReasonCapture: a flow step could not capture a value for later steps.
	ReasonCapture Reason = "capture"
	// ReasonConfig: the probe could not be prepared at run time, e.g. a
	// header's secret file or the CA file is missing or unreadable.
	ReasonConfig Reason = "config"
)

// failure is a run error whose reason is already known, because the check
// that produced it (an assertion, a capture) knows what went wrong.
type failure struct {
	reason Reason
	err    error
}

func (f *failure) Error() string { return f.err.Error() }
func (f *failure) Unwrap() error { return f.err }

// failf builds a failure with a formatted message.
func failf(reason Reason, format string, args ...any) error {
	return &failure{reason: reason, err: fmt.Errorf(format, args...)}
}

// reasonOf maps a run error to its Reason. Errors from the network stack
// carry no reason of their own, so they are classified by type; the run
// context is consulted before the type because an expired deadline surfaces
// as many different error types depending on where the run was blocked.
func reasonOf(ctx context.Context, err error) Reason {
	if err == nil {
		return ReasonOK
	}
	if f, ok := errors.AsType[*failure](err); ok {
		return f.reason
	}
	if errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return ReasonTimeout
	}
	if ne, ok := errors.AsType[net.Error](err); ok && ne.Timeout() {
		return ReasonTimeout
	}
	if _, ok := errors.AsType[*net.DNSError](err); ok {
		return ReasonDNS
	}
	if isTLSError(err) {
		return ReasonTLS
	}
	return ReasonConnect
}

func isTLSError(err error) bool {
	if _, ok := errors.AsType[*tls.CertificateVerificationError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.UnknownAuthorityError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.HostnameError](err); ok {
		return true
	}
	if _, ok := errors.AsType[x509.CertificateInvalidError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.RecordHeaderError](err); ok {
		return true
	}
	if _, ok := errors.AsType[tls.AlertError](err); ok {
		return true
	}
	return false
}
