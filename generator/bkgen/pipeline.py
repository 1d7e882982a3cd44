"""The render pipeline, top to bottom, for one or more environments.

    load overlay -> merge values -> render each release -> post-process
    -> Argo CD objects -> serialize -> validate -> swap into rendered/<env>/

Each stage lives in its own module; this one only wires them and decides what
goes into which directory of the tree.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bkgen import __version__, argocd
from bkgen.argocd import pins, retain
from bkgen.charts import cache as chart_cache
from bkgen.charts.lock import ChartLock, read_lock
from bkgen.charts.source import ChartSource, account_charts, local_chart
from bkgen.errors import Location, ValidationFailed
from bkgen.gitops.trusted import changes, check_settings, load_policy, trusted_root
from bkgen.overlay import release_keys
from bkgen.overlay.capabilities import api_versions
from bkgen.overlay.catalog import Release
from bkgen.overlay.hosts import hosts
from bkgen.overlay.layers import release_layers, render_gotmpl_layers
from bkgen.overlay.load import Environment, load_environment, release_namespace
from bkgen.overlay.merge import Layer
from bkgen.overlay.names import require_environment
from bkgen.render import MODE_WORKFLOW, Manifest, RenderedRelease, RenderSummary, postprocess, stamp
from bkgen.render import helm as helm_renderer
from bkgen.render import manifest_templates as template_renderer
from bkgen.render.cache import ReleaseCache, open_cache
from bkgen.render.release_inputs import EnvKey, env_key, input_digests, release_key
from bkgen.render.secrets_out import chart_values, refuse_unsafe, secure
from bkgen.secrets.refs import restore
from bkgen.validate import ValidateSettings, validate_files
from bkgen.workflows import StepSpec, ahead
from bkgen.write.output import Placed, file_names, index, serialize
from bkgen.write.rendered_dir import (
    discard,
    env_lock,
    output_dir,
    same_tree,
    stage_tree,
    swap_in,
    write_tree,
)

_SEVERITY_RANK = {"info": 0, "warning": 1, "error": 2}

Progress = Callable[[str, str, str], None]  # env, release, mode


@dataclass(frozen=True)
class RenderedTree:
    files: dict[str, bytes]
    summary: RenderSummary
    env: Environment


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
) -> RenderedRelease:
    """One release rendered and secured, or taken from the render cache when its input
    key is there (its secret declarations and refusals are worked out again either way)."""
    if cache is None:
        made = render_release(env, release, apis, inputs, engine, compiling)
        return secure(env, release, made)
    store, base, files = cache
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


def _step(env: Environment, release: Release) -> ahead.Step:
    """A workflow release's step, its compilation begun (in the compiling process when
    there is one: `workflows.ahead`)."""
    assert release.workflow is not None
    spec = StepSpec(
        name=release.name,
        module=release.workflow,
        params=dict(release.params),
        namespace=release_namespace(env, release),
        needs=env.plan.needs[release.name],
        suite=release.suite,
    )
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
    compiling = {
        r.name: _step(env, r)
        for r in env.plan.releases
        if r.source == "workflow"
        and (cache is None or not cache[0].has(release_key(cache[1], r, cache[2])))
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
    checked = release_keys.check_environment(
        env, {name: (c.layers, c.source) for name, c in charts.items()}
    )
    trusted = trusted_root(env.root, env.steps_root)
    policy = load_policy(trusted)
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
    return RenderedTree(files, summary, env)


def validate_tree(env: Environment, files: Mapping[str, bytes]) -> None:
    """Refuse a tree with error findings; the message names the file the user will see.
    What it accepts is governed by the trusted root (`bkgen.gitops.trusted`), not the tree."""
    trusted = trusted_root(env.root, env.steps_root)
    governed_by, validation = check_settings(
        env.root,
        trusted,
        env.name,
        env.settings.kube_version,
        env.settings.validation,
        env.settings.argocd_namespace,
    )
    settings = ValidateSettings(
        **governed_by,
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


def _load(root: Path, env_name: str, steps: Path | None) -> Environment:
    env = load_environment(root, env_name)
    return dataclasses.replace(env, steps_root=steps) if steps is not None else env


def render_env_to(
    root: Path,
    env_name: str,
    dest: Path,
    progress: Progress | None = None,
    steps: Path | None = None,
) -> RenderSummary:
    """Render + validate one environment into a new directory `dest`. `steps`: a directory
    holding the `argo/` to import instead of the project's (`bkgen.workflows.trusted`)."""
    return render_stamped(root, env_name, dest, progress, steps)[0]


def render_stamped(
    root: Path,
    env_name: str,
    dest: Path,
    progress: Progress | None = None,
    steps: Path | None = None,
) -> tuple[RenderSummary, stamp.Stamp | None]:
    """`render_env_to`, with the stamp a caller records once `rendered/<env>/` is known to
    hold those bytes (`bkgen check` finding it up to date)."""
    before = stamp.signature(root) if steps is None else None
    env = _load(root, env_name, steps)
    tree = _write(env, dest, progress)
    return tree.summary, stamped(env, tree, before)


def write_env(env: Environment, dest: Path, progress: Progress | None = None) -> RenderSummary:
    """Render + validate a loaded environment into a new directory `dest`; nothing is left
    there when it fails."""
    return _write(env, dest, progress).summary


def _write(env: Environment, dest: Path, progress: Progress | None) -> RenderedTree:
    tree = build_tree(env, progress)
    validate_tree(env, tree.files)
    try:
        write_tree(tree.files, dest, env.root)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    return tree


def stage_one(
    root: Path, env_name: str, progress: Progress | None = None, steps: Path | None = None
) -> StagedEnv:
    """Render + validate one environment beside `rendered/<env>/`, not yet swapped in."""
    before = stamp.signature(root) if steps is None else None
    env = _load(root, env_name, steps)
    tree = build_tree(env, progress)
    dest = output_dir(root, env_name)
    validate_tree(env, tree.files)
    made = stamped(env, tree, before)
    if same_tree(tree.files, dest):
        return StagedEnv(tree.summary, None, dest, made)
    staging = stage_tree(tree.files, dest, root)
    return StagedEnv(tree.summary, staging, dest, made)


def stamped(
    env: Environment, tree: RenderedTree, before: Mapping[str, str] | None
) -> stamp.Stamp | None:
    """What a no-op render of `env` must find unchanged (`render.stamp`), made once the
    tree is known good; `before`: the inputs as they were when the render began."""
    folders = []
    for directory in (env.base_dir, *env.layer_dirs):
        try:
            folders.append(directory.relative_to(env.root).as_posix())
        except ValueError:
            return None
    lock = read_lock(env.root, env.env_dir)
    chart_files = [f for e in lock.entries.values() for f in chart_cache.files(e.digest)]
    return stamp.prepare(env.root, tree.summary, before, folders, chart_files, tree.files)


@dataclass(frozen=True)
class StagedEnv:
    summary: RenderSummary
    staging: Path | None  # None: rendered/<env>/ already holds exactly this tree
    dest: Path
    stamp: stamp.Stamp | None = None  # recorded once the tree is in place


def render_one(root: Path, env_name: str, progress: Progress | None = None) -> RenderSummary:
    """Render + validate into `rendered/<env>/` atomically."""
    return render_envs(root, [env_name], progress=progress)[0]


def _stage_quiet(args: tuple[Path, str, Path | None]) -> StagedEnv:
    root, name, steps = args
    ahead.disable()  # a worker renders several environments: Hera stays imported in it
    return stage_one(root, name, None, steps)


def render_envs(
    root: Path,
    envs: Sequence[str],
    jobs: int = 1,
    progress: Progress | None = None,
    steps: Path | None = None,
) -> list[RenderSummary]:
    """All environments or none: each is rendered and validated beside its tree, and only
    when every one succeeded are they swapped in. `jobs > 1` renders in processes, with
    output identical to a serial run; the first failure (in the order given) is raised.
    Each environment's lock is held from before its render until after its swap; `steps`
    travels to the workers as an argument, whatever the process start method."""
    with ExitStack() as locks:
        for name in sorted(set(envs)):
            require_environment(root, name)  # a bad name fails before any lock file is made
            locks.enter_context(env_lock(root, name))
        return _render_locked(root, envs, jobs, progress, steps)


def _render_locked(
    root: Path, envs: Sequence[str], jobs: int, progress: Progress | None, steps: Path | None
) -> list[RenderSummary]:
    staged: list[StagedEnv] = []
    failures: list[BaseException] = []
    try:
        if jobs <= 1 or len(envs) <= 1:
            for name in envs:
                staged.append(stage_one(root, name, progress, steps))
        else:
            with ProcessPoolExecutor(max_workers=jobs) as pool:
                futures = [pool.submit(_stage_quiet, (root, name, steps)) for name in envs]
                for future in futures:
                    try:
                        staged.append(future.result())
                    except BaseException as err:  # collected: the others must be cleaned up
                        failures.append(err)
        if failures:
            raise failures[0]
    except BaseException:
        for item in staged:
            if item.staging is not None:
                discard(item.staging)
        raise
    for item in staged:
        if item.staging is not None:
            stamp.forget(root, item.summary.env)  # a swap cut short leaves no stale stamp
            swap_in(item.staging, item.dest, root)
        if item.stamp is not None:
            stamp.record(root, item.stamp)
    return [item.summary for item in staged]
