"""What an environment says about its review: ignored field paths (env.yaml `diff:`).

The ignore list decides what a reviewer does not see, so it is a trusted setting: between
git refs it is read from the BASE side (what the reviewed branch already had), never from the
head, or a pull request could hide its own changes by ignoring them. A head that changes the
list is reported at the top as a security-relevant change; the new list applies once merged.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bkgen.diff.compare import DEFAULT_IGNORE
from bkgen.diff.model import Risk
from bkgen.errors import UsageError
from bkgen.gitops.git import run_git
from bkgen.overlay.extends import settings_doc
from bkgen.yamlio import load_text

SECURITY = "security"


def patterns_of(
    doc: Mapping[str, Any], extra: tuple[str, ...] = (), defaults: bool = True
) -> tuple[str, ...]:
    """The built-in list (unless turned off here or by the env), the env's list, the CLI's."""
    patterns = list(DEFAULT_IGNORE) if defaults and doc.get("defaultIgnore", True) else []
    patterns += [str(p) for p in doc.get("ignore") or []]
    patterns += extra
    return tuple(dict.fromkeys(patterns))


def _section(doc: Any, where: str) -> dict[str, Any]:
    section = doc.get("diff") if isinstance(doc, Mapping) else None
    if section is None:
        return {}
    if not isinstance(section, Mapping):
        raise UsageError(f"{where}: `diff:` must be a mapping")
    return dict(section)


def settings_in_tree(root: Path, env: str) -> dict[str, Any]:
    """env.yaml `diff:` of the working tree."""
    path = root / "overlays" / env / "env.yaml"
    return _section(settings_doc(root, env), path.name) if path.is_file() else {}


def settings_at(repo: Path, ref: str, env: str) -> dict[str, Any]:
    """env.yaml `diff:` as of a commit (an env absent there has none)."""
    rel = f"overlays/{env}/env.yaml"
    done = run_git(["show", f"{ref}:./{rel}"], repo)
    if done.returncode != 0:
        return {}
    where = f"{ref[:12]}:{rel}"
    return _section(load_text(done.stdout, where), where)


def ignore_patterns(
    root: Path | None, env: str | None, extra: tuple[str, ...] = (), defaults: bool = True
) -> tuple[str, ...]:
    """The ignore list of an environment's working tree (`bkgen check`, directories)."""
    doc = settings_in_tree(root, env) if root is not None and env is not None else {}
    return patterns_of(doc, extra, defaults)


def trust_risk(env: str, base: Mapping[str, Any], head: Mapping[str, Any]) -> Risk | None:
    """A head whose `diff:` settings differ from the base's: said first, never applied."""
    if dict(base) == dict(head):
        return None

    def shown(doc: Mapping[str, Any]) -> str:
        items = [f"ignore {list(doc.get('ignore') or [])}"]
        if "defaultIgnore" in doc:
            items.append(f"defaultIgnore {doc['defaultIgnore']}")
        return ", ".join(items)

    text = (
        f"overlays/{env}/env.yaml `diff:` changes in this head ({shown(base)} -> {shown(head)}): "
        "it decides what reviews hide, so it is not applied here; this review uses the base's "
        "settings (the new ones apply after the merge)"
    )
    return Risk(SECURITY, "", f"overlays/{env}/env.yaml", text)
