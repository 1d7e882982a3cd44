"""An Application's sync-wave is later than the waves of the releases it needs."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "wave-order"
SEVERITY = "error"
RATIONALE = (
    "A release synced in or before the wave of what it needs starts against missing storage."
)


def _wave(item: Facts) -> int | None:
    try:
        return int(item.annotations.get("argocd.argoproj.io/sync-wave", ""))
    except ValueError:
        return None


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    apps = {
        f.labels.get("bkgen.io/release"): f
        for f in facts
        if f.kind == "Application" and f.labels.get("bkgen.io/release")
    }
    for index, item in enumerate(facts):
        if item.kind != "Application" or "bkgen.io/needs" not in item.annotations:
            continue
        wave = _wave(item)
        for need in filter(None, item.annotations["bkgen.io/needs"].split(",")):
            other = apps.get(need)
            if other is None:
                continue
            other_wave = _wave(other)
            if wave is None or other_wave is None or wave <= other_wave:
                yield Hit(
                    f"sync-wave {wave} is not after wave {other_wave} of needed release {need!r}",
                    ("metadata", "annotations"),
                    index=index,
                )
