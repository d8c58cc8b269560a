{{/*
Names. The release's full name prefixes every resource: <fullname>-<model>, <fullname>-evaluator.
*/}}
{{- define "evalstack.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "evalstack.fullname" -}}
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

{{- define "evalstack.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
Labels. Call with (dict "root" $ "component" "model|evaluator|loadtest" "model" "<name or empty>").
*/}}
{{- define "evalstack.selectorLabels" -}}
app.kubernetes.io/name: {{ include "evalstack.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- with .model }}
evalstack.io/model: {{ . }}
{{- end }}
{{- end }}

{{- define "evalstack.labels" -}}
helm.sh/chart: {{ include "evalstack.chart" .root }}
{{ include "evalstack.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: evalstack
{{- end }}

{{/*
An image reference: (dict "root" $ "image" <{repository, tag}> "field" "<values path for messages>").
The tag defaults to the chart's appVersion; `latest` (or no tag at all) is refused.
*/}}
{{- define "evalstack.image" -}}
{{- $repository := required (printf "%s.repository is required" .field) .image.repository }}
{{- $tag := toString (default .root.Chart.AppVersion .image.tag) }}
{{- if eq $tag "latest" }}
{{- fail (printf "%s.tag: 'latest' is not allowed; pin a version" .field) }}
{{- end }}
{{- $registry := .root.Values.global.imageRegistry }}
{{- if $registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" $registry) $repository $tag }}
{{- else }}
{{- printf "%s:%s" $repository $tag }}
{{- end }}
{{- end }}

{{/*
Deep merge that, unlike sprig's mergeOverwrite, lets an override set false, 0 or "".
(dict "dst" <map, modified in place> "src" <map>)
*/}}
{{- define "evalstack.mergeInto" -}}
{{- range $key, $value := .src }}
{{- $current := get $.dst $key }}
{{- if and (kindIs "map" $value) (kindIs "map" $current) }}
{{- $_ := include "evalstack.mergeInto" (dict "dst" $current "src" $value) }}
{{- else }}
{{- $_ := set $.dst $key $value }}
{{- end }}
{{- end }}
{{- end }}

{{/*
One model's effective configuration: modelDefaults merged with the entry, plus derived names.
(dict "root" $ "model" <entry> "index" <i> "out" <empty dict, filled in place>)
*/}}
{{- define "evalstack.modelConfig" -}}
{{- $root := .root }}
{{- $out := .out }}
{{- $_ := include "evalstack.mergeInto" (dict "dst" $out "src" (deepCopy $root.Values.modelDefaults)) }}
{{- $_ := include "evalstack.mergeInto" (dict "dst" $out "src" (deepCopy .model)) }}
{{- $field := printf "models[%d]" (int .index) }}
{{- $_ := set $out "field" $field }}
{{- /* One Dockerfile builds every model image (services/model/Dockerfile, --build-arg MODEL=<name>). */}}
{{- if not $out.image.repository }}
{{- $_ := set $out.image "repository" (printf "evalstack/%s" $out.name) }}
{{- end }}
{{- $_ := set $out "fullname" (printf "%s-%s" (include "evalstack.fullname" $root) $out.name | trunc 63 | trimSuffix "-") }}
{{- $_ := set $out "target" (printf "dns:///%s.%s.svc.%s:%d" $out.fullname $root.Release.Namespace $root.Values.global.clusterDomain (int $out.grpcPort)) }}
{{- $source := $out.source | default dict }}
{{- $kinds := list }}
{{- range $kind := list "hub" "files" "pypi" "path" }}
{{- if hasKey $source $kind }}{{ $kinds = append $kinds $kind }}{{ end }}
{{- end }}
{{- if ne (len $kinds) 1 }}
{{- fail (printf "%s.source: set exactly one of hub, files, pypi or path (found %d)" $field (len $kinds)) }}
{{- end }}
{{- $_ := set $out "sourceKind" (first $kinds) }}
{{- if and (eq $out.sourceKind "path") (not $out.storage.existingClaim) }}
{{- fail (printf "%s.source.path needs %s.storage.existingClaim (the claim that holds the file)" $field $field) }}
{{- end }}
{{- if and $out.autoscaling.enabled (lt (int $out.autoscaling.maxReplicas) (int $out.autoscaling.minReplicas)) }}
{{- fail (printf "%s.autoscaling.maxReplicas must be >= minReplicas" $field) }}
{{- end }}
{{- $_ := set $out "terminationGracePeriodSeconds" (add (int $out.preStopSeconds) (int $out.maxGenerationSeconds) 15) }}
{{- end }}

{{/*
The models' effective configurations, as a YAML list (for templates that need all of them).
*/}}
{{- define "evalstack.modelTargets" -}}
{{- $targets := list }}
{{- range $i, $raw := .Values.models }}
{{- $m := dict }}
{{- $_ := include "evalstack.modelConfig" (dict "root" $ "model" $raw "index" $i "out" $m) }}
{{- $targets = append $targets (printf "%s=%s" $m.name $m.target) }}
{{- end }}
{{- join "," $targets }}
{{- end }}

{{/*
EVALSTACK_MODELS: the chart's models (gRPC, every pod of each headless Service) and then evaluator.openaiTargets
(name=openai+<url>[#model]).
*/}}
{{- define "evalstack.evaluatorModels" -}}
{{- $entries := list (include "evalstack.modelTargets" .) }}
{{- range .Values.evaluator.openaiTargets }}
{{- $entries = append $entries (printf "%s=openai+%s%s" .name (trimSuffix "/" .url) (ternary (printf "#%s" .model) "" (not (empty .model)))) }}
{{- end }}
{{- join "," (compact $entries) }}
{{- end }}

{{/*
The prefix of an OpenAI target's own variables: "my-vllm" -> EVALSTACK_MODEL_MY_VLLM_ (as models/targetSpec.ts).
*/}}
{{- define "evalstack.modelVariablePrefix" -}}
{{- printf "EVALSTACK_MODEL_%s_" (upper (replace "-" "_" .)) }}
{{- end }}

{{/*
The TCP port of an OpenAI target's URL (its explicit port, else 443 for https and 80 for http).
*/}}
{{- define "evalstack.urlPort" -}}
{{- $u := urlParse . }}
{{- $hostPort := splitList ":" $u.host }}
{{- if gt (len $hostPort) 1 }}{{ last $hostPort }}{{ else if eq $u.scheme "https" }}443{{ else }}80{{ end }}
{{- end }}

{{- define "evalstack.podSecurityContext" -}}
{{- toYaml .Values.podSecurityContext }}
{{- end }}

{{- define "evalstack.containerSecurityContext" -}}
{{- toYaml .Values.containerSecurityContext }}
{{- end }}

{{- define "evalstack.evaluatorName" -}}
{{- printf "%s-evaluator" (include "evalstack.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "evalstack.loadTestName" -}}
{{- printf "%s-loadtest" (include "evalstack.fullname" .) | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The model the load test calls: its effective configuration (evalstack.modelConfig) as YAML; fails when
loadTest.model names no entry of `models`.
*/}}
{{- define "evalstack.loadTestTarget" -}}
{{- $found := dict }}
{{- range $i, $raw := .Values.models }}
{{- $m := dict }}
{{- $_ := include "evalstack.modelConfig" (dict "root" $ "model" $raw "index" $i "out" $m) }}
{{- if eq $m.name $.Values.loadTest.model }}{{ $found = $m }}{{ end }}
{{- end }}
{{- if not $found.name }}
{{- fail (printf "loadTest.model: no model named %q in models" $.Values.loadTest.model) }}
{{- end }}
{{- toYaml $found }}
{{- end }}

{{/*
The sandbox's seccomp-profile installer lives in its own namespace (evaluator.sandbox.seccompProfile.
installNamespace), shared by every release that installs one: its names and selector carry the release's
namespace too, so that two releases (even both called evalstack) never share or fight over an object.
*/}}
{{- define "evalstack.sandboxInstallerName" -}}
{{- $name := printf "%s-%s-sandbox-seccomp" (include "evalstack.fullname" .) .Release.Namespace }}
{{- if gt (len $name) 63 }}
{{- $name = printf "%s-%s" ($name | trunc 52 | trimSuffix "-") ($name | sha256sum | trunc 10) }}
{{- end }}
{{- $name }}
{{- end }}

{{- define "evalstack.sandboxInstallerSelectorLabels" -}}
{{ include "evalstack.selectorLabels" (dict "root" . "component" "sandbox-profile") }}
evalstack.io/release-namespace: {{ .Release.Namespace }}
{{- end }}

{{- define "evalstack.sandboxInstallerLabels" -}}
{{ include "evalstack.labels" (dict "root" . "component" "sandbox-profile") }}
evalstack.io/release-namespace: {{ .Release.Namespace }}
{{- end }}
