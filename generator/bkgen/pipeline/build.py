"""One environment's tree in memory: load overlay -> merge values -> render each release
-> post-process -> Argo CD objects -> serialize; and the validation that judges it.

Nothing here writes a file: `pipeline.envs` puts trees on disk.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bkgen import __version__, argocd
from bkgen.argocd import pins, retain
from bkgen.charts.lock import ChartLock, read_lock
from bkgen.charts.source import ChartSource, account_charts, local_chart
from bkgen.errors import Location, ValidationFailed
from bkgen.gitops.trusted import Policy, changes, governed, trusted_root, validator_settings
from bkgen.overlay import plain_credentials, release_keys
from bkgen.overlay.capabilities import api_versions
from bkgen.overlay.catalog import Release
from bkgen.overlay.hosts import hosts
from bkgen.overlay.layers import release_layers, render_gotmpl_layers
from bkgen.overlay.load import Environment, release_namespace
from bkgen.overlay.merge import Layer
from bkgen.render import MODE_WORKFLOW, Manifest, RenderedRelease, RenderSummary, postprocess
from bkgen.render import helm as helm_renderer
from bkgen.render import manifest_templates as template_renderer
from bkgen.render.cache import ReleaseCache, open_cache
from bkgen.render.release_inputs import EnvKey, env_key, input_digests, release_key
from bkgen.render.secrets_out import chart_values, refuse_unsafe, secure
from bkgen.secrets.refs import restore
from bkgen.validate import ValidateSettings, validate_files
from bkgen.workflows import StepSpec, ahead
from bkgen.write.output import Placed, file_names, index, serialize

_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}

Progress = Callable[[str, str, str], None]  # env, release, mode


@dataclass(frozen=True)
class RenderedTree:
    files: dict[str, bytes]
    summary: RenderSummary
    env: Environment
    lock: ChartLock  # the charts.lock it rendered from (the stamp lists its charts)
    policy: Policy  # what governs its validation (`gitops.trusted.governed`)
    validation: Mapping[str, Any]


@dataclass(frozen=True)
class ChartInputs:
    """What a chart release renders from, made once per render: its rendered values layers
    (the key check reads them too) and the chart found here (None: Argo CD renders it)."""

    layers: tuple[Layer, ...]
    source: ChartSource | None


def chart_inputs(
    env: Environment,
    release: Release,
    lock: ChartLock | None = None,
    rendered: Mapping[Path, str] | None = None,
) -> ChartInputs:
    layers = release_layers(env, release, rendered)
    return ChartInputs(tuple(layers), local_chart(env, release, lock))


def render_release(
    env: Environment,
    release: Release,
    apis: Sequence[str] | None = None,
    inputs: ChartInputs | None = None,
    engine: helm_renderer.ChartEngine | None = None,
    compiling: ahead.Step | None = None,
) -> RenderedRelease:
    """One release's manifests. `compiling`: its step, already being compiled."""
    if release.source == "templates":
        return template_renderer.render(env, release)
    if release.source == "workflow":
        docs = (compiling or _step(env, release)).documents()
        source = f"argo/{release.workflow}.py"
        return RenderedRelease(
            release.name, MODE_WORKFLOW, tuple(Manifest(d, source) for d in docs)
        )
    inputs = inputs if inputs is not None else chart_inputs(env, release)
    chart = chart_values(env, inputs.layers)
    apis = env_api_versions(env) if apis is None else apis
    result = helm_renderer.render(env, release, chart.values, apis, inputs.source, engine)
    refuse_unsafe(env, release, chart, result.mode)
    return dataclasses.replace(result, secret_refs=chart.refs)


def _secured(
    env: Environment,
    release: Release,
    apis: Sequence[str],
    inputs: ChartInputs | None,
    engine: helm_renderer.ChartEngine,
    cache: tuple[ReleaseCache, EnvKey, Mapping[str, str]] | None,
    compiling: ahead.Step | None = None,
    key: str | None = None,
) -> RenderedRelease:
    """One release rendered and secured, or taken from the render cache when its input
    key (`key`, when the caller has it already) is there (its secret declarations and
    refusals are worked out again either way)."""
    if cache is None:
        made = render_release(env, release, apis, inputs, engine, compiling)
        return secure(env, release, made)
    store, base, files = cache
    if key is None:
        layers, source = (inputs.layers, inputs.source) if inputs is not None else ((), None)
        key = release_key(base, release, files, layers, source)
    hit = store.load(key)
    if hit is None:
        made = secure(env, release, render_release(env, release, apis, inputs, engine, compiling))
        store.store(key, made)
        return made
    if inputs is None:
        return hit
    chart = chart_values(env, inputs.layers)
    refuse_unsafe(env, release, chart, hit.mode)
    return dataclasses.replace(hit, secret_refs=chart.refs)


def step_spec(env: Environment, release: Release) -> StepSpec:
    """A workflow release resolved for `env` (a release the plan leaves out needs nothing)."""
    assert release.workflow is not None
    return StepSpec(
        name=release.name,
        module=release.workflow,
        params=dict(release.params),
        namespace=release_namespace(env, release),
        needs=env.plan.needs.get(release.name, ()),
        suite=release.suite,
    )


def _step(env: Environment, release: Release) -> ahead.Step:
    """A workflow release's step, its compilation begun (in the compiling process when
    there is one: `workflows.ahead`)."""
    spec = step_spec(env, release)
    return ahead.Step(env.steps_dir, spec, env.values.values, env.name, step_facts(env))


def env_api_versions(env: Environment) -> tuple[str, ...]:
    backend = str(env.settings.secrets.get("backend", ""))
    return api_versions(env.settings.kube_version, env.catalog, env.plan.releases, backend)


def step_facts(env: Environment) -> dict[str, Any]:
    """Catalog facts workflow steps need besides values."""
    return {
        "domains": [h.name for h in hosts(env)],
        "releases": sorted(r.name for r in env.plan.releases),
    }


def _render_all(
    env: Environment,
    charts: Mapping[str, ChartInputs],
    inputs: Mapping[str, str],
    progress: Progress | None,
) -> list[RenderedRelease]:
    apis = env_api_versions(env)
    store = open_cache()
    cache = (store, env_key(env, inputs, apis), inputs) if store is not None else None
    # Steps the cache lacks are sent to the compiling process first (`workflows.ahead`):
    # it compiles them while this one renders everything else.
    steps = [r for r in env.plan.releases if r.source == "workflow"]
    keys = {r.name: release_key(cache[1], r, cache[2]) for r in steps} if cache else {}
    compiling = {
        r.name: _step(env, r) for r in steps if cache is None or not cache[0].has(keys[r.name])
    }
    rendered: list[RenderedRelease] = []
    with helm_renderer.ChartEngine() as engine:  # one Helm child for all charts of the env
        for release in env.plan.releases:
            result = _secured(
                env,
                release,
                apis,
                charts.get(release.name),
                engine,
                cache,
                compiling.get(release.name),
                keys.get(release.name),
            )
            rendered.append(result)
            if progress is not None:
                progress(env.name, release.name, result.mode)
    return rendered


def build_tree(env: Environment, progress: Progress | None = None) -> RenderedTree:
    """Everything for `rendered/<env>/`, in memory."""
    lock = read_lock(env.root, env.env_dir)
    account_charts(env)
    chart_releases = [r for r in env.plan.releases if r.source == "chart"]
    gotmpl = render_gotmpl_layers(env, chart_releases)  # one Go engine start for the env
    charts = {r.name: chart_inputs(env, r, lock, gotmpl) for r in chart_releases}
    trusted = trusted_root(env.root, env.steps_root)
    policy, validation = governed(env.root, trusted, env.name, env.settings.validation)
    given = {name: (c.layers, c.source) for name, c in charts.items()}
    checked = release_keys.check_environment(env, given, validation)
    checked += plain_credentials.check_environment(env, given, validation)
    warnings = tuple(str(n) for n in (*env.settings.notices, *checked))
    warnings += changes(env.root, trusted, env.name)
    inputs = input_digests(env)
    rendered = _render_all(env, charts, inputs, progress)
    by_name = {r.name: r for r in env.plan.releases}
    all_bodies = [m.body for r in rendered for m in r.manifests]
    cluster_kinds = postprocess.cluster_scoped_kinds(all_bodies)
    registry = str(env.values.values.get("imageRegistry", postprocess.DEFAULT_REGISTRY))
    placed: list[Placed] = []
    values_files: dict[str, Any] = {}
    scoped: set[tuple[str, str]] = set()
    for result in rendered:
        release = by_name[result.name]
        where = argocd.folder(result)
        for manifest in result.manifests:
            body = postprocess.finish(
                manifest.body,
                release=release.name,
                namespace=release_namespace(env, release),
                cluster_kinds=cluster_kinds,
                registry=registry,
                part_of=env.catalog.part_of,
            )
            retain.protect(body)
            if body["kind"] in cluster_kinds:
                api = str(body["apiVersion"])
                scoped.add((api.split("/", maxsplit=1)[0] if "/" in api else "", str(body["kind"])))
            placed.append(Placed(where, body, manifest.source))
        if result.values is not None:
            shown = restore(result.values, result.secret_refs)
            values_files[f"{where}/{pins.VALUES_FILE}"] = shown
    files = serialize({**{p: o.body for p, o in file_names(placed).items()}, **values_files})
    # Child Applications pin the bytes of their folder, so they are built after it.
    digests = pins.folder_digests(files, [argocd.folder(r) for r in rendered])
    objects = argocd.build(env, rendered, sorted(scoped), digests, policy)
    argo = [Placed("argocd/bootstrap", body, "bkgen.argocd") for body in objects.bootstrap]
    argo += [Placed("argocd/apps", body, "bkgen.argocd") for body in objects.apps]
    files.update(serialize({p: o.body for p, o in file_names(argo).items()}))
    waves = tuple((r.name, env.plan.waves[r.name]) for r in env.plan.releases)
    extra = {
        "env": env.name,
        "generator": f"bkgen {__version__}",
        "releases": {
            name: {"wave": wave, "mode": mode}
            for (name, wave), mode in zip(waves, (r.mode for r in rendered), strict=True)
        },
    }
    index_bytes = index(files, inputs, extra)
    files["index.json"] = index_bytes
    digest = json.loads(index_bytes)["inputDigest"]
    summary = RenderSummary(
        env=env.name,
        releases=tuple((r.name, r.mode) for r in rendered),
        waves=waves,
        input_digest=digest,
        files=len(files),
        notes=tuple((r.name, note) for r in rendered for note in r.notes),
        warnings=warnings,
    )
    return RenderedTree(files, summary, env, lock, policy, validation)


def validate_tree(tree: RenderedTree) -> None:
    """Refuse a tree with error findings; the message names the file the user will see.
    What it accepts is governed by the trusted root (`bkgen.gitops.trusted`), not the tree:
    the policy and `validation:` block the render read from it."""
    env, files, validation = tree.env, tree.files, tree.validation
    trusted = trusted_root(env.root, env.steps_root)
    governed_by = validator_settings(
        env.root, trusted, env.name, env.settings.kube_version, tree.policy, validation
    )
    settings = ValidateSettings(
        **governed_by,
        argocd_namespace=env.settings.argocd_namespace,
        strict=True,
        schema_locations=(),
        ignore_missing_schemas=False,
        jobs=1,  # one env is a few hundred documents: a worker pool costs more than it saves
    )
    prefix = f"rendered/{env.name}/"
    report = validate_files({prefix + k: v for k, v in files.items()}, settings)
    fail_on = str(validation.get("failOn", "error"))
    if not report.failed(fail_on):
        return
    limit = _SEVERITY_RANK[fail_on]
    bad = [f for f in report.findings if _SEVERITY_RANK.get(str(f.severity), 0) >= limit]
    first = bad[0]
    # The tree was not written, so `bkgen validate ENV` would check the old one: name the
    # next few here (each with its file) rather than send the user to a stale tree.
    more = "".join(f"; [{f.rule}] {f.path}: {f.message}" for f in bad[1:5])
    rest = f"; and {len(bad) - 5} more" if len(bad) > 5 else ""
    raise ValidationFailed(
        f"{len(bad)} finding(s) at or above '{fail_on}'; first: [{first.rule}] "
        f"{first.message}{more}{rest}",
        location=Location(first.path, first.line, first.column),
        hint="nothing was written",
    )
