package probe

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strings"

	"github.com/miekg/dns"
)

// resolvConf is where the DNS probe finds its servers when the probe names
// none: the same servers the pod's own lookups use.
const resolvConf = "/etc/resolv.conf"

// dnsTypes are the record types a DNS probe can ask for.
var dnsTypes = map[string]uint16{
	"A":     dns.TypeA,
	"AAAA":  dns.TypeAAAA,
	"CNAME": dns.TypeCNAME,
	"MX":    dns.TypeMX,
	"TXT":   dns.TypeTXT,
	"NS":    dns.TypeNS,
}

// dnsCheck asks one question and requires the expected records in the answer.
type dnsCheck struct {
	question string
	qtype    uint16
	server   string
	// expect holds normalized record texts; see recordTexts.
	expect []string
}

func compileDNS(d *DNSCheck) (*dnsCheck, error) {
	if d.Name == "" {
		return nil, errors.New("name missing")
	}
	qtype, ok := dnsTypes[strings.ToUpper(d.RecordType)]
	if !ok {
		return nil, fmt.Errorf("recordType %q: want one of A, AAAA, CNAME, MX, TXT, NS", d.RecordType)
	}
	c := &dnsCheck{question: dns.Fqdn(d.Name), qtype: qtype, server: d.Server}
	if _, ok := dns.IsDomainName(c.question); !ok {
		return nil, fmt.Errorf("name %q is not a domain name", d.Name)
	}
	if c.server != "" {
		if _, _, err := net.SplitHostPort(c.server); err != nil {
			// A bare host means the standard port, as in resolv.conf.
			c.server = net.JoinHostPort(c.server, "53")
		}
	}
	for _, e := range d.Expect {
		n, err := normalizeExpected(qtype, e)
		if err != nil {
			return nil, fmt.Errorf("expect %q: %w", e, err)
		}
		c.expect = append(c.expect, n)
	}
	return c, nil
}

// normalizeExpected brings an expected record into the form recordTexts
// produces, so comparison is plain string equality.
func normalizeExpected(qtype uint16, e string) (string, error) {
	switch qtype {
	case dns.TypeA, dns.TypeAAAA:
		ip, err := netip.ParseAddr(e)
		if err != nil {
			return "", err
		}
		if ip.Is4() != (qtype == dns.TypeA) {
			return "", fmt.Errorf("not an %s address", dns.TypeToString[qtype])
		}
		return ip.String(), nil
	case dns.TypeMX:
		pref, host, ok := strings.Cut(e, " ")
		if !ok {
			return normalizeName(e), nil
		}
		return pref + " " + normalizeName(strings.TrimSpace(host)), nil
	case dns.TypeCNAME, dns.TypeNS:
		return normalizeName(e), nil
	default:
		return e, nil
	}
}

// normalizeName makes names comparable: DNS names are case-insensitive and
// users write them without the root dot.
func normalizeName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
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

// recordTexts is how a record compares with an expected value: addresses in
// canonical form, names lower-case without the root dot, TXT strings joined.
// The first text is the display form; an MX record also matches its bare
// host so expectations need not spell out the preference.
func recordTexts(rr dns.RR) []string {
	switch r := rr.(type) {
	case *dns.A:
		return []string{r.A.String()}
	case *dns.AAAA:
		return []string{r.AAAA.String()}
	case *dns.CNAME:
		return []string{normalizeName(r.Target)}
	case *dns.NS:
		return []string{normalizeName(r.Ns)}
	case *dns.MX:
		host := normalizeName(r.Mx)
		return []string{fmt.Sprintf("%d %s", r.Preference, host), host}
	case *dns.TXT:
		return []string{strings.Join(r.Txt, "")}
	default:
		return []string{rr.String()}
	}
}
