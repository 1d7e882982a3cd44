"""Waves from seq and needs; graph errors name both releases."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bkgen.errors import CatalogError
from bkgen.overlay.catalog import Catalog, Release
from bkgen.overlay.waves import check_graph, plan


def _catalog(
    entries: dict[str, tuple[str, list[str]]], seqs: tuple[str, ...] = ("a", "b", "c")
) -> Catalog:
    releases = {
        name: Release(
            name=name,
            source="templates",
            namespace="",
            suite="base",
            seq=seq,
            needs=tuple(needs),
            templates=name,
            line=i + 1,
        )
        for i, (name, (seq, needs)) in enumerate(entries.items())
    }
    return Catalog(
        repositories={},
        seq_order=seqs,
        suites={"base": ""},
        releases=releases,
        source="catalog.yaml",
    )


def _all_on(catalog: Catalog) -> dict[str, str | None]:
    return dict.fromkeys(catalog.releases)


def test_storage_before_consumers_and_seq_groups_in_order() -> None:
    catalog = _catalog(
        {
            "mysql": ("a", []),
            "redis": ("a", []),
            "auth": ("b", ["mysql", "redis"]),
            "gateway": ("b", ["auth"]),
            "paas": ("c", []),
        }
    )
    result = plan(catalog, _all_on(catalog))
    assert result.waves == {"mysql": 0, "redis": 0, "auth": 1, "gateway": 2, "paas": 3}
    assert [r.name for r in result.releases] == ["mysql", "redis", "auth", "gateway", "paas"]


def test_cycle_is_an_error_naming_both_releases() -> None:
    catalog = _catalog({"x": ("a", ["y"]), "y": ("a", ["x"])})
    with pytest.raises(CatalogError, match=r"cycle between '(x|y)' and '(x|y)'") as err:
        check_graph(catalog)
    assert err.value.location is not None and err.value.location.line in (1, 2)


def test_seq_contradicting_needs_is_an_error_naming_both() -> None:
    catalog = _catalog({"early": ("a", ["late"]), "late": ("b", [])})
    with pytest.raises(CatalogError, match=r"'early' \(seq a\) needs 'late' \(seq b\)"):
        check_graph(catalog)


def test_unknown_need_is_an_error() -> None:
    catalog = _catalog({"x": ("a", ["ghost"])})
    with pytest.raises(CatalogError, match="needs unknown release 'ghost'"):
        check_graph(catalog)


def test_disabled_need_is_dropped_and_reported() -> None:
    catalog = _catalog({"mysql": ("a", []), "app": ("b", ["mysql"])})
    result = plan(catalog, {"mysql": "bitnamiMysql.enabled is false", "app": None})
    assert result.needs["app"] == ()
    assert result.dropped == {"app": ("mysql",)}
    assert result.disabled == {"mysql": "bitnamiMysql.enabled is false"}
    assert result.waves == {"app": 0}


@st.composite
def _dags(draw: st.DrawFn) -> Catalog:
    size = draw(st.integers(min_value=1, max_value=12))
    names = [f"r{i}" for i in range(size)]
    seq_of = [draw(st.integers(0, 2)) for _ in names]
    entries: dict[str, tuple[str, list[str]]] = {}
    for i, name in enumerate(names):
        # edges only to earlier names with seq <= own seq: acyclic and seq-consistent
        options = [names[j] for j in range(i) if seq_of[j] <= seq_of[i]]
        needs = draw(st.lists(st.sampled_from(options), unique=True)) if options else []
        entries[name] = ("abc"[seq_of[i]], needs)
    return _catalog(entries)


@given(_dags())
def test_waves_respect_needs_and_seq(catalog: Catalog) -> None:
    result = plan(catalog, _all_on(catalog))
    order = {s: i for i, s in enumerate(catalog.seq_order)}
    for release in catalog.releases.values():
        for need in release.needs:
            assert result.waves[need] < result.waves[release.name]
        for other in catalog.releases.values():
            if order[other.seq] < order[release.seq]:
                assert result.waves[other.name] < result.waves[release.name]


@given(_dags())
def test_waves_are_dense_from_zero(catalog: Catalog) -> None:
    waves = set(plan(catalog, _all_on(catalog)).waves.values())
    assert waves == set(range(max(waves) + 1))
