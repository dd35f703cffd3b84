package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TouchpointMonitorSpec binds one touchpoint of one JourneyMap to telemetry:
// a synthetic probe, an SLI from existing metrics, or both.
// +kubebuilder:validation:XValidation:rule="has(self.probe) || has(self.metric)",message="a monitor needs a probe, a metric SLI, or both"
// +kubebuilder:validation:XValidation:rule="!has(self.objectives.latency) || has(self.probe)",message="a latency objective needs a probe: latency is measured by journey-probe"
// +kubebuilder:validation:XValidation:rule="!has(self.maintenanceWindows) || !has(self.objectives.window) || !self.objectives.window.matches('^[1-9][0-9]{0,4}(m|h|d|w)$') || self.maintenanceWindows.all(w, !w.duration.matches('^[1-9][0-9]{0,4}(m|h|d|w)$') || int(w.duration.substring(0, w.duration.size() - 1)) * (w.duration.endsWith('w') ? 10080 : w.duration.endsWith('d') ? 1440 : w.duration.endsWith('h') ? 60 : 1) <= int(self.objectives.window.substring(0, self.objectives.window.size() - 1)) * (self.objectives.window.endsWith('w') ? 10080 : self.objectives.window.endsWith('d') ? 1440 : self.objectives.window.endsWith('h') ? 60 : 1))",message="a maintenance window must not last longer than the objective window: the whole budget period would be excluded",fieldPath=".maintenanceWindows"
type TouchpointMonitorSpec struct {
	// journeyMapRef names the JourneyMap, in the same namespace, that holds
	// the touchpoint. The map may be created before or after the monitor.
	// +required
	JourneyMapRef LocalObjectReference `json:"journeyMapRef"`

	// touchpoint is the name of the touchpoint in the map's stages.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Touchpoint string `json:"touchpoint"`

	// probe is a synthetic check run by the journey's collector
	// (journey-probe), as a customer would: HTTP, TCP, DNS or a multi-step
	// HTTP flow.
	// +optional
	Probe *ProbeSpec `json:"probe,omitempty"`

	// metric is an SLI from metrics the touchpoint already exports, e.g.
	// checkout requests by outcome.
	// +optional
	Metric *MetricSLI `json:"metric,omitempty"`

	// objectives are the service levels the touchpoint must meet.
	// +required
	Objectives Objectives `json:"objectives"`

	// alerting controls the alerts generated for this touchpoint.
	// +optional
	// +kubebuilder:default={}
	Alerting Alerting `json:"alerting,omitempty"`

	// maintenanceWindows are times when this touchpoint is expected to
	// fail, in addition to its map's: its probe pauses, the minutes spend
	// no error budget and its alerts are held back. At most 8, not
	// overlapping each other or the map's, none longer than the objective
	// window.
	// +optional
	// +kubebuilder:validation:MaxItems=8
	// +listType=map
	// +listMapKey=name
	MaintenanceWindows []TimeWindow `json:"maintenanceWindows,omitempty"`
}

// ProbeSpec is a synthetic check. Exactly one of http, tcp, dns and flow is
// set.
//
// Durations (interval, timeout, and objectives.latency.threshold and a
// Persona's expectations.maxLatency) are Go durations, decoded by
// time.ParseDuration: a number and a unit, repeated, e.g. "30s", "1m30s",
// "1.5s", "800ms"; units ns, us (or µs), ms, s, m and h; no d, w or y. Each
// duration field checks its text against one pattern, the same in every
// field, that admits exactly what time.ParseDuration parses, except numbers
// so large that they could overflow (more than 17 significant digits of ns,
// 14 of us, 11 of ms, 8 of s, 6 of m or 5 of h: far above any field's
// maximum). Rules that compare durations first check that pattern and the
// field's own range, so that a malformed value is reported once, by its
// field, and never as a CEL type conversion error. A value the manager could
// not decode would stop its informer for the whole kind.
//
// Size: the collector ConfigMap of a JourneyMap holds the probes of all its
// monitors and must stay under 1 MiB, so one probe is bounded to at most
// 64 KiB of probe configuration. The free text of an http probe's request,
// or of all steps of a flow together (urls, header names and values or
// Secret references, bodies, bodyContains, bodyRegex, json paths and
// values, step names, capture names and expressions), is limited to 24576
// bytes of UTF-8 by the rules on http and flow. What that does not count
// is bounded per field; worst case, for a flow of 10 steps:
//
//	free text                                              24576
//	per step: method 7, 10 expectedStatus 40, tls 759      8060 (x10)
//	YAML keys and the 28-byte Secret file prefix per item:
//	  20 headers 800, 10 bodyContains 100, 10 json 250,
//	  10 expectedStatus 100, 10 captures 350, request 150   17500 (x10)
//	id, labels (5 x 253), interval, timeout                 2000
//	total, estimated                                       52136 bytes < 64 KiB
//
// TestLargestProbeFitsInBudget renders such a flow: 56526 bytes.
//
// YAML may escape control characters of a body (tab, newline and the like
// print as two to four bytes); 1024 of them would still fit.
//
// +kubebuilder:validation:XValidation:rule="[has(self.http), has(self.tcp), has(self.dns), has(self.flow)].filter(k, k).size() == 1",message="a probe sets exactly one of http, tcp, dns or flow"
// +kubebuilder:validation:XValidation:rule="!has(self.interval) || !has(self.timeout) || !self.interval.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$') || !self.timeout.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$') || duration(self.interval) < duration('5s') || duration(self.interval) > duration('1h') || duration(self.timeout) <= duration('0s') || duration(self.timeout) > duration('5m') || duration(self.timeout) <= duration(self.interval)",message="timeout must not be longer than interval: a run must end before the next one starts",fieldPath=".timeout"
type ProbeSpec struct {
	// interval between two runs of the probe, as a duration such as "30s"
	// or "1m"; 5s to 1h.
	// +optional
	// +kubebuilder:default="30s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$')",message="interval must be a duration such as 30s or 1m (units ns, us, ms, s, m, h)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$') || (duration(self) >= duration('5s') && duration(self) <= duration('1h'))",message="interval must be at least 5s and at most 1h"
	Interval *metav1.Duration `json:"interval,omitempty"`

	// timeout after which a run counts as failed, as a duration such as
	// "10s"; greater than 0s, at most 5m and at most the interval.
	// +optional
	// +kubebuilder:default="10s"
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$')",message="timeout must be a duration such as 10s or 500ms (units ns, us, ms, s, m, h)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$') || (duration(self) > duration('0s') && duration(self) <= duration('5m'))",message="timeout must be greater than 0s and at most 5m"
	Timeout *metav1.Duration `json:"timeout,omitempty"`

	// http checks one HTTP(S) request.
	// +optional
	HTTP *HTTPProbe `json:"http,omitempty"`

	// tcp checks that a TCP connection can be opened.
	// +optional
	TCP *TCPProbe `json:"tcp,omitempty"`

	// dns checks that a name resolves, optionally to expected records.
	// +optional
	DNS *DNSProbe `json:"dns,omitempty"`

	// flow walks several HTTP requests in order, as a customer would through
	// sign-up or checkout, carrying cookies and captured values forward.
	// +optional
	Flow *FlowProbe `json:"flow,omitempty"`
}

// HTTPMethod is an HTTP request method.
// +kubebuilder:validation:Enum=GET;HEAD;POST;PUT;PATCH;DELETE;OPTIONS
type HTTPMethod string

// HTTPProbe checks one HTTP(S) request.
// +kubebuilder:validation:XValidation:rule="(bytes(self.url).size() + (has(self.body) ? bytes(self.body).size() : 0) + (has(self.headers) ? self.headers.map(h, bytes(h.name).size() + (has(h.value) ? bytes(h.value).size() : 0) + (has(h.valueFrom) ? bytes(h.valueFrom.secretKeyRef.name).size() + bytes(h.valueFrom.secretKeyRef.key).size() : 0)).sum() : 0) + (has(self.bodyContains) ? self.bodyContains.map(b, bytes(b).size()).sum() : 0) + (has(self.bodyRegex) ? bytes(self.bodyRegex).size() : 0) + (has(self.json) ? self.json.map(j, bytes(j.path).size() + (has(j.equals) ? bytes(j.equals).size() : 0)).sum() : 0)) <= 24576",message="http is too large: its url, headers, body, bodyContains, bodyRegex and json together must stay within 24576 bytes (the collector ConfigMap holds every probe of the map); shorten them"
type HTTPProbe struct {
	HTTPRequest `json:",inline"`
}

// HTTPRequest is a request and what its response must look like.
// +kubebuilder:validation:XValidation:rule="!self.url.matches('^https?://[^/?#]*@')",message="url must not carry credentials; put them in a header with valueFrom.secretKeyRef"
// +kubebuilder:validation:XValidation:rule="!has(self.headers) || self.headers.all(h, self.headers.exists_one(o, o.name.lowerAscii() == h.name.lowerAscii()))",message="header names must be unique (case-insensitive)"
type HTTPRequest struct {
	// url to request; http:// or https:// only. In a flow step, ${name}
	// inserts a value captured by an earlier step.
	// +required
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[^/?#\\\\s]+([/?#][^\\\\s]*)?$')",message="url must be an absolute http:// or https:// URL with a host"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^https?://[^/?#\\\\s]+([/?#][^\\\\s]*)?$') || (self.contains('${') ? self.matches('^https?://[^/?#:@]') : (isURL(self) && url(self).getHostname() != ''))",message="url must name a host, e.g. https://shop.example.com:8443/path, and be a valid URL (percent-encode special characters)"
	URL string `json:"url"`

	// method of the request; GET by default.
	// +optional
	// +kubebuilder:default=GET
	Method HTTPMethod `json:"method,omitempty"`

	// headers sent with the request. Credentials (Authorization, Cookie, API
	// keys) must come from a Secret through valueFrom.
	// +optional
	// +kubebuilder:validation:MaxItems=20
	// +listType=atomic
	Headers []HTTPHeader `json:"headers,omitempty"`

	// body of the request.
	// +optional
	// +kubebuilder:validation:MaxLength=16384
	Body string `json:"body,omitempty"`

	// expectedStatus lists the status codes that count as success; any 2xx
	// when empty.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:Minimum=100
	// +kubebuilder:validation:items:Maximum=599
	// +listType=atomic
	ExpectedStatus []int32 `json:"expectedStatus,omitempty"`

	// bodyContains lists substrings the response body must contain.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=1024
	// +listType=atomic
	BodyContains []string `json:"bodyContains,omitempty"`

	// bodyRegex is an RE2 regular expression the response body must match.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	BodyRegex string `json:"bodyRegex,omitempty"`

	// json lists assertions on fields of a JSON response body.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	JSON []JSONAssertion `json:"json,omitempty"`

	// followRedirects follows 3xx responses; true by default.
	// +optional
	// +kubebuilder:default=true
	FollowRedirects *bool `json:"followRedirects,omitempty"`

	// tls configures certificate verification for https:// URLs.
	// +optional
	TLS *TLSConfig `json:"tls,omitempty"`
}

// HTTPHeader is one request header. Exactly one of value and valueFrom is set.
// +kubebuilder:validation:XValidation:rule="has(self.value) != has(self.valueFrom)",message="a header sets exactly one of value or valueFrom"
// +kubebuilder:validation:XValidation:rule="!(self.name.lowerAscii() in ['authorization', 'proxy-authorization', 'cookie', 'x-api-key', 'api-key', 'x-auth-token']) || has(self.valueFrom)",message="credential headers (Authorization, Cookie, API keys, tokens) must take their value from a Secret with valueFrom.secretKeyRef"
type HTTPHeader struct {
	// name of the header, e.g. "Accept".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=128
	// +kubebuilder:validation:Pattern=`^[!#$%&'*+.^_|~0-9A-Za-z-]+$`
	Name string `json:"name"`

	// value of the header, in plain text, on one line. Not for credentials.
	// +optional
	// +kubebuilder:validation:MaxLength=4096
	// +kubebuilder:validation:XValidation:rule="!self.matches('[\\\\x00-\\\\x08\\\\x0a-\\\\x1f\\\\x7f]')",message="header value must not contain a line break (CR or LF) or another control character; a tab is allowed"
	Value *string `json:"value,omitempty"`

	// valueFrom reads the value from a Secret in the monitor's namespace.
	// +optional
	ValueFrom *HeaderValueSource `json:"valueFrom,omitempty"`
}

// HeaderValueSource says where a header value comes from.
type HeaderValueSource struct {
	// secretKeyRef selects the key of a Secret holding the value.
	// +required
	SecretKeyRef SecretKeySelector `json:"secretKeyRef"`
}

// JSONAssertion checks one field of a JSON response body.
type JSONAssertion struct {
	// path to the field, dot-separated with [n] for array items, e.g.
	// "data.plan" or "items[0].status".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=256
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][-A-Za-z0-9_]*(\[[0-9]{1,9}\])*(\.[A-Za-z_][-A-Za-z0-9_]*(\[[0-9]{1,9}\])*)*$`
	Path string `json:"path"`

	// equals is the expected value, compared with the field printed as
	// text (numbers and booleans as JSON prints them). When unset, the field
	// only has to exist.
	// +optional
	// +kubebuilder:validation:MaxLength=1024
	Equals *string `json:"equals,omitempty"`
}

// TLSConfig configures certificate verification.
type TLSConfig struct {
	// insecureSkipVerify accepts any server certificate. For test systems
	// only: customers' browsers would refuse them.
	// +optional
	InsecureSkipVerify bool `json:"insecureSkipVerify,omitempty"`

	// serverName overrides the name the certificate is checked against.
	// +optional
	// +kubebuilder:validation:MaxLength=253
	ServerName string `json:"serverName,omitempty"`

	// caSecretRef selects a PEM bundle of CA certificates to trust, from a
	// Secret in the monitor's namespace.
	// +optional
	CASecretRef *SecretKeySelector `json:"caSecretRef,omitempty"`
}

// TCPProbe checks that a TCP connection can be opened.
type TCPProbe struct {
	// address to connect to, as host:port, e.g. "sip.example.com:5061".
	// +required
	// +kubebuilder:validation:MaxLength=261
	// +kubebuilder:validation:XValidation:rule="self.matches('^(\\\\[[0-9a-fA-F:.]+\\\\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}$') && int(self.substring(self.lastIndexOf(':') + 1)) >= 1 && int(self.substring(self.lastIndexOf(':') + 1)) <= 65535",message="address must be host:port with a port from 1 to 65535"
	Address string `json:"address"`
}

// DNSRecordType is a DNS record type.
// +kubebuilder:validation:Enum=A;AAAA;CNAME;MX;TXT;NS
type DNSRecordType string

// DNSProbe checks that a name resolves.
// +kubebuilder:validation:XValidation:rule="!has(self.expect) || !((has(self.recordType) ? self.recordType : 'A') in ['A', 'AAAA']) || self.expect.all(e, isIP(e) && ip(e).family() == ((has(self.recordType) ? self.recordType : 'A') == 'A' ? 4 : 6))",message="expect must list IPv4 addresses for recordType A and IPv6 addresses for AAAA, e.g. 203.0.113.10 or 2001:db8::10",fieldPath=".expect"
type DNSProbe struct {
	// name to resolve, e.g. "app.example.com".
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^([A-Za-z0-9_]([-A-Za-z0-9_]*[A-Za-z0-9])?\.)*[A-Za-z0-9]([-A-Za-z0-9]*[A-Za-z0-9])?\.?$`
	// +kubebuilder:validation:XValidation:rule="self.split('.').all(l, l.size() <= 63)",message="name must be a DNS name whose labels (the parts between dots) are at most 63 characters"
	Name string `json:"name"`

	// recordType to ask for; A by default.
	// +optional
	// +kubebuilder:default=A
	RecordType DNSRecordType `json:"recordType,omitempty"`

	// server is the resolver to ask, as host:port; the collector's
	// resolver when unset.
	// +optional
	// +kubebuilder:validation:MaxLength=261
	// +kubebuilder:validation:XValidation:rule="self.matches('^(\\\\[[0-9a-fA-F:.]+\\\\]|[A-Za-z0-9]([-A-Za-z0-9.]*[A-Za-z0-9])?):[0-9]{1,5}$') && int(self.substring(self.lastIndexOf(':') + 1)) >= 1 && int(self.substring(self.lastIndexOf(':') + 1)) <= 65535",message="server must be host:port with a port from 1 to 65535, e.g. 10.0.0.10:53"
	Server string `json:"server,omitempty"`

	// expect lists records that must be in the answer, e.g. "203.0.113.10".
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:items:MaxLength=255
	// +listType=atomic
	Expect []string `json:"expect,omitempty"`
}

// FlowProbe walks several HTTP requests in order. It fails at the first step
// that fails, and names that step.
// +kubebuilder:validation:XValidation:rule="self.steps.all(s, self.steps.exists_one(o, o.name == s.name))",message="flow step names must be unique"
// +kubebuilder:validation:XValidation:rule="self.steps.all(s, !has(s.capture) || s.capture.all(c, self.steps.filter(o, has(o.capture) && o.capture.exists(d, d.name == c.name)).size() == 1))",message="a capture name may be taken by one step only; later steps read it as ${name}"
// +kubebuilder:validation:XValidation:rule="self.steps.map(s, bytes(s.name).size() + (bytes(s.url).size() + (has(s.body) ? bytes(s.body).size() : 0) + (has(s.headers) ? s.headers.map(h, bytes(h.name).size() + (has(h.value) ? bytes(h.value).size() : 0) + (has(h.valueFrom) ? bytes(h.valueFrom.secretKeyRef.name).size() + bytes(h.valueFrom.secretKeyRef.key).size() : 0)).sum() : 0) + (has(s.bodyContains) ? s.bodyContains.map(b, bytes(b).size()).sum() : 0) + (has(s.bodyRegex) ? bytes(s.bodyRegex).size() : 0) + (has(s.json) ? s.json.map(j, bytes(j.path).size() + (has(j.equals) ? bytes(j.equals).size() : 0)).sum() : 0)) + (has(s.capture) ? s.capture.map(c, bytes(c.name).size() + bytes(c.expression).size()).sum() : 0)).sum() <= 24576",message="flow is too large: the urls, headers, bodies, assertions and captures of all its steps together must stay within 24576 bytes (the collector ConfigMap holds every probe of the map); shorten them or split the flow"
type FlowProbe struct {
	// steps are the requests, in order.
	// +required
	// +kubebuilder:validation:MinItems=1
	// +kubebuilder:validation:MaxItems=10
	// +listType=atomic
	Steps []FlowStep `json:"steps"`
}

// FlowStep is one request of a flow.
type FlowStep struct {
	// name of the step, e.g. "add-to-cart"; it labels the step's metrics.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Name string `json:"name"`

	HTTPRequest `json:",inline"`

	// capture takes values from this step's response for later steps,
	// which insert them as ${name}.
	// +optional
	// +kubebuilder:validation:MaxItems=10
	// +kubebuilder:validation:XValidation:rule="self.all(c, self.exists_one(o, o.name == c.name))",message="capture names must be unique within a step"
	// +listType=atomic
	Capture []Capture `json:"capture,omitempty"`
}

// CaptureSource is where a captured value is read from.
// +kubebuilder:validation:Enum=JSONPath;Header;Regex
type CaptureSource string

// Capture sources.
const (
	// CaptureJSONPath reads a field of a JSON body, by a path as in JSONAssertion.
	CaptureJSONPath CaptureSource = "JSONPath"
	// CaptureHeader reads a response header.
	CaptureHeader CaptureSource = "Header"
	// CaptureRegex reads the first group of a regular expression on the body.
	CaptureRegex CaptureSource = "Regex"
)

// Capture takes one value from a response.
// +kubebuilder:validation:XValidation:rule="self.from != 'Header' || self.expression.matches('^[!#$%&\\\\x27*+.^_|~0-9A-Za-z-]+$')",message="expression of a Header capture must be a header name, e.g. Location"
// +kubebuilder:validation:XValidation:rule="self.from != 'JSONPath' || self.expression.matches('^([$][.]?)?[A-Za-z_][-A-Za-z0-9_]*(\\\\[[0-9]{1,9}\\\\])*([.][A-Za-z_][-A-Za-z0-9_]*(\\\\[[0-9]{1,9}\\\\])*)*$')",message="expression of a JSONPath capture must be a path such as data.token or items[0].id"
type Capture struct {
	// name under which later steps insert the value, as ${name}.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[A-Za-z_][A-Za-z0-9_]*$`
	Name string `json:"name"`

	// from is JSONPath, Header or Regex.
	// +required
	From CaptureSource `json:"from"`

	// expression is the JSON path, the header name, or a regular expression
	// whose first group is the value.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=1024
	Expression string `json:"expression"`
}

// MetricSLI is an SLI from metrics that already exist: a ratio of events
// (errorsQuery or goodQuery, and totalQuery), or a threshold on a level.
// Each event query is PromQL with a {{.window}} placeholder for the range,
// e.g. sum(rate(checkout_requests_total{code=~"5.."}[{{.window}}])).
// +kubebuilder:validation:XValidation:rule="has(self.threshold) || has(self.errorsQuery) != has(self.goodQuery)",message="a metric SLI sets exactly one of errorsQuery or goodQuery"
// +kubebuilder:validation:XValidation:rule="has(self.threshold) || has(self.totalQuery)",message="a metric SLI with errorsQuery or goodQuery needs totalQuery"
// +kubebuilder:validation:XValidation:rule="!has(self.threshold) || !(has(self.errorsQuery) || has(self.goodQuery) || has(self.totalQuery))",message="a threshold SLI sets threshold alone, without errorsQuery, goodQuery or totalQuery"
type MetricSLI struct {
	// errorsQuery counts failed events over {{.window}}.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.contains('{{.window}}')",message="errorsQuery must use the {{.window}} placeholder for its range"
	ErrorsQuery string `json:"errorsQuery,omitempty"`

	// goodQuery counts successful events over {{.window}}.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.contains('{{.window}}')",message="goodQuery must use the {{.window}} placeholder for its range"
	GoodQuery string `json:"goodQuery,omitempty"`

	// totalQuery counts all events over {{.window}}; required with
	// errorsQuery or goodQuery.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.contains('{{.window}}')",message="totalQuery must use the {{.window}} placeholder for its range"
	TotalQuery string `json:"totalQuery,omitempty"`

	// threshold makes the SLI a level that must stay on one side of a
	// threshold, for what people staff and businesses record as levels
	// rather than events: the p90 table wait, the average rating. Each rule
	// evaluation counts as one attempt, failed while the level is on the
	// wrong side, so the objective is the share of time the level holds.
	// +optional
	Threshold *ThresholdSLI `json:"threshold,omitempty"`
}

// ThresholdSLI is a level and the side of a threshold it must stay on.
// +kubebuilder:validation:XValidation:rule="has(self.max) != has(self.min)",message="a threshold sets exactly one of max or min"
type ThresholdSLI struct {
	// query is PromQL for the level now, e.g.
	// histogram_quantile(0.9, sum by (le) (rate(table_wait_seconds_bucket[5m]))).
	// Where it returns several series, the worst one counts.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="!self.contains('{{.window}}')",message="threshold.query reads a level as it is now and takes no {{.window}} placeholder"
	Query string `json:"query"`

	// max is the highest acceptable level, e.g. "600" (seconds of wait).
	// +optional
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:XValidation:rule="self.matches('^-?[0-9]{1,12}(\\\\.[0-9]{1,6})?$')",message="max must be a decimal number, e.g. \"600\""
	Max string `json:"max,omitempty"`

	// min is the lowest acceptable level, e.g. "4.2" (stars).
	// +optional
	// +kubebuilder:validation:MaxLength=20
	// +kubebuilder:validation:XValidation:rule="self.matches('^-?[0-9]{1,12}(\\\\.[0-9]{1,6})?$')",message="min must be a decimal number, e.g. \"4.2\""
	Min string `json:"min,omitempty"`
}

// Objectives are the service levels a touchpoint must meet.
type Objectives struct {
	// availability is the percentage of attempts that must succeed over the
	// window, strictly between 0 and 100, e.g. "99.5". When unset, the
	// availabilityPercent the map's persona expects applies; a monitor with
	// neither is reported as InvalidSpec.
	// +optional
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{1,2}(\\\\.[0-9]{1,5})?$') && double(self) > 0.0",message="availability must be a percentage strictly between 0 and 100, e.g. \"99.5\""
	Availability string `json:"availability,omitempty"`

	// latency is the response time objective, measured by the probe.
	// +optional
	Latency *LatencyObjective `json:"latency,omitempty"`

	// window is the period the objective holds over, as a number and a unit
	// (m, h, d or w), from 1h to 90d; "28d" by default. Burn-rate alert
	// thresholds are scaled to it.
	// +optional
	// +kubebuilder:default="28d"
	// +kubebuilder:validation:MaxLength=6
	// +kubebuilder:validation:XValidation:rule="self.matches('^[1-9][0-9]{0,4}(m|h|d|w)$')",message="window must be a whole number and one unit of m, h, d or w, e.g. \"28d\""
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[1-9][0-9]{0,4}(m|h|d|w)$') || (int(self.substring(0, self.size() - 1)) * (self.endsWith('w') ? 10080 : self.endsWith('d') ? 1440 : self.endsWith('h') ? 60 : 1) >= 60 && int(self.substring(0, self.size() - 1)) * (self.endsWith('w') ? 10080 : self.endsWith('d') ? 1440 : self.endsWith('h') ? 60 : 1) <= 129600)",message="window must be between 1h and 90d"
	Window string `json:"window,omitempty"`
}

// LatencyObjective says how fast a touchpoint must answer.
type LatencyObjective struct {
	// threshold is the response time, as a duration such as "800ms" or
	// "1.5s"; greater than 0s and at most 5m, the longest probe timeout.
	// +required
	// +kubebuilder:validation:Type=string
	// +kubebuilder:validation:MaxLength=32
	// +kubebuilder:validation:XValidation:rule="self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$')",message="threshold must be a duration such as 800ms or 2s (units ns, us, ms, s, m, h)"
	// +kubebuilder:validation:XValidation:rule="!self.matches('^[-+]?(0|((0*[0-9]{1,17}([.][0-9]*)?|[.][0-9]+)ns|(0*[0-9]{1,14}([.][0-9]*)?|[.][0-9]+)(us|µs|μs)|(0*[0-9]{1,11}([.][0-9]*)?|[.][0-9]+)ms|(0*[0-9]{1,8}([.][0-9]*)?|[.][0-9]+)s|(0*[0-9]{1,6}([.][0-9]*)?|[.][0-9]+)m|(0*[0-9]{1,5}([.][0-9]*)?|[.][0-9]+)h)+)$') || (duration(self) > duration('0s') && duration(self) <= duration('5m'))",message="threshold must be greater than 0s and at most 5m"
	Threshold metav1.Duration `json:"threshold"`

	// percent of probe runs that must answer within the threshold, e.g.
	// "95"; strictly between 0 and 100.
	// +optional
	// +kubebuilder:default="95"
	// +kubebuilder:validation:MaxLength=10
	// +kubebuilder:validation:XValidation:rule="self.matches('^[0-9]{1,2}(\\\\.[0-9]{1,5})?$') && double(self) > 0.0",message="latency percent must be strictly between 0 and 100, e.g. \"95\""
	Percent string `json:"percent,omitempty"`
}

// Alerting controls the alerts generated for a touchpoint.
type Alerting struct {
	// enabled generates burn-rate and telemetry-absent alerts; true by
	// default. Recording rules are generated either way.
	// +optional
	// +kubebuilder:default=true
	Enabled *bool `json:"enabled,omitempty"`

	// pageSeverity is the severity label of fast-burn alerts that wake
	// someone up; "critical" by default.
	// +optional
	// +kubebuilder:default=critical
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_-]*$`
	PageSeverity string `json:"pageSeverity,omitempty"`

	// ticketSeverity is the severity label of slow-burn alerts that can wait
	// for working hours; "warning" by default.
	// +optional
	// +kubebuilder:default=warning
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z][a-z0-9_-]*$`
	TicketSeverity string `json:"ticketSeverity,omitempty"`

	// labels are added to every alert for routing, e.g. {pager: cx-oncall}.
	// They cannot override the labels the operator sets.
	// +optional
	// +kubebuilder:validation:MaxProperties=10
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.matches('^[a-zA-Z_][a-zA-Z0-9_]*$'))",message="alert label names must match [a-zA-Z_][a-zA-Z0-9_]*"
	// +kubebuilder:validation:XValidation:rule="self.all(k, !(k in ['namespace', 'journey', 'stage', 'touchpoint', 'persona', 'team', 'severity', 'sli', 'alertname']))",message="alert labels cannot override namespace, journey, stage, touchpoint, persona, team, severity, sli or alertname"
	// +kubebuilder:validation:XValidation:rule="self.all(k, k.size() <= 128 && self[k].size() <= 256)",message="alert label names must be at most 128 and values at most 256 characters"
	Labels map[string]string `json:"labels,omitempty"`

	// runbookURL is linked from every alert of this touchpoint.
	// +optional
	// +kubebuilder:validation:MaxLength=2048
	// +kubebuilder:validation:XValidation:rule="self.matches('^https?://[^\\\\s]+$')",message="runbookURL must be an http:// or https:// URL"
	RunbookURL string `json:"runbookURL,omitempty"`
}

// RulesKind says how a monitor's rules were delivered.
// +kubebuilder:validation:Enum=PrometheusRule;ConfigMap
type RulesKind string

const (
	// RulesKindPrometheusRule is a monitoring.coreos.com/v1 PrometheusRule,
	// loaded by the Prometheus Operator.
	RulesKindPrometheusRule RulesKind = "PrometheusRule"
	// RulesKindConfigMap is a ConfigMap holding a plain Prometheus rule
	// file, for clusters without the Prometheus Operator.
	RulesKindConfigMap RulesKind = "ConfigMap"
)

// TouchpointMonitorStatus is the live state of the touchpoint.
type TouchpointMonitorStatus struct {
	// conditions are TouchpointResolved, RulesReady and the summary Ready;
	// TelemetryBound when the operator reads health from Prometheus
	// (--prometheus-url). TelemetryBound does not count toward Ready: it
	// reports what the touchpoint's telemetry shows, not what the operator
	// did.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// observedGeneration is the generation of the spec last reconciled
	// successfully; unset until then.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// stage is the name of the map stage the touchpoint belongs to.
	// +optional
	// +kubebuilder:validation:MaxLength=63
	Stage string `json:"stage,omitempty"`

	// health of the touchpoint right now.
	// +optional
	Health Health `json:"health,omitempty"`

	// sli holds the latest SLI values read from Prometheus.
	// +optional
	SLI *SLIStatus `json:"sli,omitempty"`

	// firingAlerts are the touchpoint's alerts firing now.
	// +optional
	// +kubebuilder:validation:MaxItems=64
	// +listType=atomic
	FiringAlerts []FiringAlert `json:"firingAlerts,omitempty"`

	// rules names the object holding this touchpoint's rules.
	// +optional
	Rules *RulesStatus `json:"rules,omitempty"`
}

// SLIStatus holds SLI values as decimal text, quantised to what a person
// acts on so that live traffic does not rewrite status at every poll:
// availability to 0.01 percentage points, the error budget to whole
// percent (rounded down), burn rate and latency to 2 significant digits.
type SLIStatus struct {
	// availability over the objective window, in percent, e.g. "99.93".
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Availability string `json:"availability,omitempty"`
	// availabilityLastHour is the availability over the last hour, in percent.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	AvailabilityLastHour string `json:"availabilityLastHour,omitempty"`
	// latency is the probe latency at the objective's percentile over the
	// last 5 minutes, e.g. "412ms".
	// +optional
	// +kubebuilder:validation:MaxLength=32
	Latency string `json:"latency,omitempty"`
	// errorBudgetRemaining is the share of the window's error budget left,
	// in percent; negative when overspent.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	ErrorBudgetRemaining string `json:"errorBudgetRemaining,omitempty"`
	// burnRate is how fast the budget burns over the last hour; 1 spends it
	// exactly over the window.
	// +optional
	// +kubebuilder:validation:MaxLength=32
	BurnRate string `json:"burnRate,omitempty"`
}

// FiringAlert is an alert firing now.
type FiringAlert struct {
	// name of the alert, e.g. JourneyTouchpointErrorBudgetBurn.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Name string `json:"name"`
	// severity label of the alert.
	// +required
	// +kubebuilder:validation:MaxLength=256
	Severity string `json:"severity"`
	// since is when the alert became active, its pending period (the
	// rule's "for") included: Prometheus keeps that time, not the moment
	// the alert began to fire, in ALERTS_FOR_STATE. It marks when the
	// condition behind the alert began.
	// +optional
	Since *metav1.Time `json:"since,omitempty"`
}

// RulesStatus names the object holding a monitor's rules.
type RulesStatus struct {
	// kind is PrometheusRule or ConfigMap.
	// +required
	Kind RulesKind `json:"kind"`
	// name of the object, in the monitor's namespace.
	// +required
	// +kubebuilder:validation:MaxLength=253
	Name string `json:"name"`
}

// TouchpointMonitor binds one touchpoint of a JourneyMap to telemetry. The
// operator provisions the probe and the Prometheus rules for it and writes
// the touchpoint's health back into status.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=tpm,categories=journeys
// +kubebuilder:printcolumn:name="Journey",type=string,JSONPath=`.spec.journeyMapRef.name`
// +kubebuilder:printcolumn:name="Stage",type=string,JSONPath=`.status.stage`
// +kubebuilder:printcolumn:name="Touchpoint",type=string,JSONPath=`.spec.touchpoint`
// +kubebuilder:printcolumn:name="Health",type=string,JSONPath=`.status.health`
// +kubebuilder:printcolumn:name="Availability",type=string,JSONPath=`.status.sli.availability`
// +kubebuilder:printcolumn:name="Objective",type=string,JSONPath=`.spec.objectives.availability`,priority=1
// +kubebuilder:printcolumn:name="Budget",type=string,JSONPath=`.status.sli.errorBudgetRemaining`,priority=1
// +kubebuilder:printcolumn:name="Rules",type=string,JSONPath=`.status.rules.kind`,priority=1
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
type TouchpointMonitor struct {
	metav1.TypeMeta `json:",inline"`
	// metadata is the standard object metadata.
	// +optional
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec binds the touchpoint to telemetry.
	// +required
	Spec TouchpointMonitorSpec `json:"spec"`

	// status is what the operator observed; written by the operator only.
	// +optional
	Status TouchpointMonitorStatus `json:"status,omitempty"`
}

// TouchpointMonitorList is a list of TouchpointMonitors.
//
// +kubebuilder:object:root=true
type TouchpointMonitorList struct {
	metav1.TypeMeta `json:",inline"`
	// +optional
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the TouchpointMonitors.
	Items []TouchpointMonitor `json:"items"`
}

func init() {
	register(&TouchpointMonitor{}, &TouchpointMonitorList{})
}
