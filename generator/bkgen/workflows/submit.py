"""Send a Workflow to an Argo Workflows server through Hera's `WorkflowsService`.

The Workflow is self-contained (the step's templates inlined, `generateName`),
so an ad-hoc run does not depend on the WorkflowTemplate having been synced.
Connection settings follow the argo CLI, from flags or its environment variables:
ARGO_SERVER is `host:port` (no scheme), ARGO_SECURE (default true) picks https,
ARGO_INSECURE_SKIP_VERIFY turns TLS verification off, ARGO_BASE_HREF is the path the
server is mounted under, ARGO_NAMESPACE and ARGO_TOKEN as usual. bkgen always speaks the
server's HTTP API (what the argo CLI does with ARGO_HTTP1=true). Every failure is one line.
"""

from __future__ import annotations

import copy
import warnings
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import requests
from hera.exceptions import HeraException
from hera.workflows.models import Workflow as WorkflowModel
from hera.workflows.models import WorkflowCreateRequest
from hera.workflows.service import WorkflowsService
from urllib3.exceptions import InsecureRequestWarning

from bkgen.errors import BkgenError, UsageError


class SubmitError(BkgenError):
    family = "submit error"


@dataclass(frozen=True)
class Server:
    host: str  # a URL: scheme, host:port and base href
    token: str | None
    namespace: str
    verify_tls: bool = True


def server_url(argo_server: str, secure: bool = True, base_href: str = "") -> str:
    """The base URL for ARGO_SERVER (`host:port`, as the argo CLI takes it) and ARGO_SECURE.

    A value that already carries a scheme is taken as it is (older bkgen took a URL).
    The result ends with "/", ready for the API paths to be joined to it.
    """
    text = argo_server.strip()
    if not text or any(c.isspace() for c in text):
        raise UsageError(f"Argo server must be host:port, got {argo_server!r}")
    if "://" in text:
        scheme, _, rest = text.partition("://")
        if scheme not in ("http", "https"):
            raise UsageError(f"Argo server must be host:port or an http(s) URL, got {text!r}")
    else:
        scheme, rest = ("https" if secure else "http"), text
    host, _, path = rest.partition("/")
    if not host:
        raise UsageError(f"Argo server must be host:port, got {argo_server!r}")
    href = "/".join(p for p in (path.strip("/"), base_href.strip("/")) if p)
    # Ends with "/": the API paths are joined to it (urljoin drops a last segment without it).
    return f"{scheme}://{host}/" + (f"{href}/" if href else "")


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
        with warnings.catch_warnings():
            # The user turned verification off on purpose (ARGO_INSECURE_SKIP_VERIFY): once is
            # enough, no per-request warning.
            warnings.simplefilter("ignore", InsecureRequestWarning)
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
