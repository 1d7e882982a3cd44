"""A helmfile tree, as read by `tree.py`, turned into the files of `overlays/<env>/`.

What helmfile computes stays what bkgen computes: the tree's values templates are kept as
`.yaml.gotmpl` files in the environment (the Go engine evaluates them as helmfile does),
listed per release in helmfile's order in the env's `catalog.yaml`; the environment values
become `custom.yaml`; `baseReleaseValues: false` keeps the base's own release values out.

Releases the base catalog knows keep its needs, suites and workflow steps; the rest become
catalog entries of the environment; base chart releases the tree does not install are
switched off there. Nothing here writes a file or prints a value: the result is bytes per
path plus report rows, and every credential has already been moved (`secrets.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from bkgen.charts.cache import sha256_digest
from bkgen.charts.lock import LOCK_NAME, LockEntry, render_lock
from bkgen.errors import Location, OverlayError
from bkgen.importers.helmfile import secrets
from bkgen.importers.helmfile.conversion import Conversion, ReleaseRow, State
from bkgen.importers.helmfile.tree_charts import (
    MAX_ARCHIVE,
    archive_chart,
    bundled_archives,
    chart_of,
)
from bkgen.importers.helmfile.tree_model import HelmfileTree, TreeRelease
from bkgen.importers.helmfile.values_files import values_files
from bkgen.overlay.catalog import Catalog
from bkgen.overlay.env_catalog import top_keys_read
from bkgen.safety import confine
from bkgen.yamlio import dump

# The runbook scripts helmfile hooks call, and the workflow step (a catalog release) that
# does their job GitOps style.
HOOK_STEPS = {
    "add_bkrepo_bucket.sh": "bkrepo-buckets",
    "control_coredns.sh": "coredns-hosts",
    "generate_app_secret.sh": "app-secrets",
    "generate_rsa_keypair.sh": "app-secrets",
    "create_bcs_namespace.sh": "namespaces",
    "create_k8s_cluster_admin_for_paas3.sh": "paas3-cluster-admin",
    "add_user_desktop_app.sh": "desktop-apps-base",
    "set_desktop_default_app.sh": "desktop-apps-base",
    "config_monitor_bcs_token.sh": "monitor-bcs-token",
}
# Which runbook stage a state file is, for releases the base catalog does not know.
_FILE_SEQ = (
    ("00-", "pre"),
    ("base-storage", "storage"),
    ("monitor-storage", "monitor-storage"),
    ("03-", "bcs"),
    ("04-bkmonitor", "monitor"),
    ("04-bklog", "log"),
)
_FILE_SUITE = (
    ("00-", "base"),
    ("base-", "base"),
    ("03-bcs", "bcs"),
    ("03-", "ci"),
    ("04-", "monitor-log"),
    ("monitor", "monitor-log"),
)
_RESERVED = {"env.yaml", "custom.yaml", "versions.yaml", "catalog.yaml", LOCK_NAME, "charts"}


def convert(
    tree: HelmfileTree,
    catalog: Catalog,
    env: str,
    suites: tuple[str, ...],
    env_yaml: Mapping[str, Any],
    base_keys: frozenset[str] = frozenset(),
    bundled_versions: bool = False,
) -> Conversion:
    """`base_keys`: top-level keys of overlays/base/values.yaml (bkgen's own templates and
    steps read them, so they stay even when no values template of the tree does).
    `bundled_versions`: pin a release whose pinned archive the tree lacks to the newest
    archive of its chart the tree bundles (the operator's explicit choice, reported)."""
    out = Conversion(env)
    out.notes.extend(tree.notes)
    globals_, moves = secrets.move_value_secrets(
        {k: v for k, v in tree.values.items() if k != "version"}, env, tree.origins
    )
    out.secrets.extend(moves)
    state = State()
    place = _placer(f"environments/{tree.environment}/")
    for release in tree.releases:
        entry, row, version = _release_entry(tree, catalog, release, suites, out, state)
        state.pins[release.name] = version
        entry["values"] = values_files(tree, release, out, state, place)
        out.releases.append(
            _chart_file(tree, catalog, release, entry, row, out, state, bundled_versions)
        )
        state.entries[release.name] = entry
    imported = {r.name for r in tree.releases}
    for name, base in sorted(catalog.releases.items()):
        if base.source == "chart" and name not in imported:
            state.entries[name] = {"enabled": False}
            out.switched_off.append(name)
    _drop_unread(tree, globals_, base_keys, state, out)
    if state.files_key:
        globals_[secrets.FILES_KEY] = state.files_key
    if state.literals:
        globals_[secrets.LITERALS_KEY] = state.literals
    _versions_unused(tree, out)
    out.files["custom.yaml"] = _with_header(
        "Global values of the imported tree (environment values of env.yaml, credentials\n"
        "moved to the secret store as secretRef declarations; see docs/import.md).",
        globals_,
    )
    out.files["versions.yaml"] = _with_header(
        "Chart versions of the imported tree.", {"version": dict(sorted(state.pins.items()))}
    )
    catalog_doc: dict[str, Any] = {"releases": state.entries}
    if state.new_suites:
        catalog_doc = {"suites": state.new_suites, **catalog_doc}
    out.files["catalog.yaml"] = _with_header(
        "Releases of the imported tree: values files in helmfile's order, releases the base\n"
        "catalog does not know, base chart releases the tree does not install (off).",
        catalog_doc,
    )
    out.files["env.yaml"] = _with_header("Imported from a bkhelmfile tree.", dict(env_yaml))
    if state.lock:
        out.files[LOCK_NAME] = render_lock(state.lock).encode()
    return out


def _chart_file(
    tree: HelmfileTree,
    catalog: Catalog,
    release: TreeRelease,
    entry: Mapping[str, Any],
    row: ReleaseRow,
    out: Conversion,
    state: State,
    bundled_versions: bool,
) -> ReleaseRow:
    """The exact archive from the tree's charts/, verified and locked; else a pin to pull
    (a bundled archive of another version is reported, never swapped in)."""
    chart_name, version = row.chart.partition(" ")[0], row.version
    archive = tree.root / "charts" / f"{chart_name}-{version}.tgz"
    bundled = bundled_archives(tree, chart_name)
    if not archive.is_file() and bundled and bundled_versions:
        newest = bundled[-1]
        version = newest.removeprefix(f"{chart_name}-").removesuffix(".tgz")
        archive = tree.root / "charts" / newest
        out.notes.append(
            f"'{release.name}': re-pinned from {row.version} to the bundled {version} "
            "(--bundled-versions); its values templates were written for the old version"
        )
        state.pins[release.name] = version
        row = ReleaseRow(**{**row.__dict__, "version": version, "chart": f"{chart_name} {version}"})
    if archive.is_file() and not row.enabled:  # an env's charts/ holds only what renders
        return _with_source(row, f"off: the tree bundles charts/{archive.name}, not copied")
    if archive.is_file():
        data = confine.read_bytes(archive, tree.root, limit=MAX_ARCHIVE)
        found = archive_chart(data, f"charts/{archive.name}")
        if found != (chart_name, version):
            raise OverlayError(
                f"archive holds chart {found[0]} {found[1]}, not {chart_name} {version}",
                location=Location(f"charts/{archive.name}"),
            )
        out.files[f"charts/{archive.name}"] = data
        repo = str(entry.get("chart", {}).get("repo") or _repo_of(catalog, release.name))
        state.lock[release.name] = LockEntry(
            release.name,
            chart_name,
            version,
            _repo_url(tree, catalog, repo),
            sha256_digest(data),
        )
        return _with_source(row, "locked: bundled archive, rendered here")
    why = f" (the tree bundles {', '.join(bundled)}: not swapped)" if bundled else ""
    if bundled:
        out.decisions.append(
            f"'{release.name}' pins {chart_name} {version} but the tree bundles "
            f"{', '.join(bundled)}: keep the pin and pull it, or `bkgen bump "
            f"{out.env} {release.name} VERSION` to the bundled one"
        )
    return _with_source(row, f"to pull: `bkgen charts pull {out.env}`{why}")


def _drop_unread(
    tree: HelmfileTree,
    globals_: dict[str, Any],
    base_keys: frozenset[str],
    state: State,
    out: Conversion,
) -> None:
    """Global values no values template reads (only state files did, and their effect is
    in the releases' definitions now) are not carried over: each is reported, and so are
    secrets below them no longer asked for."""
    read = set(base_keys)
    for name, data in out.files.items():
        if name.endswith(".gotmpl"):
            read.update(top_keys_read(data.decode("utf-8", "replace")))
    read.update(
        str(e["enabledBy"]).split(".")[0] for e in state.entries.values() if "enabledBy" in e
    )
    for key in sorted(set(globals_) - read):
        del globals_[key]
        origin = tree.origins.get((key,)) or next(
            (o for p, o in tree.origins.items() if p[:1] == (key,)), None
        )
        where = f" ({origin[0]}:{origin[1]})" if origin and origin[1] else ""
        out.notes.append(
            f"global value '{key}'{where} is read by no values template of the imported "
            "releases (only by state files, whose effect is in catalog.yaml): not carried over"
        )
        prefix = f"{out.env}/{secrets.prop_name(key)}"
        out.secrets[:] = [
            m
            for m in out.secrets
            if not (m.store_key == prefix or m.store_key.startswith(prefix + "/"))
        ]


def _with_header(comment: str, data: Any) -> bytes:
    lines = "".join(f"# {line}\n" for line in comment.splitlines())
    return (lines + dump(data)).encode()


def _with_source(row: ReleaseRow, text: str) -> ReleaseRow:
    return ReleaseRow(**{**row.__dict__, "chart_source": text})


def _placer(prefix: str) -> Any:
    def place(tree_path: str) -> str:
        relative = tree_path.removeprefix(prefix)
        if relative == tree_path or PurePosixPath(relative).parts[0] in _RESERVED:
            relative = "helmfile/" + tree_path
        return relative

    return place


def _release_entry(
    tree: HelmfileTree,
    catalog: Catalog,
    release: TreeRelease,
    suites: tuple[str, ...],
    out: Conversion,
    state: State,
) -> tuple[dict[str, Any], ReleaseRow, str]:
    chart_name, repo, version = chart_of(tree, release)
    base = catalog.releases.get(release.name)
    entry: dict[str, Any] = {}
    namespace_default = str(tree.values.get("namespace", ""))
    if base is not None and base.source == "chart":
        status = "base"
        suite, seq = base.suite, base.seq
        if base.chart is not None and base.chart.name != chart_name:
            entry["chart"] = {"repo": repo or base.chart.repo, "name": chart_name}
            out.notes.append(
                f"{release.state_file}:{release.line}: '{release.name}' uses chart "
                f"{chart_name}, the base catalog {base.chart.name}"
            )
        label = release.labels.get("seq")
        if label and label != base.seq:
            out.notes.append(
                f"{release.state_file}:{release.line}: '{release.name}' is seq {label} in the "
                f"tree and {base.seq} in the base catalog: the base order is kept"
            )
        if release.condition and release.condition != base.enabled_by:
            entry["enabledBy"] = release.condition
    else:
        status = "new" if base is None else f"replaces base {base.source} release"
        suite = (
            _by_file(release.state_file, _FILE_SUITE)
            or PurePosixPath(release.state_file).name.split(".")[0]
        )
        if suite not in catalog.suites and suite not in state.new_suites:
            state.new_suites[suite] = f"releases of {release.state_file}"
        label = release.labels.get("seq", "")
        seq = label if label in catalog.seq_order else _by_file(release.state_file, _FILE_SEQ) or ""
        if not seq:
            seq = catalog.seq_order[-1]
            out.decisions.append(
                f"'{release.name}' ({release.state_file}) has no runbook stage bkgen knows: "
                f"placed in seq {seq}; set seq in catalog.yaml"
            )
        entry.update(
            {
                "chart": {
                    "repo": repo or _guess_repo(catalog, chart_name, out, release),
                    "name": chart_name,
                },
                "suite": suite,
                "seq": seq,
            }
        )
        if release.condition:
            entry["enabledBy"] = release.condition
        needs = [n.split("/")[-1] for n in release.needs]
        if needs:
            entry["needs"] = needs
    if release.namespace and release.namespace != (
        (base.namespace if base is not None else "") or namespace_default
    ):
        entry["namespace"] = release.namespace
    if not release.installed:
        entry["enabled"] = False
        out.notes.append(
            f"{release.state_file}:{release.line}: '{release.name}' has installed: false; "
            "it stays off (catalog.yaml enabled: false)"
        )
    for hook in release.hooks:
        script = PurePosixPath(
            hook.command
            if hook.command.endswith(".sh")
            else next((a for a in hook.args if a.endswith(".sh")), hook.command)
        ).name
        step = HOOK_STEPS.get(script)
        if step is not None and step not in catalog.releases:
            step = None
        out.hooks.append((release.name, script, step))
    switch = release.condition or (base.enabled_by if base is not None else None)
    enabled = suite in suites and release.installed and _switched_on(tree.values, switch)
    row = ReleaseRow(
        release.name, f"{chart_name} {version}", version, status, suite, seq, "", enabled
    )
    return entry, row, version


def _switched_on(values: Mapping[str, Any], switch: str | None) -> bool:
    """helmfile's `condition`: the release is installed unless the key says false."""
    node: Any = values
    for part in (switch or "").split(".") if switch else ():
        node = node.get(part) if isinstance(node, Mapping) else None
    return node is not False


def _by_file(state_file: str, table: tuple[tuple[str, str], ...]) -> str | None:
    name = PurePosixPath(state_file).name
    return next((value for start, value in table if name.startswith(start)), None)


def _repo_of(catalog: Catalog, release: str) -> str:
    base = catalog.releases.get(release)
    return base.chart.repo if base is not None and base.chart is not None else "blueking"


def _guess_repo(catalog: Catalog, chart: str, out: Conversion, release: TreeRelease) -> str:
    for known in catalog.releases.values():
        if known.chart is not None and known.chart.name == chart:
            return known.chart.repo
    out.decisions.append(
        f"'{release.name}': chart {chart} comes from the tree's charts/ only; assumed "
        "repository 'blueking' for `bkgen charts pull` (change chart.repo in catalog.yaml)"
    )
    return "blueking"


def _repo_url(tree: HelmfileTree, catalog: Catalog, repo: str) -> str:
    return catalog.repositories.get(repo) or tree.repositories.get(repo) or repo


def _versions_unused(tree: HelmfileTree, out: Conversion) -> None:
    used = {row.chart.partition(" ")[0] for row in out.releases}
    unused = sorted(str(k) for k in (tree.values.get("version") or {}) if str(k) not in used)
    if unused:
        out.notes.append(
            f"version pins for charts no imported release uses: {', '.join(unused)} "
            "(.Values.version holds the pins of the imported releases, by chart name)"
        )
