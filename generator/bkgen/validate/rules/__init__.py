"""The policy rules: one module per rule, discovered here.

A rule module defines `ID`, `SEVERITY`, `RATIONALE` (one line), optionally `SECURITY = True`
(its findings can be excepted only by the trusted policy, never by an annotation or an
env.yaml suppression: the change being checked must not switch its own check off), and either
`check(doc, ctx)` — one resource at a time, run where the document is parsed —
or `check_tree(facts, ctx)` — across the whole tree, over compact `Facts`
records so no parse tree is kept. Both yield `Hit`s.
"""

from __future__ import annotations

import fnmatch
import importlib
import pkgutil
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, NoReturn


@dataclass(frozen=True)
class Hit:
    message: str
    path: tuple[str | int, ...] = ()
    hint: str = ""
    index: int = -1  # tree rules: which Facts record
    severity: str | None = None  # overrides the rule's SEVERITY (e.g. deprecated vs removed)


@dataclass(frozen=True)
class RuleContext:
    kube_minor: int
    allowed_registries: tuple[str, ...] = ()
    external_refs: tuple[str, ...] = ()  # globs on "Kind/namespace/name" or "Kind/name"
    # The trusted policy's allow-lists (bkgen.gitops.trusted.ALLOW_LISTS): list name -> globs.
    allow: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    argocd_namespace: str = "argocd"
    # The cluster's default StorageClass, as env.yaml validation.defaultStorageClass says
    # (a tree that creates one annotated default needs no declaration).
    default_storage_class: str = ""

    def allowed(self, name: str, *subjects: str) -> bool:
        """Does allow-list `name` hold any of `subjects` (glob match)?"""
        patterns = self.allow.get(name, ())
        return any(fnmatch.fnmatchcase(s, p) for s in subjects for p in patterns)


class _Empty(Mapping[str, Any]):
    """One shared, immutable empty mapping for the Facts fields most resources leave empty:
    the main process holds a Facts per resource, and three empty dicts each were a third of
    them. Pickles by reference, so workers' records arrive pointing at this same object."""

    __slots__ = ()

    def __getitem__(self, key: str) -> NoReturn:
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(())

    def __len__(self) -> int:
        return 0

    def __hash__(self) -> int:  # immutable, so a dataclass may share it as a default
        return 0

    def __repr__(self) -> str:
        return "{}"

    def __reduce__(self) -> str:
        return "EMPTY"


EMPTY: Mapping[str, Any] = _Empty()


@dataclass(slots=True)
class Facts:
    """What tree rules need to know about one resource."""

    path: str
    line: int
    api_version: str
    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str] = EMPTY
    annotations: Mapping[str, str] = EMPTY
    pod_labels: Mapping[str, str] | None = None
    selector: Mapping[str, str] | None = None
    service_ports: tuple[str, ...] = ()  # names and numbers, as strings
    headless: bool = False
    refs: tuple[tuple[str, str], ...] = ()  # (Kind, name) in the same namespace
    backends: tuple[tuple[str, str], ...] = ()  # Ingress (service, port)
    service_name: str | None = None  # StatefulSet.spec.serviceName
    creates: tuple[tuple[str, str], ...] = ()  # (Kind, name) it makes exist (ExternalSecret)
    extra: Mapping[str, Any] = EMPTY  # "ignore": rule IDs the resource's annotation ignores


def subjects(doc: Mapping[str, Any]) -> tuple[str, str]:
    """How allow-lists name an object: "Kind/namespace/name" and "Kind/name"."""
    meta = doc.get("metadata") or {}
    meta = meta if isinstance(meta, dict) else {}
    kind, name = str(doc.get("kind", "")), str(meta.get("name", ""))
    return f"{kind}/{meta.get('namespace') or ''}/{name}", f"{kind}/{name}"


def run_resource_rules(
    doc: Mapping[str, Any], ctx: RuleContext
) -> Iterable[tuple[ModuleType, Hit]]:
    for rule in RESOURCE_RULES:
        for hit in rule.check(doc, ctx):
            yield rule, hit


def _modules() -> list[ModuleType]:
    out = []
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        if not info.name.startswith("_"):
            out.append(importlib.import_module(f"{__name__}.{info.name}"))
    return out


RULES: tuple[ModuleType, ...] = tuple(_modules())
RESOURCE_RULES = tuple(r for r in RULES if hasattr(r, "check"))
TREE_RULES = tuple(r for r in RULES if hasattr(r, "check_tree"))
BY_ID = {r.ID: r for r in RULES}
SECURITY_RULES = frozenset(r.ID for r in RULES if getattr(r, "SECURITY", False))
