"""Render, validate, diff, check and the inspect commands never touch the network.

Three independent guards, each of which fails loudly on the first attempt:
- an audit hook (loaded through sitecustomize) that aborts the process on any Python
  socket connect or name lookup;
- HTTP(S)_PROXY/ALL_PROXY pointing at a recording server on 127.0.0.1, which catches the
  native validators' HTTP clients (they honour the proxy variables and skip DNS then);
- strace, where the kernel lets us trace, which sees every connect() of every thread and
  child, whatever language made it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from bkgen.kube.compile_schema import (
    RemoteSchemaRefused,
    compile_native,
    compile_python,
    iter_python_errors,
)
from tests.conftest import REPO

BKGEN = [sys.executable, "-m", "bkgen"]

COMMANDS = [
    ["render", "default"],
    ["validate", "default"],
    ["check", "default"],
    ["diff", "default", "--base", "HEAD"],
    ["explain", "default", "bk-cmdb", "global.imageRegistry"],
    ["catalog", "default"],
    ["graph", "default"],
    ["hosts", "default"],
]

GUARD = """\
import os, sys
_log = os.environ["BKGEN_NET_LOG"]
_EVENTS = {"socket.connect", "socket.getaddrinfo", "socket.gethostbyname",
           "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg"}
def _hook(event, args):
    if event in _EVENTS:
        if event == "socket.connect" and getattr(args[0], "family", None) == 1:
            return  # AF_UNIX: local IPC, not the network
        with open(_log, "a") as fh:
            fh.write(f"{event} {args[1:]!r}\\n")
        raise RuntimeError(f"network access in an offline command: {event}")
sys.addaudithook(_hook)
"""


class Recorder:
    """A TCP server that writes down every connection it gets."""

    def __init__(self) -> None:
        self.server = socket.socket()
        self.server.bind(("127.0.0.1", 0))
        self.server.listen(16)
        self.port = self.server.getsockname()[1]
        self.seen: list[bytes] = []
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.server.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(1)
                try:
                    self.seen.append(conn.recv(4096))
                except OSError:
                    self.seen.append(b"")

    def close(self) -> None:
        self.server.close()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    root = tmp_path_factory.mktemp("offline") / "project"
    for part in ("overlays", "schemas", "argo", "rendered"):
        shutil.copytree(
            REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__", ".*")
        )
    env = {**_clean_env(), "GIT_CONFIG_GLOBAL": os.devnull, "GIT_CONFIG_NOSYSTEM": "1"}
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "init"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, env=env)
    yield root


def _clean_env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR", "SYSTEMROOT")
    return {k: v for k, v in os.environ.items() if k in keep}


def _guarded_env(tmp: Path, proxy_port: int) -> dict[str, str]:
    site = tmp / "site"
    site.mkdir(exist_ok=True)
    (site / "sitecustomize.py").write_text(GUARD)
    proxy = f"http://127.0.0.1:{proxy_port}"
    env = _clean_env()
    env.update(
        {
            "PYTHONPATH": str(site),
            "BKGEN_NET_LOG": str(tmp / "net.log"),
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            **dict.fromkeys(("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"), proxy),
            **{k.lower(): proxy for k in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")},
            "NO_PROXY": "",
            "no_proxy": "",
        }
    )
    return env


@pytest.mark.parametrize("args", COMMANDS, ids=lambda a: a[0])
def test_command_makes_no_network_access(sandbox: Path, tmp_path: Path, args: list[str]) -> None:
    recorder = Recorder()
    try:
        env = _guarded_env(tmp_path, recorder.port)
        result = subprocess.run(
            [*BKGEN, *args, "--root", str(sandbox)],
            cwd=sandbox,
            env=env,
            capture_output=True,
            check=False,
            text=True,
            timeout=120,
        )
    finally:
        recorder.close()
    log = tmp_path / "net.log"
    assert not log.exists(), log.read_text()
    assert recorder.seen == []
    assert "network access" not in result.stderr
    assert result.returncode == 0, result.stdout + result.stderr


def _can_strace() -> bool:
    if shutil.which("strace") is None:
        return False
    probe = subprocess.run(
        ["strace", "-f", "-o", os.devnull, "true"], capture_output=True, check=False
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_strace(), reason="strace unavailable or ptrace not permitted")
def test_render_and_validate_open_no_inet_socket(sandbox: Path, tmp_path: Path) -> None:
    """The kernel's view: no connect() to an IPv4/IPv6 address from any thread or child."""
    for args in (["render", "default"], ["validate", "default"]):
        trace = tmp_path / f"{args[0]}.trace"
        result = subprocess.run(
            [
                "strace",
                "-f",
                "-qq",
                "-e",
                "trace=connect",
                "-o",
                str(trace),
                *BKGEN,
                *args,
                "--root",
                str(sandbox),
            ],
            cwd=sandbox,
            env={**_clean_env(), "GIT_CONFIG_GLOBAL": os.devnull},
            capture_output=True,
            check=False,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        inet = [line for line in trace.read_text().splitlines() if re.search(r"AF_INET6?\b", line)]
        assert inet == []


# ---- schemas that point outside what is bundled -------------------------------------------


def test_native_compile_refuses_remote_ref_without_fetching() -> None:
    schema = {"type": "object", "properties": {"a": {"$ref": "https://example.invalid/s.json"}}}
    with pytest.raises(RemoteSchemaRefused) as err:
        compile_native(schema, "schemas/crds/x/thing-v1.json")
    assert "https://example.invalid/s.json" in str(err.value)
    assert "schemas/crds/x/thing-v1.json" in str(err.value)


def test_unknown_metaschema_is_refused_not_fetched() -> None:
    with pytest.raises(RemoteSchemaRefused, match="unknown metaschema"):
        compile_native({"$schema": "https://example.invalid/meta#"}, "x.json")


def test_kubernetes_latest_metaschema_compiles_offline() -> None:
    validator = compile_native({"$schema": "http://json-schema.org/schema#", "type": "object"}, "k")
    assert validator.is_valid({}) and not validator.is_valid([])


def test_python_validator_refuses_remote_ref() -> None:
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "properties": {"a": {"$ref": "https://example.invalid/s.json"}},
    }
    validator = compile_python(schema, "schemas/overlay/x.schema.json")
    with pytest.raises(RemoteSchemaRefused, match=r"example\.invalid"):
        iter_python_errors(validator, {"a": 1})


def test_validate_reports_a_crd_schema_with_remote_ref(tmp_path: Path) -> None:
    crds = tmp_path / "crds" / "example.com"
    crds.mkdir(parents=True)
    (crds / "widget-v1.json").write_text(
        json.dumps({"type": "object", "properties": {"spec": {"$ref": "http://example.invalid/w"}}})
    )
    manifest = tmp_path / "w.yaml"
    manifest.write_text(
        textwrap.dedent(
            """\
            apiVersion: example.com/v1
            kind: Widget
            metadata: {name: w}
            spec: {}
            """
        )
    )
    result = subprocess.run(
        [
            *BKGEN,
            "validate",
            str(manifest),
            "--schema-location",
            str(
                tmp_path
                / "crds"
                / "{{ .Group }}"
                / "{{ .ResourceKind }}-{{ .ResourceAPIVersion }}.json"
            ),
        ],
        capture_output=True,
        check=False,
        text=True,
        env={**_clean_env()},
        timeout=60,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "http://example.invalid/w" in result.stdout
    assert "never fetches" in result.stdout
    assert "Traceback" not in result.stderr
