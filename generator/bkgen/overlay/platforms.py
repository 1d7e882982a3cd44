"""Which platform an environment deploys: BlueKing by default, another one by name.

A platform is a folder of data, the same files `overlays/base/` holds:

    overlays/base/                  the default platform (BlueKing 7.1)
    overlays/platforms/<name>/      any other: catalog.yaml, versions.yaml, values.yaml,
                                    releases/<r>-values.yaml.j2, templates/<dir>/*.yaml.j2

`platform: <name>` in `env.yaml` selects `overlays/platforms/<name>/`; without it the
environment deploys the default. Adding a platform is adding such a folder (docs/platforms.md):
no Python names a platform, so this module only maps the setting to a folder.

It must not read anything but the `platform` key of env.yaml and the platforms folder.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bkgen.errors import Location, OverlayError, display_path
from bkgen.errors.suggest import did_you_mean
from bkgen.overlay.extends import settings_doc
from bkgen.overlay.file_schemas import load_checked, schema_dir
from bkgen.yamlio import position

DEFAULT = ("overlays", "base")
PLATFORMS = ("overlays", "platforms")


def list_platforms(root: Path) -> list[str]:
    """The named platforms of a project: folders of `overlays/platforms/` with a catalog."""
    folder = root.joinpath(*PLATFORMS)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if (p / "catalog.yaml").is_file())


def platform_dir(root: Path, env_doc: Mapping[str, Any], shown: str) -> Path:
    """The folder of the platform a schema-checked `env.yaml` selects."""
    name = env_doc.get("platform")
    if name is None:
        return root.joinpath(*DEFAULT)
    known = list_platforms(root)
    if str(name) not in known:
        default = "without `platform:` an environment deploys overlays/base (BlueKing)"
        raise OverlayError(
            f"unknown platform '{name}' (no overlays/platforms/{name}/catalog.yaml)",
            location=Location(shown, *(position(env_doc, "platform") or ())),
            hint=did_you_mean(
                str(name),
                known,
                f"platforms: {', '.join(known)}; {default}" if known else default,
            ),
        )
    return root.joinpath(*PLATFORMS, str(name))


def values_schema(root: Path, platform: Path) -> Path:
    """The schema of a platform's global values: BlueKing's in `schemas/overlay/`, any other
    platform's beside its values.yaml (each platform types its own values; BlueKing's types
    would refuse another platform's keys)."""
    if platform == root.joinpath(*DEFAULT):
        return schema_dir(root) / "values.schema.json"
    own = platform / "values.schema.json"
    if not own.is_file():
        raise OverlayError(
            "a platform types its global values: values.schema.json is missing",
            location=Location(display_path(own, root)),
            hint="write a JSON Schema for values.yaml and custom.yaml (docs/platforms.md)",
        )
    return own


def env_platform_dir(root: Path, env: str, env_doc: Mapping[str, Any] | None = None) -> Path:
    """The platform folder of an existing environment: its env.yaml's `platform:`, else
    the one it inherits through `extends:`. `env_doc`: its env.yaml, when already read."""
    path = root / "overlays" / env / "env.yaml"
    own = env_doc if env_doc is not None else load_checked(root, path, "env.schema.json")
    inherited = own if "platform" in own else settings_doc(root, env)
    return platform_dir(root, inherited, display_path(path, root))
