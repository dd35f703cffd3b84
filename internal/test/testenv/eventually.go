// Package testenv holds what the tests and the benchmark share beyond the
// control plane: polling until a condition holds, and a counter of the
// writes a client sends.
package testenv

import (
	"testing"
	"time"
)

// Eventually polls check until it returns nil and fails the test with the
// last error once timeout has passed. Deadlines are meant to be generous:
// these machines are small and busy, and tests assert outcomes, not speed.
func Eventually(t testing.TB, timeout time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("still not true after %s: %v", timeout, err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
