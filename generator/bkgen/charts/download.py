"""Fetch one chart archive from a classic Helm repository or an OCI registry.

Classic repositories (`https://…/index.yaml`) are read with the standard library: the
index entry gives the archive URL and its sha256, which the download must match. OCI
registries (`oci://host/path`) go through helm-python-sdk's `pull` (Helm's own registry
client: manifest, layer media types, auth flows). Credentials never come from overlays:

    BKGEN_REPO_<NAME>_URL                                     where they may be sent (required)
    BKGEN_REPO_<NAME>_USERNAME / BKGEN_REPO_<NAME>_PASSWORD   basic auth, either kind
    BKGEN_REPO_<NAME>_TOKEN                                   bearer token (classic repos)
    Helm's registry config / Docker's config.json             OCI logins (`helm registry login`)

where <NAME> is the catalog's repository name, upper-cased, `-` as `_`. Credentials go only
to URLs under `_URL` (same scheme, host, port; `charts/credentials.py`), never to another,
not even after a redirect. An index's archive URLs must be http(s) on the repository's own
host, and every index entry must carry the digest the download is checked against. Plain
HTTP to an OCI registry is used only for loopback hosts. Every failure is a `ChartFetchError` whose
message names the release and the repository, with any credentials removed.
"""

from __future__ import annotations

import io
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bkgen.charts.cache import MAX_ARCHIVE_BYTES, sha256_digest
from bkgen.charts.credentials import Credentials, for_repository, same_origin
from bkgen.errors import BkgenError
from bkgen.yamlio import SAFE_LOADER

MAX_INDEX_BYTES = 64 * 1024 * 1024
TIMEOUT = 30.0
_LOOPBACK = {"127.0.0.1", "localhost", "::1", "[::1]"}


class ChartFetchError(BkgenError):
    """A chart could not be fetched or is not what the repository promised."""

    family = "chart error"


@dataclass(frozen=True)
class Request:
    release: str
    repo_name: str  # catalog name, for credentials and messages
    repo_url: str
    chart: str
    version: str


@dataclass(frozen=True)
class Fetched:
    data: bytes
    digest: str  # sha256:<hex> of `data`


def _fail(request: Request, message: str, hint: str | None = None) -> ChartFetchError:
    """Credentials in the URLs it quotes are removed when the error is printed (errors.py)."""
    where = f"release '{request.release}', repository {request.repo_url}"
    return ChartFetchError(f"{where}: {message}", hint=hint)


class _Redirects(urllib.request.HTTPRedirectHandler):
    """Follow a redirect only to http(s), and drop the credentials unless the new URL is
    still under the prefix they are bound to (urllib would copy the header to any host)."""

    def __init__(self, credentials: Credentials | None) -> None:
        self.credentials = credentials

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: Any,
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        if urllib.parse.urlsplit(newurl).scheme not in ("http", "https"):
            raise urllib.error.URLError(f"redirect to a non-HTTP URL refused: {newurl}")
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        if new is not None and not (self.credentials and self.credentials.allows(newurl)):
            new.remove_header("Authorization")
        return new


def fetch(request: Request) -> Fetched:
    oci = request.repo_url.startswith("oci://")
    data = _fetch_oci(request) if oci else _fetch_classic(request)
    check_archive(request, data)
    return Fetched(data, sha256_digest(data))


# ---- classic repositories -------------------------------------------------------------------


def _get(request: Request, url: str, limit: int) -> bytes:
    headers = {"User-Agent": "bkgen", "Accept": "*/*"}
    creds = for_repository(request.repo_name)
    if creds is not None and creds.allows(url):
        headers["Authorization"] = creds.header()
    opener = urllib.request.build_opener(_Redirects(creds))
    try:
        http_request = urllib.request.Request(url, headers=headers)
        with opener.open(http_request, timeout=TIMEOUT) as response:
            data: bytes = response.read(limit + 1)
    except urllib.error.HTTPError as err:
        hint = (
            "set BKGEN_REPO_<NAME>_URL and _USERNAME/_PASSWORD" if err.code in (401, 403) else None
        )
        raise _fail(request, f"GET {url}: HTTP {err.code}", hint) from None
    except (urllib.error.URLError, TimeoutError, OSError) as err:
        reason = getattr(err, "reason", err)
        raise _fail(request, f"cannot reach {url}: {reason}") from None
    except ValueError as err:
        raise _fail(request, f"invalid URL {url}: {err}") from None
    if len(data) > limit:
        raise _fail(request, f"{url} is larger than {limit} bytes")
    return data


def _index(request: Request) -> dict[str, Any]:
    url = request.repo_url.rstrip("/") + "/index.yaml"
    raw = _get(request, url, MAX_INDEX_BYTES)
    try:
        index = yaml.load(raw, Loader=SAFE_LOADER)
    except yaml.YAMLError:
        raise _fail(request, "index.yaml is not valid YAML") from None
    if not isinstance(index, dict) or not isinstance(index.get("entries"), dict):
        raise _fail(request, "index.yaml has no entries")
    return index


def _entry(request: Request, index: dict[str, Any]) -> dict[str, Any]:
    versions = index["entries"].get(request.chart)
    if not isinstance(versions, list) or not versions:
        raise _fail(request, f"chart {request.chart} is not in the repository index")
    wanted = request.version.removeprefix("v")
    for entry in versions:
        if isinstance(entry, dict) and str(entry.get("version", "")).removeprefix("v") == wanted:
            return entry
    available = ", ".join(str(e.get("version")) for e in versions[:5] if isinstance(e, dict))
    raise _fail(
        request,
        f"chart {request.chart} has no version {request.version}",
        f"the repository lists {available}" if available else None,
    )


def _fetch_classic(request: Request) -> bytes:
    entry = _entry(request, _index(request))
    urls = entry.get("urls") or []
    if not urls:
        raise _fail(request, f"index entry {request.chart} {request.version} has no urls")
    url = urllib.parse.urljoin(request.repo_url.rstrip("/") + "/", str(urls[0]))
    if urllib.parse.urlsplit(url).scheme not in ("http", "https") or not same_origin(
        url, request.repo_url
    ):
        raise _fail(
            request,
            f"index entry {request.chart} {request.version} points at {url}, not an http(s) "
            "URL on the repository's own host",
        )
    expected = entry.get("digest")
    if not expected:  # checked before downloading: nothing unverifiable enters the cache
        raise _fail(
            request,
            f"index entry {request.chart} {request.version} has no digest",
            "a repository must publish the sha256 of every archive (helm repo index does)",
        )
    data = _get(request, url, MAX_ARCHIVE_BYTES)
    actual = sha256_digest(data).removeprefix("sha256:")
    if str(expected).removeprefix("sha256:") != actual:
        raise _fail(
            request,
            f"digest mismatch for {request.chart}-{request.version}.tgz: index says "
            f"{expected}, download is sha256:{actual}",
        )
    return data


# ---- OCI registries -------------------------------------------------------------------------


def _fetch_oci(request: Request) -> bytes:
    import helm_python

    base = request.repo_url.rstrip("/")
    parts = urllib.parse.urlsplit(base.replace("oci://", "https://", 1))
    host = parts.hostname or ""
    plain = host in _LOOPBACK
    creds = for_repository(request.repo_name)
    if creds is not None and not creds.allows(base):
        creds = None  # bound elsewhere: this registry gets no login
    ref = f"{base}/{request.chart}"
    with tempfile.TemporaryDirectory(prefix="bkgen-pull-") as scratch:
        try:
            client = None
            if creds is not None and creds.username:
                # A private credentials file: the login is not written to the user's Helm config.
                client = helm_python.RegistryClient(
                    plain_http=plain, credentials_file=str(Path(scratch) / "auth.json")
                )
                client.login(parts.netloc, creds.username, creds.password, plain_http=plain)
            try:
                helm_python.pull(
                    ref,
                    client=client,
                    version=request.version,
                    destination=scratch,
                    plain_http=plain,
                )
            finally:
                if client is not None:
                    client.close()
        except helm_python.HelmError as err:
            text = " ".join(str(err).split()).replace(scratch, "<tmp>")
            raise _fail(request, f"OCI pull of {ref}:{request.version} failed: {text}") from None
        archives = sorted(Path(scratch).glob("*.tgz"))
        if len(archives) != 1:
            raise _fail(request, f"OCI pull of {ref} produced no chart archive")
        if archives[0].stat().st_size > MAX_ARCHIVE_BYTES:
            raise _fail(request, f"chart archive is larger than {MAX_ARCHIVE_BYTES} bytes")
        return archives[0].read_bytes()


# ---- what every archive must be ------------------------------------------------------------


def check_archive(request: Request, data: bytes) -> None:
    """A gzip'ed tar with `<chart>/Chart.yaml` naming this chart and version; nothing else
    is accepted into the cache."""
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            member = archive.getmember(f"{request.chart}/Chart.yaml")
            handle = archive.extractfile(member)
            meta = yaml.safe_load(handle.read(1024 * 1024)) if handle else None
    except KeyError:
        raise _fail(request, f"archive has no {request.chart}/Chart.yaml") from None
    except (tarfile.TarError, OSError, EOFError, yaml.YAMLError):
        raise _fail(
            request, "corrupt chart archive (not a gzip'ed tar with a valid Chart.yaml)"
        ) from None
    if not isinstance(meta, dict):
        raise _fail(request, "Chart.yaml in the archive is not a mapping")
    name, version = str(meta.get("name", "")), str(meta.get("version", ""))
    if name != request.chart or version.removeprefix("v") != request.version.removeprefix("v"):
        raise _fail(
            request,
            f"archive holds {name} {version}, expected {request.chart} {request.version}",
        )
