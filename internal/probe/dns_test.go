package probe

import (
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// dnsServer serves a small zone on a loopback UDP port and returns its address.
func dnsServer(t *testing.T) string {
	t.Helper()
	zone := map[uint16][]string{}
	for _, rr := range []string{
		"shop.example. 60 IN A 192.0.2.10",
		"shop.example. 60 IN A 192.0.2.11",
		"shop.example. 60 IN AAAA 2001:db8::10",
		"shop.example. 60 IN MX 10 Mail.Shop.Example.",
		"shop.example. 60 IN TXT \"v=spf1 \" \"-all\"",
		"shop.example. 60 IN NS ns1.shop.example.",
		"www.shop.example. 60 IN CNAME shop.example.",
	} {
		r, err := dns.NewRR(rr)
		if err != nil {
			t.Fatal(err)
		}
		zone[r.Header().Rrtype] = append(zone[r.Header().Rrtype], rr)
	}
	handler := dns.HandlerFunc(func(w dns.ResponseWriter, req *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(req)
		q := req.Question[0]
		found := false
		for _, rr := range append(zone[q.Qtype], zone[dns.TypeCNAME]...) {
			r, _ := dns.NewRR(rr)
			if r.Header().Name == q.Name {
				found = true
				if r.Header().Rrtype == q.Qtype {
					m.Answer = append(m.Answer, r)
				}
			}
		}
		if !found {
			m.Rcode = dns.RcodeNameError
		}
		_ = w.WriteMsg(m)
	})
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	srv := &dns.Server{PacketConn: pc, Handler: handler, NotifyStartedFunc: func() { close(started) }}
	go func() { _ = srv.ActivateAndServe() }()
	<-started
	t.Cleanup(func() { _ = srv.Shutdown() })
	return pc.LocalAddr().String()
}

func TestDNSProbe(t *testing.T) {
	server := dnsServer(t)
	tests := []struct {
		name string
		dns  probeconfig.DNSCheck
		want Reason
	}{
		{"A", probeconfig.DNSCheck{Name: "shop.example", RecordType: "A", Expect: []string{"192.0.2.11"}}, ReasonOK},
		{"A without expectations", probeconfig.DNSCheck{Name: "shop.example", RecordType: "A"}, ReasonOK},
		{"AAAA", probeconfig.DNSCheck{Name: "shop.example.", RecordType: "AAAA", Expect: []string{"2001:0db8::10"}}, ReasonOK},
		{"CNAME", probeconfig.DNSCheck{Name: "www.shop.example", RecordType: "CNAME", Expect: []string{"shop.example"}}, ReasonOK},
		{"MX with preference", probeconfig.DNSCheck{Name: "shop.example", RecordType: "MX", Expect: []string{"10 mail.shop.example"}}, ReasonOK},
		{"MX host only", probeconfig.DNSCheck{Name: "shop.example", RecordType: "mx", Expect: []string{"mail.shop.example."}}, ReasonOK},
		{"TXT", probeconfig.DNSCheck{Name: "shop.example", RecordType: "TXT", Expect: []string{"v=spf1 -all"}}, ReasonOK},
		{"NS", probeconfig.DNSCheck{Name: "shop.example", RecordType: "NS", Expect: []string{"ns1.shop.example"}}, ReasonOK},
		{"expected record missing", probeconfig.DNSCheck{Name: "shop.example", RecordType: "A", Expect: []string{"192.0.2.99"}}, ReasonDNS},
		{"NXDOMAIN", probeconfig.DNSCheck{Name: "gone.shop.example", RecordType: "A"}, ReasonDNS},
		{"no records of the type", probeconfig.DNSCheck{Name: "www.shop.example", RecordType: "A"}, ReasonDNS},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.dns
			d.Server = server
			r, err := runOnce(t, probeconfig.Probe{DNS: &d})
			wantReason(t, r, err, tt.want)
		})
	}
	t.Run("server not answering", func(t *testing.T) {
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := pc.LocalAddr().String()
		_ = pc.Close() // only its address was wanted: nothing listens there now
		r, err := runOnce(t, probeconfig.Probe{DNS: &probeconfig.DNSCheck{Name: "shop.example", RecordType: "A", Server: addr}})
		if r != ReasonConnect && r != ReasonTimeout {
			t.Fatalf("reason = %q (error %v), want connect or timeout", r, err)
		}
	})
}

// TestDNSNamesAsMiekg checks that probeconfig, which cannot link miekg/dns,
// accepts the question names the library that sends the question accepts,
// except names longer than the 255 octets RFC 1035 allows on the wire, which
// its IsDomainName lets through by a few octets but no server would answer.
func TestDNSNamesAsMiekg(t *testing.T) {
	long := strings.Repeat("a", 63)
	tooLong := map[string]bool{
		strings.Repeat(long+".", 4):                           true, // 257 octets
		strings.Repeat(long+".", 3) + strings.Repeat("a", 62): true, // 256 octets
	}
	names := []string{
		"shop.example", "shop.example.", ".", "_dmarc.shop.example", "shop example", `a\.b.example`, `a\065b.example`,
		"", "a..b", ".a", "a.", long + ".example", long + "a.example", `a\`,
		strings.Repeat(long+".", 3) + strings.Repeat("a", 61), // 255 octets
	}
	for name := range tooLong {
		names = append(names, name)
	}
	for _, name := range names {
		_, want := dns.IsDomainName(name)
		want = want && !tooLong[name]
		err := (&probeconfig.Config{Probes: []probeconfig.Probe{{
			ID: "shop/dns", Labels: testLabels("dns"), Interval: dur(time.Minute),
			DNS: &probeconfig.DNSCheck{Name: name, RecordType: "A"},
		}}}).Validate()
		if (err == nil) != want {
			t.Errorf("%.20q…: want valid %v, probeconfig error %v", name, want, err)
		}
	}
}
