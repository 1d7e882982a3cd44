"""Credentials a chart takes only as plain values: undeclared, the pods get none.

BlueKing's application charts read their storage passwords from values and write them into
ConfigMaps, env values or container args; they read no Secret for them (docs/catalog.md,
"Passwords"). An environment that leaves such a value out renders cleanly and deploys an
application that cannot log in to its database, or (bk-monitor) one Argo CD cannot render:
the failure shows in the cluster, long after review. The catalog names these values per
release (`plainCredentials`); a render names every release that does not declare each of
them as `{secretRef: …}` (which bkgen moves into a Secret the pods read the same way,
`secrets/relocate.py`). An environment opts into an error with
`validation.missingCredentials: error`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bkgen.charts.source import ChartSource
from bkgen.errors import Location, Notice
from bkgen.overlay.layers import declare_in
from bkgen.overlay.load import Environment
from bkgen.overlay.merge import Layer, lookup, merge_layers
from bkgen.secrets.refs import SENTINEL, is_declaration


def undeclared(values: Mapping[str, Any], paths: Sequence[str]) -> list[str]:
    """The paths whose merged value is not a `{secretRef: …}` declaration, nor text a
    declaration went into (a `.gotmpl` layer reading a declared global value gets its
    sentinel: `mongodb://root:<sentinel>@…`). Unset, empty or a literal is missing: a literal
    credential is refused elsewhere, and one without it (a MongoDB URI without its password)
    leaves the pods without it all the same."""
    missing = []
    for path in paths:
        try:
            node = lookup(values, tuple(path.split(".")))
        except KeyError:
            node = None
        if not (is_declaration(node) or (isinstance(node, str) and SENTINEL.search(node))):
            missing.append(path)
    return missing


def check_environment(
    env: Environment,
    charts: Mapping[str, tuple[Sequence[Layer], ChartSource | None]],
    validation: Mapping[str, Any],
) -> list[Notice]:
    """A notice per release rendered here that leaves a plain credential undeclared, at its
    catalog entry, and one for all the releases left to Argo CD (a declaration is refused
    for those: their charts must be rendered here first); raises the first when the env's
    `validation:` block (the trusted ref's under --trusted) opts into errors."""
    notices = []
    remote: list[str] = []
    for release in env.plan.releases:
        if not release.plain_credentials or release.name not in charts:
            continue
        layers, source = charts[release.name]
        missing = undeclared(merge_layers(layers).values, release.plain_credentials)
        if not missing:
            continue
        if source is None:
            remote.append(f"{release.name} ({len(missing)})")
            continue
        notices.append(
            Notice(
                f"release '{release.name}' of {env.name} gets no {', '.join(missing)}: its "
                "chart takes "
                f"{'it' if len(missing) == 1 else 'them'} only as plain "
                f"value{'' if len(missing) == 1 else 's'} and reads no Secret",
                location=env.catalog.at(release.name),
                hint=f'declare each as {{secretRef: "<store key>#<property>"}} in '
                f"{declare_in(env, release)}",
            )
        )
    if remote:
        notices.append(
            Notice(
                f"{len(remote)} release(s) of {env.name} left to Argo CD get no credential "
                "their chart takes only as a plain value (catalog plainCredentials): "
                f"{', '.join(remote)}",
                location=Location(env.catalog.source),
                hint=f"render their charts here (`bkgen charts pull {env.name}`): the render then "
                "names, per release, the values file to declare each in as "
                '{secretRef: "<store key>#<property>"}; left to Argo CD, a declared secret is '
                "refused",
            )
        )
    if notices and validation.get("missingCredentials", "warning") == "error":
        raise notices[0].as_error()
    return notices
