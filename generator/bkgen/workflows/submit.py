"""Send a Workflow to an Argo Workflows server through Hera's `WorkflowsService`.

The Workflow is self-contained (the step's templates inlined, `generateName`),
so an ad-hoc run does not depend on the WorkflowTemplate having been synced.
Connection settings come from flags or ARGO_SERVER / ARGO_TOKEN / ARGO_NAMESPACE;
TLS verification is on unless explicitly disabled. Every failure is one line.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from hera.exceptions import HeraException
from hera.workflows.models import Workflow as WorkflowModel
from hera.workflows.models import WorkflowCreateRequest
from hera.workflows.service import WorkflowsService

from bkgen.errors import BkgenError, UsageError


class SubmitError(BkgenError):
    family = "submit error"


@dataclass(frozen=True)
class Server:
    host: str
    token: str | None
    namespace: str
    verify_tls: bool = True


def standalone(template: Mapping[str, Any], namespace: str) -> dict[str, Any]:
    """A Workflow carrying the WorkflowTemplate's spec, for a one-off run."""
    spec = copy.deepcopy(dict(template.get("spec", {})))
    name = str(template["metadata"]["name"])
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "generateName": f"{name}-",
            "namespace": namespace,
            "labels": {"bkgen.io/step": name},
        },
        "spec": spec,
    }


def submit(server: Server, workflow: Mapping[str, Any]) -> str:
    """Create the Workflow; returns the server-assigned name."""
    if not server.host.startswith(("http://", "https://")):
        raise UsageError(f"Argo server must be an http(s) URL, got {server.host!r}")
    token = server.token
    if token and not token.lower().startswith("bearer "):
        token = f"Bearer {token}"
    service = WorkflowsService(
        host=server.host, token=token, verify_ssl=server.verify_tls, namespace=server.namespace
    )
    try:
        request = WorkflowCreateRequest(workflow=WorkflowModel.model_validate(dict(workflow)))
    except ValueError as err:
        raise SubmitError(f"not a valid Workflow: {_first_line(err)}") from None
    try:
        created = service.create_workflow(request, namespace=server.namespace)
    except requests.exceptions.SSLError:
        raise SubmitError(
            f"TLS verification failed for {server.host}",
            hint="fix the certificate, or --insecure-skip-verify",
        ) from None
    except requests.exceptions.ConnectionError:
        raise SubmitError(f"cannot connect to Argo server {server.host}") from None
    except requests.exceptions.Timeout:
        raise SubmitError(f"Argo server {server.host} timed out") from None
    except HeraException as err:
        raise SubmitError(f"Argo server refused the workflow: {_first_line(err)}") from None
    name = created.metadata.name if created.metadata else None
    if not name:
        raise SubmitError("Argo server accepted the request but returned no workflow name")
    return str(name)


def _first_line(err: Exception) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
