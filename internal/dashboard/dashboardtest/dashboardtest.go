// Package dashboardtest reads the queries out of dashboard JSON and expands
// them the way Grafana does before it sends them to Prometheus, so that
// tests can run every query of every panel against a real Prometheus.
package dashboardtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// Target is one query of one panel.
type Target struct {
	// Panel is the panel's title, to say which one failed.
	Panel string
	// PanelType is the panel's plugin, e.g. "stat".
	PanelType string
	RefID     string
	Expr      string
	// Instant is set for queries Grafana runs as instant queries only.
	Instant bool
}

// Dashboard is what the tests read of the JSON: the panels (rows nest
// theirs when collapsed) and the variables' current values.
type Dashboard struct {
	UID        string  `json:"uid"`
	Title      string  `json:"title"`
	Panels     []panel `json:"panels"`
	Templating struct {
		List []struct {
			Name    string `json:"name"`
			Type    string `json:"type"`
			Query   any    `json:"query"`
			Current struct {
				Value any `json:"value"`
			} `json:"current"`
		} `json:"list"`
	} `json:"templating"`
}

type panel struct {
	ID      int     `json:"id"`
	Type    string  `json:"type"`
	Title   string  `json:"title"`
	Panels  []panel `json:"panels"`
	Targets []struct {
		RefID   string `json:"refId"`
		Expr    string `json:"expr"`
		Instant bool   `json:"instant"`
		Range   bool   `json:"range"`
	} `json:"targets"`
}

// Parse reads dashboard JSON.
func Parse(data []byte) (*Dashboard, error) {
	d := &Dashboard{}
	if err := json.Unmarshal(data, d); err != nil {
		return nil, fmt.Errorf("dashboard JSON: %w", err)
	}
	return d, nil
}

// Targets are the queries of every panel, rows' panels included, in the
// dashboard's order.
func (d *Dashboard) Targets() []Target {
	var out []Target
	var walk func([]panel)
	walk = func(panels []panel) {
		for _, p := range panels {
			for _, t := range p.Targets {
				out = append(out, Target{Panel: p.Title, PanelType: p.Type, RefID: t.RefID, Expr: t.Expr, Instant: t.Instant && !t.Range})
			}
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

// Variables are the current values of the dashboard's variables (a
// constant's value is its query), as Grafana fills them in on load.
func (d *Dashboard) Variables() map[string]string {
	vars := map[string]string{}
	for _, v := range d.Templating.List {
		value := v.Current.Value
		if v.Type == "constant" {
			value = v.Query
		}
		if s, ok := value.(string); ok {
			vars[v.Name] = s
		}
	}
	return vars
}

// Grafana's variable syntaxes: $name, ${name}, ${name:format} and
// [[name]].
var variableRef = regexp.MustCompile(`\$\{([A-Za-z0-9_]+)(?::[^}]*)?\}|\[\[([A-Za-z0-9_]+)\]\]|\$([A-Za-z0-9_]+)`)

// Expand replaces the variables of expr by their values, and Grafana's
// built-in interval and range variables by what Grafana would send for a
// query over rangeLength at step: $__interval is the step,
// $__rate_interval the larger of four scrape intervals and step plus a
// scrape interval. A variable it does not know is an error, where Grafana
// would send the text as it is and Prometheus would fail on it.
func Expand(expr string, vars map[string]string, rangeLength, step, scrape time.Duration) (string, error) {
	builtins := map[string]string{
		"__interval":      promDuration(step),
		"__interval_ms":   strconv.FormatInt(step.Milliseconds(), 10),
		"__rate_interval": promDuration(max(4*scrape, step+scrape)),
		"__range":         promDuration(rangeLength),
		"__range_s":       strconv.FormatInt(int64(rangeLength.Seconds()), 10),
		"__range_ms":      strconv.FormatInt(rangeLength.Milliseconds(), 10),
	}
	var unknown []string
	expanded := variableRef.ReplaceAllStringFunc(expr, func(ref string) string {
		m := variableRef.FindStringSubmatch(ref)
		name := m[1] + m[2] + m[3]
		if v, ok := vars[name]; ok {
			return v
		}
		if v, ok := builtins[name]; ok {
			return v
		}
		unknown = append(unknown, name)
		return ref
	})
	if len(unknown) > 0 {
		return "", fmt.Errorf("query %s: unknown variables %s", expr, strings.Join(unknown, ", "))
	}
	return expanded, nil
}

// promDuration writes a duration in whole seconds, as Grafana does.
func promDuration(d time.Duration) string {
	return strconv.FormatInt(int64(d.Round(time.Second).Seconds()), 10) + "s"
}
