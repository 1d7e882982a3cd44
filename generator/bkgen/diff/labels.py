"""What a reviewer cannot tell from the changed fields alone: how each object reaches the
cluster, and why its sync-wave moved.

- A `helm-argocd` release's manifests are not in the tree (Argo CD renders the chart from the
  Application's chart and valuesObject): the diff shows its values only, and says so next to
  them, so "1 Values changed" is not read as "nothing else changes".
- The root Application and the AppProject (`argocd/bootstrap/`) are applied by hand, not
  synced by Argo CD: a change there does nothing until someone runs `kubectl apply`, so they
  are labelled and listed as the steps to do after the merge.
- Sync-waves: each release's wave old -> new, and which releases really moved (their own
  needs changed, or they were added or removed) apart from those merely shifted by them.

Plain data in, plain data out; nothing here prints or masks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from bkgen.diff.model import Key, Resource, ResourceDiff, mapping, metadata

BOOTSTRAP = "argocd/bootstrap/"
_WAVE = "argocd.argoproj.io/sync-wave"


@dataclass(frozen=True)
class WaveMove:
    release: str
    old: int | None  # None: the release is new
    new: int | None  # None: the release is gone
    cause: bool  # True: moved by its own change; False: shifted by a cause


def _applications(tree: Mapping[Key, Resource]) -> dict[str, Mapping[str, Any]]:
    """release -> its Application body (the child Applications, not the root)."""
    out = {}
    for key, resource in tree.items():
        if key[1] == "Application" and not resource.path.startswith(BOOTSTRAP):
            release = mapping(metadata(resource.body).get("labels")).get("bkgen.io/release")
            if release:
                out[str(release)] = resource.body
    return out


def waves(tree: Mapping[Key, Resource]) -> dict[str, int]:
    """release -> sync-wave, from each Application's annotation."""
    out = {}
    for release, body in _applications(tree).items():
        wave = mapping(metadata(body).get("annotations")).get(_WAVE)
        try:
            out[release] = int(str(wave))
        except (TypeError, ValueError):
            continue
    return out


def _annotation(body: Mapping[str, Any] | None, name: str) -> str:
    return str(mapping(metadata(body or {}).get("annotations")).get(name) or "")


def wave_moves(old: Mapping[Key, Resource], new: Mapping[Key, Resource]) -> list[WaveMove]:
    """Every release whose wave differs, causes first. A cause is a release added, removed or
    whose own needs changed; the others moved only because the plan around them did."""
    old_apps, new_apps = _applications(old), _applications(new)
    old_waves, new_waves = waves(old), waves(new)
    moves = []
    for release in sorted({*old_waves, *new_waves}):
        before, after = old_waves.get(release), new_waves.get(release)
        if before == after:
            continue
        needs_changed = _annotation(old_apps.get(release), "bkgen.io/needs") != _annotation(
            new_apps.get(release), "bkgen.io/needs"
        )
        cause = before is None or after is None or needs_changed
        moves.append(WaveMove(release, before, after, cause))
    return sorted(moves, key=lambda m: (not m.cause, m.release))


def wave_text(old: int | None, new: int | None) -> str:
    if old == new:
        return "" if new is None else str(new)
    return f"{'(added)' if old is None else old} → {'(removed)' if new is None else new}"


def _argocd_note(body: Mapping[str, Any], values: bool) -> str:
    spec = mapping(body.get("spec"))
    source = mapping(spec.get("source"))
    namespace = mapping(spec.get("destination")).get("namespace")
    return (
        f"manifests not rendered here: Argo CD renders chart {source.get('chart')} "
        f"{source.get('targetRevision')} into namespace {namespace}"
        + (" from these values" if values else "")
    )


def _by_hand(item: ResourceDiff, env: str) -> str:
    if item.status == "removed":
        _, kind, namespace, name = item.key
        where = f" -n {namespace}" if namespace else ""
        return f"kubectl delete {kind.lower()}{where} {name}"
    return f"kubectl apply -f {'rendered/' + env + '/' if env else ''}{item.path}"


def label(
    resources: Sequence[ResourceDiff],
    old: Mapping[Key, Resource],
    new: Mapping[Key, Resource],
    env: str = "",
) -> tuple[list[ResourceDiff], tuple[str, ...]]:
    """The resources with their notes, and the commands to run by hand after the merge."""
    apps = {**_applications(old), **_applications(new)}
    argocd = {r: b for r, b in apps.items() if _annotation(b, "bkgen.io/mode") == "helm-argocd"}
    out, by_hand = [], []
    for item in resources:
        notes = [item.note] if item.note else []
        if item.path.startswith(BOOTSTRAP):
            notes.append("applied by hand, not synced by Argo CD")
            by_hand.append(_by_hand(item, env))
        elif item.release in argocd and item.kind in ("Values", "Application"):
            notes.append(_argocd_note(argocd[item.release], item.kind == "Values"))
        out.append(replace(item, note="; ".join(notes)) if notes else item)
    return out, tuple(sorted(set(by_hand)))
