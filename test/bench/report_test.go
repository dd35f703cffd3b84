package main

import (
	"strings"
	"testing"
)

func TestSpliceReportKeepsTheNotesAroundTheTable(t *testing.T) {
	doc := "# Scale benchmark\n\nintro\n\n" + beginMarker + "\nold table\n" + endMarker + "\n\n## Tuning\n\nnotes\n"
	got := spliceReport(doc, "new table\n")
	want := "# Scale benchmark\n\nintro\n\n" + beginMarker + "\nnew table\n" + endMarker + "\n\n## Tuning\n\nnotes\n"
	if got != want {
		t.Fatalf("spliceReport:\n%s\nwant:\n%s", got, want)
	}
}

func TestSpliceReportStartsADocumentWithoutMarkers(t *testing.T) {
	got := spliceReport("", "table\n")
	if !strings.HasPrefix(got, "# Scale benchmark\n") || !strings.Contains(got, beginMarker+"\ntable\n"+endMarker) {
		t.Fatalf("spliceReport of an empty document:\n%s", got)
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
