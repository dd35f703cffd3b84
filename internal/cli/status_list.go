package cli

import (
	"cmp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// journeyRow is one journey of `kubectl journey status` without a NAME,
// and of its -o json list.
type journeyRow struct {
	journeySummary
	Persona  string `json:"persona"`
	Coverage string `json:"coverage,omitempty"`
}

// buildRows lists the maps sorted by namespace and name, from their status.
func buildRows(maps []*cxv1alpha1.JourneyMap) []journeyRow {
	rows := make([]journeyRow, 0, len(maps))
	for _, m := range maps {
		row := journeyRow{journeySummary: summarize(m), Persona: m.Spec.PersonaRef.Name}
		if m.Status.Coverage != nil {
			row.Coverage = m.Status.Coverage.Summary
		}
		rows = append(rows, row)
	}
	slices.SortFunc(rows, func(a, b journeyRow) int {
		return cmp.Or(cmp.Compare(a.Namespace, b.Namespace), cmp.Compare(a.Name, b.Name))
	})
	return rows
}

// cell is a table cell: its text and the colour to paint it in.
type cell struct{ text, color string }

// tableText writes the rows as kubectl-like columns; with allNamespaces a
// NAMESPACE column comes first. Columns are padded on the plain text, so
// that colour codes do not shift them.
func tableText(rows []journeyRow, allNamespaces bool, p painter) string {
	header := []string{"NAME", "PERSONA", "HEALTH", "SCORE", "COVERAGE", "WEAKEST STAGE", "ALERTS", "READY"}
	if allNamespaces {
		header = append([]string{"NAMESPACE"}, header...)
	}
	table := [][]cell{cells(header...)}
	for _, r := range rows {
		score, ready := "-", "True"
		if r.Score != nil {
			score = strconv.Itoa(int(*r.Score))
		}
		if r.NotReady != "" {
			ready = "False"
		}
		line := []cell{{text: r.Name}, {text: r.Persona}, {text: string(r.Health), color: healthColor(r.Health)},
			{text: score}, {text: dash(r.Coverage)}, {text: dash(r.WeakestStage)},
			{text: strconv.Itoa(int(r.FiringAlerts))}, {text: ready}}
		if allNamespaces {
			line = append([]cell{{text: r.Namespace}}, line...)
		}
		table = append(table, line)
	}
	widths := make([]int, len(header))
	for _, line := range table {
		for i, c := range line {
			widths[i] = max(widths[i], utf8.RuneCountInString(c.text))
		}
	}
	var b strings.Builder
	for _, line := range table {
		for i, c := range line {
			text := p.paint(c.color, clean(c.text))
			if i < len(line)-1 {
				text += strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c.text)+3)
			}
			b.WriteString(text)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func cells(texts ...string) []cell {
	out := make([]cell, len(texts))
	for i, t := range texts {
		out[i] = cell{text: t}
	}
	return out
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
