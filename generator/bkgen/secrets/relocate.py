"""Declared secrets a chart puts outside a Secret, moved into one its pods read the same way.

BlueKing 7.x charts write the credentials they are given into ConfigMaps (bkauth's
`config.yaml`, bk-nodeman's `MYSQL_PASSWORD`) and into container env `value:`s (bk-console's
migrate Job). Committed as rendered, those objects would carry the secret into git; refused,
no real BlueKing application could render here. So, per release, where a declared secret
(a sentinel) sits:

- in a ConfigMap: the ConfigMap becomes a Secret of the same name and keys, and every
  reference to it in the release's pod templates follows (volume and projected `configMap`
  -> `secret`, `envFrom.configMapRef` -> `secretRef`, `valueFrom.configMapKeyRef` ->
  `secretKeyRef`): containers see the same files and variables;
- in a container env `value`: the value moves into the Secret `<workload>-bkgen-env` (key
  `<container>.<VAR>`) and the variable reads it through `secretKeyRef`;
- in a container's `command` or `args`: the sentinel becomes `$(BKGEN_SECRET_<id>)`, which
  the kubelet expands from an env variable read the same way (a migrate Job's
  `--password=…`).

`scan.py` then turns these Secrets into ExternalSecrets like any other. What is not a pod
template reference (a ConfigMap name in a CRD or in args) does not follow, and a sentinel
left anywhere but a Secret is still refused there. This module only rewrites objects; it
never sees a secret value, only sentinels.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from bkgen.kube.pods import containers, pod_spec
from bkgen.render import Manifest
from bkgen.secrets.refs import SENTINEL

ENV_SECRET_SUFFIX = "-bkgen-env"
# On a Secret that was a ConfigMap in the chart: for reviewers, and for scan.py, which holds
# its other keys to a ConfigMap's standard (plain configuration), not a Secret's.
FROM_CONFIGMAP = "bkgen.io/from-configmap"
HOOK_ANNOTATIONS = ("argocd.argoproj.io/hook", "helm.sh/hook")


def relocate(manifests: Sequence[Manifest]) -> tuple[Manifest, ...]:
    """`manifests` with sentinel-carrying ConfigMaps and env values moved into Secrets."""
    secrets = {_key(m.body)[1:] for m in manifests if m.body.get("kind") == "Secret"}
    moved = {  # a Secret of the same name already: the ConfigMap stays, and scan refuses it
        _key(m.body): m
        for m in manifests
        if _is_configmap(m.body) and _carries(m.body) and _key(m.body)[1:] not in secrets
    }
    out: list[Manifest] = []
    for manifest in manifests:
        body = manifest.body
        key = _key(body)
        if key in moved:
            out.append(Manifest(_as_secret(body), manifest.source))
            continue
        if pod_spec(body) is None:
            out.append(manifest)
            continue
        # by name: charts set metadata.namespace on some objects and not on others
        names = {k[2] for k in moved}
        followed = _follow(body, names) if names else dict(body)
        followed, env_secret = _env_values(followed)
        out.append(Manifest(followed, manifest.source))
        if env_secret is not None:
            out.append(Manifest(env_secret, manifest.source))
    return tuple(out)


def _key(body: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = body.get("metadata") or {}
    return (str(body.get("kind")), str(meta.get("namespace", "")), str(meta.get("name")))


def _is_configmap(body: Mapping[str, Any]) -> bool:
    return body.get("kind") == "ConfigMap" and body.get("apiVersion") == "v1"


def _carries(node: Any) -> bool:
    if isinstance(node, Mapping):
        return any(_carries(v) for v in node.values())
    if isinstance(node, list):
        return any(_carries(v) for v in node)
    return isinstance(node, str) and SENTINEL.search(node) is not None


def _as_secret(configmap: Mapping[str, Any]) -> dict[str, Any]:
    meta = copy.deepcopy(configmap.get("metadata") or {})
    meta["annotations"] = {**(meta.get("annotations") or {}), FROM_CONFIGMAP: "true"}
    secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": meta}
    secret["type"] = "Opaque"
    if configmap.get("binaryData"):
        secret["data"] = dict(configmap["binaryData"])
    if configmap.get("data"):
        secret["stringData"] = {str(k): str(v) for k, v in configmap["data"].items()}
    if configmap.get("immutable") is not None:
        secret["immutable"] = configmap["immutable"]
    return secret


def _follow(original: Mapping[str, Any], names: set[str]) -> dict[str, Any]:
    """Every pod-template reference to a moved ConfigMap, pointed at its Secret."""
    body = copy.deepcopy(dict(original))
    found = pod_spec(body)
    assert found is not None
    _, pod = found
    for volume in pod.get("volumes") or []:
        _volume(volume, names)
        for source in (volume.get("projected") or {}).get("sources") or []:
            ref = source.get("configMap")
            if isinstance(ref, Mapping) and ref.get("name") in names:
                source["secret"] = source.pop("configMap")
    for _, container, _ in containers(body):
        for source in container.get("envFrom") or []:
            ref = source.get("configMapRef")
            if isinstance(ref, Mapping) and ref.get("name") in names:
                source["secretRef"] = source.pop("configMapRef")
        for variable in container.get("env") or []:
            value_from = variable.get("valueFrom") or {}
            ref = value_from.get("configMapKeyRef")
            if isinstance(ref, Mapping) and ref.get("name") in names:
                value_from["secretKeyRef"] = value_from.pop("configMapKeyRef")
    return body


def _volume(volume: dict[str, Any], names: set[str]) -> None:
    ref = volume.get("configMap")
    if not isinstance(ref, Mapping) or ref.get("name") not in names:
        return
    secret = {k: v for k, v in ref.items() if k != "name"}
    volume["secret"] = {"secretName": ref["name"], **secret}
    del volume["configMap"]


def _env_values(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if not any(_carrying(container) for _, container, _ in containers(body)):
        return body, None
    body = copy.deepcopy(body)
    meta = body.get("metadata") or {}
    name = f"{meta.get('name')}{ENV_SECRET_SUFFIX}"
    data: dict[str, str] = {}
    for _, container, _ in containers(body):
        _move_container(container, name, data)
    secret_meta: dict[str, Any] = {"name": name, "labels": dict(meta.get("labels") or {})}
    if meta.get("namespace"):
        secret_meta["namespace"] = meta["namespace"]
    hooks = {k: v for k, v in (meta.get("annotations") or {}).items() if k in HOOK_ANNOTATIONS}
    if hooks:  # a hook Job runs before the Sync phase: its Secret must exist by then
        secret_meta["annotations"] = hooks
    secret = {
        "apiVersion": "v1",
        "kind": "Secret",
        "metadata": secret_meta,
        "type": "Opaque",
        "stringData": data,
    }
    return body, secret


def _carrying(container: Mapping[str, Any]) -> bool:
    values = [v.get("value") for v in container.get("env") or [] if isinstance(v, Mapping)]
    texts = [*values, *(container.get("command") or []), *(container.get("args") or [])]
    return any(isinstance(x, str) and SENTINEL.search(x) for x in texts)


def _move_container(container: Any, secret: str, data: dict[str, str]) -> None:
    prefix = str(container.get("name"))
    env = container.setdefault("env", [])
    for variable in env:
        value = variable.get("value") if isinstance(variable, Mapping) else None
        if isinstance(value, str) and SENTINEL.search(value):
            key = f"{prefix}.{variable.get('name')}"
            data[key] = str(variable.pop("value"))
            variable["valueFrom"] = {"secretKeyRef": {"name": secret, "key": key}}
    added: set[str] = set()
    for field in ("command", "args"):
        words = container.get(field)
        if not isinstance(words, list):
            continue
        for index, word in enumerate(words):
            if not isinstance(word, str):
                continue
            for match in SENTINEL.finditer(word):
                variable = f"BKGEN_SECRET_{match.group(1).upper()}"
                if variable not in added:
                    added.add(variable)
                    key = f"{prefix}.{variable}"
                    data[key] = match.group(0)
                    reference = {"secretKeyRef": {"name": secret, "key": key}}
                    env.insert(0, {"name": variable, "valueFrom": reference})
            words[index] = SENTINEL.sub(lambda m: f"$(BKGEN_SECRET_{m.group(1).upper()})", word)
    if not env:
        del container["env"]


def _at(body: Any, path: tuple[str | int, ...]) -> Any:
    node = body
    for part in path:
        node = node[part]
    return node
