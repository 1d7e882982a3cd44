"""ConfigMap, Secret, PVC, ServiceAccount and WorkflowTemplate references resolve."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from fnmatch import fnmatch

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "references"
SEVERITY = "error"
RATIONALE = "A pod that mounts a missing ConfigMap or Secret never starts; the wave never ends."

ANNOTATION = "bkgen.io/external-refs"  # "Secret/bk-redis,ConfigMap/x": created outside the tree


def declared_external(kind: str, namespace: str, name: str, ctx: RuleContext, item: Facts) -> bool:
    keys = (f"{kind}/{namespace}/{name}", f"{kind}/{name}")
    declared = [p.strip() for p in item.annotations.get(ANNOTATION, "").split(",") if p.strip()]
    return any(fnmatch(key, pattern) for pattern in (*ctx.external_refs, *declared) for key in keys)


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    # What the tree creates: the objects themselves, the Secrets ExternalSecrets make, and
    # what workflow steps declare they create in-cluster (bkgen.io/creates).
    # Names by the few (kind, namespace) there are: one 3-tuple per resource was 5 MiB at 50k.
    present: dict[tuple[str, str], set[str]] = defaultdict(set)
    for f in facts:
        present[f.kind, f.namespace].add(f.name)
        for kind, name in f.creates:
            present[kind, f.namespace].add(name)
    for index, item in enumerate(facts):
        for kind, name in item.refs:
            if name in present.get((kind, item.namespace), ()):
                continue
            if declared_external(kind, item.namespace, name, ctx, item):
                continue
            yield Hit(
                f"{kind} {name!r} is referenced but not in the tree (namespace {item.namespace!r})",
                (),
                f"add it, or declare it: annotation {ANNOTATION} or validation.externalRefs",
                index=index,
            )
