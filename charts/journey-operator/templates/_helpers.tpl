{{/*
The release's full name, used for every object: the release name alone when
it already names the chart, so `helm install journey-operator` gives
"journey-operator" rather than "journey-operator-journey-operator".
*/}}
{{- define "journey-operator.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels on every object. */}}
{{- define "journey-operator.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "journey-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Labels that select the manager's pods; immutable once installed. */}}
{{- define "journey-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: manager
{{- end -}}

{{- define "journey-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "journey-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/*
An image reference: repository:tag, and @digest when a digest is set (the
tag then only tells people which version it is; the digest decides).
*/}}
{{- define "journey-operator.imageRef" -}}
{{- printf "%s:%s" .image.repository (default .chart.AppVersion .image.tag) -}}
{{- with .image.digest }}@{{ . }}{{ end -}}
{{- end -}}

{{- define "journey-operator.image" -}}
{{- include "journey-operator.imageRef" (dict "image" .Values.image "chart" .Chart) -}}
{{- end -}}

{{- define "journey-operator.uiImage" -}}
{{- include "journey-operator.imageRef" (dict "image" .Values.ui.image "chart" .Chart) -}}
{{- end -}}

{{- define "journey-operator.probeImage" -}}
{{- include "journey-operator.imageRef" (dict "image" .Values.probeImage "chart" .Chart) -}}
{{- end -}}

{{/* Where the Prometheus credentials are mounted in the manager. */}}
{{- define "journey-operator.prometheusTokenFile" -}}/etc/journey-operator/prometheus-token/{{ .Values.prometheus.bearerToken.key }}{{- end -}}
{{- define "journey-operator.prometheusCAFile" -}}/etc/journey-operator/prometheus-ca/{{ .Values.prometheus.ca.key }}{{- end -}}
