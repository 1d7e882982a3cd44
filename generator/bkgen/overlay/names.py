"""Environment names: which `overlays/<name>/` are environments, the error for one that is
not (with the likeliest did-you-mean), and which `rendered/<name>/` have none behind them.

Apart from `overlay.load` on purpose: every command checks its ENV arguments first, and a
no-op render (`render.stamp`) must do that without importing the overlay loader.
"""

from __future__ import annotations

from pathlib import Path

from bkgen.errors import Location, UsageError, display_path
from bkgen.errors.suggest import did_you_mean


def list_environments(root: Path) -> list[str]:
    overlays = root / "overlays"
    if not overlays.is_dir():
        return []
    return sorted(
        p.name for p in overlays.iterdir() if p.name != "base" and (p / "env.yaml").is_file()
    )


def unknown_environment(root: Path, name: str) -> UsageError:
    """The error for an environment name that has no `overlays/<name>/env.yaml`."""
    known = list_environments(root)
    if (root / "overlays" / name).is_dir():
        return UsageError(
            f"environment '{name}' has no env.yaml",
            location=Location(display_path(root / "overlays" / name / "env.yaml", root)),
            hint="docs/overlays.md, 'Adding an environment', says what it holds",
        )
    create = f"`bkgen env new {name}` creates it"
    return UsageError(
        f"unknown environment '{name}'",
        hint=did_you_mean(name, known, f"environments: {', '.join(known)}; {create}")
        if known
        else f"no overlays/<env>/env.yaml yet; {create}",
    )


def require_environment(root: Path, name: str) -> None:
    """Raise `unknown_environment` unless `name` is an environment of `root`."""
    if name not in list_environments(root):
        raise unknown_environment(root, name)


def rendered_envs(rendered: Path) -> list[str]:
    """The environment folders of a rendered tree (lock files and the like start with `.`)."""
    if not rendered.is_dir():
        return []
    return [p.name for p in rendered.iterdir() if p.is_dir() and not p.name.startswith(".")]


def strays(root: Path) -> list[str]:
    """Folders under rendered/ with no environment behind them (left after a removal)."""
    known = list_environments(root)
    return sorted(e for e in rendered_envs(root / "rendered") if e not in known)
