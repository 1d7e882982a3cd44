"""A new environment under overlays/: the smallest set of files that renders and validates.

`bkgen env new NAME` writes env.yaml (Kubernetes version, suites, where Argo CD reads the
rendered tree), custom.yaml (the operator's overrides, starting with the domain) and
versions.yaml (per-env pins, empty). `--from ENV` copies that environment instead (its release
values, BCS template sets and pins; not its chart cache) and points git.path and the Argo CD
project at the new name; a domain or description given with it replaces the copied one. An
existing name is refused: nothing is ever overwritten, and a domain the values schema refuses
stops before anything is written.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from bkgen.errors import OverlayError, UsageError
from bkgen.overlay.file_schemas import check
from bkgen.overlay.load import ENV_NAME
from bkgen.overlay.names import list_environments, require_environment
from bkgen.yamlio import dump, dump_round_trip, load_file, round_trip

_ENV_YAML = """\
# {name}: created by `bkgen env new`. Argo CD reads the rendered tree from git.repoURL/path.
description: {description}
kubeVersion: "{kube}"
suites: [base]
git:
  repoURL: {repo_url}
  targetRevision: main
  path: rendered/{name}
argocd:
  namespace: argocd
  project: bkce7-{name}
"""
_CUSTOM_YAML = """\
# Operator overrides of overlays/base/values.yaml for {name} (`bkgen set {name} KEY=VALUE`).
domain:
  bkDomain: {domain}
  bkMainSiteDomain: {domain}
"""
_VERSIONS_YAML = """\
# Per-environment pins over overlays/base/versions.yaml (`bkgen bump {name} RELEASE VERSION`).
version: {{}}
"""


@dataclass(frozen=True)
class NewEnvironment:
    name: str
    files: tuple[str, ...]  # relative to the project root, sorted


def _retarget(env_yaml: Path, name: str, repo_url: str | None, description: str | None) -> None:
    """Point a copied env.yaml at the new environment (comments and order kept)."""
    rt = round_trip()
    doc = rt.load(env_yaml.read_text(encoding="utf-8"))
    git = doc.setdefault("git", {})
    git["path"] = f"rendered/{name}"
    if repo_url:
        git["repoURL"] = repo_url
    argocd = doc.setdefault("argocd", {})
    argocd["project"] = f"bkce7-{name}"
    if description is not None:
        doc["description"] = description
    env_yaml.write_text(dump_round_trip(rt, doc), encoding="utf-8")


def _set_domain(custom_yaml: Path, domain: str) -> None:
    """The copied custom.yaml with both domains replaced (comments and order kept)."""
    rt = round_trip()
    text = custom_yaml.read_text(encoding="utf-8") if custom_yaml.is_file() else ""
    doc = rt.load(text) or CommentedMap()
    section = doc.get("domain")
    if not isinstance(section, dict):
        section = doc["domain"] = CommentedMap()
    section["bkDomain"] = domain
    section["bkMainSiteDomain"] = domain
    custom_yaml.write_text(dump_round_trip(rt, doc), encoding="utf-8")


def _check_domain(root: Path, domain: str) -> None:
    """A domain as the values schema types it, before any file is written."""
    try:
        check({"domain": {"bkDomain": domain}}, "values.schema.json", "--domain", root)
    except OverlayError as err:
        raise UsageError(f"--domain {domain!r}: not a domain name", hint=err.hint) from None


def _default_repo_url(root: Path) -> str | None:
    for env in list_environments(root):
        doc = load_file(root / "overlays" / env / "env.yaml", root=root) or {}
        url = (doc.get("git") or {}).get("repoURL")
        if url:
            return str(url)
    return None


DEFAULT_DOMAIN = "bkce7.bktencent.com"


def create_environment(
    root: Path,
    name: str,
    source: str | None = None,
    repo_url: str | None = None,
    domain: str | None = None,
    kube_version: str = "1.23",
    description: str | None = None,
) -> NewEnvironment:
    """Write overlays/NAME; `domain`/`description` None keep the copied (or default) ones."""
    if not ENV_NAME.match(name) or name in ("base", "platforms"):
        raise UsageError(f"invalid environment name {name!r} (lowercase letters, digits, '-')")
    target = root / "overlays" / name
    if target.exists():
        raise UsageError(f"overlays/{name} already exists", hint="choose another name")
    if source is not None:
        require_environment(root, source)
    if domain is not None:
        _check_domain(root, domain)
    url = repo_url or _default_repo_url(root)
    if source is None and not url:
        raise UsageError("no git repoURL to use", hint="give --repo-url URL")
    # Build next to the target and rename: a failure leaves no half-written environment.
    staging = Path(tempfile.mkdtemp(prefix=f".{name}-", dir=root / "overlays"))
    try:
        built = staging / name
        if source is not None:
            shutil.copytree(
                root / "overlays" / source, built, ignore=shutil.ignore_patterns("charts")
            )
            _retarget(built / "env.yaml", name, repo_url, description)
            if domain is not None:
                _set_domain(built / "custom.yaml", domain)
        else:
            built.mkdir()
            values = {
                "name": name,
                "repo_url": url,
                "domain": domain or DEFAULT_DOMAIN,
                "kube": kube_version,
                # a YAML scalar as the dumper writes it: quoted only when it must be
                "description": dump(description if description is not None else name).rstrip("\n"),
            }
            (built / "env.yaml").write_text(_ENV_YAML.format(**values), encoding="utf-8")
            (built / "custom.yaml").write_text(_CUSTOM_YAML.format(**values), encoding="utf-8")
            (built / "versions.yaml").write_text(_VERSIONS_YAML.format(**values), encoding="utf-8")
        built.rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    files = sorted(p.relative_to(root).as_posix() for p in target.rglob("*") if p.is_file())
    return NewEnvironment(name, tuple(files))
