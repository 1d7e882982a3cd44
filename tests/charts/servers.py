"""Real chart servers on 127.0.0.1: a classic Helm repository and an OCI registry.

Both record every request, so a test can prove that a warm cache makes no call, and both
can be told to misbehave (require auth, serve other bytes, drop a file).
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import helm_python


class _Server:
    def __init__(self) -> None:
        self.requests: list[tuple[str, str]] = []
        self.auth: str | None = None  # "user:password" required when set
        self.overrides: dict[str, bytes | int] = {}  # path -> body, or HTTP status
        self.redirects: dict[str, str] = {}  # path -> Location of a 302
        self.authorization: list[tuple[str, str | None]] = []  # (path, Authorization header)
        self.httpd: ThreadingHTTPServer | None = None

    @property
    def port(self) -> int:
        assert self.httpd is not None
        return self.httpd.server_address[1]

    def handle(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        raise NotImplementedError

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def _reply(self) -> None:
                server.requests.append((self.command, self.path))
                server.authorization.append((self.path, self.headers.get("Authorization")))
                if server.auth is not None:
                    expected = "Basic " + base64.b64encode(server.auth.encode()).decode()
                    if self.headers.get("Authorization") != expected:
                        self._send(401, b"unauthorized", {"WWW-Authenticate": 'Basic realm="x"'})
                        return
                if self.path in server.redirects:
                    self._send(302, b"", {"Location": server.redirects[self.path]})
                    return
                override = server.overrides.get(self.path)
                if isinstance(override, int):
                    self._send(override, b"")
                    return
                if isinstance(override, bytes):
                    self._send(200, override, {})
                    return
                code, body, headers = server.handle(self.path)
                self._send(code, body, headers)

            def _send(self, code: int, body: bytes, headers: dict[str, str] | None = None) -> None:
                self.send_response(code)
                for key, value in (headers or {}).items():
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            do_GET = _reply
            do_HEAD = _reply

            def log_message(self, *args: Any) -> None:
                return

        return Handler

    @contextmanager
    def running(self) -> Iterator[Any]:
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self.httpd.shutdown()
            self.httpd.server_close()


class HelmRepository(_Server):
    """Serves `directory` (packaged charts) plus an index.yaml made by the Helm engine."""

    def __init__(self, directory: Path, prefix: str = "/charts") -> None:
        super().__init__()
        self.directory = directory
        self.prefix = prefix

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.prefix}"

    def reindex(self) -> None:
        helm_python.repo_index_generate(self.directory)

    def handle(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        if not path.startswith(self.prefix + "/"):
            return 404, b"not found", {}
        file = self.directory / path[len(self.prefix) + 1 :]
        if "/" in path[len(self.prefix) + 1 :] or not file.is_file():
            return 404, b"not found", {}
        return 200, file.read_bytes(), {}


class OCIRegistry(_Server):
    """The read side of the OCI distribution API, enough for `helm pull oci://…`."""

    def __init__(self) -> None:
        super().__init__()
        self.manifests: dict[tuple[str, str], bytes] = {}  # (repo, tag or digest) -> manifest
        self.blobs: dict[str, bytes] = {}

    def url(self, namespace: str = "charts") -> str:
        return f"oci://127.0.0.1:{self.port}/{namespace}"

    def push(self, archive: Path, namespace: str = "charts") -> str:
        data = archive.read_bytes()
        with helm_python.Chart.load_archive(data) as chart:
            name, version = chart.name, chart.version
        layer = "sha256:" + hashlib.sha256(data).hexdigest()
        config = json.dumps({"name": name, "version": version, "apiVersion": "v2"}).encode()
        config_digest = "sha256:" + hashlib.sha256(config).hexdigest()
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.cncf.helm.config.v1+json",
                    "digest": config_digest,
                    "size": len(config),
                },
                "layers": [
                    {
                        "mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip",
                        "digest": layer,
                        "size": len(data),
                    }
                ],
            }
        ).encode()
        digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        repo = f"{namespace}/{name}"
        self.manifests[(repo, version)] = manifest
        self.manifests[(repo, digest)] = manifest
        self.blobs[layer] = data
        self.blobs[config_digest] = config
        return layer

    def handle(self, path: str) -> tuple[int, bytes, dict[str, str]]:
        if path == "/v2/":
            return 200, b"{}", {"Content-Type": "application/json"}
        if not path.startswith("/v2/"):
            return 404, b"{}", {}
        rest = path[4:]
        if "/manifests/" in rest:
            repo, ref = rest.split("/manifests/", 1)
            manifest = self.manifests.get((repo, ref))
            if manifest is None:
                return 404, b'{"errors":[{"code":"MANIFEST_UNKNOWN"}]}', {}
            digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
            return (
                200,
                manifest,
                {
                    "Content-Type": "application/vnd.oci.image.manifest.v1+json",
                    "Docker-Content-Digest": digest,
                },
            )
        if "/blobs/" in rest:
            _, digest = rest.split("/blobs/", 1)
            blob = self.blobs.get(digest)
            if blob is None:
                return 404, b'{"errors":[{"code":"BLOB_UNKNOWN"}]}', {}
            return 200, blob, {"Docker-Content-Digest": digest}
        return 404, b"{}", {}
