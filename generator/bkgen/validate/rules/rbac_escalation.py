"""RBAC that hands out more power than it names: cluster-admin, wildcards, escalation verbs,
bindings to everyone.

A chart or template that binds `cluster-admin`, grants `*` or the `escalate`/`bind`/
`impersonate` verbs, or binds `system:authenticated` gives whoever runs in (or can reach)
that namespace the whole cluster. BlueKing needs exactly one such grant (the paas3
cluster-admin ServiceAccount); it is declared in the trusted policy (`allow.clusterAdmin`),
so a new one is an error a pull request cannot switch off.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.validate.rules import Hit, RuleContext, subjects

ID = "rbac-escalation"
SEVERITY = "error"
SECURITY = True
RATIONALE = "One broad grant turns any pod of the release into a cluster administrator."

ESCALATING_VERBS = frozenset({"escalate", "bind", "impersonate", "*"})
EVERYONE = frozenset({"system:unauthenticated", "system:authenticated", "system:serviceaccounts"})
_GROUP = "rbac.authorization.k8s.io"
HINT = "if it is meant, declare it in the trusted policy (overlays/base/policy.yaml allow.{})"


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if str(doc.get("apiVersion", "")).rpartition("/")[0] != _GROUP:
        return
    kind = doc.get("kind")
    if kind in ("ClusterRoleBinding", "RoleBinding"):
        yield from _binding(doc, ctx)
    elif kind in ("ClusterRole", "Role") and not ctx.allowed("rbac", *subjects(doc)):
        yield from _rules(doc)


def _binding(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    ref = doc.get("roleRef") or {}
    ref = ref if isinstance(ref, dict) else {}
    admin = ref.get("kind") == "ClusterRole" and ref.get("name") == "cluster-admin"
    if admin and not ctx.allowed("clusterAdmin", *subjects(doc)):
        yield Hit(
            f"{doc.get('kind')} grants cluster-admin",
            ("roleRef", "name"),
            HINT.format("clusterAdmin"),
        )
    if ctx.allowed("rbac", *subjects(doc)):
        return
    for i, subject in enumerate(doc.get("subjects") or []):
        if isinstance(subject, dict) and subject.get("name") in EVERYONE:
            yield Hit(
                f"{doc.get('kind')} binds {subject.get('name')} (everyone of that kind)",
                ("subjects", i, "name"),
                HINT.format("rbac"),
            )


def _rules(doc: Mapping[str, Any]) -> Iterator[Hit]:
    for i, rule in enumerate(doc.get("rules") or []):
        if not isinstance(rule, dict):
            continue
        verbs = {str(v) for v in rule.get("verbs") or []}
        if "*" in verbs:
            yield Hit(f"{doc.get('kind')} grants every verb (*)", ("rules", i, "verbs"))
        for verb in sorted(verbs & (ESCALATING_VERBS - {"*"})):
            yield Hit(
                f"{doc.get('kind')} grants the {verb!r} verb (lets it exceed its own rights)",
                ("rules", i, "verbs"),
                HINT.format("rbac"),
            )
        for key in ("resources", "apiGroups", "nonResourceURLs"):
            if "*" in [str(v) for v in rule.get(key) or []]:
                yield Hit(
                    f"{doc.get('kind')} grants {key} *", ("rules", i, key), HINT.format("rbac")
                )
