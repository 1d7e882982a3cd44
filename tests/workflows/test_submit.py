"""`workflows submit` against a real HTTP server on 127.0.0.1 (`workflows fleet`: test_fleet_*)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any, ClassVar

import pytest
from click.testing import CliRunner, Result

from bkgen.cli import cli
from bkgen.workflows.submit import Server, SubmitError, submit
from tests.workflows.http_handler import JsonHandler

TOKEN = "s3cret-token"


class ArgoServer(JsonHandler):
    """The subset of the Argo server API bkgen uses: create a workflow."""

    received: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        parts = self.path.strip("/").split("/")
        if parts[:3] != ["api", "v1", "workflows"] or len(parts) != 4:
            self._reply(404, {"code": 5, "message": "not found"})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            self._reply(401, {"code": 16, "message": "token not valid"})
            return
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.received.append(
            {"namespace": parts[3], "body": body, "content_type": self.headers.get("Content-Type")}
        )
        workflow = body["workflow"]
        if not workflow.get("spec", {}).get("templates"):
            self._reply(400, {"code": 3, "message": "templates required"})
            return
        name = workflow["metadata"]["generateName"] + "abcde"
        self._reply(
            200,
            {**workflow, "metadata": {**workflow["metadata"], "name": name, "namespace": parts[3]}},
        )


@pytest.fixture
def argo() -> Iterator[str]:
    ArgoServer.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), ArgoServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def _submit_es_step(argo: str, token: str, repo_root: Path) -> Result:
    """`bkgen workflows submit prod es-auto-create-index` against the test server."""
    return CliRunner().invoke(
        cli,
        [
            *("workflows", "submit", "prod", "es-auto-create-index"),
            *("--host", argo, "--token", token, "--root", str(repo_root)),
        ],
    )


def test_submit_step_sends_a_self_contained_workflow(argo: str, repo_root: Path) -> None:
    result = _submit_es_step(argo, TOKEN, repo_root)
    assert result.exit_code == 0, result.output
    assert result.output == "submitted blueking/es-auto-create-index-abcde\n"
    [request] = ArgoServer.received
    workflow = request["body"]["workflow"]
    assert request["namespace"] == "blueking" and request["content_type"] == "application/json"
    assert workflow["metadata"]["generateName"] == "es-auto-create-index-"
    assert workflow["spec"]["serviceAccountName"] == "bkgen-step-es-auto-create-index"
    assert "_cluster/settings" in json.dumps(workflow["spec"]["templates"])


def test_submit_env_variables_and_unwired_step(argo: str, repo_root: Path) -> None:
    result = CliRunner().invoke(
        cli,
        ["workflows", "submit", "default", "coredns-hosts-list", "--root", str(repo_root)],
        env={"ARGO_SERVER": argo, "ARGO_TOKEN": TOKEN, "ARGO_NAMESPACE": "ops"},
    )
    assert result.exit_code == 0, result.output
    assert ArgoServer.received[0]["namespace"] == "ops"


def test_submit_errors_are_one_line(argo: str, repo_root: Path) -> None:
    result = _submit_es_step(argo, "wrong", repo_root)
    assert result.exit_code == 1 and "refused the workflow" in result.output
    assert "Traceback" not in result.output
    with pytest.raises(SubmitError, match="cannot connect"):
        submit(
            Server("http://127.0.0.1:9", TOKEN, "x"),
            {
                "apiVersion": "argoproj.io/v1alpha1",
                "kind": "Workflow",
                "metadata": {"generateName": "a-"},
                "spec": {"templates": [{"name": "m"}]},
            },
        )
    bad = CliRunner().invoke(
        cli, ["workflows", "submit", "prod", "nope", "--host", argo, "--root", str(repo_root)]
    )
    assert bad.exit_code == 2 and "no workflow step 'nope'" in bad.output
