package probeconfig

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strings"
)

// dnsRecordTypes are the record types a DNS probe can ask for.
var dnsRecordTypes = []string{"A", "AAAA", "CNAME", "MX", "TXT", "NS"}

// DNSQuery is a compiled DNSCheck.
type DNSQuery struct {
	// Name is the name to resolve, as configured.
	Name string
	// RecordType is one of A, AAAA, CNAME, MX, TXT and NS, upper case.
	RecordType string
	// Server is host:port, the port 53 when the config names none; empty
	// means the servers of the system's resolver configuration.
	Server string
	// Expect holds the expected records in the form NormalizeDNSName and
	// the engine's record texts produce, so comparison is string equality.
	Expect []string
}

func compileDNS(d *DNSCheck) (*DNSQuery, error) {
	if d.Name == "" {
		return nil, errors.New("name missing")
	}
	q := &DNSQuery{Name: d.Name, RecordType: strings.ToUpper(d.RecordType), Server: d.Server}
	if !slices.Contains(dnsRecordTypes, q.RecordType) {
		return nil, fmt.Errorf("recordType %q: want one of %s", d.RecordType, strings.Join(dnsRecordTypes, ", "))
	}
	if err := checkDomainName(d.Name); err != nil {
		return nil, fmt.Errorf("name %q is not a domain name: %w", d.Name, err)
	}
	if q.Server != "" {
		if _, _, err := net.SplitHostPort(q.Server); err != nil {
			// A bare host means the standard port, as in resolv.conf.
			q.Server = net.JoinHostPort(q.Server, "53")
		}
	}
	for _, e := range d.Expect {
		n, err := normalizeExpected(q.RecordType, e)
		if err != nil {
			return nil, fmt.Errorf("expect %q: %w", e, err)
		}
		q.Expect = append(q.Expect, n)
	}
	return q, nil
}

// normalizeExpected brings an expected record into the form the engine
// prints records in, so comparison is plain string equality.
func normalizeExpected(recordType, e string) (string, error) {
	switch recordType {
	case "A", "AAAA":
		ip, err := netip.ParseAddr(e)
		if err != nil {
			return "", err
		}
		if ip.Is4() != (recordType == "A") {
			return "", fmt.Errorf("not an %s address", recordType)
		}
		return ip.String(), nil
	case "MX":
		pref, host, ok := strings.Cut(e, " ")
		if !ok {
			return NormalizeDNSName(e), nil
		}
		return pref + " " + NormalizeDNSName(strings.TrimSpace(host)), nil
	case "CNAME", "NS":
		return NormalizeDNSName(e), nil
	default:
		return e, nil
	}
}

// NormalizeDNSName makes names comparable: DNS names are case-insensitive
// and users write them without the root dot.
func NormalizeDNSName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// checkDomainName says why s cannot be a domain name in presentation
// format: an empty label, a label longer than 63 octets, a name longer than
// 255 octets on the wire, or a cut-short escape (\X, \DDD). The root, ".",
// is a name; the final root dot is optional.
func checkDomainName(s string) error {
	if s == "." {
		return nil
	}
	wire, label := 1, 0 // the root label's length octet; the current label's octets
	lastDot := false
	endLabel := func() error {
		switch {
		case label == 0:
			return errors.New("empty label")
		case label > 63:
			return fmt.Errorf("label of %d octets, the limit is 63", label)
		}
		wire += 1 + label
		label = 0
		return nil
	}
	for i := 0; i < len(s); i++ {
		lastDot = s[i] == '.'
		switch s[i] {
		case '.':
			if err := endLabel(); err != nil {
				return err
			}
			continue
		case '\\':
			switch {
			case i+3 < len(s) && isDigits(s[i+1:i+4]):
				i += 3
			case i+1 < len(s):
				i++
			default:
				return errors.New("ends in a lone backslash")
			}
		}
		label++
	}
	if !lastDot {
		if err := endLabel(); err != nil {
			return err
		}
	}
	if wire > 255 {
		return fmt.Errorf("%d octets on the wire, the limit is 255", wire)
	}
	return nil
}

// isDigits reports whether s is all ASCII digits.
func isDigits(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}
