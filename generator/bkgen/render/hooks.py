"""Helm hooks, translated to what Argo CD does with them.

A chart rendered here reaches the cluster through an Argo CD directory Application, never
through `helm install`, so a hook means what Argo CD makes of it. Argo CD reads Helm hook
annotations itself, but only partly and silently; writing its own annotations makes the
behaviour visible in the rendered tree and in review:

    helm.sh/hook                         argocd.argoproj.io/hook
      pre-install, pre-upgrade             PreSync   (runs before every sync: Argo CD
                                                      cannot tell an install from an upgrade)
      post-install, post-upgrade           PostSync  (after every sync, once healthy)
      test, test-success, test-failure     dropped   (`helm test` only)
      pre/post-delete, pre/post-rollback   dropped, with a note (no Argo CD equivalent
                                                      for a directory Application)
      crd-install (Helm 2)                 a plain resource (CRDs install first anyway)
    helm.sh/hook-weight                  argocd.argoproj.io/sync-wave (order among hooks)
    helm.sh/hook-delete-policy           argocd.argoproj.io/hook-delete-policy
      before-hook-creation                 BeforeHookCreation
      hook-succeeded                       HookSucceeded
      hook-failed                          HookFailed

The Helm annotations are removed once translated, so a reader sees one meaning only.
This module must not know where manifests come from; it maps one object at a time.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

HELM_HOOK = "helm.sh/hook"
HELM_WEIGHT = "helm.sh/hook-weight"
HELM_DELETE = "helm.sh/hook-delete-policy"
ARGO_HOOK = "argocd.argoproj.io/hook"
ARGO_WAVE = "argocd.argoproj.io/sync-wave"
ARGO_DELETE = "argocd.argoproj.io/hook-delete-policy"

_PHASES = {
    "pre-install": "PreSync",
    "pre-upgrade": "PreSync",
    "post-install": "PostSync",
    "post-upgrade": "PostSync",
}
_TESTS = {"test", "test-success", "test-failure"}
_UNSUPPORTED = {"pre-delete", "post-delete", "pre-rollback", "post-rollback"}
_DELETE_POLICIES = {
    "before-hook-creation": "BeforeHookCreation",
    "hook-succeeded": "HookSucceeded",
    "hook-failed": "HookFailed",
}


@dataclass(frozen=True)
class HookResult:
    body: dict[str, Any] | None  # None: the object is not for the cluster
    note: str | None = None  # what a reviewer should know (shown in the render summary)


def _split(value: Any) -> list[str]:
    return [part.strip() for part in str(value or "").split(",") if part.strip()]


def translate(body: Mapping[str, Any]) -> HookResult:
    """The object as Argo CD should see it, or None when it must not be applied."""
    metadata = body.get("metadata")
    annotations = metadata.get("annotations") if isinstance(metadata, Mapping) else None
    if not isinstance(annotations, Mapping) or HELM_HOOK not in annotations:
        return HookResult(dict(body))
    name = f"{body.get('kind')}/{(metadata or {}).get('name')}"
    hooks = _split(annotations.get(HELM_HOOK))
    if any(h in _TESTS for h in hooks):
        return HookResult(None)
    phases = sorted({_PHASES[h] for h in hooks if h in _PHASES})
    dropped = sorted(h for h in hooks if h in _UNSUPPORTED)
    known = {*_PHASES, *_UNSUPPORTED, "crd-install"}
    unknown = sorted(h for h in hooks if h not in known)
    if not phases and dropped:
        return HookResult(None, f"{name}: Helm hook {','.join(dropped)} has no Argo CD equivalent")
    out = dict(body)
    new_meta = dict(metadata or {})
    new_annotations = {
        k: v for k, v in annotations.items() if k not in (HELM_HOOK, HELM_WEIGHT, HELM_DELETE)
    }
    notes: list[str] = []
    if phases:
        new_annotations.setdefault(ARGO_HOOK, ",".join(phases))
        weight = annotations.get(HELM_WEIGHT)
        if weight not in (None, ""):
            new_annotations.setdefault(ARGO_WAVE, str(weight).strip())
        policies = [
            _DELETE_POLICIES[p]
            for p in _split(annotations.get(HELM_DELETE))
            if p in _DELETE_POLICIES
        ]
        if policies:
            new_annotations.setdefault(ARGO_DELETE, ",".join(sorted(set(policies))))
        if dropped:
            notes.append(f"Helm hook {','.join(dropped)} dropped (no Argo CD equivalent)")
    if unknown:
        notes.append(f"unknown Helm hook {','.join(unknown)} ignored; applied as a plain resource")
    new_meta["annotations"] = new_annotations
    out["metadata"] = new_meta
    # Both notes when both apply: a reviewer must not lose one to the other.
    return HookResult(out, f"{name}: {'; '.join(notes)}" if notes else None)
