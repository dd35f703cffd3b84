package main

import (
	"strings"
	"testing"
)

func TestSpliceReportKeepsTheNotesAroundTheTable(t *testing.T) {
	doc := "# Scale benchmark\n\nintro\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\n## Tuning\n\nnotes\n"
	got := spliceReport(doc, mainSection, "new table\n")
	want := "# Scale benchmark\n\nintro\n\n" + beginMarker + "\nnew table\n" + endMarker + "\n\n## Tuning\n\nnotes\n"
	if got != want {
		t.Fatalf("spliceReport:\n%s\nwant:\n%s", got, want)
	}
}

func TestSpliceReportStartsADocumentWithoutMarkers(t *testing.T) {
	got := spliceReport("", mainSection, "table\n")
	if !strings.HasPrefix(got, "# Scale benchmark\n") || !strings.Contains(got, beginMarker+"\ntable\n"+endMarker) {
		t.Fatalf("spliceReport of an empty document:\n%s", got)
	}
}

func TestSpliceReportAppendsAMissingSectionAndKeepsTheOther(t *testing.T) {
	doc := "# Scale benchmark\n\n" + beginMarker + "\nmain table\n" + endMarker + "\n"
	got := spliceReport(doc, liveSection, "live table\n")
	want := doc + "\n" + liveSection.heading + "\n\n" + liveSection.begin + "\nlive table\n" + liveSection.end + "\n"
	if got != want {
		t.Fatalf("spliceReport of a new section:\n%s\nwant:\n%s", got, want)
	}
	if again := spliceReport(got, liveSection, "newer\n"); !strings.Contains(again, "main table") || strings.Contains(again, "live table") || !strings.Contains(again, "newer") {
		t.Fatalf("spliceReport of an existing section:\n%s", again)
	}
}

func TestParseFlagsRejectsAMalformedScale(t *testing.T) {
	if _, err := parseFlags([]string{"--scales=10x10,fifty"}); err == nil || !strings.Contains(err.Error(), `"fifty"`) {
		t.Fatalf("parseFlags(--scales=10x10,fifty) = %v, want an error naming the bad scale", err)
	}
	opts, err := parseFlags([]string{"--scales=2x3"})
	if err != nil || len(opts.scales) != 1 || opts.scales[0].monitors() != 6 {
		t.Fatalf("parseFlags(--scales=2x3) = %+v, %v", opts.scales, err)
	}
}
