package probeconfig

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// fullConfig has one probe of every kind, written as the operator renders it.
const fullConfig = `
probes:
- id: shop/dns
  labels: {namespace: shop, journey: checkout, stage: awareness, touchpoint: landing-dns, persona: buyer}
  interval: 1m
  timeout: 5s
  dns: {name: shop.example, recordType: A, server: 10.0.0.10, expect: [192.0.2.10]}
- id: shop/flow
  labels: {namespace: shop, journey: checkout, stage: purchase, touchpoint: checkout, persona: buyer}
  interval: 5m
  timeout: 30s
  flow:
    steps:
    - name: login
      url: https://shop.example/login
      method: POST
      body: '{"user":"ada"}'
      followRedirects: false
      capture:
      - {name: token, from: JSONPath, expression: token}
    - name: cart
      url: https://shop.example/cart
      headers:
      - {name: Authorization, value: 'Bearer ${token}'}
      followRedirects: true
- id: shop/home
  labels: {namespace: shop, journey: checkout, stage: awareness, touchpoint: home, persona: buyer}
  interval: 30s
  timeout: 0s
  http:
    url: https://shop.example/
    headers:
    - {name: X-Api-Key, valueFile: /etc/journey-probe/secrets/shop-api/key}
    expectedStatus: [200, 204]
    bodyContains: [Welcome]
    bodyRegex: 'v\d+'
    json: [{path: 'a.b[0].c', equals: "1"}]
    followRedirects: true
    tls: {caFile: /etc/journey-probe/secrets/shop-ca/ca.crt, serverName: shop.example}
- id: shop/tcp
  labels: {namespace: shop, journey: checkout, stage: support, touchpoint: smtp, persona: buyer}
  interval: 1m
  timeout: 3s
  tcp: {address: 'mail.shop.example:25'}
`

// testLabels are journey labels for a probe named id.
func testLabels(id string) Labels {
	return Labels{Namespace: "shop", Journey: "checkout", Stage: "purchase", Touchpoint: id, Persona: "buyer"}
}

// dur is a metav1.Duration for config literals.
// oneMinute is the interval of the test probes.
var oneMinute = metav1.Duration{Duration: time.Minute}

func TestParseConfig(t *testing.T) {
	cfg, err := ParseConfig([]byte(fullConfig))
	if err != nil {
		t.Fatal(err)
	}
	if len(cfg.Probes) != 4 {
		t.Fatalf("got %d probes, want 4", len(cfg.Probes))
	}
	compiled, err := Compile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if home := compiled[2]; home.Timeout != 10*time.Second {
		t.Errorf("default timeout = %s, want 10s", home.Timeout)
	}
	var steps []string
	for _, s := range compiled[1].Flow {
		steps = append(steps, s.Name)
	}
	if strings.Join(steps, ",") != "login,cart" {
		t.Errorf("flow steps = %v", steps)
	}
	if dns := compiled[0].DNS; dns.Server != "10.0.0.10:53" {
		t.Errorf("DNS server = %q, want the default port added", dns.Server)
	}
}

func TestLoadConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), ConfigFileName)
	if err := os.WriteFile(path, []byte(fullConfig), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadConfig(path + ".missing"); err == nil {
		t.Fatal("want an error for a missing file")
	}
}

func TestInvalidConfig(t *testing.T) {
	// probe renders one probe entry; body is the kind-specific part.
	probe := func(id, body string) string {
		return "- id: " + id + "\n  labels: {namespace: shop, journey: checkout, stage: s, touchpoint: t, persona: p}\n  interval: 30s\n" + body
	}
	httpOK := "  http: {url: 'https://shop.example/'}\n"
	tests := []struct {
		name, config, want string
	}{
		{"empty file", "", "config is empty"},
		{"bad YAML", "probes: [", "decode"},
		{"unknown probe kind", "probes:\n" + probe("a", "  grpc: {service: x}\n"), `unknown field "grpc"`},
		{"no kind", "probes:\n" + probe("a", ""), "no check: set one of http, tcp, dns, flow"},
		{"two kinds", "probes:\n" + probe("a", httpOK+"  tcp: {address: 'a:1'}\n"), "set exactly one of http, tcp, dns, flow, not http and tcp"},
		{"duplicate id", "probes:\n" + probe("a", httpOK) + probe("a", httpOK), `probe "a": duplicate id`},
		{"missing id", "probes:\n" + probe("''", httpOK), "probes[0]: id missing"},
		{"missing labels", "probes:\n- id: a\n  interval: 30s\n" + httpOK, "labels.namespace, labels.journey, labels.touchpoint missing"},
		{"missing interval", "probes:\n- id: a\n  labels: {namespace: n, journey: j, touchpoint: t}\n" + httpOK, "interval must be positive"},
		{"negative timeout", "probes:\n" + probe("a", "  timeout: -1s\n"+httpOK), "timeout must not be negative"},
		{"bad regex", "probes:\n" + probe("a", "  http: {url: 'https://x/', bodyRegex: 'a(b'}\n"), "http: bodyRegex: error parsing regexp"},
		{"bad URL", "probes:\n" + probe("a", "  http: {url: 'ftp://x/'}\n"), "scheme must be http or https"},
		{"flow URL with a bad literal scheme", "probes:\n" + probe("a", "  flow: {steps: [{name: one, url: 'https://x/', capture: [{name: p, from: Header, expression: X-P}]}, {name: two, url: 'ftp://x/${p}'}]}\n"), "scheme must be http or https"},
		{"URL without host", "probes:\n" + probe("a", "  http: {url: 'https:///path'}\n"), "no host"},
		{"missing URL", "probes:\n" + probe("a", "  http: {method: GET}\n"), "http: url: missing"},
		{"bad method", "probes:\n" + probe("a", "  http: {url: 'https://x/', method: 'GE T'}\n"), "not a valid HTTP method"},
		{"bad status", "probes:\n" + probe("a", "  http: {url: 'https://x/', expectedStatus: [99]}\n"), "99 is not an HTTP status code"},
		{"bad JSON path", "probes:\n" + probe("a", "  http: {url: 'https://x/', json: [{path: 'a[x]'}]}\n"), "json[0]: JSON path"},
		{"header value and file", "probes:\n" + probe("a", "  http: {url: 'https://x/', headers: [{name: A, value: v, valueFile: /f}]}\n"), "set value or valueFile, not both"},
		{"bad TCP address", "probes:\n" + probe("a", "  tcp: {address: 'no-port'}\n"), "tcp: address"},
		{"bad DNS type", "probes:\n" + probe("a", "  dns: {name: x.example, recordType: SRV}\n"), "want one of A, AAAA, CNAME, MX, TXT, NS"},
		{"bad DNS expectation", "probes:\n" + probe("a", "  dns: {name: x.example, recordType: A, expect: ['::1']}\n"), "an IPv6 address, but A records hold IPv4 addresses"},
		{"flow without steps", "probes:\n" + probe("a", "  flow: {steps: []}\n"), "flow: no steps"},
		{"flow step unnamed", "probes:\n" + probe("a", "  flow: {steps: [{url: 'https://x/'}]}\n"), "steps[0]: name missing"},
		{"capture used before defined", "probes:\n" + probe("a", "  flow: {steps: [{name: one, url: 'https://x/${token}'}]}\n"),
			`step "one": url: ${token} is used before a capture of that name is defined by an earlier step`},
		{"capture used in its own step", "probes:\n" + probe("a", "  flow: {steps: [{name: one, url: 'https://x/', body: '${t}', capture: [{name: t, from: Header, expression: X-T}]}]}\n"),
			`step "one": body: ${t} is used before`},
		{"capture from unknown source", "probes:\n" + probe("a", "  flow: {steps: [{name: one, url: 'https://x/', capture: [{name: t, from: Cookie, expression: c}]}]}\n"),
			`from "Cookie": want JSONPath, Header or Regex`},
		{"capture regex without group", "probes:\n" + probe("a", "  flow: {steps: [{name: one, url: 'https://x/', capture: [{name: t, from: Regex, expression: 'id=\\d+'}]}]}\n"),
			"has no group to capture"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseConfig([]byte(tt.config))
			if err == nil {
				t.Fatal("config accepted")
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %q, want it to contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Fatalf("error spans lines: %q", err)
			}
		})
	}
}

func TestInvalidConfigReportsEveryProblem(t *testing.T) {
	cfg := Config{Probes: []Probe{
		{ID: "a", Labels: testLabels("a"), Interval: oneMinute},
		{ID: "b", Labels: testLabels("b"), Interval: oneMinute, TCP: &TCPCheck{Address: "x"}},
	}}
	err := cfg.Validate()
	if err == nil || !strings.Contains(err.Error(), `probe "a": no check`) || !strings.Contains(err.Error(), `probe "b": tcp: address`) {
		t.Fatalf("error = %v, want both problems", err)
	}
}

func TestFlowURLMayComeFromCaptures(t *testing.T) {
	cfg := Config{Probes: []Probe{{
		ID: "shop/flow", Labels: testLabels("flow"), Interval: oneMinute,
		Flow: &Flow{Steps: []FlowStep{
			{Name: "discover", HTTPRequest: HTTPRequest{URL: "https://shop.example/"}, Capture: []Capture{
				{Name: "next", From: CaptureFromHeader, Expression: "Location"},
				{Name: "host", From: CaptureFromJSONPath, Expression: "host"},
				{Name: "port", From: CaptureFromJSONPath, Expression: "port"},
			}},
			{Name: "follow", HTTPRequest: HTTPRequest{URL: "${next}"}},
			{Name: "host", HTTPRequest: HTTPRequest{URL: "https://${host}:${port}/x"}},
		}},
	}}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
}
