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
    probed, probes = _probed(values, merged)
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
            candidate = literal_source(text, merged)
            # A value whose text is in the key is a guess (a database name can equal its
            # password): named only when a probe in that value reaches the key.
            if candidate is not None and _feeds(candidate, key, values, render):
                found = candidate
        out[key] = Diagnosis(generated, found, () if found else switches(merged))
    return out


def _feeds(path: str, key: tuple[str, str], values: dict[str, Any], render: Render) -> bool:
    probed = copy.deepcopy(values)
    _set(probed, tuple(path.split(".")), "bkgenprobe0x")
    try:
        return "bkgenprobe0x" in _secret_texts(render(probed)).get(key, "")
    except Exception:
        return False


_SWITCH = re.compile(r"^existing.*secret|secretname$|^existingsecret", re.IGNORECASE)


def switches(merged: Mapping[str, Any]) -> tuple[str, ...]:
    """The chart's existingSecret-style values: where an in-cluster Secret can stand in."""
    return tuple(
        sorted(".".join(path) for path, _ in _leaves(merged) if path and _SWITCH.search(path[-1]))
    )


def literal_source(text: str, merged: Mapping[str, Any]) -> str | None:
    """The value whose text is the key's text, else the longest one it contains."""
    candidates = [
        (leaf != text, -len(leaf), ".".join(path))  # exact first, then longest, then by name
        for path, leaf in _leaves(merged)
        if isinstance(leaf, str) and len(leaf) >= MIN_MATCH and leaf in text
    ]
    return min(candidates)[2] if candidates else None


def _probed(
    values: dict[str, Any], merged: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, tuple[str, ...]]]:
    """`values` with every empty, non-structural chart value set to a unique probe."""
    probes: dict[str, tuple[str, ...]] = {}
    probed = copy.deepcopy(values)
    for path, leaf in _leaves(merged):
        if leaf == "" and path and not _STRUCTURAL.search(path[-1]):
            token = f"bkgenprobe{len(probes)}x"
            probes[token] = path
            _set(probed, path, token)
    return probed, probes


def probe_line(
    name: str,
    line_key: str,
    values: dict[str, Any],
    merged: Mapping[str, Any],
    render: Render,
) -> str | None:
    """The chart value that feeds `line_key: …` in the text of object `name` (a config file
    line the chart fills with a generated value when the value is empty), or None."""
    probed, probes = _probed(values, merged)
    if not probes:
        return None
    try:
        objects = render(probed)
    except Exception:
        return None
    pattern = re.compile(rf"{re.escape(line_key)}[\"']?\s*[:=]\s*[\"']?(bkgenprobe\d+x)")
    for body in objects:
        if str((body.get("metadata") or {}).get("name")) != name:
            continue
        for text in _texts(body):
            match = pattern.search(text)
            if match and match.group(1) in probes:
                return ".".join(probes[match.group(1)])
    return None


def _texts(node: Any) -> Iterator[str]:
    if isinstance(node, Mapping):
        for value in node.values():
            yield from _texts(value)
    elif isinstance(node, list):
        for value in node:
            yield from _texts(value)
    elif isinstance(node, str):
        yield node
