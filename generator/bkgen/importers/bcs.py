"""Import a BCS template set (模板集) into an environment as a `templates:` release.

Input: a directory holding the set's manifests (`*.yaml`, `*.yml`, as exported
from BCS, `{{KEY}}` variables and all) and optionally `variables.yaml`, the
variable definitions of BCS's variable management (变量管理): a list of
`{key, name, scope, default, values}` where `values` maps a namespace to its
value (批量更新). A single manifest file works too; its variables are then
inferred from the `{{KEY}}` references.

Output: `overlays/<env>/templatesets/<release>/templateset.yaml` (variables and
one instance per target namespace) and `manifests/` (the files byte for byte).
System variables are not copied: the environment provides them (`bcs.yaml`).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bkgen.errors import BkgenError, Location, OverlayError, UsageError, display_path
from bkgen.overlay.bcs_variables import SYSTEM, references
from bkgen.overlay.load import load_environment
from bkgen.overlay.names import require_environment
from bkgen.overlay.templatesets import MANIFEST_SUFFIXES, SCOPES, SETS_DIR
from bkgen.render import templatesets as renderer
from bkgen.safety import confine
from bkgen.yamlio import load_text, position, to_plain, yaml_files

VARIABLES_FILES = ("variables.yaml", "variables.yml")
_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_RELEASE = re.compile(r"^[a-z0-9]([-a-z0-9]{0,51}[a-z0-9])?$")
_NAMESPACED_AT = re.compile(r"^\s{2}namespace:\s*(\S+)", re.MULTILINE)


@dataclass(frozen=True)
class VariableDef:
    key: str
    name: str
    scope: str
    default: Any
    values: Mapping[str, Any]  # namespace -> value


@dataclass(frozen=True)
class ImportResult:
    directory: Path
    manifests: tuple[str, ...]
    variables: tuple[tuple[str, str], ...]  # (key, scope)
    instances: tuple[str, ...]
    notes: tuple[str, ...]


def _manifests(source: Path, root: Path) -> list[Path]:
    if source.is_file():
        return [source]
    if not source.is_dir():
        raise UsageError(f"no such file or directory: {display_path(source, root)}")
    found = yaml_files(source, skip=VARIABLES_FILES)
    if not found:
        raise UsageError(f"{display_path(source, root)}: no *.yaml manifests in the template set")
    return found


def _definitions(source: Path, root: Path) -> dict[str, VariableDef]:
    path = next((source / n for n in VARIABLES_FILES if (source / n).is_file()), None)
    if source.is_file() or path is None:
        return {}
    shown = display_path(path, root)
    # The template set being imported may live anywhere the operator points at.
    doc = load_text(confine.read_text(path, None), shown)
    items = doc.get("variables") if isinstance(doc, Mapping) else doc
    if not isinstance(items, list):
        raise OverlayError("expected a list of variables", location=Location(shown, 1))
    found: dict[str, VariableDef] = {}
    for index, item in enumerate(items):
        line = (position(items, index) or (None,))[0]
        key = item.get("key") if isinstance(item, Mapping) else None
        if not isinstance(key, str) or not _KEY.match(key):
            raise OverlayError(
                f"variable without a valid key: {key!r}", location=Location(shown, line)
            )
        scope = str(item.get("scope", "namespace"))
        if scope not in SCOPES:
            raise OverlayError(
                f"variable {key} has scope {scope!r}",
                location=Location(shown, line),
                hint=f"one of {', '.join(SCOPES)}",
            )
        values = to_plain(item.get("values") or {})
        found[key] = VariableDef(
            key, str(item.get("name", "")), scope, to_plain(item.get("default")), values
        )
    return found


def _parse_set(assignment: str) -> tuple[str | None, str, Any]:
    """`[NAMESPACE:]KEY=VALUE`, VALUE read as YAML (8080 is an integer)."""
    import yaml

    target, sep, raw = assignment.partition("=")
    namespace, _, key = target.rpartition(":")
    if not sep or not _KEY.match(key):
        raise UsageError(f"expected [NAMESPACE:]KEY=VALUE, got {assignment!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else ""
    except yaml.YAMLError:
        raise UsageError(f"cannot parse value of {key}: {raw!r}") from None
    if isinstance(value, dict | list) or value is None:
        raise UsageError(f"{key}: a variable value is a single scalar")
    return namespace or None, key, value


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return json.dumps(str(value), ensure_ascii=False)


def _templateset_yaml(
    name: str,
    shown_source: str,
    variables: Mapping[str, VariableDef],
    instances: Mapping[str, Mapping[str, Any]],
) -> str:
    out = [
        f"# BCS template set {name}: `bkgen import bcs-template {shown_source}`.",
        "# manifests/ holds the files exactly as written in BCS. {{KEY}} resolves per instance",
        "# at render, narrowest scope first: instance values (namespace), bcs.yaml cluster,",
        "# bcs.yaml project (global), then the default below. SYS_* come from ../../bcs.yaml.",
        f"description: {_scalar(f'BCS template set {name}')}",
        f"importedFrom: {_scalar(shown_source)}",
        "suite: bcs",
        "seq: bcs",
        "variables:",
    ]
    for key, var in sorted(variables.items()):
        out.append(f"  {key}:")
        if var.name:
            out.append(f"    name: {_scalar(var.name)}")
        out.append(f"    scope: {var.scope}")
        if var.default is not None:
            out.append(f"    default: {_scalar(var.default)}")
    out.append("instances:")
    for namespace, values in sorted(instances.items()):
        out.append(f"  - namespace: {namespace}")
        if values:
            out.append("    values:")
            out.extend(f"      {k}: {_scalar(v)}" for k, v in sorted(values.items()))
    return "\n".join(out) + "\n"


@dataclass(frozen=True)
class _Plan:
    variables: dict[str, VariableDef]
    instances: dict[str, dict[str, Any]]  # namespace -> values
    notes: list[str]


def _scan(files: Mapping[Path, bytes], root: Path) -> tuple[set[str], list[str]]:
    """Variables the manifests reference, and notes about hard-coded namespaces."""
    used: set[str] = set()
    notes: list[str] = []
    for path, raw in files.items():
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise OverlayError("not UTF-8", location=Location(display_path(path, root))) from None
        used |= {key for _, _, key in references(text)}
        for match in _NAMESPACED_AT.finditer(text):
            if "{{" not in match.group(1):
                notes.append(
                    f"{display_path(path, root)}: namespace {match.group(1)} is replaced by "
                    "each instance's namespace"
                )
    return used, notes


def _plan(
    used: set[str],
    defs: Mapping[str, VariableDef],
    namespaces: Sequence[str],
    assignments: Sequence[str],
) -> _Plan:
    notes: list[str] = []
    variables = {
        key: defs.get(key) or VariableDef(key, "", "namespace", None, {})
        for key in sorted(used - set(SYSTEM))
    }
    unused = sorted(set(defs) - used - set(SYSTEM))
    if unused:
        notes.append(f"not referenced by any manifest, not imported: {', '.join(unused)}")
    sets = [_parse_set(a) for a in assignments]
    targets = sorted(
        set(namespaces)
        or {ns for v in variables.values() for ns in v.values} | {ns for ns, _, _ in sets if ns}
    )
    if not targets:
        raise UsageError("no target namespace", hint="pass --namespace NS (once per instance)")
    instances: dict[str, dict[str, Any]] = {
        ns: {k: v.values[ns] for k, v in variables.items() if ns in v.values} for ns in targets
    }
    for ns, key, value in sets:
        if key not in variables:
            raise UsageError(f"--set {key}: no manifest references {{{{{key}}}}}")
        for target in [ns] if ns else targets:
            if target not in instances:
                raise UsageError(f"--set {ns}:{key}: '{ns}' is not a target namespace")
            instances[target][key] = value
    return _Plan(variables, instances, notes)


def import_template_set(
    root: Path,
    source: Path,
    env: str,
    release: str | None = None,
    namespaces: Sequence[str] = (),
    assignments: Sequence[str] = (),
) -> ImportResult:
    """Write the overlay of one template set; nothing stays on disk if it does not render."""
    require_environment(root, env)
    name = release or re.sub(r"[^a-z0-9-]+", "-", source.stem.lower()).strip("-")
    if not _RELEASE.match(name):
        raise UsageError(f"invalid release name {name!r}", hint="pass --release NAME")
    files = {p: p.read_bytes() for p in _manifests(source, root)}
    used, notes = _scan(files, root)
    plan = _plan(used, _definitions(source, root), namespaces, assignments)
    directory = root / "overlays" / env / SETS_DIR / name
    if directory.exists():
        raise UsageError(
            f"{display_path(directory, root)} already exists",
            hint="remove it or pass --release NAME",
        )
    shown_source = display_path(source, root)
    if Path(shown_source).is_absolute():
        shown_source = source.name
    base = source if source.is_dir() else source.parent
    try:
        for path, raw in files.items():
            target = directory / "manifests" / path.relative_to(base)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(raw)
        text = _templateset_yaml(name, shown_source, plan.variables, plan.instances)
        (directory / "templateset.yaml").write_text(text, encoding="utf-8")
        _prove(root, env, name)
    except BkgenError as err:
        _remove(directory)
        raise _at_source(err, display_path(directory / "manifests", root), shown_source) from None
    except BaseException:
        _remove(directory)
        raise
    written = sorted((directory / "manifests").rglob("*"))
    return ImportResult(
        directory=directory,
        manifests=tuple(display_path(p, root) for p in written if p.is_file()),
        variables=tuple((k, v.scope) for k, v in sorted(plan.variables.items())),
        instances=tuple(sorted(plan.instances)),
        notes=tuple(notes + plan.notes),
    )


def _remove(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    parent = directory.parent
    if parent.is_dir() and not any(parent.iterdir()):
        parent.rmdir()


def _at_source(err: BkgenError, copy: str, source: str) -> BkgenError:
    """Point an error in the (removed) overlay copy at the file the user gave us."""
    overlay = copy.rsplit("/", 1)[0] + "/templateset.yaml"
    if err.hint:
        err.hint = re.sub(
            re.escape(overlay) + r"(:\d+)?", f"{source}'s variables.yaml or --set", err.hint
        )
    location = err.location
    if location is None or not location.path.startswith(copy + "/"):
        return err
    rest = location.path[len(copy) + 1 :]
    path = source if source.endswith(MANIFEST_SUFFIXES) else f"{source}/{rest}"
    err.location = Location(path, location.line, location.column)
    return err


def _prove(root: Path, env: str, name: str) -> None:
    environment = load_environment(root, env)
    release = environment.catalog.releases[name]
    if name in environment.plan.disabled:
        raise UsageError(
            f"release '{name}' would be off in '{env}': {environment.plan.disabled[name]}",
            hint=f"add suite '{release.suite}' to overlays/{env}/env.yaml",
        )
    renderer.render(environment, release)
