"""Everything that governs a check, read from one trusted place.

A pull request must not be able to switch off the gate that checks it. So whatever decides
what a check accepts — the `argo/` steps (Python run at render time), the policy allow-lists
and security suppressions (`overlays/base/policy.yaml`), each environment's `validation:`
block (suppressions, external references, registries), the CRD schemas the validator checks
custom resources against (`schemas/crds/`) and what the AppProject may grant —
is read from a *trusted root*: a private copy of those files at a trusted git ref
(`--trusted REF`, formerly `--steps-from`), or the project itself when no ref is given (a
developer's own machine). A pull request's change to any of them is reported as a
security-relevant change and has no effect on the run.

This module only reads and compares settings; the rules that use them live in
`validate/rules/`, the AppProject in `argocd/project.py`.
"""

from __future__ import annotations

import fnmatch
import hashlib
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen.errors import Location, OverlayError, UsageError, display_path
from bkgen.gitops.git import git, resolve_ref, tree_at
from bkgen.overlay.extends import settings_doc
from bkgen.yamlio import load_file, position, to_plain

POLICY_FILE = "overlays/base/policy.yaml"
CRD_DIR = "schemas/crds"
MARKER = ".bkgen-trusted-ref"  # written into a trusted copy: which ref it came from

# Allow-list name -> what its entries match (docs/security.md has the same table).
ALLOW_LISTS: Mapping[str, str] = {
    "rbac": "Kind/namespace/name (or Kind/name) of RBAC objects that may grant escalating power",
    "clusterAdmin": "Kind/namespace/name of bindings that may grant cluster-admin",
    "hostNetwork": "Kind/namespace/name of workloads that may use the node's network",
    "hostNamespaces": "Kind/namespace/name of workloads that may use hostPID or hostIPC",
    "privileged": "Kind/namespace/name of workloads whose containers may run privileged",
    "capabilities": "capabilities any container may add (the safe set)",
    "hostPath": "host paths (globs) a pod or PersistentVolume may mount",
    "kubeSystemServiceAccounts": "Kind/namespace/name of workloads that may run as a "
    "kube-system service account",
    "webhooks": "Kind/name of admission webhook configurations",
    "nodePort": "Service/namespace/name of Services that may be NodePort",
    "loadBalancer": "Service/namespace/name of Services that may be LoadBalancer",
    "externalIPs": "Service/namespace/name of Services that may set externalIPs",
}
_TOP = ("allow", "argocd", "suppress")
_ARGOCD = ("namespaces", "clusterKinds")


@dataclass(frozen=True)
class Policy:
    """The trusted settings: allow-lists, what the AppProject may grant, suppressions."""

    allow: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    namespaces: tuple[str, ...] = ()  # globs: where child Applications may deploy
    cluster_kinds: tuple[tuple[str, str], ...] = ()  # (group, kind) children may create
    suppress: tuple[Mapping[str, Any], ...] = ()  # {env, rule, resource, reason}
    source: str = POLICY_FILE

    def allowed(self, name: str, subject: str) -> bool:
        return any(fnmatch.fnmatchcase(subject, p) for p in self.allow.get(name, ()))

    def for_env(self, env: str) -> tuple[Mapping[str, Any], ...]:
        return tuple(s for s in self.suppress if fnmatch.fnmatchcase(env, str(s.get("env", "*"))))


def trusted_root(project: Path, steps_root: Path | None) -> Path:
    """Where the trusted settings are read: a trusted ref's copy, else the project."""
    return steps_root if steps_root is not None else project


def trusted_ref(root: Path) -> str | None:
    marker = root / MARKER
    return marker.read_text().strip() if marker.is_file() else None


def _strings(node: Any, shown: str, parent: Any, key: str) -> tuple[str, ...]:
    if node is None:
        return ()
    if not isinstance(node, list) or not all(isinstance(v, str) for v in node):
        where = Location(shown, *(position(parent, key) or ()))
        raise OverlayError(f"{key} must be a list of strings", location=where)
    return tuple(node)


def load_policy(root: Path) -> Policy:
    """`overlays/base/policy.yaml` under `root`; absent means nothing is allowed."""
    path = root / POLICY_FILE
    shown = display_path(path, root)
    if not path.exists() and not path.is_symlink():
        return Policy(source=shown)
    doc = load_file(path, root=root) or {}
    if not isinstance(doc, Mapping):
        raise OverlayError("must be a mapping", location=Location(shown, 1))
    for key in doc:
        if key not in _TOP:
            where = Location(shown, *(position(doc, key) or ()))
            raise OverlayError(f"unknown key {key!r}", location=where, hint=f"use {_TOP}")
    allow_node = doc.get("allow") or {}
    allow: dict[str, tuple[str, ...]] = {}
    for key in allow_node:
        if key not in ALLOW_LISTS:
            where = Location(shown, *(position(allow_node, key) or ()))
            raise OverlayError(
                f"unknown allow-list {key!r}", location=where, hint=", ".join(ALLOW_LISTS)
            )
        allow[str(key)] = _strings(allow_node[key], shown, allow_node, str(key))
    argo = doc.get("argocd") or {}
    for key in argo:
        if key not in _ARGOCD:
            where = Location(shown, *(position(argo, key) or ()))
            raise OverlayError(f"unknown key argocd.{key}", location=where)
    kinds = []
    for entry in _strings(argo.get("clusterKinds"), shown, argo, "clusterKinds"):
        group, _, kind = entry.rpartition("/")
        kinds.append((group, kind))
    suppress = tuple(dict(s) for s in to_plain(doc.get("suppress") or []))
    return Policy(
        allow=allow,
        namespaces=_strings(argo.get("namespaces"), shown, argo, "namespaces"),
        cluster_kinds=tuple(sorted(kinds)),
        suppress=suppress,
        source=shown,
    )


def env_validation(root: Path, env: str) -> Mapping[str, Any] | None:
    """The `validation:` block of `overlays/<env>/env.yaml` under `root` (None: no such env)."""
    path = root / "overlays" / env / "env.yaml"
    if not path.is_file():
        return None
    validation: Mapping[str, Any] = to_plain(settings_doc(root, env).get("validation") or {})
    return validation  # with what it inherits (env.yaml extends:)


def governed(
    project: Path, trusted: Path, env: str, own: Mapping[str, Any]
) -> tuple[Policy, Mapping[str, Any]]:
    """The policy and the env's `validation:` block as the trusted root has them; `own` is
    the env.yaml block the project holds (used when the project is the trusted root)."""
    policy = load_policy(trusted)
    return policy, own if trusted == project else (env_validation(trusted, env) or {})


def check_settings(
    project: Path,
    trusted: Path,
    env: str,
    kube_version: str,
    own: Mapping[str, Any],
    argocd_namespace: str,
) -> tuple[dict[str, Any], Mapping[str, Any]]:
    """The validator's settings for one environment as the trusted root governs them (what
    `validate ENV` checks a committed tree with), and the `validation:` block they came
    from; `own` is the block the project holds."""
    policy, validation = governed(project, trusted, env, own)
    settings = validator_settings(project, trusted, env, kube_version, policy, validation)
    return {**settings, "argocd_namespace": argocd_namespace}, validation


def validator_settings(
    project: Path,
    trusted: Path,
    env: str,
    kube_version: str,
    policy: Policy,
    validation: Mapping[str, Any],
) -> dict[str, Any]:
    """`check_settings` from a policy and `validation:` block already read (`governed`),
    as a render has them."""
    from bkgen.validate import env_policy

    return {
        **env_policy(kube_version, validation),
        "allow": policy.allow,
        "trusted_suppressions": policy.for_env(env),
        "project_root": schema_root(project, trusted),
    }


def changes(project: Path, trusted: Path, env: str) -> tuple[str, ...]:
    """Security-relevant changes of the working tree against the trusted copy, one line each
    (none when `trusted` is the project itself)."""
    if trusted == project:
        return ()
    ref = trusted_ref(trusted) or "the trusted ref"
    found = []
    if _bytes(project / POLICY_FILE) != _bytes(trusted / POLICY_FILE):
        found.append(
            f"{POLICY_FILE}: security-relevant change: differs from {ref}; {ref}'s is used"
        )
    for folder in ("argo", CRD_DIR):
        if _tree(project / folder) != _tree(trusted / folder):
            found.append(
                f"{folder}/: security-relevant change: differs from {ref}; {ref}'s is used"
            )
    if (env_validation(project, env) or {}) != (env_validation(trusted, env) or {}):
        found.append(
            f"overlays/{env}/env.yaml: security-relevant change: validation differs from "
            f"{ref}; {ref}'s is used"
        )
    return tuple(found)


def _bytes(path: Path) -> bytes | None:
    return path.read_bytes() if path.is_file() else None


def _tree(base: Path) -> dict[str, str]:
    """rel path -> sha256 of the regular files below `base` (links are not followed)."""
    if not base.is_dir() or base.is_symlink():
        return {}
    return {
        p.relative_to(base).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(base.rglob("*"))
        if p.is_file() and not p.is_symlink() and "__pycache__" not in p.parts
    }


def schema_root(project: Path, trusted: Path) -> Path:
    """Where the validator reads `schemas/crds/`: the trusted copy when it has one."""
    return trusted if (trusted / CRD_DIR).is_dir() else project


def _show(commit: str, rel: str, top: Path) -> str | None:
    kind = git(["cat-file", "-t", f"{commit}:{rel}"], top, check=False).strip()
    return git(["show", f"{commit}:{rel}"], top) if kind == "blob" else None


@contextmanager
def trusted_at(repo: Path, ref: str) -> Iterator[Path]:
    """A private directory holding, as they are at `ref`: `argo/`, the policy file, every
    environment's `env.yaml` and `schemas/crds/`. Nothing else of the ref is extracted."""
    commit = resolve_ref(repo, ref)
    top = Path(git(["rev-parse", "--show-toplevel"], repo).strip())
    prefix = repo.resolve().relative_to(top.resolve()).as_posix()
    prefix = "" if prefix == "." else prefix + "/"
    with tree_at(repo, commit, "argo") as argo:
        if not argo.is_dir():
            raise UsageError(f"{ref} has no argo/ directory")
        root = argo.parent
        envs = git(["ls-tree", "--name-only", commit, f"{prefix}overlays/"], top, check=False)
        wanted = [POLICY_FILE]
        wanted += [f"overlays/{Path(e).name}/env.yaml" for e in envs.split()]
        crds = git(["ls-tree", "-r", "--name-only", commit, f"{prefix}{CRD_DIR}/"], top, False)
        wanted += [line[len(prefix) :] for line in crds.splitlines() if line.endswith(".json")]
        for rel in wanted:
            text = _show(commit, prefix + rel, top)
            if text is not None:
                (root / rel).parent.mkdir(parents=True, exist_ok=True)
                (root / rel).write_text(text)
        (root / MARKER).write_text(ref + "\n")
        yield root  # tree_at removes the whole copy afterwards
