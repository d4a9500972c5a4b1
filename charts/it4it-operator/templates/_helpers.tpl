{{/* Chart name. */}}
{{- define "it4it-operator.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Full name: the release name when it already contains the chart name (e.g. it4it-operator). */}}
{{- define "it4it-operator.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{- define "it4it-operator.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "it4it-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ include "it4it-operator.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "it4it-operator.labels" -}}
helm.sh/chart: {{ include "it4it-operator.chart" . }}
{{ include "it4it-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: it4it-operator
{{- end }}

{{- define "it4it-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "it4it-operator.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The operator's identities, as a CEL list of strings: its ServiceAccount, and any other. */}}
{{- define "it4it-operator.operatorUsers" -}}
{{- $sa := printf "system:serviceaccount:%s:%s" .Release.Namespace (include "it4it-operator.serviceAccountName" .) }}
{{- toJson (uniq (prepend (.Values.admissionPolicy.operatorUsers | default list) $sa)) }}
{{- end }}

{{/* The Lease of leader election (in the release namespace). */}}
{{- define "it4it-operator.leaseName" -}}
{{- default (include "it4it-operator.fullname" .) .Values.leaderElection.leaseName }}
{{- end }}

{{- define "it4it-operator.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}
{{- end }}

{{/* IT4IT_ALLOWED_KINDS: "group/Kind,..." with "/Kind" for the core group. */}}
{{- define "it4it-operator.allowedKinds" -}}
{{- $entries := list }}
{{- range .Values.allowedKinds }}
{{- $entries = append $entries (printf "%s/%s" .group .kind) }}
{{- end }}
{{- join "," $entries }}
{{- end }}

