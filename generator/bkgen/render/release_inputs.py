"""The input key of one release's render: one digest over everything that render reads.

Leaving an input out would serve a stale release; putting one in too many costs a
re-render. So each key takes the whole loaded environment (settings, catalog, global
values with their provenance, plan, secret declarations: a change there re-renders every
release), who renders (`render.identity`: bkgen's source, the packages, the `BKGEN_*`
variables), the limits, the API versions the charts see, the digest of every input file
no release owns (argo/, schemas/, base and env files), and then what is the release's
own: its catalog entry, its values files and rendered layers, its templates directory,
its chart archive.
A change to a release's own file therefore re-renders that release alone. Workflow steps
(argo/) are functions of their parameters, values and facts and read no file; the whole of
argo/ is in every key, so a changed step or helper re-renders every release.
Digests only: no file content, path of this machine or variable value leaves this module.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bkgen import __version__
from bkgen.charts.source import ChartSource
from bkgen.errors import display_path
from bkgen.overlay.catalog import Release
from bkgen.overlay.layers import values_files
from bkgen.overlay.load import Environment
from bkgen.overlay.merge import Layer
from bkgen.render import identity
from bkgen.safety import confine, limits

FORMAT = 1


def input_digests(env: Environment) -> dict[str, str]:
    """sha256 of every file the render reads, by repo-relative path (argo/ as imported:
    from a trusted ref under `--steps-from`). A link out of the project is refused here
    too: not even a digest of a file outside the repository reaches the index."""
    steps = env.steps_dir
    roots = [
        (env.base_dir, env.root),
        *((directory, env.root) for directory in env.layer_dirs),  # env.yaml extends:
        (steps / "argo", steps),
        (env.root / "schemas", env.root),
    ]
    found: dict[str, str] = {}
    for base, anchor in roots:
        if not base.is_dir():
            continue
        for path in sorted(base.rglob("*")):
            if "__pycache__" in path.parts or path.is_dir():
                continue
            if path.is_symlink():
                confine.refuse_link_out(path, anchor, shown=display_path(path, env.root))
            if path.is_file():
                rel = path.relative_to(anchor).as_posix()
                found[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def _tree(directory: Path) -> str:
    """A vendored chart directory, wherever it is: every file's path and bytes."""
    digest = hashlib.sha256()
    for path in sorted(directory.rglob("*")):
        if path.is_file() and not path.is_symlink():
            digest.update(path.relative_to(directory).as_posix().encode() + b"\0")
            digest.update(hashlib.sha256(path.read_bytes()).digest())
        elif path.is_symlink():
            digest.update(path.relative_to(directory).as_posix().encode() + b"\1")
            digest.update(str(path.readlink()).encode("utf-8", "surrogateescape"))
    return digest.hexdigest()


def owned_files(env: Environment, release: Release) -> list[Path]:
    """The input files only this release reads: its values files and templates."""
    if release.source == "chart":
        return values_files(env, release)
    if release.source == "templates" and release.templates and release.template_set is None:
        directory = env.base_dir / "templates" / release.templates
        return sorted(directory.rglob("*")) if directory.is_dir() else []
    return []


def _portable(text: str, env: Environment) -> str:
    """The environment's description without where this checkout (or the trusted steps'
    copy) happens to be: the output never holds either, so two checkouts of the same
    inputs share their entries (a check with `--steps-from` makes a new copy every run)."""
    places = {str(p): f"<{n}>" for n, p in (("steps", env.steps_root), ("root", env.root)) if p}
    for place in sorted(places, key=len, reverse=True):
        text = text.replace(place, places[place])
    return text


@dataclasses.dataclass(frozen=True)
class EnvKey:
    """What every release key of one environment starts from."""

    digest: str
    owned: Mapping[str, tuple[str, ...]]  # release -> its own files, repo-relative


def env_key(env: Environment, inputs: Mapping[str, str], apis: Sequence[str]) -> EnvKey:
    """`inputs`: sha256 of every input file by repo-relative path (`input_digests`)."""
    owned: dict[str, tuple[str, ...]] = {}
    for release in env.plan.releases:
        names = []
        for path in owned_files(env, release):
            try:
                names.append(path.relative_to(env.root).as_posix())
            except ValueError:
                continue
        owned[release.name] = tuple(names)
    claimed = {name for names in owned.values() for name in names}
    state = {f.name: getattr(env, f.name) for f in dataclasses.fields(env)}
    parts = {
        "format": FORMAT,
        "bkgen": __version__,
        "code": identity.code(),
        "packages": identity.packages(),
        "limits": repr(limits.current()),
        "environ": identity.environ(),
        "env": identity.sha(_portable(repr(state), env)),
        "apis": list(apis),
        "shared": sorted((p, d) for p, d in inputs.items() if p not in claimed),
    }
    return EnvKey(identity.sha(json.dumps(parts, sort_keys=True)), owned)


def release_key(
    base: EnvKey,
    release: Release,
    inputs: Mapping[str, str],
    layers: Sequence[Layer] = (),
    chart: ChartSource | None = None,
) -> str:
    parts: dict[str, Any] = {
        "env": base.digest,
        "release": repr(release),
        "files": [(p, inputs.get(p, "")) for p in base.owned.get(release.name, ())],
        "layers": [(layer.source, repr(layer.data)) for layer in layers],
        "chart": None
        if chart is None
        else (
            chart.shown,
            hashlib.sha256(chart.archive).hexdigest() if chart.archive is not None else None,
            _tree(chart.directory) if chart.directory is not None else None,
        ),
    }
    return identity.sha(json.dumps(parts, sort_keys=True))
