"""Chart repository credentials, bound to the URL prefix the CI declares.

Which URL a chart comes from is decided by the overlays (the catalog, an env's
`charts.repositories` mirror) — that is, by a pull request. Credentials matched only by
repository *name* would follow a mirror the pull request points at its own server. So the
CI declares, beside the credentials, where they may go:

    BKGEN_REPO_<NAME>_URL        https://hub.example.com/chartrepo/blueking  (or oci://host/path)
    BKGEN_REPO_<NAME>_USERNAME / _PASSWORD / _TOKEN

and an `Authorization` header (or an OCI login) is sent only to a URL with the same scheme,
host and port under that path — never to another, including after an HTTP redirect.
Credentials without a `_URL` are a usage error, never silently sent. This module reads the
process environment and compares URLs; it must not open connections.
"""

from __future__ import annotations

import base64
import os
import urllib.parse
from dataclasses import dataclass

from bkgen.errors import UsageError

_DEFAULT_PORTS = {"http": 80, "https": 443, "oci": 443}


@dataclass(frozen=True)
class Credentials:
    prefix: str  # the URL the CI bound them to
    username: str = ""
    password: str = ""
    token: str = ""

    def header(self) -> str:
        if self.token:
            return f"Bearer {self.token}"
        pair = f"{self.username}:{self.password}".encode()
        return "Basic " + base64.b64encode(pair).decode()

    def allows(self, url: str) -> bool:
        return within(url, self.prefix)

    def __repr__(self) -> str:  # never a value in a traceback or a log
        return f"Credentials(prefix={self.prefix!r})"


def variable(repo_name: str, key: str) -> str:
    return "BKGEN_REPO_" + repo_name.upper().replace("-", "_") + "_" + key


def for_repository(repo_name: str) -> Credentials | None:
    """The credentials the CI set for `repo_name`, with the prefix they are bound to."""
    found = {
        key.lower(): value
        for key in ("USERNAME", "PASSWORD", "TOKEN")
        if (value := os.environ.get(variable(repo_name, key)))
    }
    if not found:
        return None
    prefix = os.environ.get(variable(repo_name, "URL"), "").strip()
    if not prefix:
        raise UsageError(
            f"{variable(repo_name, next(iter(found)).upper())} is set without "
            f"{variable(repo_name, 'URL')}",
            hint="credentials are sent only under the URL prefix the CI declares",
        )
    parts = urllib.parse.urlsplit(prefix)
    if parts.scheme not in _DEFAULT_PORTS or not parts.hostname:
        raise UsageError(f"{variable(repo_name, 'URL')} must be an http(s):// or oci:// URL")
    return Credentials(prefix, **found)


def _origin(parts: urllib.parse.SplitResult) -> tuple[str, str, int | None]:
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = -1  # unparseable: matches nothing
    return scheme, (parts.hostname or "").lower(), port or _DEFAULT_PORTS.get(scheme)


def within(url: str, prefix: str) -> bool:
    """Same scheme, host and port as `prefix`, at or below its path."""
    have, want = urllib.parse.urlsplit(url), urllib.parse.urlsplit(prefix)
    if have.username or have.password or _origin(have) != _origin(want):
        return False
    base = want.path.rstrip("/")
    path = have.path
    return path == base or path.startswith(base + "/") or not base


def same_origin(url: str, other: str) -> bool:
    return _origin(urllib.parse.urlsplit(url)) == _origin(urllib.parse.urlsplit(other))
