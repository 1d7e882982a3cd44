"""No Secret carries its values in the rendered tree."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.validate.rules import Hit, RuleContext

ID = "plaintext-secret"
SEVERITY = "error"
SECURITY = True
RATIONALE = "Anything committed to the GitOps repo is readable by everyone who can clone it."


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if doc.get("kind") != "Secret" or doc.get("apiVersion") != "v1":
        return
    for key in ("data", "stringData"):
        block = doc.get(key)
        # an empty value holds nothing (a chart's placeholder key): only values are secrets
        if isinstance(block, dict) and any(v not in (None, "") for v in block.values()):
            yield Hit(
                f"Secret has {key} in plain text (base64 is not encryption)",
                (key,),
                "create it in-cluster (a workflow step), or use ExternalSecret/SealedSecret",
            )
