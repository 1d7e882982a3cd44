"""Offline validation of Kubernetes manifests: JSON Schemas plus BlueKing policy rules.

`validate_paths` is the one entry point (the CLI and the render pipeline both
call it). Results are `Finding`s collected in a `Report`; nothing here raises
for a problem in the input, only for unusable arguments (`UsageError`).
"""

from __future__ import annotations

import fnmatch
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen.errors import UsageError, display_path
from bkgen.errors.suggest import did_you_mean
from bkgen.kube.versions import normalize_version
from bkgen.validate import engine, loader
from bkgen.validate.findings import SEVERITIES, Finding, Report
from bkgen.validate.rules import BY_ID, SECURITY_RULES, TREE_RULES, Facts, RuleContext
from bkgen.yamlio import YAML_SUFFIXES, yaml_files

__all__ = [
    "SEVERITIES",
    "Finding",
    "Report",
    "ValidateSettings",
    "env_policy",
    "validate_files",
    "validate_paths",
]


@dataclass(frozen=True)
class ValidateSettings:
    kube_version: str = "1.23"
    strict: bool = True
    schema_locations: tuple[str, ...] = ()
    ignore_missing_schemas: bool = False
    suppressions: tuple[Mapping[str, Any], ...] = ()  # {rule, resource (glob), reason}
    external_refs: tuple[str, ...] = ()
    allowed_registries: tuple[str, ...] = ()
    project_root: Path | None = None
    jobs: int = 0  # 0: one per core
    select: tuple[str, ...] = ()  # only these checks (rule IDs, or schema/yaml/input)
    ignore: tuple[str, ...] = ()  # all but these
    # From the trusted policy (bkgen.gitops.trusted), never from the tree being checked:
    allow: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    trusted_suppressions: tuple[Mapping[str, Any], ...] = ()  # may name security rules
    argocd_namespace: str = "argocd"
    default_storage_class: str = ""  # env.yaml validation.defaultStorageClass


def env_policy(kube_version: str, validation: Mapping[str, Any]) -> dict[str, Any]:
    """The settings an env.yaml decides (its `validation:` block), read one way whether
    render checks its own tree or `bkgen validate ENV` checks the committed one."""
    return {
        "kube_version": kube_version,
        "suppressions": tuple(dict(s) for s in validation.get("suppress") or []),
        "external_refs": tuple(str(s) for s in validation.get("externalRefs") or []),
        "allowed_registries": tuple(str(s) for s in validation.get("allowedRegistries") or []),
        "default_storage_class": str(validation.get("defaultStorageClass") or ""),
    }


# Findings that come from parsing and schemas, not from a policy rule module.
CORE_CHECKS = ("input", "schema", "yaml")
SCHEMA_ONLY = CORE_CHECKS


def check_ids() -> tuple[str, ...]:
    return tuple(sorted({*CORE_CHECKS, *BY_ID}))


def checked_ids(select: Sequence[str], ignore: Sequence[str]) -> frozenset[str]:
    """The checks a run reports; unknown IDs are a usage error with a did-you-mean."""
    known = check_ids()
    for rule in (*select, *ignore):
        if rule not in known:
            hint = did_you_mean(rule, known, f"rules: {', '.join(known)}")
            raise UsageError(f"unknown rule {rule!r}", hint=hint)
    chosen = set(select) if select else set(known)
    return frozenset(chosen - set(ignore))


def _crd_dirs(settings: ValidateSettings) -> tuple[Path, ...]:
    roots = [settings.project_root] if settings.project_root else []
    roots += [Path.cwd(), *Path(__file__).resolve().parents]
    for root in roots:
        candidate = root / "schemas" / "crds"
        if candidate.is_dir():
            return (candidate,)
    return ()


def _files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from (f for f in yaml_files(path, hidden=True) if not _helm_values(f))
        elif path.exists():
            yield path
        else:
            raise UsageError(f"no such file or directory: {display_path(path)}")


def _helm_values(path: Path) -> bool:
    """`rendered/<env>/releases/<r>/values.yaml` holds Helm values for review, not resources."""
    return path.name == "values.yaml" and path.parent.parent.name == "releases"


def _input_finding(shown: str, message: str) -> Finding:
    return Finding(shown, None, None, "input", "error", message)


def _read(path: Path, shown: str, report: Report) -> str | None:
    """File (or stdin) text; oversize, binary and non-UTF-8 input are findings."""
    try:
        if shown == "-":
            raw = sys.stdin.buffer.read(loader.MAX_FILE_BYTES + 1)
            size = len(raw)
        else:
            size = path.stat().st_size
            raw = b"" if size > loader.MAX_FILE_BYTES else path.read_bytes()
    except OSError as err:
        raise UsageError(f"cannot read {shown}: {err.strerror}") from None
    if size > loader.MAX_FILE_BYTES:
        report.findings.append(_input_finding(shown, f"larger than {loader.MAX_FILE_BYTES} bytes"))
        return None
    return _decode(raw, shown, report)


def _decode(raw: bytes, shown: str, report: Report) -> str | None:
    if len(raw) > loader.MAX_FILE_BYTES:
        report.findings.append(_input_finding(shown, f"larger than {loader.MAX_FILE_BYTES} bytes"))
        return None
    if b"\0" in raw[:8192]:
        report.findings.append(_input_finding(shown, "binary file, not YAML"))
        return None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        report.findings.append(_input_finding(shown, f"not UTF-8 (byte {err.start})"))
        return None


def _chunks(
    paths: Sequence[Path], report: Report, stdin: bool, only: re.Pattern[str] | None = None
) -> Iterator[loader.Chunk]:
    """Each document of the files; with `only`, just those of files whose text matches it
    (the CRD pass need not split 1,000 files to find the one that defines a CRD)."""
    if stdin:
        text = _read(Path("-"), "-", report)
        report.files += 1
        if text is not None:
            yield from loader.split("-", text)
        return
    for path in _files(paths):
        shown = display_path(path)
        report.files += 1
        text = _read(path, shown, report)
        if text is not None and (only is None or only.search(text)):
            yield from loader.split(shown, text)


def _suppression(finding: Finding, settings: ValidateSettings) -> str | None:
    """Why a finding is suppressed, if it is. A security rule's finding only by the trusted
    policy: env.yaml is part of the change being checked."""
    lists = [("policy", settings.trusted_suppressions)]
    if finding.rule not in SECURITY_RULES:
        lists.append(("env.yaml", settings.suppressions))
    resource = f"{finding.kind}/{finding.namespace}/{finding.name}"
    for origin, entries in lists:
        for entry in entries:
            if entry.get("rule") not in (finding.rule, "*"):
                continue
            pattern = str(entry.get("resource", "*"))
            if fnmatch.fnmatch(resource, pattern) or fnmatch.fnmatch(
                f"{finding.kind}/{finding.name}", pattern
            ):
                return f"{origin}: {entry.get('reason', 'suppressed')}"
    return None


def _tree_findings(facts: list[Facts], ctx: RuleContext) -> Iterator[tuple[Finding, bool]]:
    for rule in TREE_RULES:
        for hit in rule.check_tree(facts, ctx):
            item = facts[hit.index]
            finding = Finding(
                item.path,
                item.line,
                1,
                rule.ID,
                hit.severity or rule.SEVERITY,
                hit.message,
                item.api_version,
                item.kind,
                item.namespace,
                item.name,
                hit.hint,
            )
            yield finding, rule.ID in item.extra.get("ignore", ())


def validate_paths(
    paths: Sequence[Path | str], settings: ValidateSettings, stdin: bool = False
) -> Report:
    """Validate files and directories (recursively: *.yaml, *.yml), or stdin."""
    path_list = [Path(p) for p in paths]
    return _validate(
        lambda report, only=None: _chunks(path_list, report, stdin, only), settings, not stdin
    )


def validate_files(files: Mapping[str, bytes], settings: ValidateSettings) -> Report:
    """Validate an in-memory tree (shown path -> bytes), as the render pipeline holds it:
    findings name the path the user will see, and nothing is read back from disk."""
    return _validate(lambda report, only=None: _memory_chunks(files, report, only), settings, True)


def _memory_chunks(
    files: Mapping[str, bytes], report: Report, only: re.Pattern[str] | None = None
) -> Iterator[loader.Chunk]:
    for shown in sorted(files):
        path = Path(shown)
        if path.suffix not in YAML_SUFFIXES or _helm_values(path):
            continue
        report.files += 1
        text = _decode(files[shown], shown, report)
        if text is not None and (only is None or only.search(text)):
            yield from loader.split(shown, text)


def _validate(
    chunks: Callable[..., Iterator[loader.Chunk]], settings: ValidateSettings, crds: bool
) -> Report:
    minor = int(normalize_version(settings.kube_version).split(".")[1])
    ctx = RuleContext(
        minor,
        tuple(settings.allowed_registries),
        tuple(settings.external_refs),
        dict(settings.allow),
        settings.argocd_namespace,
        settings.default_storage_class,
    )
    wanted = checked_ids(settings.select, settings.ignore)
    config = engine.EngineConfig(
        settings.kube_version,
        settings.strict,
        settings.ignore_missing_schemas,
        _crd_dirs(settings),
        tuple(settings.schema_locations),
        ctx,
        removed_reported_by_rule="deprecated-api" in wanted,
    )
    report = Report()
    tree_crds = engine.tree_crds(chunks(Report(), engine.CRD), settings.strict) if crds else {}
    jobs = settings.jobs or engine.default_jobs()
    facts: list[Facts] = []
    raw: list[Finding] = []
    for findings, suppressed, batch_facts, resources in engine.run(
        chunks(report), config, tree_crds, jobs
    ):
        raw.extend(findings)
        report.suppressed.extend(suppressed)
        facts.extend(batch_facts)
        report.resources += resources
    report.checked = [(f.path, f.line, f.kind, f.namespace, f.name) for f in facts]
    for finding, ignored in _tree_findings(facts, ctx):
        if ignored:
            report.suppressed.append((finding, "bkgen.io/ignore annotation"))
        else:
            raw.append(finding)
    raw = [f for f in raw if f.rule in wanted]
    report.suppressed[:] = [(f, why) for f, why in report.suppressed if f.rule in wanted]
    report.findings.extend(report_findings(raw, settings, report))
    report.findings.sort(key=lambda f: (f.path, f.line or 0, f.column or 0, f.rule, f.message))
    return report


def report_findings(
    raw: list[Finding], settings: ValidateSettings, report: Report
) -> list[Finding]:
    kept = []
    for finding in raw:
        why = _suppression(finding, settings)
        if why:
            report.suppressed.append((finding, why))
        else:
            kept.append(finding)
    return kept
