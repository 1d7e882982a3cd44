"""A release's values list, as files of the environment: each file copied once, its
`readFile`s rewritten (a secret becomes a `secretRef` lookup, an environment values file
its keys, anything else a copy read where the template reads it) and its literal
credentials moved (`secrets.py`); inline values written to a file; a missing file reported,
never invented."""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from pathlib import PurePosixPath
from typing import Any

from bkgen.importers.helmfile import secrets
from bkgen.importers.helmfile.conversion import Conversion, State
from bkgen.importers.helmfile.tree_model import HelmfileTree, TreeRelease
from bkgen.importers.helmfile.tree_yaml import load_yaml
from bkgen.safety import confine
from bkgen.yamlio import dump

_READ = re.compile(r"""\breadFile\s+"([^"]+)\"""")


def values_files(
    tree: HelmfileTree, release: TreeRelease, out: Conversion, state: State, place: Any
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
