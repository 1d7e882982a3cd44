"""`workflows submit` follows the argo CLI's environment: ARGO_SERVER host:port, ARGO_SECURE,
ARGO_INSECURE_SKIP_VERIFY, ARGO_BASE_HREF, ARGO_NAMESPACE, ARGO_TOKEN, ARGO_HTTP1 — checked
against real HTTP(S) servers on 127.0.0.1 that verify what they receive."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.errors import UsageError
from bkgen.workflows.submit import server_url
from tests.workflows.http_handler import JsonHandler

TOKEN = "Bearer v2:s3cret"


class Strict(JsonHandler):
    """Accepts exactly POST {base}/api/v1/workflows/{namespace} with the expected token."""

    expect_path: ClassVar[str] = ""
    seen: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        self.seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
        if self.path != self.expect_path:
            self._reply(404, {"code": 5, "message": f"no route {self.path}"})
            return
        if self.headers.get("Authorization") != TOKEN:
            self._reply(401, {"code": 16, "message": "token not valid"})
            return
        workflow = json.loads(self.rfile.read(int(self.headers["Content-Length"])))["workflow"]
        meta = {**workflow["metadata"], "name": workflow["metadata"]["generateName"] + "xyz"}
        self._reply(200, {**workflow, "metadata": meta})


def _serve(tls: ssl.SSLContext | None) -> Iterator[str]:
    Strict.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Strict)
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def plain() -> Iterator[str]:
    yield from _serve(None)


@pytest.fixture
def secure(tmp_path: Path) -> Iterator[str]:
    if shutil.which("openssl") is None:
        pytest.skip("openssl not installed")
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    yield from _serve(context)


def submit(repo_root: Path, **env: str) -> tuple[int, str]:
    result = CliRunner().invoke(
        cli,
        ["workflows", "submit", "default", "coredns-hosts-list", "--root", str(repo_root)],
        env=env,
    )
    assert "Traceback" not in result.output
    return result.exit_code, result.output


def test_host_port_insecure_http_base_href_namespace_token(plain: str, repo_root: Path) -> None:
    Strict.expect_path = "/argo/api/v1/workflows/ops"
    code, out = submit(
        repo_root,
        ARGO_SERVER=plain,
        ARGO_SECURE="false",
        ARGO_BASE_HREF="/argo/",
        ARGO_NAMESPACE="ops",
        ARGO_TOKEN=TOKEN,
        ARGO_HTTP1="true",
    )
    assert code == 0, out
    assert out == "submitted ops/coredns-hosts-list-xyz\n"
    assert Strict.seen == [{"path": "/argo/api/v1/workflows/ops", "auth": TOKEN}]


def test_secure_is_the_default_and_verifies_certificates(secure: str, repo_root: Path) -> None:
    Strict.expect_path = "/api/v1/workflows/ops"
    env = {"ARGO_SERVER": secure, "ARGO_NAMESPACE": "ops", "ARGO_TOKEN": TOKEN}
    code, out = submit(repo_root, **env)
    assert code == 1 and "TLS verification failed" in out and len(out.strip().splitlines()) == 1
    code, out = submit(repo_root, **env, ARGO_INSECURE_SKIP_VERIFY="true")
    assert code == 0, out
    assert Strict.seen[-1] == {"path": "/api/v1/workflows/ops", "auth": TOKEN}


def test_plain_server_with_secure_default_fails_in_one_line(plain: str, repo_root: Path) -> None:
    code, out = submit(repo_root, ARGO_SERVER=plain, ARGO_TOKEN=TOKEN)
    assert code == 1 and len(out.strip().splitlines()) == 1 and Strict.seen == []


@pytest.mark.parametrize(
    ("env", "needle"),
    [
        ({"ARGO_SERVER": "host:1", "ARGO_SECURE": "maybe"}, "'maybe' is not a valid boolean"),
        ({"ARGO_SERVER": "ftp://host:1"}, "host:port"),
        ({"ARGO_SERVER": "with space:1"}, "host:port"),
    ],
)
def test_bad_settings_are_usage_errors(env: dict[str, str], needle: str, repo_root: Path) -> None:
    code, out = submit(repo_root, **env)
    assert code == 2 and needle in out


def test_server_url() -> None:
    assert server_url("argo.example.com:2746") == "https://argo.example.com:2746/"
    assert server_url("argo:2746", secure=False) == "http://argo:2746/"
    assert server_url("argo:2746", base_href="/argo/") == "https://argo:2746/argo/"
    assert server_url("http://argo:2746/x", base_href="y") == "http://argo:2746/x/y/"
    with pytest.raises(UsageError):
        server_url("")
