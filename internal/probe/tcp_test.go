package probe

import (
	"net"
	"testing"

	"github.com/journeymap/journey-operator/internal/probeconfig"
)

func TestTCPProbe(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = ln.Close() }() // stops the accept loop; nothing else rides on it
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			_ = c.Close() // the test needs connections accepted, nothing more
		}
	}()
	t.Run("open port", func(t *testing.T) {
		r, err := runOnce(t, probeconfig.Probe{TCP: &probeconfig.TCPCheck{Address: ln.Addr().String()}})
		wantReason(t, r, err, ReasonOK)
	})
	t.Run("connection refused", func(t *testing.T) {
		r, err := runOnce(t, probeconfig.Probe{TCP: &probeconfig.TCPCheck{Address: closedPort(t)}})
		wantReason(t, r, err, ReasonConnect)
	})
}
