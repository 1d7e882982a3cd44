"""No CustomResourceDefinition for a Kubernetes or Argo CD API group.

Such a CRD would replace the schema the validator checks built-in objects against (an
invalid Deployment would pass) and, applied, shadow Argo CD's own kinds. The validator never
uses it as a schema (`kube.api_groups`); this rule makes its presence an error.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.kube.api_groups import protected
from bkgen.validate.rules import Hit, RuleContext

ID = "crd-override"
SEVERITY = "error"
SECURITY = True
RATIONALE = "A CRD for a built-in group redefines what the checks (and the cluster) accept."


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if doc.get("kind") != "CustomResourceDefinition":
        return
    spec = doc.get("spec") or {}
    group = spec.get("group") if isinstance(spec, dict) else None
    if isinstance(group, str) and protected(group):
        yield Hit(
            f"CustomResourceDefinition for the protected API group {group!r}",
            ("spec", "group"),
            "a CRD may only define its own group, never a Kubernetes or argoproj.io one",
        )
