// Package dashboard builds the Grafana dashboard of a journey map with the
// Grafana Foundation SDK: a pure function, map and bound monitors in and
// dashboard JSON out, golden-tested like the other children. Every query
// reads the operator's recording rules by the names in internal/series, so
// the dashboard, the alerts and the status agree on what they show.
package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/common"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
	"github.com/grafana/grafana-foundation-sdk/go/prometheus"
	"github.com/grafana/grafana-foundation-sdk/go/stat"
	"github.com/grafana/grafana-foundation-sdk/go/table"
	"github.com/grafana/grafana-foundation-sdk/go/text"
	"github.com/grafana/grafana-foundation-sdk/go/timeseries"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/series"
)

// Names of the dashboard's template variables. Queries refer to them as
// $name; the test that runs every query expands them the way Grafana does.
const (
	DatasourceVariable = "datasource"
	NamespaceVariable  = "namespace"
	JourneyVariable    = "journey"
	PersonaVariable    = "persona"
)

// alertsSeries is Prometheus' own series of pending and firing alerts.
const alertsSeries = "ALERTS"

// burnRateWindow is the window of the burn rate a touchpoint panel shows:
// every touchpoint records it whatever its objective window
// (journey.WindowsFor), and it is the long window of the fastest page tier
// of the reference objective.
const burnRateWindow = "1h"

// Grafana's grid is 24 units wide; a touchpoint panel takes a third of it.
const (
	touchpointWidth = 8
	panelHeight     = 6
)

// Build returns the dashboard of a journey map as JSON. bindings are the
// map's bound monitors (journey.TouchpointBinding); touchpoints without one
// get a panel that says so and runs no query. The output depends only on
// its input: the UID comes from the map's namespace and name, panels follow
// the spec's order, and JSON objects are written with sorted keys. It is
// compact: the largest map the API admits (192 touchpoints) takes 471 KiB
// of the 1 MiB a ConfigMap holds (TestLargestMapFitsAConfigMap), half as
// much again indented.
func Build(m *cxv1alpha1.JourneyMap, bindings []journey.TouchpointBinding) ([]byte, error) {
	dash := dashboard.NewDashboardBuilder(title(m)) //nolint:staticcheck // v1 on purpose, see classicModel
	dash.Uid(UID(m.Namespace, m.Name)).
		Description(m.Spec.Goal).
		Tags([]string{"journey-operator", "journey"}).
		Editable().
		Tooltip(dashboard.DashboardCursorSyncCrosshair).
		Time("now-6h", "now").
		Timezone(common.TimeZoneBrowser).
		Refresh("1m")
	b := &builder{dash: dash}
	b.variables(m)
	b.journeyRow()
	monitored := map[string]journey.TouchpointBinding{}
	for _, binding := range bindings {
		monitored[binding.Touchpoint.Name] = binding
	}
	for i := range m.Spec.Stages {
		if err := b.stageRow(i, &m.Spec.Stages[i], monitored); err != nil {
			return nil, err
		}
	}
	built, err := b.dash.Build()
	if err != nil {
		return nil, fmt.Errorf("building the dashboard of journey %s/%s: %w", m.Namespace, m.Name, err)
	}
	return json.Marshal(built)
}

// UID is the dashboard's Grafana UID: stable for a map, unique across
// namespaces, and within Grafana's 40 characters whatever the name's
// length.
func UID(namespace, name string) string {
	sum := sha256.Sum256([]byte(namespace + "/" + name))
	return "journey-" + hex.EncodeToString(sum[:16])
}

func title(m *cxv1alpha1.JourneyMap) string {
	return fmt.Sprintf("Journey %s/%s", m.Namespace, m.Name)
}

// classicModel: the dashboard is Grafana's classic JSON model (the SDK's
// dashboard package, deprecated there in favour of dashboardv2), because
// that is what the Grafana sidecar and file provisioning load; the v2
// model needs Grafana 12 with its feature flags turned on.
type builder struct {
	dash *dashboard.DashboardBuilder //nolint:staticcheck // v1 on purpose, see classicModel
	// id numbers the panels in the order they are added, so that the same
	// map always gets the same ids.
	id uint32
}

func (b *builder) nextID() uint32 {
	b.id++
	return b.id
}

// variables are the datasource, so that the dashboard works with whatever
// Prometheus data source a Grafana has, and the map's namespace, journey
// and persona, which every query selects by: the queries read as the
// journey's, and the header shows whose journey it is.
func (b *builder) variables(m *cxv1alpha1.JourneyMap) {
	b.dash.WithVariable(dashboard.NewDatasourceVariableBuilder(DatasourceVariable).
		Label("Data source").
		Type("prometheus"))
	b.dash.WithVariable(dashboard.NewConstantVariableBuilder(NamespaceVariable).
		Value(dashboard.StringOrMap{String: cog.ToPtr(m.Namespace)}))
	b.dash.WithVariable(singleValue(JourneyVariable, "Journey", m.Name))
	b.dash.WithVariable(singleValue(PersonaVariable, "Persona", m.Spec.PersonaRef.Name))
}

// singleValue is a custom variable with one option: the dashboard is one
// map's, whose stages its rows lay out, so there is nothing to switch to.
func singleValue(name, label, value string) *dashboard.CustomVariableBuilder {
	option := dashboard.VariableOption{
		Selected: cog.ToPtr(true),
		Text:     dashboard.StringOrArrayOfString{String: cog.ToPtr(value)},
		Value:    dashboard.StringOrArrayOfString{String: cog.ToPtr(value)},
	}
	return dashboard.NewCustomVariableBuilder(name).
		Label(label).
		Values(dashboard.StringOrMap{String: cog.ToPtr(value)}).
		Current(option).
		Options([]dashboard.VariableOption{option})
}

// selector matches the journey's recorded series through the variables.
var selector = fmt.Sprintf(`namespace="$%s", journey="$%s", persona="$%s"`, NamespaceVariable, JourneyVariable, PersonaVariable)

// journeyRow shows the journey as a whole: how many customers get through
// it now and over time, stage by stage, and what alerts fire.
func (b *builder) journeyRow() {
	b.dash.WithRow(dashboard.NewRowBuilder("Journey").Id(b.nextID()))
	b.dash.WithPanel(b.successPanel("journey",
		"Product of the success ratios of the journey's critical touchpoints (all monitored touchpoints when none is critical) over 5 minutes: the chance a customer gets through.",
		fmt.Sprintf("%s{%s}", series.JourneySuccess, selector)).Span(6))
	b.dash.WithPanel(timeseries.NewPanelBuilder().
		Id(b.nextID()).
		Title("Journey and stage success over time").
		Description("The journey's success ratio and each monitored stage's, over 5 minutes.").
		Datasource(datasourceRef()).
		Unit("percentunit").Min(0).Max(1).
		Height(panelHeight).Span(10).
		WithTarget(query("A", fmt.Sprintf("%s{%s}", series.JourneySuccess, selector), "journey")).
		WithTarget(query("B", fmt.Sprintf("%s{%s}", series.StageSuccess, selector), "stage {{stage}}")))
	// Alerts are selected by namespace and journey only: every alert of the
	// journey carries both, and an alert that names no persona still
	// belongs on the journey's page.
	b.dash.WithPanel(table.NewPanelBuilder().
		Id(b.nextID()).
		Title("Firing alerts").
		Description("The journey's alerts that fire now; empty while customers get through.").
		Datasource(datasourceRef()).
		Height(panelHeight).Span(8).
		NoValue("No alert fires").
		WithTarget(query("A", fmt.Sprintf(`%s{namespace="$%s", journey="$%s", alertstate="firing"}`, alertsSeries, NamespaceVariable, JourneyVariable), "").
			Instant().Format(prometheus.PromQueryFormatTable)))
}

// stageRow is a row per stage with a panel per touchpoint, in the map's
// order, led by the stage's success ratio where a monitor observes the
// stage (an unobserved stage has none).
func (b *builder) stageRow(index int, stage *cxv1alpha1.Stage, monitored map[string]journey.TouchpointBinding) error {
	b.dash.WithRow(dashboard.NewRowBuilder(fmt.Sprintf("Stage %d: %s", index+1, displayOr(stage.DisplayName, stage.Name))).Id(b.nextID()))
	if observed(stage, monitored) {
		b.dash.WithPanel(b.successPanel("stage",
			"Product of the success ratios of the stage's monitored touchpoints over 5 minutes.",
			fmt.Sprintf("%s{%s, stage=%q}", series.StageSuccess, selector, stage.Name)))
	}
	for i := range stage.Touchpoints {
		tp := &stage.Touchpoints[i]
		binding, ok := monitored[tp.Name]
		if !ok {
			b.dash.WithPanel(text.NewPanelBuilder().
				Id(b.nextID()).
				Title(displayOr(tp.DisplayName, tp.Name)).
				Mode(text.TextModeMarkdown).
				// The content is ours; the touchpoint's text stays in the title.
				Content("Not monitored: no TouchpointMonitor binds this touchpoint, so nobody sees whether customers get through it.").
				Height(panelHeight).Span(touchpointWidth))
			continue
		}
		panel, err := b.touchpointPanel(binding)
		if err != nil {
			return err
		}
		b.dash.WithPanel(panel)
	}
	return nil
}

// successPanel shows a success ratio, of the journey or of a stage, now
// and as a sparkline. It is not coloured: the ratio has no objective of its
// own to judge it by.
func (b *builder) successPanel(of, description, expr string) *stat.PanelBuilder {
	return stat.NewPanelBuilder().
		Id(b.nextID()).
		Title("Customers who get through the " + of).
		Description(description).
		Datasource(datasourceRef()).
		Unit("percentunit").Decimals(2).Min(0).Max(1).
		GraphMode(common.BigValueGraphModeArea).
		ColorMode(common.BigValueColorModeNone).
		ReduceOptions(lastValue()).
		Orientation(common.VizOrientationAuto).
		Height(panelHeight).Span(touchpointWidth).
		WithTarget(query("A", expr, of))
}

// observed says whether a monitor observes one of the stage's touchpoints.
func observed(stage *cxv1alpha1.Stage, monitored map[string]journey.TouchpointBinding) bool {
	for _, tp := range stage.Touchpoints {
		if _, ok := monitored[tp.Name]; ok {
			return true
		}
	}
	return false
}

// touchpointPanel shows one monitored touchpoint: availability over its
// objective window against the objective, error budget left, burn rate
// over the last hour and, with a latency objective, latency at its
// percentile against the threshold; each value coloured by its own
// thresholds. A touchpoint with a probe and a metric SLI shows its worse
// SLI, as the roll-up counts it.
func (b *builder) touchpointPanel(binding journey.TouchpointBinding) (*stat.PanelBuilder, error) {
	availability, err := binding.Availability()
	if err != nil {
		return nil, fmt.Errorf("touchpoint %s: %w", binding.Touchpoint.Name, err)
	}
	budget := 1 - availability
	window := journey.ObjectiveWindow(binding.Monitor)
	sel := fmt.Sprintf("{%s, touchpoint=%q}", selector, binding.Touchpoint.Name)
	errorsOver := func(w string) string { return fmt.Sprintf("max(%s%s%s)", series.TouchpointErrors, w, sel) }
	description := fmt.Sprintf("Objective: %s%% of attempts succeed over %s (error budget %s%%). Burn rate 1 spends the budget exactly over the window; %s pages.",
		formatFloat(availability*100), window, formatFloat(budget*100), formatFloat(journey.PageBurnRate))

	panel := stat.NewPanelBuilder().
		Id(b.nextID()).
		Title(displayOr(binding.Touchpoint.DisplayName, binding.Touchpoint.Name)).
		Datasource(datasourceRef()).
		GraphMode(common.BigValueGraphModeArea).
		ColorMode(common.BigValueColorModeValue).
		ReduceOptions(lastValue()).
		Orientation(common.VizOrientationAuto).
		Height(panelHeight).Span(touchpointWidth).
		WithTarget(query("A", fmt.Sprintf("1 - %s", errorsOver(window)), "availability "+window)).
		OverrideByQuery("A", fieldConfig("percentunit", steps("red", step{availability, "green"}))).
		WithTarget(query("B", fmt.Sprintf("1 - %s / %s", errorsOver(window), formatFloat(budget)), "budget left")).
		OverrideByQuery("B", fieldConfig("percentunit", steps("red", step{0, "green"}))).
		WithTarget(query("C", fmt.Sprintf("%s / %s", errorsOver(burnRateWindow), formatFloat(budget)), "burn rate "+burnRateWindow)).
		OverrideByQuery("C", fieldConfig("none", steps("green", step{1, "orange"}, step{journey.PageBurnRate, "red"})))
	if latency := binding.Latency(); latency != nil {
		threshold := latency.Threshold.Seconds()
		panel.WithTarget(query("D", fmt.Sprintf("max(%s%s)", series.TouchpointLatency, sel), "p"+latency.Percent+" latency")).
			OverrideByQuery("D", fieldConfig("s", steps("green", step{threshold, "red"})))
		description += fmt.Sprintf(" Latency: %s%% of probe runs within %s.", latency.Percent, latency.Threshold.Duration)
	}
	return panel.Description(description), nil
}

// lastValue makes a stat panel show the latest value of each query, as
// the status does, with the sparkline behind it for the trend.
func lastValue() *common.ReduceDataOptionsBuilder {
	return common.NewReduceDataOptionsBuilder().Calcs([]string{"lastNotNull"})
}

// query is a PromQL target on the dashboard's data source.
func query(refID, expr, legend string) *prometheus.DataqueryBuilder {
	q := prometheus.NewDataqueryBuilder().
		RefId(refID).
		Datasource(datasourceRef()).
		EditorMode(prometheus.QueryEditorModeCode).
		Expr(expr)
	if legend != "" {
		q.LegendFormat(legend)
	}
	return q
}

func datasourceRef() common.DataSourceRef {
	return common.DataSourceRef{Type: cog.ToPtr("prometheus"), Uid: cog.ToPtr("${" + DatasourceVariable + "}")}
}

// fieldConfig sets the unit and thresholds of one query's values.
func fieldConfig(unit string, thresholds dashboard.ThresholdsConfig) []dashboard.DynamicConfigValue {
	return []dashboard.DynamicConfigValue{
		{Id: "unit", Value: unit},
		{Id: "thresholds", Value: thresholds},
	}
}

// step is a colour from a value up.
type step struct {
	from  float64
	color string
}

// steps builds absolute thresholds from a base colour and the steps above
// it, as Grafana lists them.
func steps(base string, above ...step) dashboard.ThresholdsConfig {
	list := []dashboard.Threshold{{Color: base}}
	for _, s := range above {
		list = append(list, dashboard.Threshold{Value: cog.ToPtr(s.from), Color: s.color})
	}
	return dashboard.ThresholdsConfig{Mode: dashboard.ThresholdsModeAbsolute, Steps: list}
}

// formatFloat prints an objective without float noise (0.005, not
// 0.0050000000000000044), so the JSON is stable and the queries readable.
func formatFloat(v float64) string {
	return strconv.FormatFloat(v, 'g', 6, 64)
}

func displayOr(display, name string) string {
	if display != "" {
		return display
	}
	return name
}
