"""Secrets of a helmfile tree, moved out before anything is written to overlays/.

A bkhelmfile tree keeps its credentials in plain files: `values.yaml` defaults
(`mysql.rootPassword: blueking`), the generated `app_secret.yaml` and API-gateway keypair,
literal passwords in release values templates (`password: job#2021`), and `cert/*.key`
files that values templates read with `readFile`. None of them may reach `overlays/`,
`rendered/` or any output. Each becomes a `{secretRef: "<store key>#<property>"}`
declaration of the existing secret design (docs/charts.md), and the import report lists
where each value is today, so the operator loads the store from the tree itself:
bkgen never reads a value into a message.

Store keys are `<env>/<group>`: `<env>/mysql#rootPassword`, `<env>/appSecret#bk_paas`,
`<env>/files#cert-gse_server.key`, `<env>/bk-job#externalMariaDB.password`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bkgen.secrets.masking import credential_key

FILES_KEY = "importedFiles"  # global values: files the templates read, as data or secretRefs
LITERALS_KEY = "importedSecrets"  # global values: literal credentials of values templates
_PROPERTY_UNSAFE = re.compile(r"[^A-Za-z0-9_.-]+")
_PRIVATE = re.compile(rb"PRIVATE KEY|ENCRYPTED|\x00")
SECRET_SUFFIXES = (".key", ".p12", ".pfx", ".jks", ".keystore", ".pem")


@dataclass(frozen=True)
class SecretMove:
    """One value moved to the secret store: where it is today, never what it is."""

    store_key: str
    prop: str
    origin: str  # tree-relative file[:line] and what holds it there
    kind: str  # "value" (a YAML scalar) or "file" (a whole file's bytes)
    yaml_path: str = ""  # for values: the key path inside the origin file, for yq

    @property
    def ref(self) -> str:
        return f"{self.store_key}#{self.prop}"


def prop_name(text: str) -> str:
    cleaned = _PROPERTY_UNSAFE.sub("-", text).strip("-.") or "value"
    return cleaned if cleaned[0].isalnum() else "v" + cleaned


_NOT_A_CREDENTIAL = re.compile(r"(url|uri|path|name|mode|type|enabled|ttl|header|expire\w*)$", re.I)


def is_credential(key: object, value: Any) -> bool:
    """A leaf that holds a credential: named like one (not `ssmTokenUrl`), with something
    in it."""
    if isinstance(value, (Mapping, list, bool)) or value is None or value == "":
        return False
    return credential_key(key) and not _NOT_A_CREDENTIAL.search(str(key))


def move_value_secrets(
    values: Any,
    env: str,
    origin_of: Mapping[tuple[str, ...], tuple[str, int | None]],
    group: str = "",
) -> tuple[Any, list[SecretMove]]:
    """`values` with every credential leaf replaced by a secretRef declaration, below a
    credential key too (`credentials: {user: a, pass: b}`); `group` prefixes the store
    keys (`files/paas3_initial_cluster.yaml`)."""
    moves: list[SecretMove] = []

    def walk(node: Any, here: tuple[str, ...], inside: bool) -> Any:
        if isinstance(node, Mapping):
            out: dict[str, Any] = {}
            for key, child in node.items():
                sub = (*here, str(key))
                if isinstance(child, Mapping) and set(child) == {"secretRef"}:
                    out[str(key)] = child  # already a declaration
                    continue
                secret = (inside and not isinstance(child, (Mapping, list))) or is_credential(
                    key, child
                )
                if secret and child not in (None, ""):
                    out[str(key)] = {"secretRef": _declare(sub, env, origin_of, moves, group)}
                else:
                    out[str(key)] = walk(child, sub, inside or credential_key(key))
            return out
        if isinstance(node, list):
            return [walk(item, (*here, str(i)), inside) for i, item in enumerate(node)]
        return node

    return walk(values, (), False), moves


def _declare(
    path: tuple[str, ...],
    env: str,
    origin_of: Mapping[tuple[str, ...], tuple[str, int | None]],
    moves: list[SecretMove],
    prefix: str = "",
) -> str:
    group = "/".join([*([prefix] if prefix else []), *(prop_name(p) for p in path[:-1])])
    move = SecretMove(
        store_key=f"{env}/{group or 'globals'}",
        prop=prop_name(path[-1]),
        origin=_where(origin_of.get(path)),
        kind="value",
        yaml_path="." + ".".join(_yq_key(p) for p in path),
    )
    moves.append(move)
    return move.ref


def _yq_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", key) else f'"{key}"'


def _where(origin: tuple[str, int | None] | None) -> str:
    if origin is None:
        return "(merged environment values)"
    path, line = origin
    return f"{path}:{line}" if line else path


def file_is_secret(name: str, data: bytes) -> bool:
    """A file a values template reads whose bytes are a credential: a private key, a
    keystore, anything binary; certificates and truststores are public."""
    return name.lower().endswith(SECRET_SUFFIXES) or bool(_PRIVATE.search(data))


def file_move(env: str, relative: str, origin: str) -> SecretMove:
    return SecretMove(f"{env}/files", prop_name(relative), origin, "file")


_LITERAL_LINE = re.compile(
    r"^(?P<indent>\s*)(?P<dash>-\s+)?(?P<key>[A-Za-z_][\w.-]*|\"[^\"]+\"|'[^']+')"
    r"(?P<sep>\s*:\s+)(?P<value>\"[^\"]*\"|'[^']*'|[^\s{#'\"](?:(?!\s#).)*?)(?P<tail>(\s+#.*)?\s*)$"
)


def move_literal_secrets(
    text: str, env: str, release: str, shown: str
) -> tuple[str, dict[str, dict[str, str]], list[SecretMove]]:
    """A values template with each literal credential (`password: job#2021`, a line with
    no template action) replaced by a lookup of a secretRef declared in the global values
    (`importedSecrets.<release>.<path>`); the declarations and moves are returned.

    The key path is read from indentation, as YAML nests block mappings; it only names the
    property, so a template line that breaks the nesting costs a less telling name, never
    a wrong value.
    """
    lines = text.split("\n")
    stack: list[tuple[int, str]] = []
    declared: dict[str, str] = {}
    moves: list[SecretMove] = []
    for number, line in enumerate(lines, start=1):
        if "{{" in line or not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LITERAL_LINE.match(line)
        opener = re.match(r"^(\s*)(?:-\s+)?([A-Za-z_][\w.-]*|\"[^\"]+\")\s*:\s*(#.*)?$", line)
        indent = len(line) - len(line.lstrip(" -"))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        if opener:
            stack.append((indent, opener.group(2).strip("\"'")))
            continue
        if match is None:
            continue
        key = match.group("key").strip("\"'")
        raw = match.group("value").strip()
        value = raw[1:-1] if raw[:1] in "\"'" and raw[-1:] == raw[:1] else raw
        if not value or not is_credential(key, value):
            continue
        path = ".".join([*(k for _, k in stack), key])
        prop = prop_name(path)
        if prop in declared:
            prop = f"{prop}-{number}"
        move = SecretMove(f"{env}/{release}", prop, f"{shown}:{number}", "value", "")
        declared[prop] = move.ref
        moves.append(move)
        lookup = f'{{{{ index .Values.{LITERALS_KEY} "{release}" "{prop}" | quote }}}}'
        lines[number - 1] = (
            f"{match.group('indent')}{match.group('dash') or ''}{match.group('key')}"
            f"{match.group('sep')}{lookup}{match.group('tail')}"
        )
    refs = {prop: {"secretRef": ref} for prop, ref in declared.items()}
    return "\n".join(lines), refs, moves
