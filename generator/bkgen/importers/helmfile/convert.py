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

import io
import posixpath
import re
import tarfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import yaml

from bkgen import confine
from bkgen.charts.cache import sha256_digest
from bkgen.charts.lock import LOCK_NAME, LockEntry, render_lock
from bkgen.errors import Location, OverlayError
from bkgen.importers.helmfile import secrets
from bkgen.importers.helmfile.tree_model import HelmfileTree, TreeRelease
from bkgen.importers.helmfile.tree_yaml import load_yaml
from bkgen.overlay.catalog import Catalog
from bkgen.overlay.env_catalog import top_keys_read
from bkgen.yamlio import dump

MAX_ARCHIVE = 20 * 1024 * 1024
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
_READ = re.compile(r"""\breadFile\s+"([^"]+)\"""")
_RESERVED = {"env.yaml", "custom.yaml", "versions.yaml", "catalog.yaml", LOCK_NAME, "charts"}


@dataclass(frozen=True)
class ReleaseRow:
    name: str
    chart: str
    version: str
    status: str  # "base", "new", "replaces base <kind>"
    suite: str
    seq: str
    chart_source: str  # "locked (bundled archive)", "to pull", ...
    enabled: bool


@dataclass
class Conversion:
    """Everything the import writes (env-relative path -> bytes) and says."""

    env: str
    files: dict[str, bytes] = field(default_factory=dict)
    releases: list[ReleaseRow] = field(default_factory=list)
    values_kept: list[str] = field(default_factory=list)
    secrets: list[secrets.SecretMove] = field(default_factory=list)
    hooks: list[tuple[str, str, str | None]] = field(default_factory=list)
    decisions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    switched_off: list[str] = field(default_factory=list)


@dataclass
class _State:
    """What the releases add up to while they are converted one by one."""

    files_key: dict[str, Any] = field(default_factory=dict)
    literals: dict[str, Any] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    pins: dict[str, str] = field(default_factory=dict)
    lock: dict[str, LockEntry] = field(default_factory=dict)
    new_suites: dict[str, str] = field(default_factory=dict)


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
    state = _State()
    place = _placer(f"environments/{tree.environment}/")
    for release in tree.releases:
        entry, row, version = _release_entry(tree, catalog, release, suites, out, state)
        state.pins[release.name] = version
        entry["values"] = _values_files(tree, release, out, state, place)
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


def _values_files(
    tree: HelmfileTree, release: TreeRelease, out: Conversion, state: _State, place: Any
) -> list[str]:
    """The release's values list as environment files, each copied once, with its reads
    and literal credentials rewritten; missing files are reported, never invented."""
    env_value_files = {e.path for e in tree.values_files if e.path}
    values: list[str] = []
    inline = [i for i in release.values if i.path is None]
    for item in release.values:
        if item.path is None:
            number = f"-{inline.index(item) + 1}" if len(inline) > 1 else ""  # by position
            name = f"{release.name}-inline-values{number}.yaml"
            origin: dict[tuple[str, ...], tuple[str, int | None]] = {
                (): (release.state_file, item.line)
            }
            data, moves = secrets.move_value_secrets(
                item.inline or {}, out.env, _every_path(item.inline, origin), release.name
            )
            out.secrets.extend(moves)
            out.files[name] = dump(data).encode()
            values.append(name)
            out.notes.append(
                f"{release.state_file}:{item.line}: inline values of '{release.name}' "
                f"written to {name} (evaluated with the tree's values at import)"
            )
            continue
        if not item.exists:
            out.notes.append(
                f"{item.path}: not in the tree (missingFileHandler); add it to the "
                f"environment and list it under releases.{release.name}.values to use it"
            )
            continue
        target = place(item.path)
        if target not in out.files:
            text = confine.read_text(tree.root / item.path, tree.root)
            text = _rewrite_reads(
                tree, item.path, text, env_value_files, state.files_key, out, place
            )
            text, refs, literal_moves = secrets.move_literal_secrets(
                text, out.env, release.name, item.path
            )
            if refs:
                state.literals.setdefault(release.name, {}).update(refs)
                out.secrets.extend(literal_moves)
            out.files[target] = text.encode()
            out.values_kept.append(f"{item.path} -> {target}")
        values.append(target)
    return values


def _chart_file(
    tree: HelmfileTree,
    catalog: Catalog,
    release: TreeRelease,
    entry: Mapping[str, Any],
    row: ReleaseRow,
    out: Conversion,
    state: _State,
    bundled_versions: bool,
) -> ReleaseRow:
    """The exact archive from the tree's charts/, verified and locked; else a pin to pull
    (a bundled archive of another version is reported, never swapped in)."""
    chart_name, version = row.chart.partition(" ")[0], row.version
    archive = tree.root / "charts" / f"{chart_name}-{version}.tgz"
    bundled = _bundled(tree, chart_name)
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
        found = _archive_chart(data, f"charts/{archive.name}")
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
    state: _State,
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
    state: _State,
) -> tuple[dict[str, Any], ReleaseRow, str]:
    chart_name, repo, version = _chart_of(tree, release)
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


def _every_path(
    node: Any, origin: Mapping[tuple[str, ...], tuple[str, int | None]]
) -> dict[tuple[str, ...], tuple[str, int | None]]:
    """Inline values have no lines of their own: each leaf points at the values entry."""
    where = origin[()]
    out: dict[tuple[str, ...], tuple[str, int | None]] = {}

    def walk(value: Any, path: tuple[str, ...]) -> None:
        out[path] = where
        if isinstance(value, Mapping):
            for key, child in value.items():
                walk(child, (*path, str(key)))

    walk(node, ())
    return out


def _bundled(tree: HelmfileTree, chart: str) -> list[str]:
    """Archives of `chart` the tree's charts/ holds, oldest version first."""
    found = [
        p.name
        for p in (tree.root / "charts").glob(f"{chart}-*.tgz")
        if re.fullmatch(rf"{re.escape(chart)}-v?\d[^/]*\.tgz", p.name)
    ]
    return sorted(
        found, key=lambda n: [int(x) if x.isdigit() else -1 for x in re.split(r"[.-]", n)]
    )


def _switched_on(values: Mapping[str, Any], switch: str | None) -> bool:
    """helmfile's `condition`: the release is installed unless the key says false."""
    node: Any = values
    for part in (switch or "").split(".") if switch else ():
        node = node.get(part) if isinstance(node, Mapping) else None
    return node is not False


def _by_file(state_file: str, table: tuple[tuple[str, str], ...]) -> str | None:
    name = PurePosixPath(state_file).name
    return next((value for start, value in table if name.startswith(start)), None)


def _chart_of(tree: HelmfileTree, release: TreeRelease) -> tuple[str, str | None, str]:
    chart = release.chart
    if chart.startswith(("./", "../", "/")) or chart.endswith(".tgz"):
        path = (tree.root / release.state_file).parent / chart
        if not confine.inside(path, tree.root):
            raise OverlayError(
                f"chart path {chart} leaves the tree",
                location=Location(release.state_file, release.line),
            )
        data = confine.read_bytes(path, tree.root, limit=MAX_ARCHIVE)
        name, version = _archive_chart(data, path.relative_to(tree.root).as_posix())
        if release.version and release.version != version:
            raise OverlayError(
                f"'{release.name}' pins version {release.version} but {chart} is {version}",
                location=Location(release.state_file, release.line),
            )
        return name, None, version
    repo, _, name = chart.partition("/")
    if not release.version:
        raise OverlayError(
            f"release '{release.name}' has no version: bkgen pins every chart",
            location=Location(release.state_file, release.line),
        )
    return name, repo, release.version


def _archive_chart(data: bytes, shown: str) -> tuple[str, str]:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = next(
                (
                    m
                    for m in archive.getmembers()
                    if m.name.count("/") == 1
                    and m.name.endswith("/Chart.yaml")
                    and m.isfile()
                    and m.size < 1 << 20
                ),
                None,
            )
            raw = archive.extractfile(member).read() if member else None  # type: ignore[union-attr]
        meta = yaml.safe_load(raw) if raw else None
    except (tarfile.TarError, OSError, EOFError, yaml.YAMLError):
        meta = None
    if not isinstance(meta, Mapping) or "name" not in meta or "version" not in meta:
        raise OverlayError("not a chart archive (no valid Chart.yaml)", location=Location(shown))
    return str(meta["name"]), str(meta["version"])


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


def _rewrite_reads(
    tree: HelmfileTree,
    source: str,
    text: str,
    env_value_files: set[str],
    files_key: dict[str, Any],
    out: Conversion,
    place: Any,
) -> str:
    """`readFile` of a secret becomes a lookup of a secretRef in the global values; of an
    environment values file, that file's data (already global values); of anything else,
    a copy in the environment, read where the template reads it."""
    directory = PurePosixPath(source).parent

    def replace_read(match: re.Match[str]) -> str:
        name = match.group(1)
        target = (directory / name).as_posix()
        target = posixpath.normpath(target)  # `..` that leaves the tree is confine's to refuse
        path = tree.root / target
        if target in env_value_files:
            if not path.is_file():
                out.decisions.append(
                    f"{source}: reads {name}, an environment values file the tree does not "
                    "have (an installation generates it): add it and import again"
                )
                return match.group(0)
            data = load_yaml(confine.read_text(path, tree.root), target).data or {}
            keys = " ".join(f'"{k}"' for k in data)
            return f"toYaml (pick .Values {keys})"
        if not path.is_file():
            out.decisions.append(
                f"{source}: reads {name}, which the tree does not have (an installation "
                "generates it): add it before rendering"
            )
            return match.group(0)
        data = confine.read_bytes(path, tree.root)
        relative = name.removeprefix("./")
        if name.endswith((".yaml", ".yml")):
            loaded = load_yaml(data.decode("utf-8", "replace"), target)
            origins = {
                tuple(str(p) for p in path): (target, line) for path, line in loaded.lines.items()
            }
            group = f"files/{secrets.prop_name(relative)}"
            content, moves = secrets.move_value_secrets(loaded.data, out.env, origins, group)
            if moves:  # structure kept: plain keys stay data, credentials become secretRefs
                files_key[relative] = content
                out.secrets.extend(m for m in moves if m not in out.secrets)
                return f'toYaml (index .Values.{secrets.FILES_KEY} "{relative}")'
        if secrets.file_is_secret(name, data):
            move = secrets.file_move(out.env, relative, target)
            files_key[relative] = {"secretRef": move.ref}
            if move not in out.secrets:
                out.secrets.append(move)
            return f'index .Values.{secrets.FILES_KEY} "{relative}"'
        out.files[place(target)] = data
        return match.group(0)

    return _READ.sub(replace_read, text)


def _versions_unused(tree: HelmfileTree, out: Conversion) -> None:
    used = {row.chart.partition(" ")[0] for row in out.releases}
    unused = sorted(str(k) for k in (tree.values.get("version") or {}) if str(k) not in used)
    if unused:
        out.notes.append(
            f"version pins for charts no imported release uses: {', '.join(unused)} "
            "(.Values.version holds the pins of the imported releases, by chart name)"
        )
