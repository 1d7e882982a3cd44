"""Every rendered Secret, examined: sentinels become an ExternalSecret, values are refused.

Per release, after rendering and before anything is written:

- a Secret whose keys hold sentinels becomes an ExternalSecret (`externalsecret.build`);
  its other keys stay as literal template text unless their name says credential, in which
  case the value must be declared too;
- a Secret with any other non-empty value is refused. The report says which release,
  Secret and key, whether the chart generates the value on every render (`randAlphaNum`,
  `genPrivateKey`, … found by rendering again), and which chart value to declare (found by
  rendering with probe values), so the fix is one line in the env's values file;
- a sentinel anywhere but in a Secret (a ConfigMap, an env `value:`) is refused: the
  secret would be in git.

Secrets without values (a service-account token Secret, an empty placeholder) pass.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from bkgen.errors import Location, RenderError
from bkgen.render import Manifest
from bkgen.secrets import chart_credentials, externalsecret
from bkgen.secrets.literals import literal_credential, literal_key, literal_values
from bkgen.secrets.masking import CREDENTIAL_NAME
from bkgen.secrets.refs import SENTINEL, SecretRef, tokens_in
from bkgen.secrets.relocate import FROM_CONFIGMAP

# In a Secret's data a key is a credential when its name is one the review diff masks
# (data keys are never references to a Secret), and also when it is a bare `key` or any
# `pass…`.
_ALSO_CREDENTIAL = re.compile(r"pass|^key$", re.IGNORECASE)


def _credential(key: str) -> bool:
    return bool(CREDENTIAL_NAME.search(key) or _ALSO_CREDENTIAL.search(key))


class SecretError(RenderError):
    """A rendered object would put a secret value into git."""

    family = "secret error"


@dataclass(frozen=True)
class Plaintext:
    secret: str
    key: str
    source: str = ""  # the template that wrote it
    what: str = ""  # what literal it holds (never the value), when known


@dataclass(frozen=True)
class Diagnosis:
    generated: bool
    value_path: str | None  # the chart value (dotted) a probe proved feeds the key
    switches: tuple[str, ...] = ()  # else: the chart's existingSecret-style values


Diagnose = Callable[[Sequence[Plaintext]], Mapping[tuple[str, str], Diagnosis]]


def decoded(secret: Mapping[str, Any], lenient: bool = False) -> dict[str, str | None]:
    """key -> text: None for binary data, which cannot be templated; `lenient` gives its
    best-effort text instead (enough to compare two renders)."""
    out: dict[str, str | None] = {}
    for key, value in (secret.get("data") or {}).items():
        try:
            raw = base64.b64decode(str(value), validate=not lenient)
            out[str(key)] = raw.decode("utf-8", "replace" if lenient else "strict")
        except (binascii.Error, UnicodeDecodeError, ValueError):
            out[str(key)] = str(value) if lenient else None
    for key, value in (secret.get("stringData") or {}).items():
        out[str(key)] = "" if value is None else str(value)
    return out


def _strings(node: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(node, Mapping):
        for key, value in node.items():
            yield from _strings(value, (*path, str(key)))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _strings(value, (*path, str(index)))
    elif isinstance(node, str):
        yield path, node


def _where(body: Mapping[str, Any]) -> str:
    return f"{body.get('kind')}/{(body.get('metadata') or {}).get('name')}"


def process(
    release: str,
    manifests: Sequence[Manifest],
    refs: Mapping[str, SecretRef],
    settings: Mapping[str, Any],
    diagnose: Diagnose | None = None,
    declare_in: str = "",
) -> tuple[Manifest, ...]:
    """`declare_in`: where this release's values are declared, for the hint."""
    out: list[Manifest] = []
    plaintext: list[Plaintext] = []
    for manifest in manifests:
        body = manifest.body
        if body.get("kind") == "Secret" and body.get("apiVersion") == "v1":
            converted, problems = _secret(release, body, refs, settings, manifest.source)
            plaintext += problems
            if converted is not None:
                out.append(Manifest(converted, manifest.source))
            continue
        for path, text in _strings(body):
            for token in tokens_in(text):
                ref = refs.get(token)
                what = f"secret {ref.key}#{ref.prop}" if ref else "a secret sentinel"
                raise SecretError(
                    f"release '{release}': {_where(body)} at {'.'.join(path)} carries {what}; "
                    "only a Secret may hold it",
                    location=Location(manifest.source),
                    hint="give the chart the secret through its existingSecret (or secret "
                    "file) option instead of a plain value",
                )
        out.append(manifest)
    if plaintext:
        raise _plaintext_error(release, plaintext, diagnose, declare_in)
    return tuple(out)


def _secret(
    release: str,
    body: Mapping[str, Any],
    refs: Mapping[str, SecretRef],
    settings: Mapping[str, Any],
    source: str,
) -> tuple[dict[str, Any] | None, list[Plaintext]]:
    name = str((body.get("metadata") or {}).get("name"))
    values = decoded(body)
    carrying = {k for k, v in values.items() if v is not None and SENTINEL.search(v)}
    # a ConfigMap moved here for its declared secrets keeps a ConfigMap's other keys
    was_configmap = FROM_CONFIGMAP in ((body.get("metadata") or {}).get("annotations") or {})
    problems: list[Plaintext] = []
    for key, text in sorted(values.items()):
        if text == "":
            continue
        # The ExternalSecret template is committed: no literal credential may ride along
        # with the declared ones (a private key, registry auths, a password in a URL).
        literal = literal_credential(text) if text is not None else None
        if key in carrying:
            if literal:
                problems.append(Plaintext(name, key, source, literal))
            continue
        credential = text is None or (_credential(key) and not was_configmap) or literal is not None
        if not carrying or credential:
            problems.append(Plaintext(name, key, source, (literal or "") if carrying else ""))
    if not carrying:
        return (dict(body) if not problems else None), problems
    if problems:
        return None, problems
    if not settings.get("backend"):
        raise SecretError(
            f"release '{release}': Secret {name} declares secrets but env.yaml sets no "
            "secrets.backend",
            location=Location(source),
            hint="secrets: {backend: external-secrets, store: {kind: ClusterSecretStore, "
            "name: <store>}}",
        )
    texts = {k: v for k, v in values.items() if v is not None}
    return externalsecret.build(body, texts, refs, settings), []


def refuse_for_argocd(
    release: str, values: Any, refs: Mapping[str, SecretRef], where: Location, env: str
) -> None:
    """Argo CD would render a sentinel itself into the Secret: refuse, and say the fix."""
    for token in tokens_in(json.dumps(values)):
        ref = refs.get(token)
        what = f"{ref.key}#{ref.prop}" if ref else token
        raise SecretError(
            f"release '{release}' declares secret {what}, but its chart is rendered by "
            "Argo CD, which cannot turn it into an ExternalSecret",
            location=where,
            hint=f"bkgen charts pull {env} so the chart renders here",
        )


def refuse_literal_values(
    release: str,
    values: Any,
    locate: Callable[[tuple[str, ...]], Location | None],
    where: Location,
    env: str,
) -> None:
    """Argo CD renders this release from the values bkgen commits: a literal credential in
    them would be in git. Named by path and file:line, never by value."""
    for path, what, found in literal_values(values, locate):
        raise SecretError(
            f"release '{release}' is rendered by Argo CD from committed values, and {path} "
            f"holds {what}",
            location=found or where,
            hint=f'declare it: {path.rsplit(".", 1)[-1]}: {{secretRef: "<store key>#<property>"}}'
            f" (or `bkgen charts pull {env}` so the chart renders here)",
        )


def _plaintext_error(
    release: str, problems: Sequence[Plaintext], diagnose: Diagnose | None, declare_in: str
) -> SecretError:
    found = dict(diagnose(problems)) if diagnose is not None else {}
    parts = []
    for item in problems:
        diagnosis = found.get((item.secret, item.key))
        text = f"Secret {item.secret} key '{item.key}'"
        if diagnosis is not None and diagnosis.generated:
            text += " is generated by the chart on every render (randAlphaNum or similar)"
        elif item.what:
            text += f" holds {item.what}"
        else:
            text += " holds a plain value"
        if diagnosis is not None and diagnosis.value_path:
            text += f"; declare {diagnosis.value_path}"
        elif diagnosis is not None and diagnosis.switches:
            text += (
                "; no chart value was proved to feed it (the chart's Secret switches: "
                f"{', '.join(diagnosis.switches[:6])})"
            )
        parts.append(text)
    default_place = f"the env's {release}-custom-values.yaml.j2"
    first = parts[0]
    more = f" (and {len(parts) - 1} more: {'; '.join(parts[1:])})" if len(parts) > 1 else ""
    head = problems[0]
    written = literal_key(head.what) if head.what.startswith("a literal '") else None
    proved = found.get((head.secret, head.key))
    if written and (proved is None or not proved.value_path):
        return SecretError(
            f"release '{release}': {first}{more}",
            location=Location(head.source),
            hint="if the chart writes it itself (generated or hard-coded), declare its store "
            f"key in the env's catalog.yaml: {chart_credentials.declaration(release, written)}; "
            f"else in {declare_in or default_place} set <value>: {{secretRef: …}}",
        )
    return SecretError(
        f"release '{release}': {first}{more}",
        location=Location(head.source),
        hint=f"in {declare_in or default_place} set <value>: "
        '{secretRef: "<store key>#<property>"}, or point the chart\'s existingSecret at an '
        "in-cluster Secret",
    )
