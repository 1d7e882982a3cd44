"""`bkgen import helmfile NAME DIR`: an operator's tree in, an environment out.

Read (`tree.py`) -> convert (`convert.py`, secrets moved by `secrets.py`) -> write the
environment whole or not at all -> prove it loads. The environment is written into a
hidden staging folder and renamed into place, then loaded exactly as `bkgen render` would
load it; if that fails, the folder goes and the error names the file and line, so a
failed import leaves overlays/ as it was.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bkgen.errors import OverlayError, UsageError
from bkgen.importers.helmfile.conversion import Conversion
from bkgen.importers.helmfile.convert import convert
from bkgen.importers.helmfile.tree import read_tree
from bkgen.overlay.catalog import load_catalog
from bkgen.overlay.load import ENV_NAME, load_environment
from bkgen.overlay.names import list_environments
from bkgen.yamlio import load_file


def import_helmfile(
    root: Path,
    tree_dir: Path,
    env: str,
    *,
    suites: Sequence[str] = ("base",),
    kube_version: str = "1.20",
    bundled_versions: bool = False,
    dry_run: bool = False,
) -> Conversion:
    if not ENV_NAME.match(env):
        raise UsageError(f"invalid environment name {env!r} (lowercase letters, digits, '-')")
    target = root / "overlays" / env
    if env in list_environments(root) or target.exists():
        raise UsageError(
            f"environment '{env}' exists already",
            hint="import into a new name; compare the two with bkgen diff",
        )
    if not tree_dir.is_dir():
        raise UsageError(f"{tree_dir.name}: not a directory")
    catalog = load_catalog(root)
    unknown = [s for s in suites if s not in catalog.suites]
    if unknown:
        raise UsageError(
            f"unknown suite '{unknown[0]}'", hint=f"suites: {', '.join(catalog.suites)}"
        )
    tree = read_tree(tree_dir.resolve())
    base_values = load_file(root / "overlays" / "base" / "values.yaml", root=root) or {}
    result = convert(
        tree,
        catalog,
        env,
        tuple(suites),
        _env_yaml(root, env, suites, kube_version),
        frozenset(str(k) for k in base_values),
        bundled_versions,
    )
    if not dry_run:
        _write(root, target, result)
        result.decisions.extend(_values_the_charts_ignore(root, env))
    return result


def _values_the_charts_ignore(root: Path, env_name: str) -> list[str]:
    """Each release whose values set a key its bundled chart defines nowhere: the render
    refuses them (naming file and line), so the report lists them all at once."""
    from bkgen.charts.lock import read_lock
    from bkgen.charts.source import local_chart
    from bkgen.errors import BkgenError
    from bkgen.overlay.layers import release_layers, render_gotmpl_layers
    from bkgen.overlay.release_keys import check_release

    env = load_environment(root, env_name)
    lock = read_lock(root, env.env_dir)
    releases = [r for r in env.plan.releases if r.source == "chart"]
    rendered = render_gotmpl_layers(env, releases)
    found: list[str] = []
    for release in releases:
        source = local_chart(env, release, lock)
        if source is None:
            continue
        try:
            check_release(env, release, release_layers(env, release, rendered), source)
        except BkgenError as err:
            found.append(f"values the chart ignores: {err}")
    return found


def _env_yaml(root: Path, env: str, suites: Sequence[str], kube_version: str) -> dict[str, Any]:
    """Where the imported environment deploys: git and Argo CD settings follow the
    repository's `default` environment when there is one (same repo, own path)."""
    git: dict[str, Any] = {"repoURL": "https://git.example.com/blueking/bkce7-gitops.git"}
    default = root / "overlays" / "default" / "env.yaml"
    secrets: dict[str, Any] = {
        "backend": "external-secrets",
        "store": {"kind": "ClusterSecretStore", "name": env},
    }
    if default.is_file():
        doc = load_file(default, root=root) or {}
        git = {k: str(v) for k, v in (doc.get("git") or {}).items() if k != "path"}
    return {
        "description": "imported from a bkhelmfile tree (bkgen import helmfile)",
        "kubeVersion": kube_version,
        "suites": list(suites),
        "baseReleaseValues": False,
        "git": {**git, "path": f"rendered/{env}"},
        "argocd": {"namespace": "argocd", "project": f"bkce7-{env}"},
        "secrets": secrets,
        "charts": {"dir": "charts", "mode": "auto"},
    }


def _write(root: Path, target: Path, result: Conversion) -> None:
    staging = target.parent / f".{target.name}.import"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        for relative, data in sorted(result.files.items()):
            path = staging / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        staging.rename(target)
    except OSError as err:
        shutil.rmtree(staging, ignore_errors=True)
        raise OverlayError(f"cannot write the environment: {err.strerror}") from None
    try:
        load_environment(root, target.name)
    except BaseException:
        shutil.rmtree(target, ignore_errors=True)
        raise
