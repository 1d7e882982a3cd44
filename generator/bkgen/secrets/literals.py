"""Literal credentials where only references may be: found and named, never shown.

Everything committed is readable by whoever can clone the repository, so a credential may
only appear as a reference. Three places hold text a chart or a user can fill:

- a Secret turned ExternalSecret: its template is committed, so a Secret that mixes
  `{secretRef: …}` keys with a literal private key, a `.dockerconfigjson` with an `auth`,
  an AWS key or `https://user:password@host` is refused as a plain Secret is
  (`literal_credential`, used by `scan.py`);
- the merged values of a release Argo CD renders, written into `releases/<r>/values.yaml`:
  a value at a key the review diff masks must be a `secretRef` declaration
  (`literal_values`);
- every rendered ConfigMap's data, ExternalSecret template and container env: a config line
  `pprofPassword: …` a chart fills with `randAlphaNum`, a default PEM key a chart ships
  (plain or base64), an env variable named like a credential with a literal value
  (`findings`, after `relocate.py` moved the declared ones).

Not a value: empty strings, references (`${…}`, `$(…)`, `{{ … }}`), sentinels, booleans,
counts (a number is a value only under a password's name) and the placeholders charts
hard-code (`secretId: xxx`). This module must not render anything.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from bkgen.errors import Location
from bkgen.errors.redact import URL_SCHEME
from bkgen.kube.pods import containers
from bkgen.render import Manifest
from bkgen.secrets.masking import child_sensitive, credential_key, worth_masking
from bkgen.secrets.refs import SENTINEL

_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----")
_B64_PEM = re.compile(r"LS0tLS1CRUdJTi[A-Za-z0-9+/=]{20,}")  # base64 of "-----BEGIN"
_AWS_KEY_ID = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA)[0-9A-Z]{16}\b")
_URL_PASSWORD = re.compile(rf"{URL_SCHEME}[^\s/@:]*:(?P<pw>[^\s/@]+)@", re.IGNORECASE)
# `key: value` / `key = value` of a config file, the value without quotes or comment
LINE = re.compile(
    r"^\s*(?:export\s+|-\s+)?[\"']?(?P<key>[\w.\-]+)[\"']?\s*(?:=>|=|:(?!//))\s*"
    r"[\"']?(?P<value>[^\"'\s#]*)"
)
# A value that refers to a secret kept elsewhere, or holds nothing to keep.
_INDIRECT = re.compile(
    r"^(\$\{|\$\(|\$[A-Z_]|\{\{|<|%\(|\*+$|x+$|changeme$|change[-_]?me$|none$|null$|~$|"
    r"true$|false$|yes$|no$|on$|off$|placeholder$|dummy$|example$)",
    re.I,
)
_NUMBER = re.compile(r"^\d+$")
_PASSWORD_NAME = re.compile(r"pass|pwd", re.I)
_NOT_A_CREDENTIAL = re.compile(
    r"(urls?|uris?|paths?|files?|names?|mode|type|enabled|key_?id|ttl)$", re.I
)


def _literal(value: str, key: str = "") -> bool:
    if not value or _INDIRECT.match(value) or SENTINEL.fullmatch(value):
        return False
    return not _NUMBER.match(value) or bool(_PASSWORD_NAME.search(key))


def literal_credential(text: str) -> str | None:
    """What literal credential `text` holds (outside sentinels), or None. Never the value."""
    rest = SENTINEL.sub("", text)
    if _PEM.search(rest) or any(_decodes_to_pem(t) for t in _B64_PEM.findall(rest)):
        return "a private key (PEM)"
    if _AWS_KEY_ID.search(rest):
        return "an AWS access key"
    for match in _URL_PASSWORD.finditer(rest) if "://" in rest else ():
        if _literal(match.group("pw")):
            return "a password inside a URL"
    if _docker_auth(rest):
        return "registry credentials (auths)"
    for line in rest.splitlines():
        found = LINE.match(line)
        if found and _is_literal(found.group("key"), found.group("value")):
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
        if sensitive and worth_masking(value) and _literal(str(value), path[-1] if path else ""):
            yield ".".join(path), "a literal credential", where
        elif isinstance(value, str) and (what := literal_credential(value)):
            yield ".".join(path), what, where


def findings(manifests: Sequence[Manifest]) -> Iterator[tuple[Manifest, str, str, str]]:
    """(manifest, where, what, value) for every literal credential in rendered text; `what`
    never holds the value, which is only used to find the chart value that wrote it."""
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
        match = LINE.match(line)
        if match and _is_literal(match.group("key"), match.group("value")):
            yield (
                f"line {number}: {match.group('key')} is a literal credential",
                match.group("value"),
            )


def _is_literal(key: str, value: str) -> bool:
    text = value.strip().rstrip(",").strip("\"'")
    if not credential_key(key) or _NOT_A_CREDENTIAL.search(key):
        return False
    return _literal(text, key) and "{{" not in text


def _decodes_to_pem(token: str) -> bool:
    try:
        return b"PRIVATE KEY" in base64.b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return False


def first_problem(
    release: str,
    manifests: Sequence[Manifest],
    source_of: Callable[[str], str | None] | None = None,
) -> tuple[str, Location, int, str | None] | None:
    """The message and place of the first literal in rendered text, how many there are,
    and the chart value (dotted) `source_of` finds for its text."""
    found = list(findings(manifests))
    if not found:
        return None
    manifest, where, what, value = found[0]
    meta: Any = manifest.body.get("metadata") or {}
    message = (
        f"release '{release}': {manifest.body.get('kind')}/{meta.get('name')} at {where}: {what}"
    )
    source = source_of(value) if source_of is not None else None
    return message, Location(manifest.source), len(found), source


_IN_CONFIG = re.compile(r"line \d+: ([\w.\-]+) is a literal credential")  # `findings`
_IN_TEXT = re.compile(r"a literal '([\w.\-]+)'")  # `literal_credential`


def literal_key(what: str) -> str | None:
    """The config key a finding of `findings` or `literal_credential` names, if it names
    one (a private key or a URL password names none)."""
    found = _IN_CONFIG.match(what) or _IN_TEXT.fullmatch(what)
    return found.group(1) if found else None


def first_line_key(manifests: Sequence[Manifest]) -> tuple[str, str] | None:
    """(object name, config key) of the first literal in a config text, for a probe."""
    for manifest, _, what, _ in findings(manifests):
        key = literal_key(what)
        if key:
            return str((manifest.body.get("metadata") or {}).get("name")), key
        return None
    return None
