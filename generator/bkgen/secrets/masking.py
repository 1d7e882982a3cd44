"""Which values of a manifest are sensitive, and how every output hides them.

Comparing and masking are separate jobs: the diff engine compares raw values (so a rotated
password or a renamed Secret reference is a change), and only what is *printed* goes through
this module. Sensitive are: all of a Secret's `data`/`stringData`; values at keys that name a
credential (password, token, private key, …) and everything below such a key; the `value` of an
env var whose `name` names a credential. References to Secrets are not secret and are shown in
full (`secretName`, `existingSecret`, `secretKeyRef.name/key`, `*SecretName`, `tokenSecret`).

A masked value is replaced by a fixed marker: no length, no hash, nothing a short password
could be guessed from. Strings that are shown (multi-line configs, scripts, URLs) have their
credential lines, PEM private keys and URL credentials removed line by line, so a diff of two
configs keeps its shape (one output line per input line).

This module must not read files, know about the diff or the CLI, or decide exit codes.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from bkgen.errors.redact import redact

MASK = "<sensitive>"

# Key names that say "this value is a credential".
CREDENTIAL_NAME = re.compile(
    r"pass(word|wd|phrase)|pwd|secret|token|private[-_.]?key|api[-_.]?key|access[-_.]?key|"
    r"credential|auth[-_.]?key|client[-_.]?key|signing[-_.]?key|encryption[-_.]?key|"
    r"\.pem$|\.key$|^jwt",
    re.IGNORECASE,
)
# Key names that *refer to* a Secret (its name, or a key inside it): shown in full.
_REFERENCE = re.compile(
    r"^existing|secretname$|secretrefs?$|secretkeyref$|secretrefname$|secretnamespace$|"
    r"^secrets$|^imagepullsecrets$|passwordkey$|"
    r"(token|password|passwd|credentials?|tls|cert|auth|key)secret$",
    re.IGNORECASE,
)
_CONTAINER = re.compile(r"^secrets?$", re.IGNORECASE)
# A line of a config file that sets a credential: `password: x`, `PASSWORD=x`, `"token": "x"`.
_CREDENTIAL_LINE = re.compile(
    r"^(?P<head>\s*(?:export\s+|-\s+)?[\"']?(?P<key>[\w.\-\[\]]+)[\"']?\s*(?:=|:(?!//)|\s+=\s+)\s*)"
    r"(?P<value>\S.*)$"
)
# The same, inline: `{"user": "a", "password": "x"}`, `a=1;password=x`.
_INLINE = re.compile(
    r"(?P<key>[A-Za-z_][\w.-]*)(?P<sep>[\"']?\s*(?:=|:(?!//))\s*[\"']?)(?P<value>[^\s\"',;&}]+)"
)
_PEM_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_PEM_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY-----")


def credential_key(key: object) -> bool:
    """True when a key names a credential (and is not a reference to a Secret)."""
    text = str(key)
    return bool(CREDENTIAL_NAME.search(text)) and not _REFERENCE.search(text)


def child_sensitive(parent: Any, key: object, sensitive: bool, secret_top: bool = False) -> bool:
    """Is the value at `parent[key]` sensitive, given whether `parent` itself is?

    `secret_top` is true when `parent` is the body of a `kind: Secret`.
    """
    if sensitive:
        return True
    if secret_top and key in ("data", "stringData"):
        return True
    if credential_key(key):
        # `secret:`/`secrets:` holding a mapping is a container of references (a volume's
        # `secret: {secretName}`, values' `secrets: {mysqlRoot: {name, key}}`), not a value.
        value = parent.get(key) if isinstance(parent, Mapping) else None
        return not (_CONTAINER.match(str(key)) and isinstance(value, Mapping | list))
    if key == "value" and isinstance(parent, Mapping):
        name = parent.get("name")
        return isinstance(name, str) and credential_key(name)
    return False


def is_secret(body: Any) -> bool:
    return isinstance(body, Mapping) and body.get("kind") == "Secret"


def worth_masking(value: Any) -> bool:
    """Values that are never secret even at a sensitive path (flags, nulls, empty)."""
    return not (value is None or isinstance(value, bool) or value in ("", {}, []))


def is_secret_ref(value: Any) -> bool:
    """`{secretRef: "<key>#<property>"}`: a declaration naming a secret, never its value."""
    return isinstance(value, Mapping) and set(value) == {"secretRef"}


def mask_value(value: Any, sensitive: bool = False) -> Any:
    """`value` as it may be shown: sensitive leaves replaced by `MASK`, strings scrubbed.
    A secret reference is shown in full, even under a key that names a credential."""
    if is_secret_ref(value) and isinstance(value["secretRef"], str):
        return {"secretRef": mask_text(value["secretRef"])}
    if isinstance(value, Mapping):
        return {
            str(k): mask_value(v, child_sensitive(value, k, sensitive)) for k, v in value.items()
        }
    if isinstance(value, list):
        return [mask_value(v, sensitive) for v in value]
    if sensitive and worth_masking(value):
        return MASK
    if isinstance(value, str):
        return mask_text(value)
    return value


def mask_resource(body: Mapping[str, Any]) -> dict[str, Any]:
    """A whole manifest as it may be shown."""
    secret = is_secret(body)
    return {
        str(k): mask_value(v, child_sensitive(body, k, False, secret_top=secret))
        for k, v in body.items()
    }


def path_sensitive(body: Any, path: tuple[Any, ...]) -> bool:
    """Is the value at `path` (keys and list indexes) inside `body` sensitive?"""
    sensitive, node = False, body
    for depth, part in enumerate(path):
        if isinstance(node, Mapping):
            sensitive = child_sensitive(node, part, sensitive, depth == 0 and is_secret(body))
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            break
    return sensitive


def mask_message(message: str, instance: Any, sensitive: bool) -> str:
    """A validator's message that quotes the offending value, made safe to print."""
    if sensitive and worth_masking(instance):
        for quoted in (json.dumps(instance, separators=(",", ":")), json.dumps(instance)):
            if message.startswith(quoted):
                return MASK + message[len(quoted) :]
        return f"{MASK} does not match the schema here"
    return mask_text(message)


def mask_lines(lines: list[str]) -> list[str]:
    """The same number of lines, with credential values and private keys replaced."""
    out: list[str] = []
    in_pem = False
    for line in lines:
        if in_pem:
            in_pem = not _PEM_END.search(line)
            out.append(line if not in_pem else MASK)
            continue
        if _PEM_BEGIN.search(line):
            in_pem = not _PEM_END.search(line)
            out.append(line if in_pem else MASK)
            continue
        match = _CREDENTIAL_LINE.match(line)
        value = match.group("value").strip() if match else ""
        if match and credential_key(match.group("key")) and worth_masking(value):
            out.append(f"{match.group('head')}{MASK}")
            continue
        out.append(redact(_INLINE.sub(_inline, line)))
    return out


def _inline(match: re.Match[str]) -> str:
    value = match.group("value")
    if not credential_key(match.group("key")) or value.startswith(("$", "{{")):
        return match.group(0)  # a variable reference or template is not a value
    return f"{match.group('key')}{match.group('sep')}{MASK}"


def mask_text(text: str) -> str:
    """A string as it may be shown (multi-line configs keep their line count)."""
    return "\n".join(mask_lines(text.split("\n")))
