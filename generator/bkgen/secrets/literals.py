"""Credentials a chart writes as literal text: found in every rendered object, refused.

A Secret's own values are judged in `scan.py`. This module reads what is not a Secret
value but can hold one all the same, because real charts put credentials there: the text
of ConfigMap data and of ExternalSecret templates (a config file whose `pprofPassword:`
the chart fills with `randAlphaNum`, a default PEM key a chart ships in its values, base64
or not), and container env variables named like a credential. Each would be a secret in
git; the error names release, object, key and line, never the value.

Not a value: empty strings, template references (`{{ .s_… }}`, `${…}`, `$(VAR)`), sentinels
of declared secrets, `null`/booleans. Variable names follow the review diff's masking
(`secrets/masking.py`), so what the diff would hide is exactly what is refused here.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from bkgen.errors import Location
from bkgen.kube.pods import containers
from bkgen.render import Manifest
from bkgen.secrets.diagnose import literal_source
from bkgen.secrets.masking import credential_key
from bkgen.secrets.refs import SENTINEL

_LINE = re.compile(
    r"^\s*(?:export\s+|-\s+)?[\"']?(?P<key>[\w.\-]+)[\"']?\s*(?:=|:(?!//))\s*(?P<value>\S.*?)\s*$"
)
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_B64_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,}")  # base64 of "-----BEGIN"
_NOT_A_VALUE = re.compile(
    r"^(\$\{.*\}|\$\(.*\)|\{\{.*\}\}|%\(.*\)s?|<.*>|null|~|none|true|false|yes|no|on|off|\d+)$",
    re.I,
)
# Placeholders charts hard-code where an operator fills in a value (bkrepo 1.1.28's COS
# `secretId: xxx`): nothing to protect, and nothing the operator could declare instead.
_PLACEHOLDER = re.compile(
    r"^(x+|\*+|changeme|change[-_ ]?me|need to change|placeholder|dummy|example|your[-_].*)$", re.I
)
_NOT_A_CREDENTIAL = re.compile(
    r"(urls?|uris?|paths?|files?|names?|mode|type|enabled|key_?id|ttl)$", re.I
)


def findings(manifests: Sequence[Manifest]) -> Iterator[tuple[Manifest, str, str, str]]:
    """(manifest, where, what, value) for every literal credential; `what` never holds the
    value, which is only used to find the chart value that wrote it."""
    for manifest in manifests:
        body = manifest.body
        kind = body.get("kind")
        if kind == "ConfigMap":
            for key, text in (body.get("data") or {}).items():
                for what, value in _in_text(str(text)):
                    yield manifest, f"data.{key}", what, value
        elif kind == "ExternalSecret":
            target = (body.get("spec") or {}).get("target") or {}
            data = ((target.get("template") or {}).get("data")) or {}
            for key, text in data.items():
                for what, value in _in_text(str(text)):
                    yield manifest, f"spec.target.template.data.{key}", what, value
        for path, container, _ in containers(body):
            for variable in container.get("env") or []:
                if not isinstance(variable, Mapping):
                    continue
                name, literal = str(variable.get("name")), variable.get("value")
                if isinstance(literal, str) and _is_literal(name, literal):
                    where = ".".join(str(p) for p in path)
                    yield manifest, f"{where}.env.{name}", "a literal credential", literal


def _in_text(text: str) -> Iterator[tuple[str, str]]:
    for number, line in enumerate(text.split("\n"), start=1):
        tokens = [t for t in _B64_PEM.findall(line) if _decodes_to_pem(t)]
        if _PEM.search(line) or tokens:
            yield f"line {number}: a private key", (tokens[0] if tokens else line.strip())
            continue
        match = _LINE.match(line)
        if match and _is_literal(match.group("key"), match.group("value")):
            value = match.group("value").strip().rstrip(",").strip("\"'")
            yield f"line {number}: {match.group('key')} is a literal credential", value


def _is_literal(key: str, value: str) -> bool:
    text = value.strip().rstrip(",").strip("\"'")
    if not credential_key(key) or _NOT_A_CREDENTIAL.search(key):
        return False
    if not text or SENTINEL.search(text) or _NOT_A_VALUE.match(text) or _PLACEHOLDER.match(text):
        return False
    return not text.startswith(("$", "{{", "%(")) and "{{" not in text


def _decodes_to_pem(token: str) -> bool:
    try:
        return b"PRIVATE KEY" in base64.b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return False


def first_problem(
    release: str, manifests: Sequence[Manifest], merged: Mapping[str, Any] | None = None
) -> tuple[str, Location, int, str | None] | None:
    """The message and place of the first literal credential, how many there are, and the
    chart value (dotted) whose text it is, when `merged` (the chart's values) shows one."""
    found = list(findings(manifests))
    if not found:
        return None
    manifest, where, what, value = found[0]
    meta: Any = manifest.body.get("metadata") or {}
    message = (
        f"release '{release}': {manifest.body.get('kind')}/{meta.get('name')} at {where}: {what}"
    )
    source = literal_source(value, merged) if merged is not None else None
    return message, Location(manifest.source), len(found), source


def first_line_key(manifests: Sequence[Manifest]) -> tuple[str, str] | None:
    """(object name, config key) of the first literal in a config text, for a probe."""
    for manifest, _, what, _ in findings(manifests):
        match = re.match(r"line \d+: ([\w.\-]+) is a literal credential", what)
        if match:
            return str((manifest.body.get("metadata") or {}).get("name")), match.group(1)
        return None
    return None
