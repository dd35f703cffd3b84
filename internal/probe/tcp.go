package probe

import (
	"context"
	"net"
	"time"
)

// checker runs a probe once. ctx carries the probe's timeout. Flows report
// each step to observe as it finishes; other kinds have no steps and ignore it.
type checker interface {
	check(ctx context.Context, observe stepObserver) error
}

// stepObserver receives the outcome of one flow step.
type stepObserver func(step string, took time.Duration, err error)

// tcpCheck succeeds when a TCP connection to address opens.
type tcpCheck struct {
	address string
}

func (c *tcpCheck) check(ctx context.Context, _ stepObserver) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.address)
	if err != nil {
		return err
	}
	// The connection has proven the target is reachable; an error closing it
	// says nothing more about the target.
	_ = conn.Close()
	return nil
}
