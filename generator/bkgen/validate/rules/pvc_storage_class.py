"""A claim without storageClassName needs a default StorageClass to bind."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "pvc-storage-class"
SEVERITY = "warning"
RATIONALE = (
    "A claim naming no StorageClass binds only through the cluster's default one; without it "
    "the claim stays Pending and its pod never starts."
)
_HINT = (
    "set storageClassName, or declare the cluster's default in env.yaml "
    "validation.defaultStorageClass"
)


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    if ctx.default_storage_class or any(
        f.kind == "StorageClass" and f.extra.get("default_class") for f in facts
    ):
        return
    for index, item in enumerate(facts):
        if item.kind == "PersistentVolumeClaim" and item.extra.get("classless"):
            yield Hit(
                "no storageClassName and no default StorageClass in the tree or the env",
                ("spec",),
                hint=_HINT,
                index=index,
            )
        for claim in item.extra.get("classless_claims", ()) if item.kind == "StatefulSet" else ():
            yield Hit(
                f"volumeClaimTemplate {claim!r} has no storageClassName and there is no "
                "default StorageClass in the tree or the env",
                ("spec", "volumeClaimTemplates"),
                hint=_HINT,
                index=index,
            )
