package probeconfig

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"slices"
	"strconv"
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
	if err := checkDomainName(d.Name, false); err != nil {
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
// prints records in, so comparison is plain string equality, and rejects
// what can never equal a record of the type.
func normalizeExpected(recordType, e string) (string, error) {
	switch recordType {
	case "A", "AAAA":
		return normalizeAddress(recordType, e)
	case "MX":
		return normalizeMX(e)
	case "CNAME", "NS":
		return normalizeHost(e)
	default: // TXT: the strings of a record, joined, as records print them
		return e, checkTXT(e)
	}
}

// normalizeAddress requires an address of the record's family, written as
// the collector prints record addresses.
func normalizeAddress(recordType, e string) (string, error) {
	family := func(is4 bool) string {
		if is4 {
			return "IPv4"
		}
		return "IPv6"
	}
	want4 := recordType == "A"
	ip, err := netip.ParseAddr(e)
	switch {
	case err != nil:
		return "", fmt.Errorf("not an %s address, which %s records hold", family(want4), recordType)
	case ip.Zone() != "":
		return "", fmt.Errorf("a zone (%%%s) is no part of an address in DNS; remove it", ip.Zone())
	case !want4 && ip.Is4In6():
		// The collector prints a mapped AAAA record as plain IPv4.
		return "", fmt.Errorf("an IPv4-mapped address never equals a record as the collector prints it; use recordType A and %s", ip.Unmap())
	case ip.Is4() != want4:
		other := map[string]string{"A": "AAAA", "AAAA": "A"}[recordType]
		return "", fmt.Errorf("an %s address, but %s records hold %s addresses; use recordType %s or an %s address",
			family(ip.Is4()), recordType, family(want4), other, family(want4))
	}
	return ip.String(), nil
}

// normalizeMX accepts "preference host", compared with the whole record, or
// "host", compared with the record's host alone.
func normalizeMX(e string) (string, error) {
	fields := strings.Fields(e)
	switch len(fields) {
	case 1:
		return normalizeHost(fields[0])
	case 2:
		pref, err := strconv.ParseUint(fields[0], 10, 16)
		if err != nil {
			return "", fmt.Errorf("preference %q is not a number from 0 to 65535", fields[0])
		}
		host, err := normalizeHost(fields[1])
		return strconv.FormatUint(pref, 10) + " " + host, err
	default:
		return "", errors.New(`want "preference host" or "host", such as "10 mail.example.com"`)
	}
}

// normalizeHost requires a domain name as records print it.
func normalizeHost(e string) (string, error) {
	if err := checkDomainName(e, true); err != nil {
		return "", fmt.Errorf("not a domain name: %w", err)
	}
	return NormalizeDNSName(e), nil
}

// checkTXT requires a text as the collector prints TXT records, in which a
// backslash starts an escape, so that it can equal one.
func checkTXT(e string) error {
	for i := 0; i < len(e); i++ {
		if e[i] == '\\' {
			n, err := escapeLen(e, i)
			if err != nil {
				return err
			}
			i += n - 1
			continue
		}
		if esc, ok := escapedForm(e[i], `"`); ok {
			return fmt.Errorf("%s at %d is printed as %s in TXT records; write it that way", describeByte(e[i]), i, esc)
		}
	}
	return nil
}

// NormalizeDNSName makes names comparable: DNS names are case-insensitive
// and users write them without the root dot.
func NormalizeDNSName(s string) string {
	return strings.ToLower(strings.TrimSuffix(s, "."))
}

// checkDomainName says why s cannot be a domain name in presentation
// format: an empty label, a label longer than 63 octets, a name longer than
// 255 octets on the wire, or a cut-short escape (\X, \DDD). The root, ".",
// is a name; the final root dot is optional. When printed is set, s must
// also be able to equal a name as the collector prints it, where special
// characters and bytes outside printable ASCII are always escaped.
func checkDomainName(s string, printed bool) error {
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
			n, err := escapeLen(s, i)
			if err != nil {
				return err
			}
			i += n - 1
		default:
			// The specials are those miekg/dns escapes in names.
			if esc, ok := escapedForm(s[i], ` '@;()"`); ok && printed {
				return fmt.Errorf("%s at %d is printed as %s in record names; write it that way", describeByte(s[i]), i, esc)
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

// escapeLen is the length of the escape that starts at the backslash s[i]:
// a byte in decimal (\DDD) or one character taken literally (\X).
func escapeLen(s string, i int) (int, error) {
	switch {
	case i+4 <= len(s) && isDigits(s[i+1:i+4]):
		return 4, nil
	case i+1 < len(s):
		return 2, nil
	}
	return 0, errors.New("ends in a lone backslash")
}

// escapedForm is how DNS presentation format, as miekg/dns prints records,
// always writes b if it never appears as itself: bytes outside printable
// ASCII as \DDD, and the given special characters behind a backslash.
func escapedForm(b byte, specials string) (string, bool) {
	switch {
	case b < ' ' || b > '~':
		return fmt.Sprintf(`\%03d`, b), true
	case strings.IndexByte(specials, b) >= 0:
		return `\` + string(b), true
	}
	return "", false
}

// describeByte names a byte in an error: printable ones quoted, others in hex.
func describeByte(b byte) string {
	if b >= ' ' && b <= '~' {
		return fmt.Sprintf("%q", rune(b))
	}
	return fmt.Sprintf("byte 0x%02x", b)
}

// isDigits reports whether s is all ASCII digits.
func isDigits(s string) bool {
	return !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}
