{{/* Names, labels and the pieces every role's pod shares. */}}

{{- define "switchboard.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "switchboard.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* Selector labels of one role: include with (dict "ctx" $ "role" "api"). */}}
{{- define "switchboard.selector" -}}
app.kubernetes.io/name: {{ .ctx.Chart.Name }}
app.kubernetes.io/instance: {{ .ctx.Release.Name }}
app.kubernetes.io/component: {{ .role }}
{{- end -}}

{{- define "switchboard.image" -}}
{{ .Values.image.repository }}:{{ .Values.image.tag | default .Chart.AppVersion }}
{{- end -}}

{{- define "switchboard.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "switchboard.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "switchboard.secretName" -}}
{{- default (printf "%s-secrets" (include "switchboard.fullname" .)) .Values.secrets.existingSecret -}}
{{- end -}}

{{/* Environment of every role: the ConfigMap plus the three secrets. */}}
{{- define "switchboard.env" -}}
envFrom:
  - configMapRef:
      name: {{ include "switchboard.fullname" . }}-config
env:
  - name: SWITCHBOARD_ADMIN_KEY
    valueFrom:
      secretKeyRef: {name: {{ include "switchboard.secretName" . }}, key: {{ .Values.secrets.adminKeyKey }}}
  - name: SWITCHBOARD_MASTER_KEY
    valueFrom:
      secretKeyRef: {name: {{ include "switchboard.secretName" . }}, key: {{ .Values.secrets.masterKeyKey }}, optional: true}
  - name: SWITCHBOARD_DATABASE_URL
    valueFrom:
      secretKeyRef: {name: {{ include "switchboard.secretName" . }}, key: {{ .Values.secrets.databaseURLKey }}}
{{- end -}}

{{/* Liveness and readiness probes on a named port. */}}
{{- define "switchboard.probes" -}}
livenessProbe:
  httpGet: {path: /livez, port: {{ .port }}}
  {{- toYaml .ctx.Values.probes.liveness | nindent 2 }}
readinessProbe:
  httpGet: {path: /readyz, port: {{ .port }}}
  {{- toYaml .ctx.Values.probes.readiness | nindent 2 }}
{{- end -}}

{{/* Writable scratch for a read-only root filesystem. */}}
{{- define "switchboard.volumes" -}}
volumes:
  - name: data
    emptyDir: {}
  - name: tmp
    emptyDir: {}
{{- end -}}

{{- define "switchboard.volumeMounts" -}}
volumeMounts:
  - {name: data, mountPath: /data}
  - {name: tmp, mountPath: /tmp}
{{- end -}}
