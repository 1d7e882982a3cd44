"""`{secretRef: "<remote key>#<property>"}` in values, swapped for sentinel strings.

A sentinel is `bkgensecret<16 hex>z`, derived from the reference itself (never from a
value), so renders stay byte-identical and a changed reference is a visible change. It is
lowercase alphanumerics only, so it survives the filters charts apply to passwords
(`b64enc`, `quote`, `trunc` aside, `upper`/`lower` are matched case-insensitively).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from bkgen.errors import Location, OverlayError

SENTINEL = re.compile(r"bkgensecret([0-9a-f]{16})z", re.IGNORECASE)
_REF = re.compile(
    r"^(?P<key>[A-Za-z0-9][A-Za-z0-9/_.@-]*)#(?P<property>[A-Za-z0-9][A-Za-z0-9_.-]*)$"
)


@dataclass(frozen=True)
class SecretRef:
    key: str  # the remote key in the store (e.g. a Vault path)
    prop: str  # the property (field) of that remote secret
    token: str  # the sentinel standing in for it

    @property
    def variable(self) -> str:
        """A Go-template-safe name for the ExternalSecret's data entry."""
        return "s_" + self.token[len("bkgensecret") : -1].lower()


def sentinel_for(key: str, prop: str) -> str:
    return _token(hashlib.sha256(f"{key}#{prop}".encode()).hexdigest()[:16])


def _token(hexdigits: str) -> str:
    return f"bkgensecret{hexdigits.lower()}z"


def token_of(match: re.Match[str]) -> str:
    """The sentinel a `SENTINEL` match stands for, whatever case a chart gave it."""
    return _token(match.group(1))


def is_declaration(node: Any) -> bool:
    return isinstance(node, Mapping) and set(node) == {"secretRef"}


def parse_ref(text: Any, where: Location | None) -> SecretRef:
    match = _REF.match(str(text)) if isinstance(text, str) else None
    if match is None:
        raise OverlayError(
            f"invalid secretRef {text!r}",
            location=where,
            hint='write secretRef: "<remote key>#<property>", e.g. "bkce7/mysql#root-password"',
        )
    key, prop = match.group("key"), match.group("property")
    return SecretRef(key, prop, sentinel_for(key, prop))


def substitute(
    values: Any, locate: Any = None, path: tuple[str, ...] = ()
) -> tuple[Any, dict[str, SecretRef]]:
    """A copy of `values` with every declaration replaced by its sentinel, and the refs
    by sentinel. `locate(path)` gives the Location of a key path for errors, when known."""
    found: dict[str, SecretRef] = {}

    def walk(node: Any, here: tuple[str, ...]) -> Any:
        if is_declaration(node):
            ref = parse_ref(node["secretRef"], locate(here) if locate else None)
            found[ref.token] = ref
            return ref.token
        if isinstance(node, Mapping):
            if "secretRef" in node:
                raise OverlayError(
                    "secretRef must be the only key of its mapping",
                    location=locate(here) if locate else None,
                    hint='write password: {secretRef: "<remote key>#<property>"}',
                )
            return {k: walk(v, (*here, str(k))) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, (*here, str(i))) for i, v in enumerate(node)]
        return node

    return walk(values, path), found


def tokens_in(text: str) -> Iterator[str]:
    for match in SENTINEL.finditer(text):
        yield token_of(match)


def restore(values: Any, refs: Mapping[str, SecretRef]) -> Any:
    """`values` with sentinels shown as the declarations they stand for, for review files:
    a whole-value sentinel becomes `{secretRef: …}` again, an embedded one `<secretRef …>`."""
    if isinstance(values, Mapping):
        return {k: restore(v, refs) for k, v in values.items()}
    if isinstance(values, list):
        return [restore(v, refs) for v in values]
    if isinstance(values, str) and SENTINEL.search(values):
        whole = SENTINEL.fullmatch(values)
        if whole:
            ref = refs.get(values.lower())
            return {"secretRef": f"{ref.key}#{ref.prop}"} if ref else values

        def shown(match: re.Match[str]) -> str:
            ref = refs.get(token_of(match))
            return f"<secretRef {ref.key}#{ref.prop}>" if ref else match.group(0)

        return SENTINEL.sub(shown, values)
    return values
