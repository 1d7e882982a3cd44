"""`overlays/<env>/env.yaml`: where and how an environment deploys, checked, defaults filled in.

The JSON Schema (`schemas/overlay/env.schema.json`) checks the shape; this module checks what
needs the catalog or the installed packages: suite names, chart repository names, rule IDs
in `validation.suppress`, and the Kubernetes version against both the bundled schemas (an
error: bkgen could not validate the tree) and the BlueKing release's supported range from
the catalog (a warning: it renders, but the platform was not tested there). Every message
names `env.yaml:line` and suggests only names that exist.

It must not read other overlay files or render anything.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen.errors import Location, Notice, OverlayError, display_path
from bkgen.errors.suggest import did_you_mean, one_of
from bkgen.kube import versions as kube_versions
from bkgen.overlay.catalog import Catalog
from bkgen.yamlio import position, to_plain


@dataclass(frozen=True)
class EnvSettings:
    """`env.yaml`, with defaults filled in."""

    name: str
    kube_version: str
    suites: tuple[str, ...]
    repo_url: str
    target_revision: str
    path: str
    argocd_namespace: str
    project: str
    destination_server: str
    sync: Mapping[str, Any]
    charts_dir: Path
    charts_mode: str
    validation: Mapping[str, Any]
    chart_repositories: Mapping[str, str] = field(default_factory=dict)  # catalog name -> mirror
    secrets: Mapping[str, Any] = field(default_factory=dict)
    # False: release values come only from the env's own files (an imported helmfile tree)
    base_release_values: bool = True
    nodes: Mapping[str, Any] = field(default_factory=dict)  # {count, cpu, memory}: `bkgen plan`
    notices: tuple[Notice, ...] = ()  # warnings about this file (kubeVersion outside support)
    lines: Mapping[str, int | None] = field(default_factory=dict)  # top-level key -> line


def _at(shown: str, node: Any, key: str | int) -> Location:
    return Location(shown, *(position(node, key) or ()))


def read_settings(root: Path, name: str, doc: Mapping[str, Any], catalog: Catalog) -> EnvSettings:
    """EnvSettings from a schema-checked `env.yaml` document (ruamel, with positions)."""
    env_dir = root / "overlays" / name
    shown = display_path(env_dir / "env.yaml", root)
    suites = tuple(str(s) for s in doc.get("suites", ["base"]))
    for index, suite in enumerate(suites):
        if suite not in catalog.suites:
            raise OverlayError(
                f"unknown suite '{suite}'",
                location=_at(shown, doc.get("suites"), index),
                hint=did_you_mean(suite, catalog.suites, f"suites: {', '.join(catalog.suites)}"),
            )
    git = doc.get("git", {})
    argocd = doc.get("argocd", {})
    charts = doc.get("charts", {})
    mirrors = {str(k): str(v) for k, v in (charts.get("repositories") or {}).items()}
    for repo in mirrors:
        if repo not in catalog.repositories:
            raise OverlayError(
                f"charts.repositories names unknown repository '{repo}'",
                location=_at(shown, charts["repositories"], repo),
                hint=did_you_mean(
                    repo, catalog.repositories, f"repositories: {one_of(catalog.repositories)}"
                ),
            )
    validation = doc.get("validation", {})
    _check_rule_ids(shown, validation)
    kube = str(doc["kubeVersion"])
    notices = _check_kube_version(kube, _at(shown, doc, "kubeVersion"), catalog)
    return EnvSettings(
        name=name,
        kube_version=kube,
        suites=suites,
        repo_url=str(git["repoURL"]),
        target_revision=str(git.get("targetRevision", "main")),
        path=str(git.get("path", f"rendered/{name}")),
        argocd_namespace=str(argocd.get("namespace", "argocd")),
        project=str(argocd.get("project", f"bkce7-{name}")),
        destination_server=str(argocd.get("destinationServer", "https://kubernetes.default.svc")),
        sync=to_plain(argocd.get("sync", {})),
        charts_dir=env_dir / str(charts.get("dir", "charts")),
        charts_mode=str(charts.get("mode", "auto")),
        validation=to_plain(validation),
        chart_repositories=mirrors,
        secrets=to_plain(doc.get("secrets", {})),
        base_release_values=bool(doc.get("baseReleaseValues", True)),
        nodes=to_plain(doc.get("nodes", {})),
        notices=notices,
        lines={str(k): (position(doc, k) or (None,))[0] for k in doc},
    )


def _check_kube_version(version: str, where: Location, catalog: Catalog) -> tuple[Notice, ...]:
    supported = catalog.kube_versions
    options = kube_versions.usable(supported)
    platform = catalog.platform or "this BlueKing release"
    minor = kube_versions.parse_minor(version)
    assert minor is not None  # env.schema.json's pattern admits only 1.NN
    if minor not in kube_versions.BUNDLED:
        close = kube_versions.nearest(minor, options)
        why = f" ({platform} supports {kube_versions.span(supported)})" if supported else ""
        raise OverlayError(
            f"kubeVersion '{version}': bkgen has no Kubernetes schemas for {minor} "
            f"(bundled: {kube_versions.span(kube_versions.BUNDLED)}), so it cannot validate "
            "the rendered tree",
            location=where,
            hint=f'did you mean "{close}"?{why}',
        )
    if supported is not None and not kube_versions.in_range(minor, *supported):
        return (
            Notice(
                f"kubeVersion '{version}' is outside what {platform} supports "
                f"({kube_versions.span(supported)}, {catalog.source}); it renders and validates, "
                "but the platform was not tested there",
                location=where,
                hint=f"use one of {', '.join(options)} unless you have checked the charts",
            ),
        )
    return ()


def _check_rule_ids(shown: str, validation: Any) -> None:
    """A misspelt rule in `validation.suppress` would suppress nothing, silently."""
    entries = (validation or {}).get("suppress") or []
    if not entries:
        return
    from bkgen.validate import check_ids  # only envs that suppress pay for the import
    from bkgen.validate.rules import SECURITY_RULES

    known = [*check_ids(), "*"]
    for entry in entries:
        rule = str(entry.get("rule", ""))
        if rule not in known:
            raise OverlayError(
                f"validation.suppress names unknown rule '{rule}'",
                location=_at(shown, entry, "rule"),
                hint=did_you_mean(rule, known, f"rules: {one_of(known, limit=30)}"),
            )
        if rule in SECURITY_RULES:  # it would be ignored: say so instead
            raise OverlayError(
                f"validation.suppress cannot suppress security rule '{rule}' from the tree",
                location=_at(shown, entry, "rule"),
                hint="the trusted policy's suppress: list (overlays/base/policy.yaml at the "
                "trusted ref) is the only place for it (docs/security.md)",
            )
