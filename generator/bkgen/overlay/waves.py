"""The sync-wave plan: which releases of an environment deploy, and in which wave.

Ordering rules, in priority:

1. a release is in a strictly later wave than everything it `needs`;
2. `seq` groups (the runbook's helmfile `-l seq=...` batches) come in catalog order:
   every release of a later group is in a later wave than every release of an
   earlier group;
3. within a group, a release's wave is the length of its longest `needs` path.

A `needs` on a release of a *later* seq contradicts rule 2 and is an error, as
are cycles and unknown names. Needs on releases that are switched off (suite not
enabled, or `enabledBy` false such as `bitnamiMysql.enabled` for external MySQL)
are dropped and reported: the consumer then points at the external service.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

from bkgen.errors import CatalogError
from bkgen.overlay.catalog import Catalog, Release


@dataclass(frozen=True)
class Plan:
    """The enabled releases of one environment, ordered, with their waves."""

    releases: tuple[Release, ...]  # in wave order, then name
    waves: Mapping[str, int]
    needs: Mapping[str, tuple[str, ...]]  # effective needs (disabled ones dropped)
    dropped: Mapping[str, tuple[str, ...]]  # needs dropped because the target is off
    disabled: Mapping[str, str]  # release -> why it is off


def check_graph(catalog: Catalog) -> None:
    """Catalog-wide checks that do not depend on an environment: names, seq, cycles."""
    seq_index = {seq: i for i, seq in enumerate(catalog.seq_order)}
    for release in catalog.releases.values():
        if release.seq not in seq_index:
            raise CatalogError(
                f"release '{release.name}' has seq '{release.seq}', not one of "
                f"{', '.join(catalog.seq_order)}",
                location=catalog.at(release.name),
            )
        if release.suite not in catalog.suites:
            raise CatalogError(
                f"release '{release.name}' has unknown suite '{release.suite}'",
                location=catalog.at(release.name),
            )
        for need in release.needs:
            if need == release.name:
                raise CatalogError(
                    f"release '{release.name}' needs itself", location=catalog.at(release.name)
                )
            if need not in catalog.releases:
                raise CatalogError(
                    f"release '{release.name}' needs unknown release '{need}'",
                    location=catalog.at(release.name),
                )
            needed = catalog.releases[need]
            if seq_index[needed.seq] > seq_index[release.seq]:
                raise CatalogError(
                    f"seq contradicts needs: '{release.name}' (seq {release.seq}) needs "
                    f"'{need}' (seq {needed.seq}), which the seq order deploys later",
                    location=catalog.at(release.name),
                    hint=f"move '{need}' to seq {release.seq} or earlier, or drop the need",
                )
    _check_cycles(catalog.releases, catalog)


def _check_cycles(releases: Mapping[str, Release], catalog: Catalog) -> None:
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    for start in sorted(releases):
        if state.get(start) == 2:
            continue
        stack: list[tuple[str, Iterator[str]]] = [(start, iter(sorted(releases[start].needs)))]
        path = [start]
        state[start] = 1
        while stack:
            name, children = stack[-1]
            child = next(children, None)
            if child is None:
                stack.pop()
                path.pop()
                state[name] = 2
                continue
            if state.get(child) == 1:
                cycle = [*path[path.index(child) :], child]
                raise CatalogError(
                    f"dependency cycle between '{name}' and '{child}': {' -> '.join(cycle)}",
                    location=catalog.at(name),
                )
            if state.get(child) is None and child in releases:
                state[child] = 1
                path.append(child)
                stack.append((child, iter(sorted(releases[child].needs))))


def plan(catalog: Catalog, enabled: Mapping[str, str | None]) -> Plan:
    """Waves for the releases switched on; `enabled[name]` is None or why it is off."""
    check_graph(catalog)
    on = {n: r for n, r in catalog.releases.items() if enabled.get(n) is None}
    disabled = {n: why for n, why in enabled.items() if why is not None}
    needs: dict[str, tuple[str, ...]] = {}
    dropped: dict[str, tuple[str, ...]] = {}
    for name, release in on.items():
        needs[name] = tuple(sorted(n for n in release.needs if n in on))
        gone = tuple(sorted(n for n in release.needs if n not in on))
        if gone:
            dropped[name] = gone
    waves: dict[str, int] = {}
    next_wave = 0
    for seq in catalog.seq_order:
        group = sorted(n for n, r in on.items() if r.seq == seq)
        depth: dict[str, int] = {}
        for name in group:
            _depth(name, needs, set(group), depth)
        for name in group:
            waves[name] = next_wave + depth[name]
        if group:
            next_wave = max(waves[n] for n in group) + 1
    ordered = tuple(sorted(on.values(), key=lambda r: (waves[r.name], r.name)))
    return Plan(ordered, waves, needs, dropped, disabled)


def _depth(
    name: str, needs: Mapping[str, tuple[str, ...]], group: set[str], memo: dict[str, int]
) -> int:
    # Iterative longest path inside a seq group; cycles were rejected by check_graph.
    stack = [name]
    while stack:
        current = stack[-1]
        if current in memo:
            stack.pop()
            continue
        pending = [n for n in needs[current] if n in group and n not in memo]
        if pending:
            stack.extend(pending)
            continue
        inside = [memo[n] + 1 for n in needs[current] if n in group]
        memo[current] = max(inside, default=0)
        stack.pop()
    return memo[name]
