package main

import "testing"

// The demo reprints its table when a shown value changes, and only then:
// the AGE column ticks by itself and must not count as a change.
func TestWithoutAgeSeesEveryColumnButAge(t *testing.T) {
	table := func(availability, age string) string {
		return "NAME   HEALTH    AVAILABILITY   AGE\n" +
			"touchpointmonitor.cx.journeymap.dev/pricing-page   Critical   " + availability + "   " + age + "\n"
	}
	if withoutAge(table("99.98", "85s")) != withoutAge(table("99.98", "87s")) {
		t.Error("a table that differs only in AGE counts as changed")
	}
	if withoutAge(table("99.98", "85s")) == withoutAge(table("99.97", "85s")) {
		t.Error("a table whose availability moved counts as unchanged")
	}
}
