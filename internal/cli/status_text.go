package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
)

// painter colours words for a terminal, or leaves them plain. Health is
// always spelled out, so the colour only repeats what the text says.
type painter struct{ color bool }

// ANSI SGR codes.
const (
	sgrRed    = "1;31"
	sgrYellow = "33"
	sgrGreen  = "32"
	sgrDim    = "2"
	sgrBold   = "1"
)

func (p painter) paint(code, s string) string {
	if !p.color || code == "" || s == "" {
		return s
	}
	return "\x1b[" + code + "m" + s + "\x1b[0m"
}

func healthColor(h cxv1alpha1.Health) string {
	switch h {
	case cxv1alpha1.HealthCritical:
		return sgrRed
	case cxv1alpha1.HealthDegraded:
		return sgrYellow
	case cxv1alpha1.HealthHealthy:
		return sgrGreen
	}
	return sgrDim
}

func (p painter) health(h cxv1alpha1.Health) string {
	return p.paint(healthColor(h), string(h))
}

// treeText writes the journey as a tree: the map's roll-up, the persona,
// then each stage in spec order with its touchpoints and what their
// monitors report.
func treeText(v journeyView, p painter) string {
	var b strings.Builder
	head := []string{p.health(v.Health)}
	if v.Score != nil {
		head = append(head, fmt.Sprintf("score %d", *v.Score))
	}
	if v.SuccessRatio != "" {
		head = append(head, "success "+successPercent(v.SuccessRatio))
	}
	head = append(head, fmt.Sprintf("%d/%d touchpoints monitored", v.Monitored, v.Touchpoints), alerts(v.FiringAlerts))
	fmt.Fprintf(&b, "%s %s/%s: %s\n", p.paint(sgrBold, "JourneyMap"), v.Namespace, v.Name, strings.Join(head, ", "))
	if v.Goal != "" {
		fmt.Fprintf(&b, "  goal: %s\n", clean(v.Goal))
	}
	if v.NotReady != "" {
		fmt.Fprintf(&b, "  not ready: %s\n", clean(v.NotReady))
	}

	persona := v.Persona
	fmt.Fprintf(&b, "%s %s", p.paint(sgrBold, "Persona"), persona.Name)
	switch {
	case !persona.Found:
		fmt.Fprintf(&b, ": %s\n", p.paint(sgrYellow, "not found: the map's personaRef names no Persona in "+v.Namespace))
	default:
		if persona.DisplayName != "" {
			fmt.Fprintf(&b, " %s", strconv.Quote(persona.DisplayName))
		}
		fmt.Fprintf(&b, ": %s", p.health(persona.Health))
		if persona.ExperienceScore != nil {
			fmt.Fprintf(&b, ", experience score %d", *persona.ExperienceScore)
		}
		b.WriteString("\n")
		if persona.NotReady != "" {
			fmt.Fprintf(&b, "  not ready: %s\n", clean(persona.NotReady))
		}
	}

	for i, s := range v.Stages {
		lastStage := i == len(v.Stages)-1
		branch, indent := "├─ ", "│  "
		if lastStage {
			branch, indent = "└─ ", "   "
		}
		b.WriteString(branch + stageLine(s, p) + "\n")
		for j, t := range s.Touchpoints {
			tBranch, tIndent := "├─ ", "│  "
			if j == len(s.Touchpoints)-1 {
				tBranch, tIndent = "└─ ", "   "
			}
			b.WriteString(indent + tBranch + touchpointLine(t, p) + "\n")
			for _, d := range touchpointDetails(t, p) {
				b.WriteString(indent + tIndent + "   " + d + "\n")
			}
		}
	}

	if len(v.Strays) > 0 {
		b.WriteString("Monitors naming a touchpoint the map lacks:\n")
		for _, s := range v.Strays {
			fmt.Fprintf(&b, "  monitor %s: touchpoint %q is not in the map\n", s.Monitor, s.Touchpoint)
		}
	}
	return b.String()
}

func stageLine(s stageView, p painter) string {
	var parts []string
	if s.Monitored == 0 {
		parts = append(parts, p.health(s.Health)+", unobserved: no monitored touchpoint")
	} else {
		parts = append(parts, p.health(s.Health))
		if s.Score != nil {
			parts = append(parts, fmt.Sprintf("score %d", *s.Score))
		}
		parts = append(parts, fmt.Sprintf("%d/%d monitored", s.Monitored, len(s.Touchpoints)))
	}
	if s.FiringAlerts > 0 {
		parts = append(parts, alerts(s.FiringAlerts))
	}
	if s.Weakest {
		parts = append(parts, p.paint(sgrBold, "weakest stage"))
	}
	return named(s.Name, s.DisplayName) + ": " + strings.Join(parts, ", ")
}

func touchpointLine(t touchpointView, p painter) string {
	tags := string(t.Criticality)
	if t.MomentOfTruth {
		tags += ", moment of truth"
	}
	line := named(t.Name, t.DisplayName) + " [" + tags + "]: "
	switch {
	case t.Monitor == "" && t.MomentOfTruth:
		return line + p.paint(sgrYellow, "unmonitored moment of truth")
	case t.Monitor == "":
		return line + p.paint(sgrDim, "unmonitored")
	}
	return line + p.health(t.Health) + " (monitor " + t.Monitor + ")"
}

// touchpointDetails are the lines under a monitored touchpoint: its
// numbers against the objective, its firing alerts, and why it is not
// Ready or has no data.
func touchpointDetails(t touchpointView, p painter) []string {
	var lines []string
	if t.Monitor != "" {
		var nums []string
		sli := cxv1alpha1.SLIStatus{}
		if t.SLI != nil {
			sli = *t.SLI
		}
		availability := "availability " + orNoData(sli.Availability, "%")
		switch {
		case t.Objective != "":
			availability += " (objective " + t.Objective + "%)"
		case t.ObjectiveError != "":
			availability += " (" + clean(t.ObjectiveError) + ")"
		}
		nums = append(nums, availability)
		if sli.AvailabilityLastHour != "" {
			nums = append(nums, "last hour "+sli.AvailabilityLastHour+"%")
		}
		nums = append(nums, "budget left "+orNoData(sli.ErrorBudgetRemaining, "%"))
		if sli.BurnRate != "" {
			nums = append(nums, "burn rate "+sli.BurnRate)
		}
		if sli.Latency != "" || t.LatencyObjective != "" {
			latency := "latency " + orNoData(sli.Latency, "")
			if t.LatencyObjective != "" {
				latency += " (objective " + t.LatencyObjective + ")"
			}
			nums = append(nums, latency)
		}
		lines = append(lines, strings.Join(nums, ", "))
	}
	for _, a := range t.Alerts {
		line := "alert " + clean(a.Name) + " " + p.paint(severityColor(a.Severity), clean(a.Severity))
		if a.Since != nil {
			line += " since " + a.Since.UTC().Format(time.RFC3339)
		}
		lines = append(lines, line)
	}
	if t.NotReady != "" {
		lines = append(lines, p.paint(sgrYellow, "not ready: ")+clean(t.NotReady))
	}
	if t.NoTelemetry != "" {
		lines = append(lines, "no telemetry: "+clean(t.NoTelemetry))
	}
	for _, o := range t.OtherMonitors {
		lines = append(lines, "monitor "+o+" names it too, not in charge: the oldest monitor of a touchpoint is")
	}
	return lines
}

func severityColor(severity string) string {
	if severity == "critical" || severity == "page" {
		return sgrRed
	}
	return sgrYellow
}

// named is a stage or touchpoint's name and, when it has one, its display
// name quoted (which also escapes any control character in it).
func named(name, displayName string) string {
	if displayName == "" {
		return name
	}
	return name + " " + strconv.Quote(displayName)
}

func orNoData(value, unit string) string {
	if value == "" {
		return "no data"
	}
	return value + unit
}

func alerts(n int32) string {
	if n == 1 {
		return "1 alert firing"
	}
	return fmt.Sprintf("%d alerts firing", n)
}

// successPercent prints the journey success ratio ("0.9731") in percent
// ("97.31%"); text that is not a number is shown as it is.
func successPercent(ratio string) string {
	v, err := strconv.ParseFloat(ratio, 64)
	if err != nil {
		return clean(ratio)
	}
	return strconv.FormatFloat(v*100, 'f', 2, 64) + "%"
}

// clean replaces control characters, which could move the cursor or
// recolour the terminal, in text the cluster's users wrote.
func clean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
}
