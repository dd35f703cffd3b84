// Package manifests holds the manifests the API tests and the offline lint
// tests share: valid bases and a table of invalid objects, each with the
// message the apiserver must answer, so that lint and the apiserver are
// held to the same table.
package manifests

import (
	"fmt"
	"strings"
)

// Invalid is a manifest the apiserver must reject: Base with Mutate applied
// to its object, rejected with an error containing Message.
type Invalid struct {
	Name    string
	Base    string
	Mutate  func(obj map[string]any)
	Message string
}

// InvalidCases is the table of invalid objects.
func InvalidCases() []Invalid {
	return []Invalid{
		// Persona
		{"persona without display name", ValidPersona, Del("spec", "displayName"), "spec.displayName: Required value"},
		{"persona age range malformed", ValidPersona, Set("thirty", "spec", "demographics", "ageRange"), "spec.demographics.ageRange"},
		{"persona company size unknown", ValidPersona, Set("huge", "spec", "demographics", "companySize"), `Unsupported value: "huge"`},
		{"persona channel unknown", ValidPersona, Set([]any{"web", "fax"}, "spec", "preferredChannels"), `Unsupported value: "fax"`},
		{"persona channel twice", ValidPersona, Set([]any{"web", "web"}, "spec", "preferredChannels"), "preferredChannels must not list a channel twice"},
		{"persona share above 100", ValidPersona, Set(int64(120), "spec", "customerSharePercent"), "should be less than or equal to 100"},
		{"persona availability zero", ValidPersona, Set("0", "spec", "expectations", "availabilityPercent"), "availabilityPercent must be a percentage strictly between 0 and 100"},
		{"persona availability not a number", ValidPersona, Set("high", "spec", "expectations", "availabilityPercent"), "spec.expectations.availabilityPercent: Invalid value: \"high\": availabilityPercent must be a percentage strictly between 0 and 100"},
		{"persona max latency in years", ValidPersona, Set("1y", "spec", "expectations", "maxLatency"), "spec.expectations.maxLatency: Invalid value: \"1y\": maxLatency must be a duration such as 2s or 800ms (units ns, us, ms, s, m, h)"},
		{"persona max latency in days", ValidPersona, Set("2d", "spec", "expectations", "maxLatency"), "maxLatency must be a duration such as 2s or 800ms"},
		{"persona max latency with a space", ValidPersona, Set("2 s", "spec", "expectations", "maxLatency"), "maxLatency must be a duration such as 2s or 800ms"},
		{"persona max latency without unit", ValidPersona, Set("2", "spec", "expectations", "maxLatency"), "maxLatency must be a duration such as 2s or 800ms"},
		{"persona max latency zero", ValidPersona, Set("0s", "spec", "expectations", "maxLatency"), "spec.expectations.maxLatency: Invalid value: \"0s\": maxLatency must be greater than 0s and at most 5m"},
		{"persona max latency negative", ValidPersona, Set("-2s", "spec", "expectations", "maxLatency"), "maxLatency must be greater than 0s and at most 5m"},
		{"persona max latency an hour", ValidPersona, Set("1h", "spec", "expectations", "maxLatency"), "maxLatency must be greater than 0s and at most 5m"},
		{"persona max latency overflowing", ValidPersona, Set("9999999999999h", "spec", "expectations", "maxLatency"), "maxLatency must be a duration such as 2s or 800ms"},
		{"persona tech savviness unknown", ValidPersona, Set("Wizard", "spec", "techSavviness"), `Unsupported value: "Wizard"`},
		{"persona segment label not a label name", ValidPersona, Set([]any{map[string]any{"name": "plan-tier", "operator": "=", "value": "x"}}, "spec", "segment"), "spec.segment[0].name"},
		{"persona segment label reserved", ValidPersona, Set([]any{map[string]any{"name": "__name__", "operator": "=", "value": "x"}}, "spec", "segment"), "segment label names starting with __ are reserved by Prometheus"},
		{"persona segment operator unknown", ValidPersona, Set([]any{map[string]any{"name": "plan", "operator": "==", "value": "x"}}, "spec", "segment"), `Unsupported value: "=="`},
		{"persona segment label twice", ValidPersona, Set([]any{map[string]any{"name": "plan", "operator": "=", "value": "a"}, map[string]any{"name": "plan", "operator": "!=", "value": "b"}}, "spec", "segment"), "Duplicate value"},

		// JourneyMap
		{"map without persona", ValidMap, Del("spec", "personaRef"), "spec.personaRef: Required value"},
		{"map persona name not an object name", ValidMap, Set("Paige/CMO", "spec", "personaRef", "name"), "spec.personaRef.name: Invalid value: \"Paige/CMO\": name must be an object name"},
		{"map without stages", ValidMap, Set([]any{}, "spec", "stages"), "spec.stages: Invalid value"},
		{"map type unknown", ValidMap, Set("Wishful", "spec", "type"), `Unsupported value: "Wishful"`},
		{"map duplicate stage", ValidMap, Set("awareness", "spec", "stages", 1, "name"), "stage names must be unique within a journey map"},
		{"map duplicate touchpoint across stages", ValidMap, Set("blog", "spec", "stages", 1, "touchpoints", 0, "name"), "touchpoint names must be unique across all stages of a journey map"},
		{"map duplicate touchpoint in a stage", ValidMap, Set("pricing-page", "spec", "stages", 1, "touchpoints", 1, "name"), "touchpoint names must be unique across all stages of a journey map"},
		{"map emotion above +2", ValidMap, Set(int64(3), "spec", "stages", 0, "emotion"), "should be less than or equal to 2"},
		{"map emotion below -2", ValidMap, Set(int64(-5), "spec", "stages", 0, "emotion"), "should be greater than or equal to -2"},
		{"map stage name not a DNS label", ValidMap, Set("Awareness Stage", "spec", "stages", 0, "name"), "spec.stages[0].name"},
		{"map channel unknown", ValidMap, Set("carrier-pigeon", "spec", "stages", 0, "touchpoints", 0, "channel"), `Unsupported value: "carrier-pigeon"`},
		{"map touchpoint without channel", ValidMap, Del("spec", "stages", 0, "touchpoints", 0, "channel"), "channel: Required value"},
		{"map kpi unknown", ValidMap, Set(map[string]any{"category": "Vanity"}, "spec", "stages", 0, "kpi"), `Unsupported value: "Vanity"`},
		{"map kpi query without window", ValidMap, Set(map[string]any{"category": "Acquisition", "query": "sum(rate(visits_total[5m]))"}, "spec", "stages", 0, "kpi"), "kpi.query must use the {{.window}} placeholder for its range"},
		{"map kpi floor above 1", ValidMap, Set(map[string]any{"category": "Acquisition", "floor": "1.5"}, "spec", "stages", 0, "kpi"), "floor must be a fraction between 0 and 1"},
		{"map kpi floor zero", ValidMap, Set(map[string]any{"category": "Acquisition", "floor": "0"}, "spec", "stages", 0, "kpi"), "floor must be a fraction between 0 and 1"},
		{"map kpi floor a percentage", ValidMap, Set(map[string]any{"category": "Acquisition", "floor": "20%"}, "spec", "stages", 0, "kpi"), "floor must be a fraction between 0 and 1"},
		{"map kpi drop for in seconds", ValidMap, Set(map[string]any{"category": "Acquisition", "dropFor": "90s"}, "spec", "stages", 0, "kpi"), "dropFor must be a whole number of minutes or hours"},
		{"map kpi min rate negative", ValidMap, Set(map[string]any{"category": "Acquisition", "minRate": "-1"}, "spec", "stages", 0, "kpi"), "minRate must be a non-negative decimal number of entrants per second"},
		{"map criticality unknown", ValidMap, Set("Meh", "spec", "stages", 0, "touchpoints", 0, "criticality"), `Unsupported value: "Meh"`},
		{"map layer unknown", ValidMap, Set("Sidestage", "spec", "stages", 0, "touchpoints", 0, "layer"), `Unsupported value: "Sidestage"`},

		// TouchpointMonitor
		{"monitor without map", ValidMonitor, Del("spec", "journeyMapRef"), "spec.journeyMapRef: Required value"},
		{"monitor without telemetry", ValidMonitor, Del("spec", "probe"), "a monitor needs a probe, a metric SLI, or both"},
		{"monitor with two probe kinds", ValidMonitor, Set(map[string]any{"address": "db.example.com:5432"}, "spec", "probe", "tcp"), "a probe sets exactly one of http, tcp, dns or flow"},
		{"monitor probe without kind", ValidMonitor, Set(map[string]any{"interval": "30s"}, "spec", "probe"), "a probe sets exactly one of http, tcp, dns or flow"},
		{"monitor ftp url", ValidMonitor, Set("ftp://files.example.com/price.csv", "spec", "probe", "http", "url"), "url must be an absolute http:// or https:// URL with a host"},
		{"monitor url with credentials", ValidMonitor, Set("https://paige:hunter2@app.example.com/", "spec", "probe", "http", "url"), "url must not carry credentials"},
		{"monitor inline authorization header", ValidMonitor, Set([]any{map[string]any{"name": "Authorization", "value": "Bearer abc"}}, "spec", "probe", "http", "headers"), "credential headers (Authorization, Cookie, API keys, tokens) must take their value from a Secret"},
		{"monitor header with value and secret", ValidMonitor, Set([]any{map[string]any{"name": "X-Plan", "value": "a", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "s", "key": "k"}}}}, "spec", "probe", "http", "headers"), "a header sets exactly one of value or valueFrom"},
		{"monitor duplicate header", ValidMonitor, Set([]any{map[string]any{"name": "Accept", "value": "a"}, map[string]any{"name": "accept", "value": "b"}}, "spec", "probe", "http", "headers"), "header names must be unique"},
		{"monitor status code out of range", ValidMonitor, Set([]any{int64(200), int64(700)}, "spec", "probe", "http", "expectedStatus"), "should be less than or equal to 599"},
		{"monitor method unknown", ValidMonitor, Set("FETCH", "spec", "probe", "http", "method"), `Unsupported value: "FETCH"`},
		{"monitor availability 100", ValidMonitor, Set("100", "spec", "objectives", "availability"), "availability must be a percentage strictly between 0 and 100"},
		{"monitor availability 0", ValidMonitor, Set("0", "spec", "objectives", "availability"), "availability must be a percentage strictly between 0 and 100"},
		{"monitor availability not a number", ValidMonitor, Set("high", "spec", "objectives", "availability"), "availability must be a percentage strictly between 0 and 100"},
		{"monitor window malformed", ValidMonitor, Set("28days", "spec", "objectives", "window"), "window must be a whole number and one unit of m, h, d or w"},
		{"monitor window too long", ValidMonitor, Set("365d", "spec", "objectives", "window"), "window must be between 1h and 90d"},
		{"monitor window too short", ValidMonitor, Set("30m", "spec", "objectives", "window"), "window must be between 1h and 90d"},
		{"monitor interval too short", ValidMonitor, Set("1s", "spec", "probe", "interval"), "spec.probe.interval: Invalid value: \"1s\": interval must be at least 5s and at most 1h"},
		{"monitor interval zero", ValidMonitor, Set("0s", "spec", "probe", "interval"), "spec.probe.interval: Invalid value: \"0s\": interval must be at least 5s and at most 1h"},
		{"monitor interval negative", ValidMonitor, Set("-5s", "spec", "probe", "interval"), "spec.probe.interval: Invalid value: \"-5s\": interval must be at least 5s and at most 1h"},
		{"monitor interval too long", ValidMonitor, Set("1h30m", "spec", "probe", "interval"), "interval must be at least 5s and at most 1h"},
		{"monitor interval in years", ValidMonitor, Set("1y", "spec", "probe", "interval"), "spec.probe.interval: Invalid value: \"1y\": interval must be a duration such as 30s or 1m (units ns, us, ms, s, m, h)"},
		{"monitor interval in days", ValidMonitor, Set("1d", "spec", "probe", "interval"), "interval must be a duration such as 30s or 1m"},
		{"monitor interval unit first", ValidMonitor, Set("s30", "spec", "probe", "interval"), "interval must be a duration such as 30s or 1m"},
		{"monitor interval too long to be a duration", ValidMonitor, Set("1000000000000000000000000000000000s", "spec", "probe", "interval"), "spec.probe.interval: Too long"},
		{"monitor timeout zero", ValidMonitor, Set("0s", "spec", "probe", "timeout"), "spec.probe.timeout: Invalid value: \"0s\": timeout must be greater than 0s and at most 5m"},
		{"monitor timeout in years", ValidMonitor, Set("1y", "spec", "probe", "timeout"), "spec.probe.timeout: Invalid value: \"1y\": timeout must be a duration such as 10s or 500ms"},
		{"monitor timeout longer than interval", ValidMonitor, Set("2m", "spec", "probe", "timeout"), "spec.probe.timeout: Invalid value: timeout must not be longer than interval"},
		{"monitor latency threshold in years", ValidMonitor, Set(map[string]any{"threshold": "1y"}, "spec", "objectives", "latency"), "spec.objectives.latency.threshold: Invalid value: \"1y\": threshold must be a duration such as 800ms or 2s (units ns, us, ms, s, m, h)"},
		{"monitor latency threshold zero", ValidMonitor, Set(map[string]any{"threshold": "0ms"}, "spec", "objectives", "latency"), "spec.objectives.latency.threshold: Invalid value: \"0ms\": threshold must be greater than 0s and at most 5m"},
		{"monitor latency threshold an hour", ValidMonitor, Set(map[string]any{"threshold": "1h"}, "spec", "objectives", "latency"), "threshold must be greater than 0s and at most 5m"},
		{"monitor url without host", ValidMonitor, Set("http://:8080/path", "spec", "probe", "http", "url"), "spec.probe.http.url: Invalid value: \"http://:8080/path\": url must name a host"},
		{"monitor url with bad escape", ValidMonitor, Set("https://shop.example.com/%zz", "spec", "probe", "http", "url"), "url must name a host, e.g. https://shop.example.com:8443/path, and be a valid URL"},
		{"monitor flow url without host", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://:8443/${next}"},
		}}}), "spec.probe.flow.steps[0].url: Invalid value: \"https://:8443/${next}\": url must name a host"},
		{"monitor header value with newline", ValidMonitor, Set([]any{map[string]any{"name": "X-Plan", "value": "pro\nX-Injected: 1"}}, "spec", "probe", "http", "headers"), "spec.probe.http.headers[0].value: Invalid value: \"pro\\nX-Injected: 1\": header value must not contain a line break (CR or LF)"},
		{"monitor header value with CR", ValidMonitor, Set([]any{map[string]any{"name": "X-Plan", "value": "pro\r"}}, "spec", "probe", "http", "headers"), "header value must not contain a line break (CR or LF)"},
		{"monitor flow header value with NUL", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://app.example.com/login", "headers": []any{map[string]any{"name": "X-Plan", "value": "a\x00b"}}},
		}}}), "spec.probe.flow.steps[0].headers[0].value: Invalid value: \"a\\x00b\": header value must not contain a line break"},
		{"monitor header secret name a path", ValidMonitor, Set([]any{map[string]any{"name": "Authorization", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "../etc", "key": "token"}}}}, "spec", "probe", "http", "headers"), "spec.probe.http.headers[0].valueFrom.secretKeyRef.name: Invalid value: \"../etc\": name must be a Secret name"},
		{"monitor header secret key dot-dot", ValidMonitor, Set([]any{map[string]any{"name": "Authorization", "valueFrom": map[string]any{"secretKeyRef": map[string]any{"name": "creds", "key": ".."}}}}, "spec", "probe", "http", "headers"), "spec.probe.http.headers[0].valueFrom.secretKeyRef.key: Invalid value: \"..\": key must be a Secret data key"},
		{"monitor json path index overflowing", ValidMonitor, Set([]any{map[string]any{"path": "items[99999999999999999999]"}}, "spec", "probe", "http", "json"), "spec.probe.http.json[0].path"},
		{"monitor dns A expecting IPv6", ValidMonitor, replaceProbe(map[string]any{"dns": map[string]any{"name": "app.example.com", "expect": []any{"2001:db8::10"}}}), "spec.probe.dns.expect: Invalid value: expect must list IPv4 addresses for recordType A"},
		{"monitor dns A expecting a name", ValidMonitor, replaceProbe(map[string]any{"dns": map[string]any{"name": "app.example.com", "recordType": "A", "expect": []any{"203.0.113.10", "app.example.com"}}}), "expect must list IPv4 addresses for recordType A"},
		{"monitor dns AAAA expecting IPv4", ValidMonitor, replaceProbe(map[string]any{"dns": map[string]any{"name": "app.example.com", "recordType": "AAAA", "expect": []any{"203.0.113.10"}}}), "and IPv6 addresses for AAAA"},
		{"monitor dns label too long", ValidMonitor, replaceProbe(map[string]any{"dns": map[string]any{"name": strings.Repeat("a", 64) + ".example.com"}}), "spec.probe.dns.name: Invalid value: \"" + strings.Repeat("a", 64) + ".example.com\": name must be a DNS name whose labels"},
		{"monitor dns server port zero", ValidMonitor, replaceProbe(map[string]any{"dns": map[string]any{"name": "app.example.com", "server": "10.0.0.10:0"}}), "spec.probe.dns.server: Invalid value: \"10.0.0.10:0\": server must be host:port with a port from 1 to 65535"},
		{"monitor dns server without port", ValidMonitor, replaceProbe(map[string]any{"dns": map[string]any{"name": "app.example.com", "server": "10.0.0.10"}}), "server must be host:port with a port from 1 to 65535"},
		{"monitor flow capture twice in a step", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://app.example.com/login", "capture": []any{
				map[string]any{"name": "token", "from": "Header", "expression": "X-Token"},
				map[string]any{"name": "token", "from": "JSONPath", "expression": "data.token"},
			}},
		}}}), "spec.probe.flow.steps[0].capture: Invalid value: capture names must be unique within a step"},
		{"monitor flow capture in two steps", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://app.example.com/login", "capture": []any{map[string]any{"name": "token", "from": "Header", "expression": "X-Token"}}},
			map[string]any{"name": "refresh", "url": "https://app.example.com/refresh?t=${token}", "capture": []any{map[string]any{"name": "token", "from": "Header", "expression": "X-Token"}}},
		}}}), "a capture name may be taken by one step only"},
		{"monitor flow header capture not a header name", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://app.example.com/login", "capture": []any{map[string]any{"name": "next", "from": "Header", "expression": "Location: x"}}},
		}}}), "spec.probe.flow.steps[0].capture[0]: Invalid value: expression of a Header capture must be a header name"},
		{"monitor flow json capture not a path", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://app.example.com/login", "capture": []any{map[string]any{"name": "next", "from": "JSONPath", "expression": "$..items[*]"}}},
		}}}), "expression of a JSONPath capture must be a path such as data.token"},
		{"monitor http probe too large", ValidMonitor, Set(map[string]any{"url": "https://www.example.com/pricing", "method": "POST", "body": strings.Repeat("x", 16384), "bodyContains": repeatList(strings.Repeat("y", 1024), 10)}, "spec", "probe", "http"), "spec.probe.http: Invalid value: http is too large"},
		{"monitor http probe too large in bytes", ValidMonitor, Set(map[string]any{"url": "https://www.example.com/pricing", "method": "POST", "body": strings.Repeat("€", 8200)}, "spec", "probe", "http"), "http is too large: its url, headers, body, bodyContains, bodyRegex and json together must stay within 24576 bytes"},
		{"monitor flow too large", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": flowSteps(4, strings.Repeat("z", 7000))}}), "spec.probe.flow: Invalid value: flow is too large"},
		{"monitor alert label value too long", ValidMonitor, Set(map[string]any{"pager": strings.Repeat("p", 300)}, "spec", "alerting", "labels"), "alert label names must be at most 128 and values at most 256 characters"},
		{"monitor tcp without port", ValidMonitor, replaceProbe(map[string]any{"tcp": map[string]any{"address": "sip.example.com"}}), "address must be host:port with a port from 1 to 65535"},
		{"monitor tcp port too high", ValidMonitor, replaceProbe(map[string]any{"tcp": map[string]any{"address": "sip.example.com:70000"}}), "address must be host:port with a port from 1 to 65535"},
		{"monitor dns record type unknown", ValidMonitor, replaceProbe(map[string]any{"dns": map[string]any{"name": "app.example.com", "recordType": "SPF"}}), `Unsupported value: "SPF"`},
		{"monitor flow without steps", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{}}}), "spec.probe.flow.steps: Invalid value"},
		{"monitor flow duplicate step", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://app.example.com/login"},
			map[string]any{"name": "login", "url": "https://app.example.com/home"},
		}}}), "flow step names must be unique"},
		{"monitor flow capture source unknown", ValidMonitor, replaceProbe(map[string]any{"flow": map[string]any{"steps": []any{
			map[string]any{"name": "login", "url": "https://app.example.com/login", "capture": []any{map[string]any{"name": "token", "from": "Cookie", "expression": "sid"}}},
		}}}), `Unsupported value: "Cookie"`},
		{"monitor metric without window placeholder", ValidMonitor, Set(map[string]any{"errorsQuery": `sum(rate(http_requests_total{code=~"5.."}[5m]))`, "totalQuery": "sum(rate(http_requests_total[{{.window}}]))"}, "spec", "metric"), "errorsQuery must use the {{.window}} placeholder for its range"},
		{"monitor metric without total", ValidMonitor, Set(map[string]any{"errorsQuery": "sum(rate(e[{{.window}}]))"}, "spec", "metric"), "a metric SLI with errorsQuery or goodQuery needs totalQuery"},
		{"monitor threshold with total", ValidMonitor, Set(map[string]any{"threshold": map[string]any{"query": "max(wait_seconds)", "max": "120"}, "totalQuery": "sum(rate(t[{{.window}}]))"}, "spec", "metric"), "a threshold SLI sets threshold alone, without errorsQuery, goodQuery or totalQuery"},
		{"monitor threshold without a limit", ValidMonitor, Set(map[string]any{"threshold": map[string]any{"query": "max(wait_seconds)"}}, "spec", "metric"), "a threshold sets exactly one of max or min"},
		{"monitor threshold with both limits", ValidMonitor, Set(map[string]any{"threshold": map[string]any{"query": "max(wait_seconds)", "max": "120", "min": "1"}}, "spec", "metric"), "a threshold sets exactly one of max or min"},
		{"monitor threshold with a window", ValidMonitor, Set(map[string]any{"threshold": map[string]any{"query": "max(rate(w[{{.window}}]))", "max": "1"}}, "spec", "metric"), "threshold.query reads a level as it is now and takes no {{.window}} placeholder"},
		{"monitor threshold limit not a number", ValidMonitor, Set(map[string]any{"threshold": map[string]any{"query": "max(wait_seconds)", "max": "2m"}}, "spec", "metric"), "max must be a decimal number"},
		{"monitor metric with good and errors", ValidMonitor, Set(map[string]any{"errorsQuery": "sum(rate(e[{{.window}}]))", "goodQuery": "sum(rate(g[{{.window}}]))", "totalQuery": "sum(rate(t[{{.window}}]))"}, "spec", "metric"), "a metric SLI sets exactly one of errorsQuery or goodQuery"},
		{"monitor latency without probe", ValidMonitor, func(obj map[string]any) {
			delete(obj["spec"].(map[string]any), "probe")
			Set(map[string]any{"goodQuery": "sum(rate(g[{{.window}}]))", "totalQuery": "sum(rate(t[{{.window}}]))"}, "spec", "metric")(obj)
			Set(map[string]any{"threshold": "1s"}, "spec", "objectives", "latency")(obj)
		}, "a latency objective needs a probe"},
		{"monitor alert label overrides severity", ValidMonitor, Set(map[string]any{"severity": "info"}, "spec", "alerting", "labels"), "alert labels cannot override"},
		{"monitor alert label name invalid", ValidMonitor, Set(map[string]any{"pager-duty": "x"}, "spec", "alerting", "labels"), "alert label names must match"},
		{"monitor runbook not a URL", ValidMonitor, Set("see wiki", "spec", "alerting", "runbookURL"), "runbookURL must be an http:// or https:// URL"},
		{"monitor json path malformed", ValidMonitor, Set([]any{map[string]any{"path": "$..items[*]"}}, "spec", "probe", "http", "json"), "spec.probe.http.json[0].path"},

		// Maintenance windows (TimeWindow) and alert routing
		{"window duration zero", ValidMap, window(map[string]any{"duration": "0m"}), "duration must be positive: a window ends after it starts"},
		{"window ends before it starts", ValidMap, window(map[string]any{"duration": "-2h"}), "duration must be positive: a window ends after it starts"},
		{"window duration without unit", ValidMap, window(map[string]any{"duration": "2"}), "duration must be a whole number and one unit of m, h, d or w"},
		{"window start not a time", ValidMap, window(map[string]any{"start": "25:00"}), "start must be a time of day such as \"02:00\""},
		{"window days on a one-off", ValidMap, window(map[string]any{"start": "2026-12-24T22:00", "days": []any{"Monday"}}), "days are for a window that repeats"},
		{"window day unknown", ValidMap, window(map[string]any{"days": []any{"Caturday"}}), `Unsupported value: "Caturday"`},
		{"window daily for a day", ValidMap, window(map[string]any{"duration": "1d"}), "a window that repeats every day must last less than 24h"},
		{"window without time zone", ValidMap, window(map[string]any{"timeZone": nil}), "timeZone: Required value"},
		{"window time zone not a name", ValidMap, window(map[string]any{"timeZone": "+02:00"}), "timeZone must be an IANA time zone name"},
		{"window time zone Local", ValidMap, window(map[string]any{"timeZone": "Local"}), "timeZone must be an IANA time zone name"},
		{"window twice the same name", ValidMap, Set([]any{
			map[string]any{"name": "nightly", "start": "02:00", "duration": "1h", "timeZone": "UTC"},
			map[string]any{"name": "nightly", "start": "04:00", "duration": "1h", "timeZone": "UTC"},
		}, "spec", "maintenanceWindows"), "Duplicate value"},
		{"monitor window longer than the objective window", ValidMonitor, func(obj map[string]any) {
			Set("1h", "spec", "objectives", "window")(obj)
			Set([]any{map[string]any{"name": "upgrade", "start": "2026-12-24T22:00", "duration": "2h", "timeZone": "UTC"}}, "spec", "maintenanceWindows")(obj)
		}, "a maintenance window must not last longer than the objective window"},
		{"map receivers without receiversFrom", ValidMap, Set(map[string]any{"receivers": []any{map[string]any{"team": "payments", "receiver": "payments-pager"}}}, "spec", "alerting"), "receivers need receiversFrom"},
		{"map receiver team needing quotes", ValidMap, Set(map[string]any{"receiversFrom": map[string]any{"name": "team-receivers"}, "receivers": []any{map[string]any{"team": `payments "eu"`, "receiver": "payments-pager"}}}, "spec", "alerting"), "team must be a team name as owners are written"},
	}
}

// window returns a mutation that gives the map one maintenance window, a
// valid nightly one with fields replaced by set (nil deletes a field).
func window(set map[string]any) func(map[string]any) {
	w := map[string]any{"name": "nightly", "start": "02:00", "duration": "2h", "timeZone": "Europe/Berlin"}
	for k, v := range set {
		if v == nil {
			delete(w, k)
			continue
		}
		w[k] = v
	}
	return Set([]any{w}, "spec", "maintenanceWindows")
}

// Set returns a mutation that sets the value at path (map keys and list
// indexes).
func Set(value any, path ...any) func(map[string]any) {
	return func(obj map[string]any) {
		parent, last := walk(obj, path)
		switch p := parent.(type) {
		case map[string]any:
			p[last.(string)] = value
		case []any:
			p[last.(int)] = value
		}
	}
}

// Del returns a mutation that removes the map key at path.
func Del(path ...any) func(map[string]any) {
	return func(obj map[string]any) {
		parent, last := walk(obj, path)
		delete(parent.(map[string]any), last.(string))
	}
}

// repeatList is a list of n copies of s.
func repeatList(s string, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// flowSteps is a flow of n steps, each posting body.
func flowSteps(n int, body string) []any {
	steps := make([]any, n)
	for i := range steps {
		steps[i] = map[string]any{"name": fmt.Sprintf("step-%d", i), "url": "https://app.example.com/step", "method": "POST", "body": body}
	}
	return steps
}

func replaceProbe(probe map[string]any) func(map[string]any) {
	return Set(probe, "spec", "probe")
}

func walk(obj map[string]any, path []any) (parent any, last any) {
	var cur any = obj
	for _, key := range path[:len(path)-1] {
		switch k := key.(type) {
		case string:
			m := cur.(map[string]any)
			if m[k] == nil {
				m[k] = map[string]any{}
			}
			cur = m[k]
		case int:
			cur = cur.([]any)[k]
		}
	}
	return cur, path[len(path)-1]
}

// ValidPersona is a valid Persona; it, ValidMap and ValidMonitor are the
// bases the invalid cases start from, each naming the others.
const ValidPersona = `
apiVersion: cx.journeymap.dev/v1alpha1
kind: Persona
metadata:
  name: valid-persona
spec:
  displayName: Paige, startup CMO
  demographics:
    ageRange: "25-34"
    companySize: "11-50"
  techSavviness: Medium
  preferredChannels: [web, email]
  customerSharePercent: 40
  expectations:
    availabilityPercent: "99.5"
`

// ValidMap is a valid JourneyMap walked by ValidPersona.
const ValidMap = `
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata:
  name: valid-map
spec:
  personaRef: {name: valid-persona}
  goal: Automate lead nurturing
  stages:
    - name: awareness
      emotion: -1
      kpi: {category: Acquisition}
      touchpoints:
        - {name: blog, channel: web, criticality: Low, layer: Frontstage}
    - name: consideration
      touchpoints:
        - {name: pricing-page, channel: web, momentOfTruth: true}
        - {name: sales-chat, channel: live-chat}
`

// ValidMonitor is a valid TouchpointMonitor of a touchpoint of ValidMap.
const ValidMonitor = `
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata:
  name: valid-monitor
spec:
  journeyMapRef: {name: valid-map}
  touchpoint: pricing-page
  probe:
    http:
      url: https://www.example.com/pricing
      json:
        - path: plans[0].name
  objectives:
    availability: "99.5"
`
