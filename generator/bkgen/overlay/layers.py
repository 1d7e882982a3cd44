"""A release's values layers: which files, in which order, rendered by which engine.

    base      overlays/base/releases/<r>-values.yaml.j2 (unless env.yaml baseReleaseValues: false)
    env       overlays/<env>/<r>-values.yaml.j2, <r>-custom-values.yaml.j2, or the files the
              env's catalog.yaml lists for the release (helmfile's `values:` list), in order
    BCS       `__BCS__` system variables, for the Helm releases a BCS project lists

By suffix: `.j2` is jinja2 in the sandbox over `template_context`; `.gotmpl` is Go templates
as helmfile evaluates them (`engines/gotmpl.py`: `.Values` are the global values, with
`.Values.version` keyed by chart name as bkhelmfile's version.yaml is); `.yaml` is plain.
Every layer keeps the lines it came from, so `bkgen explain` names the file and line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bkgen.engines.gotmpl import GoTemplateContext, GoTemplateJob, render_many
from bkgen.engines.jinja_sandbox import render_template
from bkgen.errors import Location, OverlayError
from bkgen.overlay.bcs_variables import helm_values, registry_setting
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment, release_namespace
from bkgen.overlay.merge import Layer, Merged, merge_layers
from bkgen.overlay.templatesets import TemplateSet, instance_namespaces
from bkgen.safety import confine
from bkgen.yamlio import load_text

GOTMPL = ".gotmpl"


def template_context(env: Environment, release: Release) -> dict[str, Any]:
    """What every values/manifest template sees. Plain data only, nothing callable."""
    return {
        "values": env.values.values,
        "env": {
            "name": env.name,
            "kubeVersion": env.settings.kube_version,
            "bluekingVersion": env.blueking_version,
            "releases": sorted(r.name for r in env.plan.releases),
            "namespaces": sorted(
                {release_namespace(env, r) for r in env.plan.releases}
                | instance_namespaces(_enabled_sets(env))
            ),
        },
        "release": {
            "name": release.name,
            "namespace": release_namespace(env, release),
            "version": env.versions.get(release.name, ""),
            "suite": release.suite,
            "domains": list(release.domains),
            "params": dict(release.params),
        },
    }


def _enabled_sets(env: Environment) -> dict[str, TemplateSet]:
    on = {r.name for r in env.plan.releases}
    return {name: tset for name, tset in env.template_sets.items() if name in on}


def _line_mapper(template: str, rendered: str) -> Any:
    """Map rendered lines back to template lines by matching key names in order.

    jinja2 keeps no source map; keys are what a reviewer looks for, so a key on
    rendered line N is attributed to the next template line that spells the same key.
    """
    key = re.compile(r"^\s*-?\s*([^\s:#][^:#]*?):(\s|$)")
    tpl_lines = template.splitlines()
    mapping: dict[int, int] = {}
    cursor = 0
    for number, text in enumerate(rendered.splitlines(), start=1):
        match = key.match(text)
        if not match:
            continue
        for offset in range(cursor, len(tpl_lines)):
            if re.search(rf"(^|\s|-){re.escape(match.group(1))}:", tpl_lines[offset]):
                mapping[number] = offset + 1
                cursor = offset
                break

    def line_of(line: int) -> int:
        return mapping.get(line, line)

    return line_of


def release_values(env: Environment, release: Release) -> Merged:
    """Render and merge a release's values layers (base < env values < env custom)."""
    return merge_layers(release_layers(env, release))


def values_files(env: Environment, release: Release) -> list[Path]:
    """The files of a release's values layers that exist, in merge order."""
    base = (
        [env.base_dir / "releases" / f"{release.name}-values.yaml.j2"]
        if env.settings.base_release_values
        else []
    )
    own = [  # an ancestor's (env.yaml extends:) before the env's own
        directory / f"{release.name}{suffix}"
        for directory in env.layer_dirs
        for suffix in ("-values.yaml.j2", "-custom-values.yaml.j2")
        if directory != env.env_dir or release.values_files is None
    ]
    if release.values_files is not None:
        own += [env.env_dir / name for name in release.values_files]
    return [path for path in (*base, *own) if confine.exists(path)]


def declare_in(env: Environment, release: Release) -> str:
    """Where a hint tells the user to set a value of `release` in this environment."""
    if release.values_files is not None:
        return f"a values file of '{release.name}' listed in {env.shown(env.env_dir)}/catalog.yaml"
    if release.source == "chart":
        return f"{env.shown(env.env_dir)}/{release.name}-custom-values.yaml.j2"
    # owned templates read only the global values: a values file would be refused
    return f"{env.shown(env.env_dir)}/custom.yaml, at the global value the template reads,"


def gotmpl_values(env: Environment) -> dict[str, Any]:
    """`.Values` of a `.gotmpl` layer: the global values, `version` keyed by chart name."""
    values = dict(env.values.values)
    values["version"] = {
        release.chart.name: env.versions[name]
        for name, release in sorted(env.catalog.releases.items())
        if release.chart is not None and name in env.versions
    }
    return values


def render_gotmpl_layers(env: Environment, releases: Sequence[Release]) -> dict[Path, str]:
    """Every `.gotmpl` layer of `releases`, rendered in one child process (one start-up
    for the whole environment instead of one per file)."""
    values = gotmpl_values(env)
    jobs = [
        GoTemplateJob(
            path,
            GoTemplateContext(
                values=values,
                environment_name=env.name,
                tree_root=env.env_dir,
                release_name=release.name,
                release_namespace=release_namespace(env, release),
            ),
            env.shown(path),
        )
        for release in releases
        for path in values_files(env, release)
        if path.name.endswith(GOTMPL)
    ]
    return {job.path: text for job, text in zip(jobs, render_many(jobs), strict=True)}


def release_layers(
    env: Environment, release: Release, rendered: Mapping[Path, str] | None = None
) -> list[Layer]:
    """The rendered values layers of a release, in merge order, each with its source lines.
    `rendered`: `.gotmpl` layers already rendered (`render_gotmpl_layers`)."""
    files = values_files(env, release)
    gotmpl = [p for p in files if p.name.endswith(GOTMPL)]
    if gotmpl and (rendered is None or any(p not in rendered for p in gotmpl)):
        rendered = render_gotmpl_layers(env, [release])
    context = template_context(env, release)
    layers: list[Layer] = []
    for path in files:
        shown = env.shown(path)
        text = confine.read_text(path, env.root)
        if path.name.endswith(GOTMPL):
            assert rendered is not None
            output = rendered[path]
            line_of = _line_mapper(text, output)
        elif path.name.endswith(".j2"):
            output = render_template(text, shown, context)
            line_of = _line_mapper(text, output)
        else:
            output, line_of = text, None
        doc = load_text(output, f"{shown} (rendered)" if output is not text else shown)
        if doc is not None and not isinstance(doc, Mapping):
            raise OverlayError("values must be a mapping", location=Location(shown, 1))
        layers.append(Layer(shown, doc, line_of) if line_of else Layer(shown, doc))
    if env.bcs is not None and release.name in env.bcs.helm_releases:
        layers.append(_bcs_layer(env, release))
    return layers


def _bcs_layer(env: Environment, release: Release) -> Layer:
    """BCS system variables as BCS passes them to charts (`__BCS__`, `global.__BCS__`)."""
    assert env.bcs is not None
    namespace = release_namespace(env, release)
    return Layer(env.bcs.source, helm_values(env.bcs, registry_setting(env.values), namespace))
