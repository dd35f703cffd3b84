package version

import "testing"

func TestStringPrefersTheStamp(t *testing.T) {
	old := Version
	t.Cleanup(func() { Version = old })

	Version = ""
	// A test binary records the main module as "(devel)" or without a
	// version; either way String must say something.
	if got := String(); got == "" {
		t.Error("String() is empty without a stamp")
	}
	Version = "v1.2.3-4-gabcdef0-dirty"
	if got := String(); got != Version {
		t.Errorf("String() = %q, want the stamped %q", got, Version)
	}
}
