{{- define "lines.hardened" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end }}

{{- define "lines.included" -}}
privileged: {{ .Values.included.privileged }}
{{ include "lines.hardened" . }}
{{- end }}
