"""Kubernetes quantities: apimachinery's grammar, exact values, the scheduler's rounding."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bkgen.kube import quantity


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250m", Decimal("0.25")),
        ("0.5", Decimal("0.5")),
        (".5", Decimal("0.5")),
        ("+2", Decimal(2)),
        (2, Decimal(2)),
        (0.5, Decimal("0.5")),
        ("1Ki", Decimal(1024)),
        ("512Mi", Decimal(512 * 1024**2)),
        ("1Gi", Decimal(1024**3)),
        ("1.5Gi", Decimal(1536 * 1024**2)),
        ("2Ti", Decimal(2 * 1024**4)),
        ("1k", Decimal(1000)),
        ("64M", Decimal(64_000_000)),
        ("1G", Decimal(10**9)),
        ("3T", Decimal(3 * 10**12)),
        ("1E", Decimal(10**18)),
        ("1e3", Decimal(1000)),
        ("1E3", Decimal(1000)),
        ("5e-1", Decimal("0.5")),
        ("12n", Decimal("0.000000012")),
        ("7u", Decimal("0.000007")),
    ],
)
def test_parse_follows_kubernetes_suffixes(text: str | int | float, value: Decimal) -> None:
    assert quantity.parse(text) == value


@pytest.mark.parametrize("text", ["", "Gi", "1 Gi", "1g", "1KiB", "1.2.3", "1e", "1mi", "0x10"])
def test_not_a_quantity_is_refused_with_the_grammar(text: str) -> None:
    with pytest.raises(quantity.QuantityError, match="not a quantity"):
        quantity.parse(text)


def test_booleans_and_negative_amounts_are_refused() -> None:
    with pytest.raises(quantity.QuantityError):
        quantity.parse(True)
    with pytest.raises(quantity.QuantityError, match="negative"):
        quantity.cpu("-1")


def test_cpu_rounds_up_to_a_millicore_and_memory_to_a_byte() -> None:
    assert quantity.cpu("100u") == Decimal("0.001")
    assert quantity.cpu("1500m") == Decimal("1.5")
    assert quantity.memory("0.5") == Decimal(1)
    assert quantity.memory("1.5k") == Decimal(1500)


def test_formatting_is_short_and_exact() -> None:
    assert quantity.format_cpu(Decimal("0.350")) == "0.35"
    assert quantity.format_cpu(Decimal(12)) == "12"
    assert quantity.format_memory(Decimal(512 * 1024**2)) == "512Mi"
    assert quantity.format_memory(Decimal(1536 * 1024**2)) == "1.5Gi"
    assert quantity.format_memory(Decimal(0)) == "0"
