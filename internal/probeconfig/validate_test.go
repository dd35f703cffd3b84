package probeconfig

import (
	"strings"
	"testing"
)

// probeOf is a valid probe around one check, for tables that vary the check.
func probeOf(p Probe) Probe {
	p.ID, p.Labels, p.Interval = "shop/p", testLabels("p"), oneMinute
	return p
}

// flowOf is a flow probe whose first step captures t and u, so later steps
// can use ${t} and ${u}.
func flowOf(steps ...FlowStep) Probe {
	first := FlowStep{Name: "login", HTTPRequest: HTTPRequest{URL: "https://shop.example/login"}, Capture: []Capture{
		{Name: "t", From: CaptureFromHeader, Expression: "X-T"},
		{Name: "u", From: CaptureFromJSONPath, Expression: "next"},
	}}
	return probeOf(Probe{Flow: &Flow{Steps: append([]FlowStep{first}, steps...)}})
}

// cartStep is a flow step named cart.
func cartStep(url string, headers ...Header) FlowStep {
	return FlowStep{Name: "cart", HTTPRequest: HTTPRequest{URL: url, Header: headers}}
}

func httpTo(url string, headers ...Header) Probe {
	return probeOf(Probe{HTTP: &HTTPRequest{URL: url, Header: headers}})
}

func dnsExpect(recordType string, expect ...string) Probe {
	return probeOf(Probe{DNS: &DNSCheck{Name: "shop.example", RecordType: recordType, Expect: expect}})
}

// TestNeverWorkingProbes are probes that pass a schema but can never succeed:
// the collector would run them and fail forever, so validation rejects them
// with what to fix. want is empty for probes that must stay valid.
func TestNeverWorkingProbes(t *testing.T) {
	tests := []struct {
		name  string
		probe Probe
		want  string
	}{
		// Header values: net/http refuses control characters other than tab.
		{"header value with a newline", httpTo("https://shop.example/", Header{Name: "X-Trace", Value: "a\nb"}),
			`http: headers[0] (X-Trace): value contains the control character U+000A at byte 1`},
		{"header value with a carriage return", httpTo("https://shop.example/", Header{Name: "X-Trace", Value: "a\r"}),
			`headers[0] (X-Trace): value contains the control character U+000D at byte 1`},
		{"header value with NUL", httpTo("https://shop.example/", Header{Name: "X-Trace", Value: "\x00"}), "U+0000"},
		{"header value with DEL", httpTo("https://shop.example/", Header{Name: "X-Trace", Value: "a\x7f"}), "U+007F"},
		{"flow header value with a newline around a capture", flowOf(cartStep("https://shop.example/cart", Header{Name: "X-T", Value: "${t}\n"})),
			`flow: step "cart": headers[0] (X-T): value contains the control character U+000A`},
		{"header name with a newline", httpTo("https://shop.example/", Header{Name: "X-A\nB", Value: "v"}), "is not a valid header name"},
		{"header value with a tab and UTF-8", httpTo("https://shop.example/", Header{Name: "X-Trace", Value: "a\tb é"}), ""},

		// URLs: a request needs an http(s) scheme and a host.
		{"URL with a port but no host", httpTo("http://:8080/path"), `http: url: "http://:8080/path": no host`},
		{"URL with user info but no host", httpTo("https://ada@:443/"), "no host"},
		{"URL with port 0", httpTo("http://shop.example:0/"), `url: "http://shop.example:0/": port 0`},
		{"URL with a port out of range", httpTo("http://shop.example:65536/"), "port 65536"},
		{"upper-case scheme", httpTo("HTTPS://shop.example/"), ""},
		{"flow URL with a literal empty host", flowOf(cartStep("http://:8080/${t}")), `flow: step "cart": url: "http://:8080/${t}": no host`},
		{"flow URL that is relative", flowOf(cartStep("/cart/${t}")), `url: "/cart/${t}": must start with http:// or https://`},
		{"flow URL without a scheme", flowOf(cartStep("shop.example/${t}")), "must start with http:// or https://"},
		{"flow URL from a capture", flowOf(cartStep("${u}")), ""},
		{"flow URL with a captured host", flowOf(cartStep("https://${u}:8443/x")), ""},
		{"flow URL with a captured port", flowOf(cartStep("https://shop.example:${u}/x")), ""},
		{"flow URL with a captured scheme end", flowOf(cartStep("http${u}")), ""},
		{"flow URL with an upper-case scheme", flowOf(cartStep("HTTPS://shop.example/${t}")), ""},

		// Captures: each name has one definition.
		{"two captures of one name in a step", flowOf(FlowStep{Name: "cart", HTTPRequest: HTTPRequest{URL: "https://shop.example/"}, Capture: []Capture{
			{Name: "id", From: CaptureFromHeader, Expression: "X-Id"},
			{Name: "id", From: CaptureFromJSONPath, Expression: "id"},
		}}), `flow: step "cart": capture[1]: "id" is already captured by capture[0] of this step; give each capture its own name`},
		{"a capture taken again by a later step", flowOf(FlowStep{Name: "cart", HTTPRequest: HTTPRequest{URL: "https://shop.example/"}, Capture: []Capture{
			{Name: "t", From: CaptureFromHeader, Expression: "X-T"},
		}}), `flow: step "cart": capture[0]: "t" is already captured by step "login"; give this capture another name, such as t2`},

		// DNS expectations: what the collector compares can never equal these.
		{"A expects an IPv6 address", dnsExpect("A", "2001:db8::1"),
			`dns: expect "2001:db8::1": an IPv6 address, but A records hold IPv4 addresses; use recordType AAAA or an IPv4 address`},
		{"AAAA expects an IPv4 address", dnsExpect("AAAA", "192.0.2.1"),
			`dns: expect "192.0.2.1": an IPv4 address, but AAAA records hold IPv6 addresses; use recordType A or an IPv6 address`},
		{"A expects a name", dnsExpect("A", "shop.example"), `dns: expect "shop.example": not an IPv4 address, which A records hold`},
		{"AAAA expects an IPv4-mapped address", dnsExpect("AAAA", "::ffff:192.0.2.1"), "IPv4-mapped"},
		{"AAAA expects a zone", dnsExpect("AAAA", "fe80::1%eth0"), "zone"},
		{"CNAME expects an empty name", dnsExpect("CNAME", ""), `dns: expect "": not a domain name: empty label`},
		{"CNAME expects a name with a space", dnsExpect("CNAME", "shop example"), `dns: expect "shop example": not a domain name: ' ' at 4 is printed as \  in record names`},
		{"NS expects an empty label", dnsExpect("NS", "ns1..shop.example"), "empty label"},
		{"MX preference not a number", dnsExpect("MX", "ten mail.shop.example"), `dns: expect "ten mail.shop.example": preference "ten" is not a number from 0 to 65535`},
		{"MX with three fields", dnsExpect("MX", "10 mail.shop.example extra"), `want "preference host" or "host"`},
		{"MX host with an empty label", dnsExpect("MX", "10 mail..shop.example"), "empty label"},
		{"TXT with a control character", dnsExpect("TXT", "v=spf1\x01"), `dns: expect "v=spf1\x01": byte 0x01 at 6 is printed as \001 in TXT records`},
		{"TXT with UTF-8", dnsExpect("TXT", "café"), `byte 0xc3 at 3 is printed as \195`},
		{"TXT with an unescaped quote", dnsExpect("TXT", `say "hi"`), `'"' at 4 is printed as \"`},
		{"TXT with a lone backslash", dnsExpect("TXT", `a\`), "lone backslash"},
		{"TXT in presentation form", dnsExpect("TXT", `say \"hi\" \\ caf\195\169`), ""},
		{"TXT empty", dnsExpect("TXT", ""), ""},
		{"MX null", dnsExpect("MX", "0 ."), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := (&Config{Probes: []Probe{tt.probe}}).Validate()
			switch {
			case tt.want == "" && err != nil:
				t.Fatalf("rejected: %v", err)
			case tt.want == "":
			case err == nil:
				t.Fatalf("accepted, want an error containing %q", tt.want)
			case !strings.Contains(err.Error(), tt.want):
				t.Fatalf("error = %q, want it to contain %q", err, tt.want)
			}
		})
	}
}

// TestDNSExpectationsNormalized checks expectations are brought to the form
// the collector prints records in, so equal records compare equal.
func TestDNSExpectationsNormalized(t *testing.T) {
	for _, tt := range []struct{ recordType, expect, want string }{
		{"A", "192.0.2.1", "192.0.2.1"},
		{"AAAA", "2001:0DB8::0001", "2001:db8::1"},
		{"CNAME", "Shop.Example.", "shop.example"},
		{"NS", "NS1.shop.example", "ns1.shop.example"},
		{"MX", "010  Mail.Shop.Example.", "10 mail.shop.example"},
		{"MX", "mail.shop.example", "mail.shop.example"},
		{"TXT", "v=spf1 -all", "v=spf1 -all"},
	} {
		compiled, err := Compile(&Config{Probes: []Probe{dnsExpect(tt.recordType, tt.expect)}})
		if err != nil {
			t.Fatalf("%s %q: %v", tt.recordType, tt.expect, err)
		}
		if got := compiled[0].DNS.Expect[0]; got != tt.want {
			t.Errorf("%s %q normalized to %q, want %q", tt.recordType, tt.expect, got, tt.want)
		}
	}
}
