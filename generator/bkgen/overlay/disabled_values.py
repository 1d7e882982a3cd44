"""Values files of releases an environment does not render: a warning, naming the switch.

`overlays/prod/bk-mysql-values.yaml.j2` next to `bitnamiMysql.enabled: false` is accepted by
the loader (the file is a release's, the release exists) and then read by nobody: an operator
who edits it sees nothing change. Each such file is a `Notice` at the file, whose hint names
the switch that turned the release off and the file:line that set it.

Plain data in, notices out; it reads only the names of files, never their content.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from bkgen.errors import Location, Notice, display_path
from bkgen.overlay.catalog import Catalog, Release
from bkgen.overlay.merge import Merged
from bkgen.overlay.settings import EnvSettings


def _own_files(env_dir: Path, release: Release) -> list[Path]:
    """The env's values files of `release` that exist (the names `layers.values_files` reads)."""
    if release.values_files is not None:
        names = list(release.values_files)
    else:
        names = [f"{release.name}-values.yaml.j2", f"{release.name}-custom-values.yaml.j2"]
    return [env_dir / name for name in names if (env_dir / name).is_file()]


def _switch(release: Release, why: str, settings: EnvSettings, values: Merged) -> str:
    """Why the release is off, with the file:line of the switch when one file holds it."""
    if release.enabled_by and why.startswith(release.enabled_by):
        chain = values.chain(tuple(release.enabled_by.split(".")))
        return f"{why} ({chain[-1][1]})" if chain else why
    line = settings.lines.get("suites")
    if why.startswith("suite ") and line is not None:
        return f"{why} (overlays/{settings.name}/env.yaml:{line})"
    return why


def disabled_values(
    root: Path,
    catalog: Catalog,
    settings: EnvSettings,
    disabled: Mapping[str, str],
    values: Merged,
) -> tuple[Notice, ...]:
    """One notice per values file of a disabled release, sorted by file."""
    env_dir = root / "overlays" / settings.name
    notices = []
    for name, why in sorted(disabled.items()):
        release = catalog.releases[name]
        for path in _own_files(env_dir, release):
            notices.append(
                Notice(
                    f"values for {name}, which {settings.name} does not render: "
                    f"{_switch(release, why, settings, values)}",
                    location=Location(display_path(path, root)),
                    hint=f"enable {name}, or remove the file",
                )
            )
    return tuple(sorted(notices, key=lambda n: str(n.location)))
