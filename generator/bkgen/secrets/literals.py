"""Literal credentials where only references may be: a Secret turned ExternalSecret, and the
values of a release Argo CD renders.

An ExternalSecret's template is committed to git. A Secret that mixes `{secretRef: …}`
keys with a literal private key, a `.dockerconfigjson` with an `auth`, an AWS key or
`https://user:password@host` would put that literal into the template: refused exactly as
a plain Secret is. Likewise the merged values of a `helm-argocd` release are written into
`rendered/<env>/releases/<r>/values.yaml` for Argo CD to render: a value at a key the review
diff masks (`masking.child_sensitive`: password, token, private key, …) must be a
`secretRef` declaration, never a literal.

Findings name what and where, never the value. This module must not render anything.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from bkgen.errors import Location
from bkgen.secrets.masking import child_sensitive, credential_key, worth_masking
from bkgen.secrets.refs import SENTINEL

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b")
_URL_PASSWORD = re.compile(r"[a-z][a-z0-9+.-]*://[^\s/@:]*:(?P<pw>[^\s/@]+)@", re.IGNORECASE)
_LINE = re.compile(
    r"^\s*(?:export\s+|-\s+)?[\"']?(?P<key>[\w.\-]+)[\"']?\s*(?:=|:(?!//))\s*"
    r"[\"']?(?P<value>[^\"'\s#]*)"
)
# A value that refers to a secret kept elsewhere rather than holding it.
_INDIRECT = re.compile(r"^(\$\{|\$\(|\$[A-Z_]|\{\{|<|%\(|\*+$|changeme$|none$|null$)", re.I)


def _literal(value: str) -> bool:
    return bool(value) and not _INDIRECT.match(value)


def literal_credential(text: str) -> str | None:
    """What literal credential `text` holds (outside sentinels), or None. Never the value."""
    rest = SENTINEL.sub("", text)
    if _PEM.search(rest):
        return "a private key (PEM)"
    if _AWS_KEY_ID.search(rest):
        return "an AWS access key"
    for match in _URL_PASSWORD.finditer(rest):
        if _literal(match.group("pw")):
            return "a password inside a URL"
    if _docker_auth(rest):
        return "registry credentials (auths)"
    for line in rest.splitlines():
        found = _LINE.match(line)
        if found and credential_key(found.group("key")) and _literal(found.group("value")):
            return f"a literal {found.group('key')!r}"
    return None


def _docker_auth(text: str) -> bool:
    if '"auths"' not in text:
        return False
    try:
        auths = json.loads(text).get("auths")
    except (ValueError, AttributeError):
        return True  # unparseable auths: refuse rather than guess
    if not isinstance(auths, Mapping):
        return False
    return any(
        isinstance(entry, Mapping) and any(entry.get(k) for k in ("auth", "password"))
        for entry in auths.values()
    )


def _leaves(
    node: Any, path: tuple[str, ...], sensitive: bool
) -> Iterator[tuple[tuple[str, ...], Any, bool]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _leaves(value, (*path, str(key)), child_sensitive(node, key, sensitive))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _leaves(value, (*path, str(index)), sensitive)
    else:
        yield path, node, sensitive


def literal_values(
    values: Any, locate: Callable[[tuple[str, ...]], Location | None] | None = None
) -> Iterator[tuple[str, str, Location | None]]:
    """(dotted path, what, where) of every literal credential in Helm values."""
    for path, value, sensitive in _leaves(values, (), False):
        if isinstance(value, str) and SENTINEL.fullmatch(value):
            continue
        where = locate(path) if locate else None
        if sensitive and worth_masking(value) and _literal(str(value)):
            yield ".".join(path), "a literal credential", where
        elif isinstance(value, str) and (what := literal_credential(value)):
            yield ".".join(path), what, where
