"""Pods that reach the node: host namespaces, privileged containers, added capabilities,
hostPath mounts and kube-system service accounts, unless the trusted policy allows them.

Each of these is a way out of the container onto the node (and from there to every
Secret the kubelet holds). BlueKing itself needs a few — its ingress controller on the
host network, the localpv directories — and the trusted policy (`overlays/base/policy.yaml`,
`allow.*`) names them; anything else is an error. `privileged` (a warning) stays as the
review hint for allowed ones.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.pods import containers, pod_spec
from bkgen.validate.rules import Hit, RuleContext, subjects

ID = "host-escape"
SEVERITY = "error"
SECURITY = True
RATIONALE = "A pod that shares the node's namespaces or files owns the node."

HINT = "if it is meant, declare it in the trusted policy (overlays/base/policy.yaml allow.{})"


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    names = subjects(doc)
    if doc.get("kind") == "PersistentVolume":
        spec = doc.get("spec") or {}
        for key in ("hostPath", "local"):
            node = (spec.get(key) or {}) if isinstance(spec, dict) else {}
            host = str(node.get("path", "")) if isinstance(node, dict) else ""
            if host and not _path_allowed(ctx, host):
                yield Hit(f"PersistentVolume {key} {host}", ("spec", key), HINT.format("hostPath"))
        return
    found = pod_spec(doc)
    if found is not None:
        yield from _pod(found[0], found[1], names, ctx)
    for path, container, _ in containers(doc):
        security = container.get("securityContext") or {}
        if not isinstance(security, dict):
            continue
        label = f"container {container.get('name', '?')!r}"
        if security.get("privileged") and not ctx.allowed("privileged", *names):
            yield Hit(
                f"{label} is privileged",
                (*path, "securityContext", "privileged"),
                HINT.format("privileged"),
            )
        added = (security.get("capabilities") or {}).get("add") or []
        safe = ctx.allow.get("capabilities", ())
        for cap in added:
            if str(cap).upper().removeprefix("CAP_") not in safe:
                yield Hit(
                    f"{label} adds capability {cap}",
                    (*path, "securityContext", "capabilities", "add"),
                    HINT.format("capabilities"),
                )


def _pod(
    base: tuple[str | int, ...], pod: Mapping[str, Any], names: tuple[str, str], ctx: RuleContext
) -> Iterator[Hit]:
    if pod.get("hostNetwork") and not ctx.allowed("hostNetwork", *names):
        yield Hit("pod uses hostNetwork", (*base, "hostNetwork"), HINT.format("hostNetwork"))
    for key in ("hostPID", "hostIPC"):
        if pod.get(key) and not ctx.allowed("hostNamespaces", *names):
            yield Hit(f"pod uses {key}", (*base, key), HINT.format("hostNamespaces"))
    for i, volume in enumerate(pod.get("volumes") or []):
        if isinstance(volume, dict) and isinstance(volume.get("hostPath"), dict):
            path = str(volume["hostPath"].get("path", ""))
            if not _path_allowed(ctx, path):
                yield Hit(
                    f"volume {volume.get('name', '?')!r} mounts hostPath {path}",
                    (*base, "volumes", i),
                    HINT.format("hostPath"),
                )
    namespace = names[0].split("/")[1]
    account = pod.get("serviceAccountName") or pod.get("serviceAccount")
    if (
        namespace == "kube-system"
        and account
        and account != "default"
        and not ctx.allowed("kubeSystemServiceAccounts", *names)
    ):
        yield Hit(
            f"pod runs as kube-system service account {account!r}",
            (*base, "serviceAccountName"),
            HINT.format("kubeSystemServiceAccounts"),
        )


def _path_allowed(ctx: RuleContext, path: str) -> bool:
    clean = "/" + "/".join(p for p in path.split("/") if p and p != ".")
    if ".." in clean.split("/"):
        return False
    return any(fnmatch.fnmatchcase(clean, p) for p in ctx.allow.get("hostPath", ()))
