"""Why a rendered Secret holds a value, and which chart value to declare instead.

Only runs when a render is already refused, so its extra renders cost nothing on a clean
tree. Two questions per (Secret, key):

- generated? Render again with the same values: Helm's `randAlphaNum`, `randAscii`,
  `genPrivateKey`, `uuidv4`, … give other bytes each time.
- fed by which value? Render once more with every empty string of the chart's merged values
  replaced by a unique probe (charts generate a password when the value is empty); the probe
  that appears in the key names the value. A value that is not empty is found by matching
  the Secret's text against the merged values.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from bkgen.secrets.scan import Diagnosis, Plaintext, decoded

Render = Callable[[dict[str, Any]], list[dict[str, Any]]]  # values -> objects

_PROBE = re.compile(r"bkgenprobe(\d+)x")
# Switching these on changes which objects a chart renders; probing them would hide the key.
_STRUCTURAL = re.compile(r"existing|enabled|create|use|^type$|kind|mode", re.IGNORECASE)
MIN_MATCH = 4  # shorter literal values match too much to point at one


def _secret_texts(objects: Sequence[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    return {
        (str((body.get("metadata") or {}).get("name")), key): str(text)
        for body in objects
        if body.get("kind") == "Secret"
        for key, text in decoded(body, lenient=True).items()
    }


def _leaves(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)))
    else:
        yield path, node


def _set(node: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value


def diagnose(
    problems: Sequence[Plaintext],
    objects: Sequence[Mapping[str, Any]],
    values: dict[str, Any],
    merged: Mapping[str, Any],
    render: Render,
) -> dict[tuple[str, str], Diagnosis]:
    """`objects` is the refused render, `merged` the chart's defaults coalesced with `values`."""
    first = _secret_texts(objects)
    try:
        again = _secret_texts(render(values))
    except Exception:
        again = {}
    probes: dict[str, tuple[str, ...]] = {}
    probed = copy.deepcopy(values)
    for path, leaf in _leaves(merged):
        if leaf == "" and path and not _STRUCTURAL.search(path[-1]):
            token = f"bkgenprobe{len(probes)}x"
            probes[token] = path
            _set(probed, path, token)
    try:
        with_probes = _secret_texts(render(probed)) if probes else {}
    except Exception:
        with_probes = {}
    out: dict[tuple[str, str], Diagnosis] = {}
    for item in problems:
        key = (item.secret, item.key)
        text = first.get(key, "")
        generated = key in again and again[key] != text
        found: str | None = None
        match = _PROBE.search(with_probes.get(key, ""))
        if match and match.group(0) in probes:
            found = ".".join(probes[match.group(0)])
        elif not generated and len(text) >= MIN_MATCH:
            found = _literal_source(text, merged)
        out[key] = Diagnosis(generated, found)
    return out


def _literal_source(text: str, merged: Mapping[str, Any]) -> str | None:
    """The value whose text is the key's text, else the longest one it contains."""
    candidates = [
        (leaf != text, -len(leaf), ".".join(path))  # exact first, then longest, then by name
        for path, leaf in _leaves(merged)
        if isinstance(leaf, str) and len(leaf) >= MIN_MATCH and leaf in text
    ]
    return min(candidates)[2] if candidates else None
