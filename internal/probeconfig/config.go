// Package probeconfig is the configuration of journey-probe, the collector
// that runs synthetic touchpoint checks: the file the JourneyMap controller
// renders into the collector ConfigMap, one entry per monitored touchpoint.
//
// It parses and validates that file without the network, so the operator
// can judge what it renders without linking the collector's engine
// (internal/probe), and the engine compiles what validation accepted.
package probeconfig

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/journeymap/journey-operator/internal/schedule"
)

// ConfigFileName is the key of the collector ConfigMap, and the file name in
// the mounted volume, that holds the Config.
const ConfigFileName = "probes.yaml"

// SecretsDir is where the collector Deployment mounts the Secrets that probe
// headers and CA bundles read from: SecretsDir/<secret name>/<key>.
const SecretsDir = "/etc/journey-probe/secrets"

// Config is the whole journey-probe configuration.
type Config struct {
	// Probes are the checks to run, sorted by ID.
	Probes []Probe `json:"probes"`
}

// Labels place a probe in the journey; every metric of the probe carries them.
type Labels struct {
	Namespace  string `json:"namespace"`
	Journey    string `json:"journey"`
	Stage      string `json:"stage"`
	Touchpoint string `json:"touchpoint"`
	Persona    string `json:"persona"`
}

// Probe is one synthetic check. Exactly one of HTTP, TCP, DNS and Flow is set.
type Probe struct {
	// ID is unique in the file: the monitor's namespace/name.
	ID       string          `json:"id"`
	Labels   Labels          `json:"labels"`
	Interval metav1.Duration `json:"interval"`
	Timeout  metav1.Duration `json:"timeout"`

	HTTP *HTTPRequest `json:"http,omitempty"`
	TCP  *TCPCheck    `json:"tcp,omitempty"`
	DNS  *DNSCheck    `json:"dns,omitempty"`
	Flow *Flow        `json:"flow,omitempty"`

	// Maintenance are the windows, its map's and its monitor's, in which
	// the probe does not run and reports journey_maintenance 1.
	Maintenance []schedule.Spec `json:"maintenance,omitempty"`
}

// HTTPRequest is a request and what its response must look like.
type HTTPRequest struct {
	URL    string   `json:"url"`
	Method string   `json:"method,omitempty"`
	Header []Header `json:"headers,omitempty"`
	Body   string   `json:"body,omitempty"`
	// ExpectedStatus lists accepted status codes; any 2xx when empty.
	ExpectedStatus  []int           `json:"expectedStatus,omitempty"`
	BodyContains    []string        `json:"bodyContains,omitempty"`
	BodyRegex       string          `json:"bodyRegex,omitempty"`
	JSON            []JSONAssertion `json:"json,omitempty"`
	FollowRedirects bool            `json:"followRedirects"`
	TLS             *TLS            `json:"tls,omitempty"`
}

// Header is a request header whose value is given inline or read from a
// file (a mounted Secret key) at each run, so rotated secrets apply at once.
type Header struct {
	Name      string `json:"name"`
	Value     string `json:"value,omitempty"`
	ValueFile string `json:"valueFile,omitempty"`
}

// JSONAssertion checks one field of a JSON body: it must exist and, when
// Equals is set, print as that text.
type JSONAssertion struct {
	Path   string  `json:"path"`
	Equals *string `json:"equals,omitempty"`
}

// TLS configures certificate verification.
type TLS struct {
	InsecureSkipVerify bool   `json:"insecureSkipVerify,omitempty"`
	ServerName         string `json:"serverName,omitempty"`
	CAFile             string `json:"caFile,omitempty"`
}

// TCPCheck opens a TCP connection.
type TCPCheck struct {
	Address string `json:"address"`
}

// DNSCheck resolves a name.
type DNSCheck struct {
	Name       string   `json:"name"`
	RecordType string   `json:"recordType"`
	Server     string   `json:"server,omitempty"`
	Expect     []string `json:"expect,omitempty"`
}

// Flow walks HTTP steps in order with one cookie jar.
type Flow struct {
	Steps []FlowStep `json:"steps"`
}

// FlowStep is one request of a flow; ${name} in its URL, header values and
// body is replaced by a value captured by an earlier step.
type FlowStep struct {
	Name        string `json:"name"`
	HTTPRequest `json:",inline"`
	Capture     []Capture `json:"capture,omitempty"`
}

// Capture takes a value from a response: From is one of CaptureFromJSONPath,
// CaptureFromHeader and CaptureFromRegex.
type Capture struct {
	Name       string `json:"name"`
	From       string `json:"from"`
	Expression string `json:"expression"`
}

// The sources a Capture can take a value from (Capture.From).
const (
	// CaptureFromJSONPath takes the field at a JSON path (syntax `a.b[0].c`)
	// of the response body, printed as JSON assertions compare it.
	CaptureFromJSONPath = "JSONPath"
	// CaptureFromHeader takes the value of a response header.
	CaptureFromHeader = "Header"
	// CaptureFromRegex takes the first group of a regular expression (RE2)
	// matched against the response body.
	CaptureFromRegex = "Regex"
)
