"""Charts shaped like BlueKing's, written by the tests and packaged with the real Helm engine.

What real BlueKing 7.x charts do, and these do too: a library subchart (bitnami `common`)
under charts/, hooks (a pre-install,pre-upgrade migration Job with delete policy and weight,
a `helm test` Pod, a pre-delete Job), CRDs under crds/ for the operator charts, a
ServiceMonitor guarded by `.Capabilities.APIVersions.Has`, optional fields that render as
`null` (`annotations:` with nothing under it), StatefulSets whose `serviceName` is a normal
Service (bitnami), `existingSecret` switches, and passwords from `randAlphaNum` when no
value is given. `quirky=True` adds the `---apiVersion` separator bk-monitor's chart emits.

The BlueKing 7.0 application charts (bkce70 archives) bundle their storage as bitnami
subcharts (`mariadb`, `redis`, …) switched by `<name>.enabled`, on by default, and otherwise
reach storage through `externalDatabase.default.*` / `externalRedis.default.*`, writing the
plain password into a ConfigMap: `bundled=(...)` builds those subcharts (StatefulSets whose
Secret's password is `randAlphaNum` unless `auth.password` is given) and the external
wiring.
"""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import helm_python
import yaml

COMMON_HELPERS = """\
{{- define "common.names.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}{{ .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else -}}{{ printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" }}{{- end -}}
{{- end -}}
{{- define "common.labels.standard" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
helm.sh/chart: {{ .Chart.Name }}-{{ .Chart.Version }}
{{- end -}}
{{- define "common.images.image" -}}
{{- $registry := .global.imageRegistry | default .image.registry -}}
{{ $registry }}/{{ .image.repository }}:{{ .image.tag }}
{{- end -}}
"""

VALUES = """\
global:
  imageRegistry: ""
  storageClass: ""
image:
  registry: hub.bktencent.com
  repository: blueking/{name}
  tag: "{version}"
replicaCount: 1
host: ""
podAnnotations: {{}}
resources: {{}}
auth:
  password: ""
serviceMonitor:
  enabled: false
secretKey: ""
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: {{ .Values.workloadKind | default "Deployment" }}
metadata:
  name: {{ include "common.names.fullname" . }}
  labels: {{- include "common.labels.standard" . | nindent 4 }}
  annotations:
    {{- with .Values.commonAnnotations }}{{ toYaml . | nindent 4 }}{{- end }}
spec:
  replicas: {{ .Values.replicaCount }}
  {{- if eq (.Values.workloadKind | default "Deployment") "StatefulSet" }}
  serviceName: {{ include "common.names.fullname" . }}
  {{- end }}
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .Chart.Name }}
      app.kubernetes.io/instance: {{ .Release.Name }}
  template:
    metadata:
      labels: {{- include "common.labels.standard" . | nindent 8 }}
      annotations:
        {{- with .Values.podAnnotations }}{{ toYaml . | nindent 8 }}{{- end }}
    spec:
      containers:
        - name: main
          image: {{ include "common.images.image" (dict "image" .Values.image "global" .Values.global) }}
          ports:
            - name: http
              containerPort: 8080
          readinessProbe:
            httpGet: {path: /healthz, port: http}
          livenessProbe:
            httpGet: {path: /healthz, port: http}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 512Mi}
          env:
            - name: SECRET_NAME
              value: {{ include "common.names.fullname" . | quote }}
"""

SERVICE = """\
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.names.fullname" . }}
  labels: {{- include "common.labels.standard" . | nindent 4 }}
spec:
  type: ClusterIP
  ports:
    - name: http
      port: 80
      targetPort: http
  selector:
    app.kubernetes.io/name: {{ .Chart.Name }}
    app.kubernetes.io/instance: {{ .Release.Name }}
---
apiVersion: v1
kind: Service
metadata:
  name: {{ include "common.names.fullname" . }}-headless
  labels: {{- include "common.labels.standard" . | nindent 4 }}
spec:
  clusterIP: None
  ports:
    - name: http
      port: 80
      targetPort: http
  selector:
    app.kubernetes.io/name: {{ .Chart.Name }}
    app.kubernetes.io/instance: {{ .Release.Name }}
"""

SECRET = """\
{{- if not .Values.SWITCH }}
apiVersion: v1
kind: Secret
metadata:
  name: {{ include "common.names.fullname" . }}
  labels: {{- include "common.labels.standard" . | nindent 4 }}
type: Opaque
data:
  password: {{ .Values.auth.password | default (randAlphaNum 16) | b64enc | quote }}
{{- if .Values.secretKey }}
  secret-key: {{ .Values.secretKey | b64enc | quote }}
{{- end }}
  config.ini: {{ printf "[db]\\nuser=root\\npassword=%s\\n" (.Values.auth.password | default "changeme") | b64enc | quote }}
{{- end }}
"""

HOOKS = """\
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "common.names.fullname" . }}-migrate
  annotations:
    helm.sh/hook: pre-install,pre-upgrade
    helm.sh/hook-weight: "-5"
    helm.sh/hook-delete-policy: before-hook-creation,hook-succeeded
spec:
  backoffLimit: 2
  template:
    metadata:
      annotations:
    spec:
      restartPolicy: Never
      containers:
        - name: migrate
          image: {{ include "common.images.image" (dict "image" .Values.image "global" .Values.global) }}
          args: [migrate]
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 512Mi}
---
apiVersion: batch/v1
kind: Job
metadata:
  name: {{ include "common.names.fullname" . }}-cleanup
  annotations:
    helm.sh/hook: pre-delete
spec:
  template:
    spec:
      restartPolicy: Never
      containers:
        - name: cleanup
          image: {{ include "common.images.image" (dict "image" .Values.image "global" .Values.global) }}
          resources:
            requests: {cpu: 100m, memory: 128Mi}
            limits: {cpu: "1", memory: 512Mi}
"""

TEST_HOOK = """\
apiVersion: v1
kind: Pod
metadata:
  name: {{ include "common.names.fullname" . }}-test
  annotations:
    helm.sh/hook: test
spec:
  restartPolicy: Never
  containers:
    - name: curl
      image: hub.bktencent.com/library/curl:7.85.0
      args: [http://{{ include "common.names.fullname" . }}]
"""

SERVICE_MONITOR = """\
{{- if and .Values.serviceMonitor.enabled (.Capabilities.APIVersions.Has "monitoring.coreos.com/v1") }}
apiVersion: monitoring.coreos.com/v1
kind: ServiceMonitor
metadata:
  name: {{ include "common.names.fullname" . }}
spec:
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .Chart.Name }}
  endpoints:
    - port: http
{{- end }}
"""

QUIRK = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "common.names.fullname" . }}-first
data:
  a: "1"
---apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "common.names.fullname" . }}-second
data:
  b: "2"
"""

CRD = """\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {plural}.{group}
spec:
  group: {group}
  scope: Namespaced
  names: {{kind: {kind}, plural: {plural}, singular: {singular}, listKind: {kind}List}}
  versions:
    - name: {version}
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          x-kubernetes-preserve-unknown-fields: true
"""


# How an application chart reaches each bundled storage when its subchart is off, as the
# bkce70 app charts do (bkauth, bkiam, bkssm, bk-console, bkpaas3 …): values under
# `external<Kind>.default`, rendered into a ConfigMap, password included.
EXTERNAL = {
    "mariadb": "externalDatabase",
    "mysql": "externalDatabase",
    "redis": "externalRedis",
    "mongodb": "externalMongodb",
    "rabbitmq": "externalRabbitmq",
    "elasticsearch": "externalElasticsearch",
    "zookeeper": "externalZookeeper",
}

EXTERNAL_CONFIG = """\
{{- if not .Values.SUBCHART.enabled }}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ include "common.names.fullname" . }}-SUBCHART
  labels: {{- include "common.labels.standard" . | nindent 4 }}
data:
  HOST: {{ .Values.EXTERNAL.default.host | quote }}
  PORT: {{ .Values.EXTERNAL.default.port | quote }}
  USER: {{ .Values.EXTERNAL.default.user | quote }}
  PASSWORD: {{ .Values.EXTERNAL.default.password | quote }}
{{- end }}
"""


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _with_keys(defined: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
    """`defined` plus every key of `values` it lacks, with an empty default."""
    for key, value in values.items():
        is_map = isinstance(value, Mapping) and value and set(value) != {"secretRef"}
        if key not in defined:
            defined[key] = _with_keys({}, value) if is_map else ""
        elif is_map and isinstance(defined[key], dict) and defined[key]:
            _with_keys(defined[key], value)
    return defined


def _switch_values(path: str) -> str:
    """`a.b.c` as nested YAML with an empty default, so templates can read it."""
    parts = path.split(".")
    lines = [f"{'  ' * i}{part}:" for i, part in enumerate(parts[:-1])]
    lines.append(f'{"  " * (len(parts) - 1)}{parts[-1]}: ""')
    return "\n".join(lines) + "\n"


def build_chart(
    directory: Path,
    name: str,
    version: str,
    *,
    statefulset: bool = False,
    crds: tuple[str, ...] = (),
    quirky: bool = False,
    extra_templates: dict[str, str] | None = None,
    secret_switch: str | None = "existingSecret",
    bundled: tuple[str, ...] = (),
    accepts: Mapping[str, Any] | None = None,
) -> Path:
    """A chart directory `directory/name`; `crds` are group/version/Kind strings.

    `secret_switch` is the value (dotted) that, when set, makes the chart use an existing
    Secret instead of rendering its own (None: the chart has no credentials Secret), whose
    password is `randAlphaNum` unless `auth.password` is given.

    `accepts`: values the chart must define (a chart built to fit a catalog's release
    values: bkgen checks every key a release sets against the chart's own).

    `bundled` names storage subcharts (keys of `EXTERNAL`) the chart ships under charts/,
    each switched by `<name>.enabled` (true by default) and replaced, when off, by
    `external<Kind>.default.{host,port,user,password}` read into a ConfigMap.
    """
    chart = directory / name
    dependencies = "".join(
        f"  - name: {sub}\n    version: 1.0.0\n"
        f"    repository: https://charts.bitnami.com/bitnami\n    condition: {sub}.enabled\n"
        for sub in bundled
    )
    _write(
        chart / "Chart.yaml",
        textwrap.dedent(
            f"""\
            apiVersion: v2
            name: {name}
            version: {version}
            appVersion: "{version}"
            description: BlueKing-shaped test chart
            dependencies:
              - name: common
                version: 2.2.2
                repository: https://charts.bitnami.com/bitnami
            """
        )
        + dependencies,
    )
    values = VALUES.format(name=name, version=version)
    for sub in bundled:
        values += f"{sub}:\n  enabled: true\n"
        if f"{EXTERNAL[sub]}:\n" not in values:
            values += (
                f'{EXTERNAL[sub]}:\n  default:\n    host: ""\n    port: ""\n'
                '    user: ""\n    password: ""\n'
            )
        _write(
            chart / "templates" / f"external-{sub}.yaml",
            EXTERNAL_CONFIG.replace("SUBCHART", sub).replace("EXTERNAL", EXTERNAL[sub]),
        )
        build_chart(
            chart / "charts", sub, "1.0.0", statefulset=True, secret_switch="auth.existingSecret"
        )
    if secret_switch and "." not in secret_switch:
        values += f'{secret_switch}: ""\n'
    elif secret_switch and not secret_switch.startswith("auth."):
        values += _switch_values(secret_switch)
    if statefulset:
        values += "workloadKind: StatefulSet\n"
    if secret_switch == "auth.existingSecret":
        values = values.replace(
            'auth:\n  password: ""', 'auth:\n  password: ""\n  existingSecret: ""'
        )
    if accepts:
        values = yaml.safe_dump(_with_keys(yaml.safe_load(values) or {}, accepts), sort_keys=True)
    _write(chart / "values.yaml", values)
    _write(
        chart / "charts/common/Chart.yaml",
        "apiVersion: v2\nname: common\nversion: 2.2.2\ntype: library\n",
    )
    _write(chart / "charts/common/templates/_helpers.tpl", COMMON_HELPERS)
    _write(chart / "templates/workload.yaml", DEPLOYMENT)
    _write(chart / "templates/service.yaml", SERVICE)
    if secret_switch:
        _write(chart / "templates/secret.yaml", SECRET.replace("SWITCH", secret_switch))
    _write(chart / "templates/hooks.yaml", HOOKS)
    _write(chart / "templates/tests/test-connection.yaml", TEST_HOOK)
    _write(chart / "templates/servicemonitor.yaml", SERVICE_MONITOR)
    _write(chart / "templates/NOTES.txt", "Thank you for installing {{ .Chart.Name }}.\n")
    if quirky:
        _write(chart / "templates/configmaps.yaml", QUIRK)
    for gvk in crds:
        group_version, kind = gvk.rsplit("/", 1)
        group, crd_version = group_version.split("/")
        plural = kind.lower() + "s"
        _write(
            chart / "crds" / f"{plural}.yaml",
            CRD.format(
                group=group, version=crd_version, kind=kind, plural=plural, singular=kind.lower()
            ),
        )
    for rel, text in (extra_templates or {}).items():
        _write(chart / "templates" / rel, text)
    return chart


def package(chart: Path, destination: Path) -> Path:
    destination.mkdir(parents=True, exist_ok=True)
    return Path(helm_python.package(chart, destination=destination))


def _switch(values: object, path: tuple[str, ...] = ()) -> str | None:
    """The first value path ending in existingSecret: what the base values wire."""
    if isinstance(values, dict):
        for key in sorted(values):
            if key == "existingSecret" and isinstance(values[key], str):
                return ".".join((*path, key))
            found = _switch(values[key], (*path, str(key)))
            if found:
                return found
    return None


def _bundled(values: object) -> tuple[str, ...]:
    """The bundled storage subcharts the base values switch (`mariadb: {enabled: false}`)."""
    if not isinstance(values, dict):
        return ()
    return tuple(
        sub for sub in EXTERNAL if isinstance(values.get(sub), dict) and "enabled" in values[sub]
    )


# CRDs an operator chart of the base suite ships in crds/ although no release needs them
# through `provides` (PaaS3's app operator installs its BkApp and DomainGroupMapping kinds).
OPERATOR_CRDS = {
    "bkpaas-app-operator": (
        "paas.bk.tencent.com/v1alpha2/BkApp",
        "paas.bk.tencent.com/v1alpha1/DomainGroupMapping",
    ),
}


def build_env_charts(project: Path, env_name: str, workdir: Path) -> dict[str, Path]:
    """A BlueKing-shaped chart for every chart release of `env_name` (catalog names, pinned
    versions), packaged per repository: {repository name: directory of archives}.

    Storage charts (bitnami) are StatefulSets; charts honour the `existingSecret` the base
    values set; application charts bundle the storage subcharts the base values switch off
    (`mariadb.enabled: false` …) and read `external<Kind>.default.*` instead; operators ship
    the CRDs their release `provides`; bk-cmdb emits bk-monitor's `---apiVersion` separator.
    """
    from bkgen.overlay.layers import release_values
    from bkgen.overlay.load import load_environment

    env = load_environment(project, env_name)
    served: dict[str, Path] = {}
    for release in env.plan.releases:
        if release.source != "chart" or release.chart is None:
            continue
        values = release_values(env, release).values
        build_chart(
            workdir / "src",
            release.chart.name,
            env.versions[release.name],
            statefulset=release.chart.repo == "bitnami",
            crds=release.provides or OPERATOR_CRDS.get(release.chart.name, ()),
            quirky=release.name == "bk-cmdb",
            secret_switch=_switch(values),
            bundled=() if release.chart.repo == "bitnami" else _bundled(values),
            accepts=values,
        )
        served.setdefault(release.chart.repo, workdir / release.chart.repo)
        package(workdir / "src" / release.chart.name, served[release.chart.repo])
    return served
