package controller_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"
	"sigs.k8s.io/controller-runtime/pkg/client"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/render"
)

const tokenJourney = `
apiVersion: cx.journeymap.dev/v1alpha1
kind: Persona
metadata: {name: startup-cmo}
spec: {displayName: "Paige, startup CMO"}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: JourneyMap
metadata: {name: trial}
spec:
  personaRef: {name: startup-cmo}
  goal: Start a trial and import contacts
  stages:
    - name: consideration
      touchpoints: [{name: pricing-page, channel: web}]
    - name: onboarding
      touchpoints: [{name: contacts-api, channel: api}]
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: pricing-page}
spec:
  journeyMapRef: {name: trial}
  touchpoint: pricing-page
  probe:
    http: {url: "https://shop.example.com/pricing"}
  objectives: {availability: "99.5"}
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: contacts-api}
spec:
  journeyMapRef: {name: trial}
  touchpoint: contacts-api
  probe:
    http:
      url: "https://api.example.com/v1/contacts"
      headers:
        - name: Authorization
          valueFrom:
            secretKeyRef: {name: crm-token, key: authorization}
  objectives: {availability: "99.9"}
`

// TestMissingSecretIsReportedAndResolved: a probe reading a Secret that
// does not exist says so, and is left out of the collector so that the
// collector's pod can start for the other probes; the Secret's creation
// resolves both.
func TestMissingSecretIsReportedAndResolved(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, tokenJourney)

	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "contacts-api", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.SecretsResolvedCondition, "False", cxv1alpha1.SecretNotFoundReason); err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.ReadyCondition, "False", cxv1alpha1.SecretNotFoundReason); err != nil {
			return err
		}
		msg := findMessage(m.Status.Conditions, cxv1alpha1.SecretsResolvedCondition)
		if !strings.Contains(msg, `spec.probe.http.headers[0].valueFrom.secretKeyRef names Secret "crm-token"`) {
			return fmt.Errorf("message %q does not say which field names which Secret", msg)
		}
		return nil
	})
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "pricing-page") })
	eventually(t, convergeTimeout, func() error {
		config, err := collectorProbes(t, c, ns, "trial")
		if err != nil {
			return err
		}
		if !strings.Contains(config, "pricing-page") || strings.Contains(config, "contacts-api") {
			return fmt.Errorf("collector config should run pricing-page only:\n%s", config)
		}
		deployment, err := get(t, c, ns, render.CollectorName("trial"), &appsv1.Deployment{})
		if err != nil {
			return err
		}
		for _, v := range deployment.Spec.Template.Spec.Volumes {
			if v.Secret != nil && v.Secret.SecretName == "crm-token" {
				return fmt.Errorf("the collector mounts the missing Secret crm-token")
			}
		}
		return nil
	})

	secret := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "crm-token", Namespace: ns},
		StringData: map[string]string{"authorization": "Bearer synthetic"},
	}
	if err := c.Create(context.Background(), secret); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "contacts-api") })
	eventually(t, convergeTimeout, func() error {
		config, err := collectorProbes(t, c, ns, "trial")
		if err != nil {
			return err
		}
		if !strings.Contains(config, "contacts-api") {
			return fmt.Errorf("collector config without contacts-api after its Secret appeared:\n%s", config)
		}
		return nil
	})
}

// TestDeploymentStatusUpdatesAreNotDrift runs kube-controller-manager,
// which updates the collector Deployment's status and annotations the way
// it does in every cluster; none of that may cause a manager write.
func TestDeploymentStatusUpdatesAreNotDrift(t *testing.T) {
	c, ns := convergedSamplesWith(t, "deployment", "replicaset", "garbagecollector")
	// kube-controller-manager has seen the Deployments once it created
	// their ReplicaSets and wrote their status.
	eventually(t, convergeTimeout, func() error {
		for _, name := range []string{"marketing-automation-trial", "business-phone-system"} {
			d, err := get(t, c, ns, render.CollectorName(name), &appsv1.Deployment{})
			if err != nil {
				return err
			}
			if d.Status.ObservedGeneration != d.Generation || len(d.Status.Conditions) == 0 {
				return fmt.Errorf("deployment %s: status not written by kube-controller-manager yet", d.Name)
			}
		}
		return nil
	})
	waitQuiet(t)
	before := writes.Snapshot()
	// Scaling up and down makes kube-controller-manager write status again
	// (replicas, conditions) without any change the operator applies.
	for _, name := range []string{"marketing-automation-trial", "business-phone-system"} {
		d, err := get(t, c, ns, render.CollectorName(name), &appsv1.Deployment{})
		if err != nil {
			t.Fatal(err)
		}
		d.Status.Replicas, d.Status.UnavailableReplicas = 1, 1
		if err := c.Status().Update(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(3 * time.Second)
	if got := writes.Since(before); len(got) != 0 {
		t.Fatalf("the manager wrote after status updates of its Deployments by other controllers:\n%s", strings.Join(got, "\n"))
	}
}

// TestTerminatingNamespaceIsLeftAlone deletes a namespace holding journeys
// while kube-controller-manager empties it: children deleted before their
// owners must not be created again and again.
func TestTerminatingNamespaceIsLeftAlone(t *testing.T) {
	c, ns := convergedSamplesWith(t, "namespace", "garbagecollector")
	waitQuiet(t)
	before := writes.Snapshot()
	if err := c.Delete(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 2*convergeTimeout, func() error {
		err := c.Get(context.Background(), client.ObjectKey{Name: ns}, &corev1.Namespace{})
		if err == nil {
			return fmt.Errorf("namespace %s still there", ns)
		}
		return client.IgnoreNotFound(err)
	})
	attempts := 0
	for _, w := range writes.Since(before) {
		if strings.Contains(w, "/namespaces/"+ns+"/") {
			var n int
			_, _ = fmt.Sscanf(w, "%d×", &n)
			attempts += n
		}
	}
	// The journeys hold 13 children; one attempt each is the bound.
	if attempts > 13 {
		t.Fatalf("%d manager writes into namespace %s while it terminated, want at most one per child:\n%s",
			attempts, ns, strings.Join(writes.Since(before), "\n"))
	}
}

// convergedSamplesWith runs kube-controller-manager with the given
// controllers for the test, and the samples in a new namespace until their
// maps are Ready.
func convergedSamplesWith(t *testing.T, controllers ...string) (client.Client, string) {
	t.Helper()
	runControllerManager(t, controllers...)
	c := env.Client
	ns := newNamespace(t, c)
	createSamples(t, c, ns)
	for _, name := range []string{"marketing-automation-trial", "business-phone-system"} {
		eventually(t, convergeTimeout, func() error { return mapReady(t, c, ns, name) })
	}
	return c, ns
}

func findMessage(conditions []metav1.Condition, conditionType string) string {
	for _, c := range conditions {
		if c.Type == conditionType {
			return c.Message
		}
	}
	return ""
}

func collectorProbes(t *testing.T, c client.Client, ns, journey string) (string, error) {
	cm, err := get(t, c, ns, render.CollectorName(journey), &corev1.ConfigMap{})
	if err != nil {
		return "", err
	}
	return fmt.Sprint(cm.Data), nil
}

// TestPersonaExpectationsStandInForObjectives: a monitor without an
// availability objective is judged by its persona's expectation, and one
// with neither says which fields to set.
func TestPersonaExpectationsStandInForObjectives(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, strings.NewReplacer(
		`spec: {displayName: "Paige, startup CMO"}`, `spec: {displayName: "Paige, startup CMO", expectations: {availabilityPercent: "99", maxLatency: 2s}}`,
		`  objectives: {availability: "99.5"}`, `  objectives: {}`,
		`        - name: Authorization
          valueFrom:
            secretKeyRef: {name: crm-token, key: authorization}`, `        - name: Accept
          value: application/json`,
	).Replace(tokenJourney))
	eventually(t, convergeTimeout, func() error { return monitorReady(t, c, ns, "pricing-page") })
	eventually(t, convergeTimeout, func() error {
		rules := &monitoringv1.PrometheusRule{}
		if _, err := get(t, c, ns, render.MonitorRulesName("pricing-page"), rules); err != nil {
			return err
		}
		text := fmt.Sprint(rules.Spec.Groups)
		// 14.4 × a 1% budget, and the persona's 2s as the latency threshold.
		if !strings.Contains(text, "0.144") || !strings.Contains(text, "> 2") {
			return fmt.Errorf("rules do not use the persona's expectations:\n%s", text)
		}
		return nil
	})

	persona := &cxv1alpha1.Persona{}
	if _, err := get(t, c, ns, "startup-cmo", persona); err != nil {
		t.Fatal(err)
	}
	persona.Spec.Expectations = nil
	if err := c.Update(context.Background(), persona); err != nil {
		t.Fatal(err)
	}
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "pricing-page", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.StalledCondition, "True", cxv1alpha1.InvalidSpecReason); err != nil {
			return err
		}
		if msg := findMessage(m.Status.Conditions, cxv1alpha1.StalledCondition); !strings.Contains(msg, "spec.objectives.availability") || !strings.Contains(msg, "availabilityPercent") {
			return fmt.Errorf("message %q does not name the fields to set", msg)
		}
		return nil
	})
}

// TestNamesThatNeedFitting: object names the apiserver accepts (dotted,
// 253 characters) must give children it accepts too, not a write loop.
func TestNamesThatNeedFitting(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	long := strings.Repeat("checkout.", 28) + "v2"
	for _, name := range []string{"pizza.night.v2", long[:253]} {
		create(t, c, ns, strings.NewReplacer(
			"metadata: {name: trial}", "metadata: {name: "+name+"}",
			"journeyMapRef: {name: trial}", "journeyMapRef: {name: "+name+"}",
			"metadata: {name: startup-cmo}", "metadata: {name: startup-cmo-"+fmt.Sprint(len(name))+"}",
			"personaRef: {name: startup-cmo}", "personaRef: {name: startup-cmo-"+fmt.Sprint(len(name))+"}",
			"metadata: {name: pricing-page}", "metadata: {name: pricing-page-"+fmt.Sprint(len(name))+"}",
			"metadata: {name: contacts-api}", "metadata: {name: contacts-api-"+fmt.Sprint(len(name))+"}",
		).Replace(tokenJourney))
		eventually(t, convergeTimeout, func() error {
			if err := mapReady(t, c, ns, name); err != nil {
				return err
			}
			_, err := get(t, c, ns, render.CollectorName(name), &corev1.Service{})
			return err
		})
	}
}

// TestOversizedCollectorNamesTheMonitorsLeftOut: the probes of one map that
// would not fit in one ConfigMap leave out the largest, which the map's
// status names, and the others run.
func TestOversizedCollectorNamesTheMonitorsLeftOut(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, tokenJourney)
	const monitors = 70
	var manifest strings.Builder
	for i := range monitors {
		fmt.Fprintf(&manifest, `
---
apiVersion: cx.journeymap.dev/v1alpha1
kind: TouchpointMonitor
metadata: {name: bulk-%02d}
spec:
  journeyMapRef: {name: trial}
  touchpoint: bulk-%02d
  probe:
    http:
      url: "https://api.example.com/v1/contacts/import"
      method: POST
      body: %q
  objectives: {availability: "99.5"}
`, i, i, strings.Repeat("x", 15000+10*i))
	}
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		journeyMap := &cxv1alpha1.JourneyMap{}
		if _, err := get(t, c, ns, "trial", journeyMap); err != nil {
			return err
		}
		for i := range monitors {
			if i%12 == 0 {
				journeyMap.Spec.Stages = append(journeyMap.Spec.Stages, cxv1alpha1.Stage{Name: fmt.Sprintf("usage-%d", i/12)})
			}
			stage := &journeyMap.Spec.Stages[len(journeyMap.Spec.Stages)-1]
			stage.Touchpoints = append(stage.Touchpoints, cxv1alpha1.Touchpoint{Name: fmt.Sprintf("bulk-%02d", i), Channel: "api"})
		}
		return c.Update(context.Background(), journeyMap)
	})
	if err != nil {
		t.Fatal(err)
	}
	create(t, c, ns, manifest.String())
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "trial", &cxv1alpha1.JourneyMap{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.CollectorReadyCondition, "False", cxv1alpha1.CollectorConfigTooLargeReason); err != nil {
			return err
		}
		// The largest monitor goes first.
		if msg := findMessage(m.Status.Conditions, cxv1alpha1.CollectorReadyCondition); !strings.Contains(msg, fmt.Sprintf("bulk-%02d (", monitors-1)) {
			return fmt.Errorf("message %q does not name the largest monitor", msg)
		}
		config, err := collectorProbes(t, c, ns, "trial")
		if err != nil {
			return err
		}
		if !strings.Contains(config, "pricing-page") || strings.Contains(config, fmt.Sprintf("bulk-%02d", monitors-1)) {
			return fmt.Errorf("collector config should keep the small probes and leave out the largest")
		}
		return nil
	})
}

// TestLiteralCredentialIsFlagged: a token written into a probe works, and
// the monitor says it belongs in a Secret.
func TestLiteralCredentialIsFlagged(t *testing.T) {
	c := env.Client
	ns := newNamespace(t, c)
	create(t, c, ns, strings.NewReplacer(`        - name: Authorization
          valueFrom:
            secretKeyRef: {name: crm-token, key: authorization}`, `        - name: X-Access-Token
          value: s3cr3t-synthetic-token`).Replace(tokenJourney))
	eventually(t, convergeTimeout, func() error {
		m, err := get(t, c, ns, "contacts-api", &cxv1alpha1.TouchpointMonitor{})
		if err != nil {
			return err
		}
		if err := conditionIs(m.Status.Conditions, cxv1alpha1.LiteralCredentialsCondition, "True", cxv1alpha1.LiteralCredentialReason); err != nil {
			return err
		}
		if msg := findMessage(m.Status.Conditions, cxv1alpha1.LiteralCredentialsCondition); !strings.Contains(msg, "X-Access-Token") || !strings.Contains(msg, "Secret") {
			return fmt.Errorf("message %q does not name the header and the fix", msg)
		}
		return monitorReady(t, c, ns, "contacts-api")
	})
	if err := conditionIs(mustMonitor(t, c, ns, "pricing-page").Status.Conditions, cxv1alpha1.LiteralCredentialsCondition, "True", ""); err == nil {
		t.Fatal("a probe without credentials is flagged")
	}
}

func mustMonitor(t *testing.T, c client.Client, ns, name string) *cxv1alpha1.TouchpointMonitor {
	t.Helper()
	m, err := get(t, c, ns, name, &cxv1alpha1.TouchpointMonitor{})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// runControllerManager runs kube-controller-manager (with the given
// controllers, or its garbage collector) until the test ends.
func runControllerManager(t *testing.T, controllers ...string) {
	t.Helper()
	stop, err := env.StartControllerManager(t.TempDir(), controllers...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Error(err)
		}
	})
}
