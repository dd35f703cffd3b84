package probe

import (
	"context"
	"fmt"
	"net"
	"strings"

	"github.com/miekg/dns"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// resolvConf is where the DNS probe finds its servers when the probe names
// none: the same servers the pod's own lookups use.
const resolvConf = "/etc/resolv.conf"

// dnsCheck asks one question and requires the expected records in the answer.
type dnsCheck struct {
	question string
	qtype    uint16
	server   string
	// expect holds normalized record texts; see recordTexts.
	expect []string
}

func newDNSCheck(q *probeconfig.DNSQuery) *dnsCheck {
	return &dnsCheck{question: dns.Fqdn(q.Name), qtype: dns.StringToType[q.RecordType], server: q.Server, expect: q.Expect}
}

func (c *dnsCheck) check(ctx context.Context, _ stepObserver) error {
	servers := []string{c.server}
	if c.server == "" {
		conf, err := dns.ClientConfigFromFile(resolvConf)
		if err != nil {
			return failf(ReasonConfig, "no DNS server given and %s unusable: %v", resolvConf, err)
		}
		servers = servers[:0]
		for _, s := range conf.Servers {
			servers = append(servers, net.JoinHostPort(s, conf.Port))
		}
	}
	m := new(dns.Msg)
	m.SetQuestion(c.question, c.qtype)
	var resp *dns.Msg
	var err error
	// Like a stub resolver, fall through to the next server when one does
	// not answer; an answer, even a negative one, is final.
	for _, s := range servers {
		if resp, err = exchange(ctx, m, s); err == nil || ctx.Err() != nil {
			break
		}
	}
	if err != nil {
		return err
	}
	qname := strings.TrimSuffix(c.question, ".")
	qtype := dns.TypeToString[c.qtype]
	if resp.Rcode != dns.RcodeSuccess {
		return failf(ReasonDNS, "%s %s: %s", qtype, qname, dns.RcodeToString[resp.Rcode])
	}
	got := map[string]bool{}
	var shown []string
	for _, rr := range resp.Answer {
		if rr.Header().Rrtype != c.qtype {
			continue // e.g. the CNAME chain in front of an A record
		}
		texts := recordTexts(rr)
		shown = append(shown, texts[0])
		for _, t := range texts {
			got[t] = true
		}
	}
	if len(shown) == 0 {
		return failf(ReasonDNS, "%s %s: no records in the answer", qtype, qname)
	}
	for _, e := range c.expect {
		if !got[e] {
			return failf(ReasonDNS, "%s %s: %q not in the answer %q", qtype, qname, e, shown)
		}
	}
	return nil
}

// exchange asks over UDP and retries over TCP when the answer was truncated.
func exchange(ctx context.Context, m *dns.Msg, server string) (*dns.Msg, error) {
	resp, _, err := (&dns.Client{Net: "udp"}).ExchangeContext(ctx, m, server)
	if err == nil && resp.Truncated {
		resp, _, err = (&dns.Client{Net: "tcp"}).ExchangeContext(ctx, m, server)
	}
	return resp, err
}

// recordTexts is how a record compares with an expected value, which
// probeconfig normalizes to the same form: addresses in canonical form, names
// lower-case without the root dot, TXT strings joined.
// The first text is the display form; an MX record also matches its bare
// host so expectations need not spell out the preference.
func recordTexts(rr dns.RR) []string {
	switch r := rr.(type) {
	case *dns.A:
		return []string{r.A.String()}
	case *dns.AAAA:
		return []string{r.AAAA.String()}
	case *dns.CNAME:
		return []string{probeconfig.NormalizeDNSName(r.Target)}
	case *dns.NS:
		return []string{probeconfig.NormalizeDNSName(r.Ns)}
	case *dns.MX:
		host := probeconfig.NormalizeDNSName(r.Mx)
		return []string{fmt.Sprintf("%d %s", r.Preference, host), host}
	case *dns.TXT:
		return []string{strings.Join(r.Txt, "")}
	default:
		return []string{rr.String()}
	}
}
