package probeconfig

import (
	"strings"
	"testing"

	"github.com/journeymap/journey-operator/internal/schedule"
)

// TestMaintenanceWindowsCompile checks that a collector file's windows are
// compiled with the probe, and that a window the collector could not read
// (a time zone its database lacks) fails validation naming the probe.
func TestMaintenanceWindowsCompile(t *testing.T) {
	p := httpTo("https://shop.example.com/")
	p.Maintenance = []schedule.Spec{{Name: "nightly", Start: "02:00", Duration: "1h", TimeZone: "Europe/Berlin"}}
	compiled, err := Compile(&Config{Probes: []Probe{p}})
	if err != nil || len(compiled[0].Maintenance) != 1 {
		t.Fatalf("a valid window: %v, %d compiled", err, len(compiled))
	}
	p.Maintenance[0].TimeZone = "Mars/Olympus_Mons"
	err = (&Config{Probes: []Probe{p}}).Validate()
	if err == nil || !strings.Contains(err.Error(), `maintenance: window nightly: unknown time zone "Mars/Olympus_Mons"`) {
		t.Fatalf("an unknown time zone: %v", err)
	}
}
