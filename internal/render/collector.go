package render

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"path"
	"slices"
	"sort"
	"time"

	monitoringv1 "github.com/prometheus-operator/prometheus-operator/pkg/apis/monitoring/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	cxv1alpha1 "github.com/journeymap/journey-operator/api/v1alpha1"
	"github.com/journeymap/journey-operator/internal/journey"
	"github.com/journeymap/journey-operator/internal/probeconfig"
)

// Collector ports and paths; journey-probe serves them (cmd/journey-probe).
const (
	CollectorPortName = "metrics"
	CollectorPort     = 9115
	collectorAppName  = "journey-probe"
	configDir         = "/etc/journey-probe/config"
)

// Collector is the input of the collector builders: one journey map and its
// monitored touchpoints that have a probe.
type Collector struct {
	Map *cxv1alpha1.JourneyMap
	// Probed are the bindings whose monitors have a probe, in any order.
	Probed []journey.TouchpointBinding
	// Image is the journey-probe container image.
	Image string
	// ServiceMonitor says whether the Prometheus Operator is installed; the
	// Service carries scrape annotations instead when it is not.
	ServiceMonitor bool
}

// ProbeConfig is the journey-probe configuration of the collector: one probe
// per probed touchpoint, sorted by ID so that the rendered file is stable.
func ProbeConfig(c Collector) probeconfig.Config {
	probes := make([]probeconfig.Probe, 0, len(c.Probed))
	for _, b := range c.Probed {
		spec := b.Monitor.Spec.Probe
		p := probeconfig.Probe{
			ID: b.Monitor.Namespace + "/" + b.Monitor.Name,
			Labels: probeconfig.Labels{
				Namespace:  b.Monitor.Namespace,
				Journey:    b.Map.Name,
				Stage:      b.Stage.Name,
				Touchpoint: b.Touchpoint.Name,
				Persona:    b.Map.Spec.PersonaRef.Name,
			},
			Interval:    durationOr(spec.Interval, 30*time.Second),
			Timeout:     durationOr(spec.Timeout, 10*time.Second),
			Maintenance: b.MaintenanceWindows(),
		}
		switch {
		case spec.HTTP != nil:
			req := httpRequest(spec.HTTP.HTTPRequest)
			p.HTTP = &req
		case spec.TCP != nil:
			p.TCP = &probeconfig.TCPCheck{Address: spec.TCP.Address}
		case spec.DNS != nil:
			recordType := string(spec.DNS.RecordType)
			if recordType == "" {
				recordType = "A"
			}
			p.DNS = &probeconfig.DNSCheck{Name: spec.DNS.Name, RecordType: recordType, Server: spec.DNS.Server, Expect: spec.DNS.Expect}
		case spec.Flow != nil:
			p.Flow = &probeconfig.Flow{}
			for _, step := range spec.Flow.Steps {
				s := probeconfig.FlowStep{Name: step.Name, HTTPRequest: httpRequest(step.HTTPRequest)}
				for _, capture := range step.Capture {
					s.Capture = append(s.Capture, probeconfig.Capture{Name: capture.Name, From: string(capture.From), Expression: capture.Expression})
				}
				p.Flow.Steps = append(p.Flow.Steps, s)
			}
		}
		probes = append(probes, p)
	}
	sort.Slice(probes, func(i, j int) bool { return probes[i].ID < probes[j].ID })
	return probeconfig.Config{Probes: probes}
}

// durationOr applies the API's documented default to a duration the
// apiserver would have defaulted, for objects built in memory.
func durationOr(d *metav1.Duration, fallback time.Duration) metav1.Duration {
	if d != nil && d.Duration > 0 {
		return *d
	}
	return metav1.Duration{Duration: fallback}
}

func httpRequest(in cxv1alpha1.HTTPRequest) probeconfig.HTTPRequest {
	out := probeconfig.HTTPRequest{
		URL:             in.URL,
		Method:          string(in.Method),
		Body:            in.Body,
		BodyContains:    in.BodyContains,
		BodyRegex:       in.BodyRegex,
		FollowRedirects: in.FollowRedirects == nil || *in.FollowRedirects,
	}
	if out.Method == "" {
		out.Method = "GET"
	}
	for _, code := range in.ExpectedStatus {
		out.ExpectedStatus = append(out.ExpectedStatus, int(code))
	}
	for _, h := range in.Headers {
		header := probeconfig.Header{Name: h.Name}
		if h.ValueFrom != nil {
			header.ValueFile = secretFile(h.ValueFrom.SecretKeyRef)
		} else if h.Value != nil {
			header.Value = *h.Value
		}
		out.Header = append(out.Header, header)
	}
	for _, a := range in.JSON {
		out.JSON = append(out.JSON, probeconfig.JSONAssertion{Path: a.Path, Equals: a.Equals})
	}
	if in.TLS != nil {
		out.TLS = &probeconfig.TLS{InsecureSkipVerify: in.TLS.InsecureSkipVerify, ServerName: in.TLS.ServerName}
		if in.TLS.CASecretRef != nil {
			out.TLS.CAFile = secretFile(*in.TLS.CASecretRef)
		}
	}
	return out
}

// secretFile is where the collector finds a Secret key: every referenced
// Secret is mounted in its own directory under probeconfig.SecretsDir.
func secretFile(ref cxv1alpha1.SecretKeySelector) string {
	return path.Join(probeconfig.SecretsDir, ref.Name, ref.Key)
}

// referencedSecrets lists the Secrets the probes read, sorted.
func referencedSecrets(c Collector) []string {
	seen := map[string]bool{}
	for _, b := range c.Probed {
		for _, name := range journey.SecretNames(b.Monitor) {
			seen[name] = true
		}
	}
	names := make([]string, 0, len(seen))
	for name := range seen {
		names = append(names, name)
	}
	sort.Strings(names)
	return names
}

func collectorLabels(c Collector) map[string]string {
	return map[string]string{
		NameLabel:      collectorAppName,
		ComponentLabel: collectorComponent,
		JourneyLabel:   labelValue(c.Map.Name),
	}
}

// collectorSelector selects by the journey label, not
// app.kubernetes.io/instance, which Argo CD's label tracking claims for
// Applications: a collector must never look like part of an Application
// that happens to share the map's name.
func collectorSelector(c Collector) map[string]string {
	return map[string]string{NameLabel: collectorAppName, JourneyLabel: labelValue(c.Map.Name)}
}

// BuildCollectorConfigMap builds the ConfigMap holding the probe
// configuration. The collector watches its mounted copy, so a change
// reaches the running probes without a restart.
func BuildCollectorConfigMap(c Collector, scheme *runtime.Scheme) (*corev1.ConfigMap, error) {
	meta, err := childMeta(CollectorName(c.Map.Name), c.Map, collectorLabels(c), scheme)
	if err != nil {
		return nil, err
	}
	config, err := yaml.Marshal(ProbeConfig(c))
	if err != nil {
		return nil, err
	}
	return &corev1.ConfigMap{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "ConfigMap"},
		ObjectMeta: meta,
		Data:       map[string]string{probeconfig.ConfigFileName: string(config)},
	}, nil
}

// BuildCollectorDeployment builds the Deployment running journey-probe. It
// runs one replica while the map has probes and none otherwise, with the
// restricted Pod Security profile.
func BuildCollectorDeployment(c Collector, scheme *runtime.Scheme) (*appsv1.Deployment, error) {
	name := CollectorName(c.Map.Name)
	meta, err := childMeta(name, c.Map, collectorLabels(c), scheme)
	if err != nil {
		return nil, err
	}
	replicas := int32(0)
	if len(c.Probed) > 0 {
		replicas = 1
	}
	volumes := []corev1.Volume{{
		Name:         "config",
		VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}},
	}}
	mounts := []corev1.VolumeMount{{Name: "config", MountPath: configDir, ReadOnly: true}}
	for _, secret := range referencedSecrets(c) {
		volume := secretVolumeName(secret)
		volumes = append(volumes, corev1.Volume{
			Name:         volume,
			VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: secret}},
		})
		mounts = append(mounts, corev1.VolumeMount{Name: volume, MountPath: path.Join(probeconfig.SecretsDir, secret), ReadOnly: true})
	}
	httpGet := func(path string) *corev1.Probe {
		return &corev1.Probe{ProbeHandler: corev1.ProbeHandler{HTTPGet: &corev1.HTTPGetAction{Path: path, Port: intstr.FromString(CollectorPortName)}}}
	}
	return &appsv1.Deployment{
		TypeMeta:   metav1.TypeMeta{APIVersion: "apps/v1", Kind: "Deployment"},
		ObjectMeta: meta,
		Spec: appsv1.DeploymentSpec{
			Replicas: &replicas,
			Selector: &metav1.LabelSelector{MatchLabels: collectorSelector(c)},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: collectorLabels(c)},
				Spec: corev1.PodSpec{
					AutomountServiceAccountToken: ptr.To(false),
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   ptr.To(true),
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{{
						Name:  collectorAppName,
						Image: c.Image,
						Args: []string{
							"--config=" + path.Join(configDir, probeconfig.ConfigFileName),
							fmt.Sprintf("--listen-address=:%d", CollectorPort),
						},
						Ports:          []corev1.ContainerPort{{Name: CollectorPortName, ContainerPort: CollectorPort, Protocol: corev1.ProtocolTCP}},
						LivenessProbe:  httpGet("/healthz"),
						ReadinessProbe: httpGet("/readyz"),
						Resources: corev1.ResourceRequirements{
							Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m"), corev1.ResourceMemory: resource.MustParse("32Mi")},
							Limits:   corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("128Mi")},
						},
						SecurityContext: &corev1.SecurityContext{
							AllowPrivilegeEscalation: ptr.To(false),
							ReadOnlyRootFilesystem:   ptr.To(true),
							RunAsNonRoot:             ptr.To(true),
							Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
						},
						VolumeMounts: mounts,
					}},
					Volumes: volumes,
				},
			},
		},
	}, nil
}

// secretVolumeName is a valid, unique volume name for a Secret name, which
// may be longer than a volume name can be.
func secretVolumeName(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return "secret-" + hex.EncodeToString(sum[:])[:16]
}

// BuildCollectorService builds the Service exposing the collector's metrics.
func BuildCollectorService(c Collector, scheme *runtime.Scheme) (*corev1.Service, error) {
	meta, err := childMeta(CollectorName(c.Map.Name), c.Map, collectorLabels(c), scheme)
	if err != nil {
		return nil, err
	}
	if !c.ServiceMonitor {
		meta.Annotations = map[string]string{
			"prometheus.io/scrape": "true",
			"prometheus.io/port":   fmt.Sprint(CollectorPort),
			"prometheus.io/path":   "/metrics",
		}
	}
	return &corev1.Service{
		TypeMeta:   metav1.TypeMeta{APIVersion: "v1", Kind: "Service"},
		ObjectMeta: meta,
		Spec: corev1.ServiceSpec{
			Selector: collectorSelector(c),
			Ports: []corev1.ServicePort{{
				Name: CollectorPortName, Port: CollectorPort, TargetPort: intstr.FromString(CollectorPortName), Protocol: corev1.ProtocolTCP,
			}},
		},
	}, nil
}

// BuildServiceMonitor builds the ServiceMonitor that has the Prometheus
// Operator scrape the collector. honorLabels keeps the probe's namespace,
// journey and touchpoint labels instead of the scrape target's.
func BuildServiceMonitor(c Collector, scheme *runtime.Scheme) (*monitoringv1.ServiceMonitor, error) {
	meta, err := childMeta(CollectorName(c.Map.Name), c.Map, collectorLabels(c), scheme)
	if err != nil {
		return nil, err
	}
	return &monitoringv1.ServiceMonitor{
		TypeMeta:   metav1.TypeMeta{APIVersion: monitoringv1.SchemeGroupVersion.String(), Kind: monitoringv1.ServiceMonitorsKind},
		ObjectMeta: meta,
		Spec: monitoringv1.ServiceMonitorSpec{
			Selector: metav1.LabelSelector{MatchLabels: collectorSelector(c)},
			Endpoints: []monitoringv1.Endpoint{{
				Port:        CollectorPortName,
				Path:        "/metrics",
				Interval:    monitoringv1.Duration("30s"),
				HonorLabels: true,
			}},
		},
	}, nil
}

// BuildCollector builds every object of the collector, in the order they
// are applied: the probe configuration before the Deployment that mounts
// it. Probes that would overflow the ConfigMap are left out, largest
// first (see FitCollector); probes are the ones that run and leftOut names
// the monitors left out with their sizes.
func BuildCollector(c Collector, scheme *runtime.Scheme) (children []client.Object, probes int, leftOut []string, err error) {
	configMap, err := BuildCollectorConfigMap(c, scheme)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("building the collector ConfigMap: %w", err)
	}
	// Measured on what is built anyway, so a collector that fits, the
	// common case, costs nothing more.
	if len(configMap.Data[probeconfig.ConfigFileName]) > MaxCollectorConfig {
		c, leftOut = FitCollector(c)
		if configMap, err = BuildCollectorConfigMap(c, scheme); err != nil {
			return nil, 0, nil, fmt.Errorf("building the collector ConfigMap: %w", err)
		}
	}
	deployment, err := BuildCollectorDeployment(c, scheme)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("building the collector Deployment: %w", err)
	}
	service, err := BuildCollectorService(c, scheme)
	if err != nil {
		return nil, 0, nil, fmt.Errorf("building the collector Service: %w", err)
	}
	children = []client.Object{configMap, deployment, service}
	if c.ServiceMonitor {
		serviceMonitor, err := BuildServiceMonitor(c, scheme)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("building the collector ServiceMonitor: %w", err)
		}
		children = append(children, serviceMonitor)
	}
	return children, len(c.Probed), leftOut, nil
}

// MaxCollectorConfig is how much probe configuration one collector
// ConfigMap may hold: the apiserver refuses a ConfigMap over 1 MiB, and the
// rest of the object needs room too.
const MaxCollectorConfig = 1<<20 - 64<<10

// FitCollector keeps the probes of a collector within MaxCollectorConfig.
// When they do not fit, the largest are left out until the rest do, so that
// one oversized monitor costs its own probe and not every probe of the
// journey. It returns the monitors left out, each with its size, largest
// first.
func FitCollector(c Collector) (Collector, []string) {
	sizes := make(map[string]int, len(c.Probed))
	total := 0
	for _, b := range c.Probed {
		size := probeSize(c, b)
		sizes[b.Monitor.Name] = size
		total += size
	}
	if total <= MaxCollectorConfig {
		return c, nil
	}
	bySize := slices.Clone(c.Probed)
	slices.SortStableFunc(bySize, func(a, b journey.TouchpointBinding) int {
		return sizes[b.Monitor.Name] - sizes[a.Monitor.Name]
	})
	leftOut := map[string]bool{}
	var described []string
	for _, b := range bySize {
		if total <= MaxCollectorConfig {
			break
		}
		leftOut[b.Monitor.Name] = true
		total -= sizes[b.Monitor.Name]
		described = append(described, fmt.Sprintf("%s (%d KiB)", b.Monitor.Name, (sizes[b.Monitor.Name]+1023)/1024))
	}
	fitted := c
	fitted.Probed = slices.DeleteFunc(slices.Clone(c.Probed), func(b journey.TouchpointBinding) bool { return leftOut[b.Monitor.Name] })
	return fitted, described
}

// probeSize is the size one monitor adds to the collector configuration.
func probeSize(c Collector, b journey.TouchpointBinding) int {
	one := c
	one.Probed = []journey.TouchpointBinding{b}
	config, err := yaml.Marshal(ProbeConfig(one))
	if err != nil {
		return 0
	}
	return len(config)
}
