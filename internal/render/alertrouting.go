package render

import (
	"cmp"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	monitoringv1alpha1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1alpha1"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client/apiutil"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/series"
)

// AlertmanagerConfigName is the one AlertmanagerConfig per namespace that
// routes the alerts of all journeys there.
const AlertmanagerConfigName = "journey-alerts"

// routeGroupBy makes one notification of what one team must act on in one
// journey at one severity: a touchpoint's page, the ticket alerts it did not
// inhibit, the collector outage. Alerts of a group that fire later join it
// in an update at the next group_interval, not in a notification of their
// own.
var routeGroupBy = []string{"namespace", "journey", "team", "severity"}

// RoutedJourney is a map of the namespace with its bound monitors.
type RoutedJourney struct {
	Map       *cxv1alpha1.JourneyMap
	Monitored []journey.TouchpointBinding
}

// Routing is how the journey alerts of one namespace reach people, in
// Alertmanager's terms: a route per team to the receiver the maps name, and
// the inhibition rules that leave one notification per incident. The
// AlertmanagerConfig and the plain Alertmanager block are both built from
// it.
type Routing struct {
	Namespace string
	// Routes are sorted by team, one per team.
	Routes []TeamRoute
	// Conflicts are routes a map asked for that another map, first by
	// name, had already routed elsewhere.
	Conflicts []RouteConflict
	// Inhibitions are the inhibition rules.
	Inhibitions []Inhibition
	// Maintenance says whether a touchpoint has maintenance windows: its
	// JourneyMaintenance alert only inhibits and is routed to
	// NullReceiver.
	Maintenance bool
}

// NullReceiver has no integrations: what is routed to it reaches no one.
const NullReceiver = "journey-null"

// TeamRoute sends a team's alerts to a receiver. Map is the map that named
// it, whose receiversFrom defines the receiver.
type TeamRoute struct {
	Team, Receiver, Map string
}

// RouteConflict is a team a map routes to Receiver while route, from
// another map, already sends it elsewhere: a team has one receiver per
// namespace.
type RouteConflict struct {
	Map, Receiver string
	Route         TeamRoute
}

// Inhibition is an inhibition rule: while an alert matching Source fires,
// alerts matching Target with the same values of Equal are not sent.
type Inhibition struct {
	Source, Target []monitoringv1alpha1.Matcher
	Equal          []string
}

// BuildRouting builds the routing of one namespace's journeys. Maps are
// taken in name order, which decides conflicts.
//
// Inhibition rules:
//   - a touchpoint's page alert inhibits its ticket alerts (slow burn,
//     latency, telemetry absent): the page already says the touchpoint
//     fails;
//   - a Critical touchpoint's page inhibits JourneyStageDegraded of its own
//     stage and every later stage of the journey: customers who cannot get
//     past a critical step cannot succeed further on, and the page names
//     the cause;
//   - JourneyCollectorDown inhibits the journey's TelemetryAbsent alerts of
//     probe SLIs: one collector outage, one notification.
func BuildRouting(namespace string, journeys []RoutedJourney) Routing {
	journeys = slices.Clone(journeys)
	slices.SortFunc(journeys, func(a, b RoutedJourney) int { return strings.Compare(a.Map.Name, b.Map.Name) })
	routing := Routing{Namespace: namespace}

	byTeam := map[string]TeamRoute{}
	for _, j := range journeys {
		if j.Map.Spec.Alerting == nil {
			continue
		}
		for _, r := range j.Map.Spec.Alerting.Receivers {
			taken, ok := byTeam[r.Team]
			switch {
			case !ok:
				byTeam[r.Team] = TeamRoute{Team: r.Team, Receiver: r.Receiver, Map: j.Map.Name}
			case taken.Receiver != r.Receiver:
				routing.Conflicts = append(routing.Conflicts, RouteConflict{Map: j.Map.Name, Receiver: r.Receiver, Route: taken})
			}
		}
	}
	for _, r := range byTeam {
		routing.Routes = append(routing.Routes, r)
	}
	slices.SortFunc(routing.Routes, func(a, b TeamRoute) int { return strings.Compare(a.Team, b.Team) })

	routing.Inhibitions = append(routing.Inhibitions, pageInhibitsTickets(namespace, journeys)...)
	collectorDown := false
	for _, j := range journeys {
		routing.Inhibitions = append(routing.Inhibitions, criticalPageInhibitsStages(namespace, j)...)
		collectorDown = collectorDown || probedCount(j.Monitored) > 0
	}
	routing.Maintenance = maintenance(journeys)
	if routing.Maintenance {
		inMaintenance := []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("alertname", series.MaintenanceAlert)}
		routing.Inhibitions = append(routing.Inhibitions,
			Inhibition{
				Source: inMaintenance,
				Target: []monitoringv1alpha1.Matcher{equals("namespace", namespace), {Name: "alertname", Value: series.MaintenanceAlert, MatchType: monitoringv1alpha1.MatchNotEqual}},
				Equal:  []string{"namespace", "journey", "touchpoint"},
			},
			Inhibition{
				Source: inMaintenance,
				Target: []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("alertname", series.StageDegradedAlert)},
				Equal:  []string{"namespace", "journey", "stage"},
			})
	}
	if collectorDown {
		routing.Inhibitions = append(routing.Inhibitions, Inhibition{
			Source: []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("alertname", series.CollectorDownAlert)},
			Target: []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("alertname", series.TelemetryAbsentAlert), equals("sli", series.SLIProbe)},
			Equal:  []string{"namespace", "journey"},
		})
	}
	return routing
}

// pageInhibitsTickets is one rule per pair of page and ticket severities
// the namespace's monitors use; with the defaults, one rule.
func pageInhibitsTickets(namespace string, journeys []RoutedJourney) []Inhibition {
	type pair struct{ page, ticket string }
	var pairs []pair
	for _, j := range journeys {
		for _, b := range alerting(j.Monitored) {
			if p := (pair{b.PageSeverity(), b.TicketSeverity()}); p.page != p.ticket && !slices.Contains(pairs, p) {
				pairs = append(pairs, p)
			}
		}
	}
	slices.SortFunc(pairs, func(a, b pair) int {
		return cmp.Or(strings.Compare(a.page, b.page), strings.Compare(a.ticket, b.ticket))
	})
	inhibitions := make([]Inhibition, 0, len(pairs))
	for _, p := range pairs {
		inhibitions = append(inhibitions, Inhibition{
			Source: []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("alertname", series.ErrorBudgetBurnAlert), equals("severity", p.page)},
			Target: []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("severity", p.ticket)},
			// Stage and collector alerts carry no touchpoint label, and
			// an alert without it never equals a touchpoint's.
			Equal: []string{"namespace", "journey", "touchpoint"},
		})
	}
	return inhibitions
}

// criticalPageInhibitsStages is one rule per stage holding Critical
// touchpoints (and per page severity among them).
func criticalPageInhibitsStages(namespace string, j RoutedJourney) []Inhibition {
	var inhibitions []Inhibition
	stages := j.Map.Spec.Stages
	for i := range stages {
		bySeverity := map[string][]string{}
		for _, b := range alerting(j.Monitored) {
			if b.Stage.Name == stages[i].Name && b.Criticality() == cxv1alpha1.CriticalityCritical {
				bySeverity[b.PageSeverity()] = append(bySeverity[b.PageSeverity()], b.Touchpoint.Name)
			}
		}
		later := make([]string, 0, len(stages)-i)
		for _, s := range stages[i:] {
			later = append(later, s.Name)
		}
		for _, severity := range sortedKeys(bySeverity) {
			inhibitions = append(inhibitions, Inhibition{
				Source: []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("alertname", series.ErrorBudgetBurnAlert),
					equals("severity", severity), equals("journey", j.Map.Name), oneOf("touchpoint", bySeverity[severity])},
				Target: []monitoringv1alpha1.Matcher{equals("namespace", namespace), equals("alertname", series.StageDegradedAlert),
					equals("journey", j.Map.Name), oneOf("stage", later)},
				Equal: []string{"namespace", "journey"},
			})
		}
	}
	return inhibitions
}

// maintenance says whether a touchpoint of the journeys can be in
// maintenance, i.e. has the JourneyMaintenance alert.
func maintenance(journeys []RoutedJourney) bool {
	for _, j := range journeys {
		for _, b := range alerting(j.Monitored) {
			if b.Monitor.Spec.Probe != nil && len(b.MaintenanceWindows()) > 0 {
				return true
			}
		}
	}
	return false
}

// alerting are the bindings whose monitors generate alerts.
func alerting(bindings []journey.TouchpointBinding) []journey.TouchpointBinding {
	return slices.DeleteFunc(slices.Clone(bindings), func(b journey.TouchpointBinding) bool {
		return b.Monitor.Spec.Alerting.Enabled != nil && !*b.Monitor.Spec.Alerting.Enabled
	})
}

func equals(name, value string) monitoringv1alpha1.Matcher {
	return monitoringv1alpha1.Matcher{Name: name, Value: value, MatchType: monitoringv1alpha1.MatchEqual}
}

// oneOf matches any of values exactly: Alertmanager anchors regular
// expressions, and the values are quoted.
func oneOf(name string, values []string) monitoringv1alpha1.Matcher {
	if len(values) == 1 {
		return equals(name, values[0])
	}
	quoted := make([]string, len(values))
	for i, v := range values {
		quoted[i] = regexp.QuoteMeta(v)
	}
	return monitoringv1alpha1.Matcher{Name: name, Value: strings.Join(quoted, "|"), MatchType: monitoringv1alpha1.MatchRegexp}
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// journeyAlerts matches the alerts of the namespace's journeys whose team
// has a route, and only those: the first-level route must name a receiver,
// and an alert that matched it would not reach Alertmanager's default
// route any more.
func (r Routing) journeyAlerts() []monitoringv1alpha1.Matcher {
	teams := make([]string, 0, len(r.Routes))
	for _, route := range r.Routes {
		teams = append(teams, route.Team)
	}
	return []monitoringv1alpha1.Matcher{
		equals("namespace", r.Namespace),
		{Name: "journey", Value: ".+", MatchType: monitoringv1alpha1.MatchRegexp},
		oneOf("team", teams),
	}
}

// BuildAlertmanagerConfig builds the namespace's AlertmanagerConfig: the
// routes and inhibition rules of routing, with the receivers the routes
// name, as copied from the maps' receiversFrom. Every map of the namespace
// owns it (none as controller), so that it goes away with the last one.
// Without routes it holds the inhibition rules only.
func BuildAlertmanagerConfig(routing Routing, receivers []monitoringv1alpha1.Receiver, owners []*cxv1alpha1.JourneyMap, scheme *runtime.Scheme) (*monitoringv1alpha1.AlertmanagerConfig, error) {
	config := &monitoringv1alpha1.AlertmanagerConfig{
		TypeMeta: metav1.TypeMeta{APIVersion: monitoringv1alpha1.SchemeGroupVersion.String(), Kind: monitoringv1alpha1.AlertmanagerConfigKind},
		ObjectMeta: metav1.ObjectMeta{
			Name:      AlertmanagerConfigName,
			Namespace: routing.Namespace,
			Labels:    map[string]string{ManagedByLabel: ManagedByValue, ComponentLabel: "alert-routing"},
		},
		Spec: monitoringv1alpha1.AlertmanagerConfigSpec{Receivers: receivers},
	}
	owners = slices.Clone(owners)
	slices.SortFunc(owners, func(a, b *cxv1alpha1.JourneyMap) int { return strings.Compare(a.Name, b.Name) })
	for _, owner := range owners {
		gvk, err := apiutil.GVKForObject(owner, scheme)
		if err != nil {
			return nil, err
		}
		config.OwnerReferences = append(config.OwnerReferences, metav1.OwnerReference{
			APIVersion: gvk.GroupVersion().String(), Kind: gvk.Kind, Name: owner.Name, UID: owner.UID,
		})
	}
	for _, in := range routing.Inhibitions {
		config.Spec.InhibitRules = append(config.Spec.InhibitRules, monitoringv1alpha1.InhibitRule{SourceMatch: in.Source, TargetMatch: in.Target, Equal: in.Equal})
	}
	if len(routing.Routes) == 0 {
		return config, nil
	}
	route := &monitoringv1alpha1.Route{
		// Never used: every alert the route matches has a team with a
		// child route. The first-level route must name a receiver.
		Receiver: routing.Routes[0].Receiver,
		GroupBy:  routeGroupBy,
		Matchers: routing.journeyAlerts(),
	}
	children := make([]monitoringv1alpha1.Route, 0, len(routing.Routes)+1)
	if routing.Maintenance {
		// Alerts of teams without a route reach Alertmanager's default
		// route; the README says to send severity "none" nowhere there.
		config.Spec.Receivers = append([]monitoringv1alpha1.Receiver{{Name: NullReceiver}}, config.Spec.Receivers...)
		children = append(children, monitoringv1alpha1.Route{Receiver: NullReceiver, Matchers: []monitoringv1alpha1.Matcher{equals("alertname", series.MaintenanceAlert)}})
	}
	for _, r := range routing.Routes {
		children = append(children, monitoringv1alpha1.Route{Receiver: r.Receiver, Matchers: []monitoringv1alpha1.Matcher{equals("team", r.Team)}})
	}
	for _, r := range children {
		child, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		route.Routes = append(route.Routes, apiextensionsv1.JSON{Raw: child})
	}
	config.Spec.Route = route
	return config, nil
}

// plainRoute and plainInhibitRule are the parts of an alertmanager.yml the
// block below fills.
type plainRoute struct {
	Receiver string       `json:"receiver,omitempty"`
	GroupBy  []string     `json:"group_by,omitempty"`
	Matchers []string     `json:"matchers"`
	Routes   []plainRoute `json:"routes,omitempty"`
}

type plainInhibitRule struct {
	SourceMatchers []string `json:"source_matchers"`
	TargetMatchers []string `json:"target_matchers"`
	Equal          []string `json:"equal"`
}

// AlertmanagerBlock is the plain Alertmanager equivalent of the
// AlertmanagerConfigs of routings, for an Alertmanager without the
// Prometheus Operator: routes to put under route.routes, and inhibit_rules.
// The receivers are the ones of that configuration, by the names the maps
// give. Every matcher value is double-quoted and escaped, so a value with
// spaces, commas, quotes or braces means what it says.
func AlertmanagerBlock(routings []Routing) ([]byte, error) {
	var block struct {
		Route struct {
			Routes []plainRoute `json:"routes"`
		} `json:"route"`
		InhibitRules []plainInhibitRule  `json:"inhibit_rules"`
		Receivers    []map[string]string `json:"receivers,omitempty"`
	}
	block.Route.Routes = []plainRoute{}
	block.InhibitRules = []plainInhibitRule{}
	for _, routing := range routings {
		if routing.Maintenance {
			block.Route.Routes = append(block.Route.Routes, plainRoute{Receiver: NullReceiver,
				Matchers: matcherStrings([]monitoringv1alpha1.Matcher{equals("namespace", routing.Namespace), equals("alertname", series.MaintenanceAlert)})})
			if len(block.Receivers) == 0 {
				block.Receivers = []map[string]string{{"name": NullReceiver}}
			}
		}
		if len(routing.Routes) > 0 {
			route := plainRoute{GroupBy: routeGroupBy, Matchers: matcherStrings(routing.journeyAlerts())}
			for _, r := range routing.Routes {
				route.Routes = append(route.Routes, plainRoute{Receiver: r.Receiver, Matchers: matcherStrings([]monitoringv1alpha1.Matcher{equals("team", r.Team)})})
			}
			block.Route.Routes = append(block.Route.Routes, route)
		}
		for _, in := range routing.Inhibitions {
			block.InhibitRules = append(block.InhibitRules, plainInhibitRule{SourceMatchers: matcherStrings(in.Source), TargetMatchers: matcherStrings(in.Target), Equal: in.Equal})
		}
	}
	out, err := yaml.Marshal(block)
	if err != nil {
		return nil, err
	}
	header := "# Journey alert routing for a plain Alertmanager: add the routes under route.routes\n" +
		"# of alertmanager.yml, before any catch-all, the rules to its inhibit_rules and the\n" +
		"# receivers, if any, to its receivers. The other receivers are those of\n" +
		"# alertmanager.yml, named by the maps' spec.alerting.receivers.\n"
	return append([]byte(header), out...), nil
}

// matcherStrings writes matchers as Alertmanager parses them, e.g.
// team="payments", always quoted.
func matcherStrings(matchers []monitoringv1alpha1.Matcher) []string {
	out := make([]string, len(matchers))
	for i, m := range matchers {
		out[i] = m.String()
	}
	return out
}

// String describes a conflict for the losing map's condition.
func (c RouteConflict) String() string {
	return fmt.Sprintf("team %s is routed to receiver %s by journey map %s, not to %s: a team has one receiver per namespace", c.Route.Team, c.Route.Receiver, c.Route.Map, c.Receiver)
}
