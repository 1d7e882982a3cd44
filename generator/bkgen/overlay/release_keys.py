"""Release values checked against what the chart accepts, so `replicaCont: 3` is not lost.

Two sources of truth, best first:

1. the chart's own `values.schema.json`, when the chart is here (the env's charts dir or
   the chart cache): a violation is an error naming the env file and line that set the value
   (Helm would refuse the values anyway, without saying where they came from);
2. otherwise the keys of the release's base values file
   (`overlays/base/releases/<release>-values.yaml.j2`): a key an env file sets that the
   base file does not know is a *warning* naming the file and line, with a did-you-mean.
   Charts accept many keys the base file does not spell, so this cannot be an error by
   default; an env opts in with `validation.unknownValueKeys: error`.

Below a key whose base value is a scalar, a list or an empty mapping (`podAnnotations: {}`),
anything goes: those are free-form by design. Releases Argo CD renders (helm-argocd) get the
same check as local ones: it is the only check they get before the cluster.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from bkgen.charts.source import ChartSource
from bkgen.errors import Location, Notice, OverlayError
from bkgen.errors.suggest import closest, closest_key_path
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment
from bkgen.overlay.merge import KeyPath, Layer, Merged, format_key_path, merge_layers
from bkgen.secrets.refs import substitute
from bkgen.yamlio import position, to_plain

if TYPE_CHECKING:
    from bkgen.charts.value_paths import ChartPaths


def check_environment(
    env: Environment,
    charts: Mapping[str, tuple[Sequence[Layer], ChartSource | None]],
    validation: Mapping[str, Any],
) -> list[Notice]:
    """Every chart release, given its rendered values layers and its local chart (both made
    once per render by the pipeline); raises for the first problem when the env's
    `validation:` block (the trusted ref's under --trusted: `gitops.trusted.governed`) opts
    into errors."""
    from concurrent.futures import ThreadPoolExecutor

    from bkgen.charts.value_paths import archive_paths

    # The Helm engine loads an archive without holding the GIL: two at a time, one
    # archive loads while the paths of the one before are read out.
    archives = {n: s.archive for n, (_, s) in charts.items() if s is not None and s.archive}
    with ThreadPoolExecutor(max_workers=2) as pool:
        loaded = dict(zip(archives, pool.map(archive_paths, archives.values()), strict=True))
    notices: list[Notice] = []
    for release in env.plan.releases:
        if release.name in charts:
            layers, source = charts[release.name]
            known = loaded.get(release.name)
            notices.extend(check_release(env, release, layers, source, known))
    if notices and validation.get("unknownValueKeys", "warning") == "error":
        raise notices[0].as_error()
    return notices


def check_release(
    env: Environment,
    release: Release,
    layers: Sequence[Layer],
    source: ChartSource | None,
    loaded: ChartPaths | None = None,
) -> list[Notice]:
    """`loaded`: the archive's paths, when the caller loaded them already."""
    from bkgen.charts.value_paths import archive_paths, chart_paths

    paths: ChartPaths | None = None
    if source is not None and source.archive is not None:
        # one load: the schema and the defaults
        paths = loaded if loaded is not None else archive_paths(source.archive)
        schema = paths.schema if paths is not None else None
    else:
        schema = chart_schema(env, source)
    if schema is not None:
        _check_schema(release, schema, merge_layers(layers))
        return []
    if source is not None:
        paths = paths or chart_paths(env, source)
        if paths is not None:
            bcs = env.bcs.source if env.bcs is not None else None
            found: list[tuple[Location, KeyPath]] = []
            for layer in layers:
                if layer.source != bcs and isinstance(layer.data, Mapping):
                    found += _unknown_paths(layer, layer.data, paths, ())
            if found:
                raise _unknown_error(release, paths, found)
            return []
    base_source = env.shown(env.base_dir / "releases" / f"{release.name}-values.yaml.j2")
    env_prefix = env.shown(env.env_dir) + "/"
    base = next((layer.data for layer in layers if layer.source == base_source), None)
    notices: list[Notice] = []
    for layer in layers:
        ours = layer.source.startswith(env_prefix) and layer.source.endswith("-values.yaml.j2")
        if ours and isinstance(layer.data, Mapping):
            _unknown(layer, layer.data, base, base, base_source, release, (), notices)
    return notices


def _unknown_paths(
    layer: Layer, node: Mapping[Any, Any], paths: Any, prefix: KeyPath
) -> list[tuple[Location, KeyPath]]:
    """Every key of `layer` the chart defines nowhere (not what lies below it), with where."""
    out: list[tuple[Location, KeyPath]] = []
    for key, value in node.items():
        path = (*prefix, str(key))
        if not paths.knows(path):
            pos = position(node, key)
            line = layer.line_of(pos[0]) if pos and layer.line_of else (pos[0] if pos else None)
            out.append((Location(layer.source, line), path))
        elif isinstance(value, Mapping) and set(value) != {"secretRef"}:
            out += _unknown_paths(layer, value, paths, path)
    return out


def _unknown_error(
    release: Release, paths: Any, found: Sequence[tuple[Location, KeyPath]]
) -> OverlayError:
    where, path = found[0]
    meant = closest_key_path(path, paths.defaults)
    if meant is not None and len(path) > 1 and meant[:-1] != path[:-1]:
        meant = None  # `persistence.enabled` is not `bkLogConfig.enabled`: same leaf, no sense
    more = "; ".join(f"'{format_key_path(p)}' ({w})" for w, p in found[1:])
    return OverlayError(
        f"{release.name}: chart {paths.name} {paths.version} has no value "
        f"'{format_key_path(path)}' (not in its values.yaml, its subcharts' or its templates)"
        + (f"; nor {more}" if more else ""),
        location=where,
        hint=f"did you mean '{format_key_path(meant)}'?"
        if meant is not None
        else "the chart would ignore it: remove it, or check the chart version",
    )


def _unknown(
    layer: Layer,
    node: Mapping[Any, Any],
    base: Any,
    base_tree: Any,
    base_source: str,
    release: Release,
    prefix: KeyPath,
    out: list[Notice],
) -> None:
    if not isinstance(base, Mapping) or not base:
        return  # free-form below a scalar, list or empty mapping
    for key, value in node.items():
        path = (*prefix, str(key))
        if str(key) in base:
            if isinstance(value, Mapping):
                _unknown(layer, value, base[str(key)], base_tree, base_source, release, path, out)
            continue
        pos = position(node, key)
        line = layer.line_of(pos[0]) if pos and layer.line_of else (pos[0] if pos else None)
        meant = closest_key_path(path, base_tree)
        out.append(
            Notice(
                f"{release.name}: key '{format_key_path(path)}' is not in {base_source}, "
                "so nothing checks that the chart reads it",
                location=Location(layer.source, line),
                hint=f"did you mean '{format_key_path(meant)}'?"
                if meant is not None
                else "if the chart does read it, add it to the base values file with its "
                "default; `bkgen charts pull` lets its values.schema.json check it",
            )
        )


def chart_schema(env: Environment, source: ChartSource | None) -> dict[str, Any] | None:
    """The values.schema.json of a chart directory here, else None (an archive's comes with
    its `ChartPaths`, from the one load of the chart)."""
    if source is None or source.directory is None:
        return None
    path = source.directory / "values.schema.json"
    if not path.is_file() or path.is_symlink():  # links are the renderer's to judge
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise OverlayError(
            f"values.schema.json is not JSON: {err}", location=Location(env.shown(path))
        ) from None
    return data if isinstance(data, dict) else None


def _check_schema(release: Release, schema: dict[str, Any], merged: Merged) -> None:
    import jsonschema

    from bkgen.kube.compile_schema import compile_python, iter_python_errors

    try:
        validator = compile_python(schema, f"{release.name} values.schema.json")
    except jsonschema.exceptions.SchemaError as err:
        raise OverlayError(
            f"{release.name}: the chart's values.schema.json is not a valid schema: {err.message}"
        ) from None
    # A declared secret reaches the chart as a string (its sentinel): check it as one.
    values, _ = substitute(to_plain(merged.values), locate=merged.location)
    errors = sorted(
        iter_python_errors(validator, values),
        key=lambda e: (list(map(str, e.absolute_path)), e.message),
    )
    if not errors:
        return
    error: jsonschema.ValidationError = errors[0]
    path = tuple(str(p) for p in error.absolute_path)
    extra = _extra_key(error)
    if extra is not None:
        path = (*path, extra)
    where = format_key_path(path) if path else "(top level)"
    message = f"unknown key '{where}'" if extra is not None else f"{where}: {error.message}"
    close = _close_schema_key(schema, path) if extra is not None else None
    raise OverlayError(
        f"{release.name}: {message} (the chart's values.schema.json)",
        location=merged.location(path),
        hint=f"did you mean '{close}'?" if close else None,
    )


def _extra_key(error: Any) -> str | None:
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return None
    allowed = (error.schema or {}).get("properties", {})
    extras = sorted(str(k) for k in error.instance if k not in allowed)
    return extras[0] if extras else None


def _close_schema_key(schema: Mapping[str, Any], path: KeyPath) -> str | None:
    node: Any = schema
    for part in path[:-1]:
        node = (node.get("properties") or {}).get(part, {}) if isinstance(node, Mapping) else {}
    known = list((node.get("properties") or {}) if isinstance(node, Mapping) else {})
    match = closest(path[-1], known) if path else None
    return format_key_path((*path[:-1], match)) if match else None
