"""The policy rules: one module per rule, discovered here.

A rule module defines `ID`, `SEVERITY`, `RATIONALE` (one line) and either
`check(doc, ctx)` — one resource at a time, run where the document is parsed —
or `check_tree(facts, ctx)` — across the whole tree, over compact `Facts`
records so no parse tree is kept. Both yield `Hit`s.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any


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


@dataclass(slots=True)
class Facts:
    """What tree rules need to know about one resource."""

    path: str
    line: int
    api_version: str
    kind: str
    namespace: str
    name: str
    labels: Mapping[str, str] = field(default_factory=dict)
    annotations: Mapping[str, str] = field(default_factory=dict)
    pod_labels: Mapping[str, str] | None = None
    selector: Mapping[str, str] | None = None
    service_ports: tuple[str, ...] = ()  # names and numbers, as strings
    headless: bool = False
    refs: tuple[tuple[str, str], ...] = ()  # (Kind, name) in the same namespace
    backends: tuple[tuple[str, str], ...] = ()  # Ingress (service, port)
    service_name: str | None = None  # StatefulSet.spec.serviceName
    creates: tuple[tuple[str, str], ...] = ()  # (Kind, name) it makes exist (ExternalSecret)
    extra: dict[str, Any] = field(default_factory=dict)


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


def run_resource_rules(
    doc: Mapping[str, Any], ctx: RuleContext
) -> Iterable[tuple[ModuleType, Hit]]:
    for rule in RESOURCE_RULES:
        for hit in rule.check(doc, ctx):
            yield rule, hit
