package probeconfig

import (
	"strings"
	"testing"
)

func TestLiteralCredentials(t *testing.T) {
	secret := Header{Name: "Authorization", ValueFile: SecretsDir + "/shop-api/token"}
	tests := []struct {
		name  string
		probe Probe
		// want holds one part of each warning, in order.
		want []string
	}{
		{"header from a Secret", httpTo("https://shop.example/", secret), nil},
		{"plain headers", httpTo("https://shop.example/", Header{Name: "Accept", Value: "application/json"}, Header{Name: "Idempotency-Key", Value: "k1"}), nil},
		{"literal Authorization", httpTo("https://shop.example/", Header{Name: "Authorization", Value: "Bearer abc"}),
			[]string{`http: headers[0] (Authorization): a credential given as a literal value, which anyone who can read the monitor or the collector ConfigMap can read; take it from a Secret (valueFrom.secretKeyRef)`}},
		{"credential-like header names", httpTo("https://shop.example/",
			Header{Name: "x-access-token", Value: "a"}, Header{Name: "X-Api-Key", Value: "b"}, Header{Name: "Cookie", Value: "s=1"},
			Header{Name: "X-Client-Secret", Value: "c"}, Header{Name: "X-Password", Value: "d"}, Header{Name: "Proxy-Authorization", Value: "e"}),
			[]string{"headers[0] (x-access-token)", "headers[1] (X-Api-Key)", "headers[2] (Cookie)", "headers[3] (X-Client-Secret)", "headers[4] (X-Password)", "headers[5] (Proxy-Authorization)"}},
		{"empty credential header", httpTo("https://shop.example/", Header{Name: "Authorization"}), nil},
		{"credentials in the query", httpTo("https://shop.example/?q=shoes&api_key=k&Token=t&access_token=a&password=p&secret=s&page_token="),
			[]string{
				`http: url: query parameter "api_key" holds a literal credential, which servers and proxies log; send it in a header taken from a Secret`,
				`"Token"`, `"access_token"`, `"password"`, `"secret"`,
			}},
		{"password in the user info", httpTo("https://ada:s3cr3t@shop.example/"),
			[]string{`http: url: holds a password in its user info; send credentials in an Authorization header taken from a Secret`}},
		{"user without a password", httpTo("https://ada@shop.example/"), nil},
		{"plain probe takes ${...} literally", httpTo("https://shop.example/?token=${t}", Header{Name: "X-Api-Key", Value: "${t}"}),
			[]string{"headers[0] (X-Api-Key)", `query parameter "token"`}},
		{"flow values from captures", flowOf(cartStep("https://shop.example/cart?token=${t}", Header{Name: "Authorization", Value: "Bearer ${t}"})), nil},
		{"flow literal values", flowOf(cartStep("https://ada:pw@shop.example/cart?token=abc", Header{Name: "Authorization", Value: "Bearer abc"})),
			[]string{`flow: step "cart": headers[0] (Authorization)`, `flow: step "cart": url: holds a password`, `flow: step "cart": url: query parameter "token"`}},
		{"flow user info from a capture", flowOf(cartStep("https://ada:${t}@shop.example/")), nil},
		{"TCP probe", probeOf(Probe{TCP: &TCPCheck{Address: "shop.example:443"}}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := LiteralCredentials(tt.probe)
			if len(got) != len(tt.want) {
				t.Fatalf("warnings = %q, want %d", got, len(tt.want))
			}
			for i, w := range tt.want {
				if !strings.Contains(got[i], w) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], w)
				}
			}
		})
	}
}
