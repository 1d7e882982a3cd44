"""Credentials a chart writes itself, replaced by the store keys an environment declares.

Some real charts put a credential into rendered text that no value can replace: bkauth
0.0.9 writes `pprofPassword: {{ randAlphaNum 16 }}` into its config file, bk-apigateway
0.4.64 hard-codes `CONFAPI_PKG_PWD` in a container env. Committed, either is a secret in
git (and the generated one changes on every render); refused, the release cannot render
here. The env's catalog entry declares, per config key or env variable name, the store key
that holds it (`chartCredentials: {pprofPassword: {secretRef: "bkce70/bk-auth#pprof"}}`):
the literal becomes that declaration's sentinel before `relocate.py` runs, so it moves into
a Secret and then an ExternalSecret like any declared value. The operator loads the store
key (any value for a generated one, the chart's for a hard-coded one); bkgen never reads,
keeps or prints the literal. A declaration that matches nothing is an error: a chart upgrade
that stopped writing the credential must not leave a stale declaration behind unnoticed.

A generated credential leaves a trace: charts annotate pods with `checksum/config` of the
config that held it, so the annotation changes on every render and would roll the pods on
every sync. `settle` renders such a release a second time with the same values; an
annotation that differs is replaced by a digest of the release's config as committed (which
changes exactly when that config does), anything else that differs is an error naming it.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from bkgen.errors import CatalogError, Location, RenderError
from bkgen.errors.suggest import did_you_mean
from bkgen.kube.pods import containers
from bkgen.render import Manifest
from bkgen.secrets.literals import LINE, findings, literal_key
from bkgen.secrets.refs import SENTINEL, SecretRef


def swap(
    release: str,
    manifests: Sequence[Manifest],
    declared: Mapping[str, SecretRef],
    where: Location,
) -> tuple[Manifest, ...]:
    """`manifests` with each declared credential's literal replaced by its sentinel."""
    if not declared:
        return tuple(manifests)
    used: set[str] = set()
    out = [_swapped(m, declared, used) for m in manifests]
    for name in sorted(set(declared) - used):
        written = sorted({_name(w, what) for _, w, what, _ in findings(manifests)} - {""})
        raise CatalogError(
            f"release '{release}': chartCredentials names '{name}', but the chart writes no "
            "literal config line or env variable of that name",
            location=where,
            hint=did_you_mean(
                name,
                written,
                "remove the declaration (the chart no longer writes it)"
                if not written
                else f"the chart writes literals under: {', '.join(written)}",
            ),
        )
    return tuple(out)


def first_name(manifests: Sequence[Manifest]) -> str | None:
    """The config key or env variable of the first literal a declaration could replace."""
    for _, where, what, _ in findings(manifests):
        return _name(where, what) or None
    return None


def declaration(release: str, name: str) -> str:
    """How an env's catalog.yaml gives `name`, a credential `release`'s chart writes
    itself, a store key (the hint of every error that asks for one)."""
    return (
        f"releases: {{{release}: {{chartCredentials: "
        f'{{{name}: {{secretRef: "<store key>#<property>"}}}}}}}}'
    )


def _name(where: str, what: str) -> str:
    """The config key or env variable a `literals.findings` entry names."""
    if ".env." in where:
        return where.rsplit(".env.", 1)[1]
    return literal_key(what) or ""


def _swapped(manifest: Manifest, declared: Mapping[str, SecretRef], used: set[str]) -> Manifest:
    body = manifest.body
    changed: dict[str, Any] | None = None
    if body.get("kind") == "ConfigMap" and isinstance(body.get("data"), Mapping):
        data = {k: _in_text(str(v), declared, used) for k, v in body["data"].items()}
        if data != body["data"]:
            changed = {**body, "data": data}
    names = [
        str(v.get("name"))
        for _, c, _ in containers(body)
        for v in c.get("env") or []
        if isinstance(v, Mapping) and v.get("name") in declared
    ]
    if names:
        changed = copy.deepcopy(changed or body)
        for _, container, _ in containers(changed):
            for variable in container.get("env") or []:
                if not isinstance(variable, dict) or variable.get("name") not in declared:
                    continue
                value = variable.get("value")
                if isinstance(value, str) and value and not SENTINEL.search(value):
                    variable["value"] = declared[str(variable["name"])].token
                    used.add(str(variable["name"]))
    return Manifest(changed, manifest.source) if changed is not None else manifest


def _in_text(text: str, declared: Mapping[str, SecretRef], used: set[str]) -> str:
    lines = text.split("\n")
    for number, line in enumerate(lines):
        match = LINE.match(line)
        if match is None or match.group("key") not in declared or not match.group("value"):
            continue
        if SENTINEL.search(match.group("value")):
            continue
        key = match.group("key")
        start, end = match.span("value")
        lines[number] = line[:start] + declared[key].token + line[end:]
        used.add(key)
    return "\n".join(lines)


def settle(
    release: str,
    swapped: Sequence[Manifest],
    again: Callable[[], list[dict[str, Any]]],
    declared: Mapping[str, SecretRef],
) -> tuple[tuple[Manifest, ...], tuple[str, ...]]:
    """`swapped` with what a second render changes at random made deterministic, and a note
    per annotation replaced; `again()` renders the chart once more with the same values."""
    second = {_identity(m.body): m.body for m in swap(release, _loose(again()), declared, _NOWHERE)}
    config = _config_digest(swapped)
    out: list[Manifest] = []
    notes: list[str] = []
    for manifest in swapped:
        other = second.get(_identity(manifest.body))
        body = manifest.body
        for path in sorted(_differences(body, other, ())) if other is not None else ():
            if len(path) < 2 or path[-2] != "annotations":
                raise RenderError(
                    f"release '{release}': {body.get('kind')}/"
                    f"{(body.get('metadata') or {}).get('name')} at {'.'.join(path)} changes on "
                    "every render (the chart generates it)",
                    location=Location(manifest.source),
                    hint="declare it under chartCredentials if it is a credential, or pin it "
                    "with a value",
                )
            body = _set(body, path, hashlib.sha256(f"{config}:{path[-1]}".encode()).hexdigest())
            notes.append(
                f"{body.get('kind')}/{(body.get('metadata') or {}).get('name')} {path[-1]}"
            )
        out.append(Manifest(body, manifest.source) if body is not manifest.body else manifest)
    return tuple(out), tuple(notes)


_NOWHERE = Location("")


def _loose(objects: list[dict[str, Any]]) -> list[Manifest]:
    return [Manifest(o, "") for o in objects if isinstance(o, dict)]


def _identity(body: Mapping[str, Any]) -> tuple[str, str, str]:
    meta = body.get("metadata") or {}
    return str(body.get("kind")), str(meta.get("namespace") or ""), str(meta.get("name"))


def _config_digest(manifests: Sequence[Manifest]) -> str:
    """A digest of the release's ConfigMaps and Secrets as committed (sentinels, no values)."""
    config = sorted(
        json.dumps(m.body, sort_keys=True, default=str)
        for m in manifests
        if m.body.get("kind") in ("ConfigMap", "Secret")
    )
    return hashlib.sha256("\n".join(config).encode()).hexdigest()


def _differences(a: Any, b: Any, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in set(a) | set(b):
            yield from _differences(a.get(key), b.get(key), (*path, str(key)))
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            yield from _differences(x, y, (*path, str(index)))
    elif a != b:
        yield path


def _set(body: dict[str, Any], path: tuple[str, ...], value: str) -> dict[str, Any]:
    copied = copy.deepcopy(body)
    node: Any = copied
    for key in path[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    node[path[-1]] = value
    return copied
