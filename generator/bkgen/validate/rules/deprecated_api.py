"""Deprecated and removed apiVersions for the target Kubernetes version."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.deprecations import lookup
from bkgen.validate.rules import Hit, RuleContext

ID = "deprecated-api"
SEVERITY = "error"
RATIONALE = "An apiVersion removed in the target Kubernetes is refused by the API server."


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    api, kind = str(doc.get("apiVersion")), str(doc.get("kind"))
    entry = lookup(api, kind)
    if entry is None:
        return
    deprecated, gone, replacement = entry
    if ctx.kube_minor >= gone:
        yield Hit(
            f"{api} {kind} was removed in Kubernetes 1.{gone}",
            ("apiVersion",),
            f"use {replacement}; `bkgen migrate-apis` rewrites it",
        )
    elif ctx.kube_minor >= deprecated:
        yield Hit(
            f"{api} {kind} is deprecated since 1.{deprecated} and removed in 1.{gone}",
            ("apiVersion",),
            f"use {replacement}; `bkgen migrate-apis` rewrites it",
            severity="warning",
        )
