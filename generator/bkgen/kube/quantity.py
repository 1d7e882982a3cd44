"""Kubernetes resource quantities ("250m", "1Gi", "0.5", "1e3") as exact numbers.

The grammar is apimachinery's `resource.Quantity`: a signed decimal number, then one
suffix: binary SI (Ki Mi Gi Ti Pi Ei), decimal SI (n u m "" k M G T P E) or a decimal
exponent (e3, E-2). Sums are exact (`Decimal`), so a plan of 40 containers adds up to
what the scheduler adds up, not to a float near it. The scheduler counts CPU in whole
millicores and memory in whole bytes, rounding each value up: so does `cpu` / `memory`.
"""

from __future__ import annotations

import re
from decimal import ROUND_CEILING, Decimal

_BINARY = {"Ki": 1, "Mi": 2, "Gi": 3, "Ti": 4, "Pi": 5, "Ei": 6}
_DECIMAL = {"n": -9, "u": -6, "m": -3, "": 0, "k": 3, "M": 6, "G": 9, "T": 12, "P": 15, "E": 18}
_QUANTITY = re.compile(
    r"^(?P<number>[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+))"
    r"(?:(?P<exponent>[eE][+-]?[0-9]+)|(?P<suffix>Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$"
)
MILLI = Decimal("0.001")


class QuantityError(ValueError):
    """Not a Kubernetes quantity; the message names the text and the grammar."""


def parse(value: str | int | float) -> Decimal:
    """The exact value of a quantity; YAML numbers (`cpu: 2`, `cpu: 0.5`) are quantities too."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise QuantityError(f"{value!r} is not a quantity")
    text = str(value) if not isinstance(value, float) else repr(value)
    match = _QUANTITY.match(text.strip())
    if match is None or len(text) > 64:
        raise QuantityError(
            f"{text!r} is not a quantity (a number with one of the suffixes "
            "m, k, M, G, Ki, Mi, Gi, … or an exponent such as 1e3)"
        )
    number = Decimal(match["number"])
    if match["exponent"]:
        return number.scaleb(int(str(match["exponent"])[1:]))
    suffix = str(match["suffix"] or "")
    if suffix in _BINARY:
        return number * Decimal(1024) ** _BINARY[suffix]
    return number.scaleb(_DECIMAL[suffix])


def cpu(value: str | int | float) -> Decimal:
    """CPU cores, rounded up to a whole millicore as the scheduler counts them."""
    return _non_negative(parse(value), value).quantize(MILLI, rounding=ROUND_CEILING)


def memory(value: str | int | float) -> Decimal:
    """Bytes, rounded up to a whole byte."""
    return _non_negative(parse(value), value).to_integral_value(rounding=ROUND_CEILING)


def _non_negative(amount: Decimal, value: object) -> Decimal:
    if amount < 0:
        raise QuantityError(f"{value!r}: a resource amount cannot be negative")
    return amount


def format_cpu(cores: Decimal) -> str:
    """`12`, `0.35`, `1.125`: cores without trailing zeros."""
    text = f"{cores.quantize(MILLI, rounding=ROUND_CEILING):f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_memory(size: Decimal) -> str:
    """The largest binary unit that keeps at least 1 (`512Mi`, `1.5Gi`), two decimals at most."""
    for unit, power in (("Ti", 4), ("Gi", 3), ("Mi", 2), ("Ki", 1)):
        scaled = size / (1024**power)
        if scaled >= 1:
            text = f"{scaled.quantize(Decimal('0.01'), rounding=ROUND_CEILING):f}"
            return text.rstrip("0").rstrip(".") + unit
    return f"{size:f}"
