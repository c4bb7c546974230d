{{- define "mcpscope.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "mcpscope.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else if contains (include "mcpscope.name" .) .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name (include "mcpscope.name" .) | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}

{{- define "mcpscope.labels" -}}
app.kubernetes.io/name: {{ include "mcpscope.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end }}

{{- define "mcpscope.selector" -}}
app.kubernetes.io/name: {{ include "mcpscope.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "mcpscope.webhookName" -}}{{ include "mcpscope.fullname" . }}-webhook{{- end }}
{{- define "mcpscope.collectorName" -}}{{ include "mcpscope.fullname" . }}-collector{{- end }}
{{- define "mcpscope.prometheusName" -}}{{ include "mcpscope.fullname" . }}-prometheus{{- end }}
{{- define "mcpscope.grafanaName" -}}{{ include "mcpscope.fullname" . }}-grafana{{- end }}
{{- define "mcpscope.jaegerName" -}}{{ include "mcpscope.fullname" . }}-jaeger{{- end }}

{{- define "mcpscope.otlpEndpoint" -}}
{{- if .Values.telemetry.otlpEndpoint -}}
{{ .Values.telemetry.otlpEndpoint }}
{{- else if .Values.collector.enabled -}}
http://{{ include "mcpscope.collectorName" . }}.{{ .Release.Namespace }}.svc:4318
{{- end -}}
{{- end }}

{{/* The restricted Pod Security Standard, for every container the chart runs. */}}
{{- define "mcpscope.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities: { drop: [ALL] }
seccompProfile: { type: RuntimeDefault }
{{- end }}

{{- /*
alerts.yml with the chart's context-cost token budgets written over the defaults the file ships
with (25000 for a result, 20000 for a catalogue), where each stands in an expression and in an
annotation; compose and promtool use the file as written. e2e/src/packaging.test.ts renders other
budgets and checks that every one was replaced.
*/}}
{{- define "mcpscope.alertRules" -}}
{{- $result := int .Values.contextCost.toolResultTokenBudget -}}
{{- $catalogue := int .Values.contextCost.toolCatalogueTokenBudget -}}
{{- $rules := .Files.Get "files/alerts.yml" -}}
{{- $rules = replace "le=\"25000\"" (printf "le=\"%d\"" $result) $rules -}}
{{- $rules = replace "result budget of 25000 tokens" (printf "result budget of %d tokens" $result) $rules -}}
{{- $rules = replace "(mcp_tools_list_tokens) > 20000" (printf "(mcp_tools_list_tokens) > %d" $catalogue) $rules -}}
{{- $rules = replace "catalogue budget of 20000 tokens" (printf "catalogue budget of %d tokens" $catalogue) $rules -}}
{{- $rules -}}
{{- end }}
