"""Extract the compact `Facts` of a resource that tree rules need.

The main process keeps one record per resource until the tree rules have run, so the
strings most resources repeat (apiVersion, kind, namespace, label keys) are interned: a
batch's records then pickle each of them once, and arrive sharing one copy.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from sys import intern
from typing import Any

from bkgen.kube.pods import pod_spec
from bkgen.validate.rules import EMPTY, Facts

_KEEP_ANNOTATIONS = ("argocd.argoproj.io/sync-wave", "bkgen.io/")


def _strings(mapping: Any) -> dict[str, str]:
    if not isinstance(mapping, dict):
        return {}
    return {intern(str(k)): "" if v is None else str(v) for k, v in mapping.items()}


def _pod_refs(pod: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    sa = pod.get("serviceAccountName") or pod.get("serviceAccount")
    if isinstance(sa, str) and sa != "default":
        yield "ServiceAccount", sa
    for secret in pod.get("imagePullSecrets") or []:
        if isinstance(secret, dict) and secret.get("name"):
            yield "Secret", str(secret["name"])
    for volume in pod.get("volumes") or []:
        if not isinstance(volume, dict):
            continue
        if isinstance(volume.get("configMap"), dict) and not volume["configMap"].get("optional"):
            yield "ConfigMap", str(volume["configMap"].get("name"))
        if isinstance(volume.get("secret"), dict) and not volume["secret"].get("optional"):
            yield "Secret", str(volume["secret"].get("secretName"))
        claim = volume.get("persistentVolumeClaim")
        if isinstance(claim, dict):
            yield "PersistentVolumeClaim", str(claim.get("claimName"))
    for key in ("containers", "initContainers"):
        for container in pod.get(key) or []:
            if isinstance(container, dict):
                yield from _container_refs(container)


def _container_refs(container: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for source in container.get("envFrom") or []:
        if not isinstance(source, dict):
            continue
        for key, kind in (("configMapRef", "ConfigMap"), ("secretRef", "Secret")):
            ref = source.get(key)
            if isinstance(ref, dict) and not ref.get("optional"):
                yield kind, str(ref.get("name"))
    for env in container.get("env") or []:
        value_from = env.get("valueFrom") if isinstance(env, dict) else None
        if not isinstance(value_from, dict):
            continue
        for key, kind in (("configMapKeyRef", "ConfigMap"), ("secretKeyRef", "Secret")):
            ref = value_from.get(key)
            if isinstance(ref, dict) and not ref.get("optional"):
                yield kind, str(ref.get("name"))


def _workflow_refs(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    sa = spec.get("serviceAccountName")
    if isinstance(sa, str):
        yield "ServiceAccount", sa
    ref = spec.get("workflowTemplateRef")
    if isinstance(ref, dict) and ref.get("name") and not ref.get("clusterScope"):
        yield "WorkflowTemplate", str(ref["name"])
    for template in spec.get("templates") or []:
        if not isinstance(template, dict):
            continue
        for key in ("container", "script"):
            if isinstance(template.get(key), dict):
                yield from _container_refs(template[key])


def _backends(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    paths = []
    default = spec.get("defaultBackend") or spec.get("backend")
    if isinstance(default, dict):
        paths.append(default)
    for rule in spec.get("rules") or []:
        for item in ((rule or {}).get("http") or {}).get("paths") or []:
            if isinstance(item, dict) and isinstance(item.get("backend"), dict):
                paths.append(item["backend"])
    for backend in paths:
        service = backend.get("service")
        if isinstance(service, dict):  # networking.k8s.io/v1
            port = service.get("port") or {}
            yield str(service.get("name")), str(port.get("name") or port.get("number"))
        elif backend.get("serviceName"):  # v1beta1
            yield str(backend["serviceName"]), str(backend.get("servicePort"))


def extract(doc: Mapping[str, Any], path: str, line: int) -> Facts:
    meta = doc.get("metadata") or {}
    kind = str(doc.get("kind", ""))
    raw_spec = doc.get("spec")
    spec: Mapping[str, Any] = raw_spec if isinstance(raw_spec, dict) else {}
    annotations = {
        k: v
        for k, v in _strings(meta.get("annotations")).items()
        if k.startswith(_KEEP_ANNOTATIONS)
    }
    labels = {k: v for k, v in _strings(meta.get("labels")).items() if k.startswith("bkgen.io/")}
    facts = Facts(
        path=path,
        line=line,
        api_version=intern(str(doc.get("apiVersion", ""))),
        kind=intern(kind),
        namespace=intern(str(meta.get("namespace") or "")),
        name=str(meta.get("name") or ""),
        labels=labels or EMPTY,
        annotations=annotations or EMPTY,
    )
    found = pod_spec(doc)
    if found is not None:
        _, pod = found
        facts.refs = tuple(dict.fromkeys(_pod_refs(pod)))
        template = spec.get("template") if kind != "CronJob" else None
        if kind == "Pod":
            facts.pod_labels = _strings(meta.get("labels"))
        elif isinstance(template, dict):
            facts.pod_labels = _strings((template.get("metadata") or {}).get("labels"))
        if kind == "StatefulSet":
            facts.service_name = str(spec.get("serviceName") or "") or None
    elif kind in ("Workflow", "WorkflowTemplate"):
        facts.refs = tuple(dict.fromkeys(_workflow_refs(spec)))
    if kind == "Service":
        facts.selector = _strings(spec.get("selector")) or None
        ports = []
        for port in spec.get("ports") or []:
            if isinstance(port, dict):
                ports += [str(port.get("port")), str(port.get("name"))]
        facts.service_ports = tuple(intern(p) for p in ports if p != "None")
        facts.headless = spec.get("clusterIP") == "None"
    if kind == "Ingress":
        facts.backends = tuple(_backends(spec))
    facts.extra = _availability(kind, meta, spec) or EMPTY
    facts.creates = tuple(_creates(kind, meta, spec, annotations))
    return facts


CREATES_ANNOTATION = "bkgen.io/creates"  # "Secret/a,Secret/b": made in-cluster by this object


def _creates(
    kind: str, meta: Mapping[str, Any], spec: Mapping[str, Any], annotations: Mapping[str, str]
) -> Iterator[tuple[str, str]]:
    if kind == "ExternalSecret":
        target = spec.get("target") if isinstance(spec.get("target"), dict) else {}
        yield "Secret", str((target or {}).get("name") or meta.get("name") or "")
    for item in annotations.get(CREATES_ANNOTATION, "").split(","):
        created_kind, _, name = item.strip().partition("/")
        if created_kind and name:
            yield created_kind, name
    if kind == "Job":
        yield from _certgen_secret(spec)


def _certgen_secret(spec: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    """kube-webhook-certgen's `create --secret-name=X` Job (ingress-nginx's admission
    webhook, and the charts that copied it) makes Secret X in-cluster."""
    template = spec.get("template") if isinstance(spec.get("template"), dict) else {}
    pod = (template or {}).get("spec") or {}
    for container in pod.get("containers") or [] if isinstance(pod, dict) else []:
        args = [str(a) for a in (container.get("args") or []) if isinstance(container, dict)]
        if "create" not in args:
            continue
        for arg in args:
            if arg.startswith("--secret-name="):
                yield "Secret", arg.removeprefix("--secret-name=")


REPLICATED = ("Deployment", "StatefulSet", "ReplicaSet")
DEFAULT_CLASS = (
    "storageclass.kubernetes.io/is-default-class",
    "storageclass.beta.kubernetes.io/is-default-class",
)
_BETA_CLASS = "volume.beta.kubernetes.io/storage-class"


def _availability(kind: str, meta: Mapping[str, Any], spec: Mapping[str, Any]) -> dict[str, Any]:
    """Replicas, disruption budgets and storage classes, for the availability rules
    (pod_disruption_budget, pvc_storage_class)."""
    if kind in REPLICATED:
        replicas = spec.get("replicas", 1)
        out: dict[str, Any] = {"replicas": replicas if isinstance(replicas, int) else 1}
        if kind == "StatefulSet":
            out["classless_claims"] = tuple(
                str((claim.get("metadata") or {}).get("name") or "")
                for claim in spec.get("volumeClaimTemplates") or []
                if isinstance(claim, dict) and _classless(claim)
            )
        return out
    if kind == "PodDisruptionBudget":
        selector = spec.get("selector") if isinstance(spec.get("selector"), dict) else {}
        return {
            "pdb_labels": _strings((selector or {}).get("matchLabels")),
            # matchExpressions are not evaluated: such a budget is taken to select
            "pdb_expressions": bool((selector or {}).get("matchExpressions")),
        }
    if kind == "PersistentVolumeClaim":
        return {"classless": _classless({"metadata": meta, "spec": spec})}
    if kind == "StorageClass":
        annotations = _strings(meta.get("annotations"))
        return {"default_class": any(annotations.get(a) == "true" for a in DEFAULT_CLASS)}
    return {}


def _classless(claim: Mapping[str, Any]) -> bool:
    """A claim that names no class (an empty "" asks for no class, so it does name one)."""
    spec = claim.get("spec") if isinstance(claim.get("spec"), dict) else {}
    annotations = _strings((claim.get("metadata") or {}).get("annotations"))
    return (spec or {}).get("storageClassName") is None and _BETA_CLASS not in annotations
