"""Load step modules from `argo/` and compile them into manifests for one environment.

`argo/` is project code next to the overlays (reviewed like them), loaded by path from the
directory the caller names (the project, or a trusted ref's copy of `argo/`: see
`gitops/trusted.py`), so an installed bkgen renders the project it is pointed at.
A module exposes `DESCRIPTION`, `RULES` (RBAC it needs) and `build(ctx)` returning
a Hera WorkflowTemplate.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from bkgen.errors import BkgenError, Location, RenderError, UsageError
from bkgen.render import identity
from bkgen.workflows.api import EXECUTOR_RULE, Rule, StepContext, StepSpec
from bkgen.workflows.script_text import refuse_spliced

PACKAGE = "bkgen_argo"

# What Argo Workflows does with a finished run. Argo CD tracks the Workflow: deleting a
# successful run (secondsAfterSuccess/AfterCompletion) makes self-heal create it again,
# so the step would run again. A failed run is deleted after FAILED_RUN_TTL seconds (a
# module may set its own `FAILED_RUN_TTL`) so self-heal creates the next attempt
# instead of leaving the Application Degraded for good. Not inputs of the step: kept
# out of the run's name, so changing them does not run every step again.
LIFECYCLE_KEYS = ("ttlStrategy", "podGC")
FAILED_RUN_TTL = 300
FORBIDDEN_TTL = ("secondsAfterSuccess", "secondsAfterCompletion")


def _package(root: Path) -> str:
    """Import `argo/` as a package (once per root and content) so step modules can share
    `_lib`."""
    argo = root / "argo"
    init = argo / "__init__.py"
    if not init.is_file():
        raise RenderError(
            "no argo/__init__.py: workflow steps cannot be loaded", location=Location("argo")
        )
    # By place and content: a process that renders again after argo/ changed (a long-lived
    # one, the compiling process) imports the new steps, never serves the old ones.
    key = f"{PACKAGE}_{identity.python_tree(argo, str(argo.resolve()).encode())[:16]}"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(
            key, init, submodule_search_locations=[str(argo)]
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[key] = module
        spec.loader.exec_module(module)
    return key


def list_steps(root: Path) -> list[str]:
    argo = root / "argo"
    if not argo.is_dir():
        return []
    return sorted(p.stem for p in argo.glob("*.py") if not p.stem.startswith("_"))


def load_module(root: Path, module: str) -> ModuleType:
    """Any module of `argo/`, imported as a package member."""
    return importlib.import_module(f"{_package(root)}.{module}")


def load_step(root: Path, module: str) -> ModuleType:
    if module not in list_steps(root):
        raise UsageError(
            f"no workflow step module argo/{module}.py",
            hint=f"steps: {', '.join(list_steps(root))}",
        )
    loaded = load_module(root, module)
    for attr in ("DESCRIPTION", "RULES", "build"):
        if not hasattr(loaded, attr):
            raise RenderError(
                f"argo/{module}.py does not define {attr}", location=Location(f"argo/{module}.py")
            )
    return loaded


def _strip_none(node: Any) -> Any:
    if isinstance(node, Mapping):
        return {k: _strip_none(v) for k, v in node.items() if v is not None}
    if isinstance(node, list):
        return [_strip_none(v) for v in node]
    return node


def _rbac(ctx: StepContext, rules: Sequence[Rule]) -> list[dict[str, Any]]:
    """ServiceAccount, and per namespace one Role + RoleBinding with exactly `rules`."""
    sa = ctx.service_account
    out: list[dict[str, Any]] = [
        {
            "apiVersion": "v1",
            "kind": "ServiceAccount",
            "metadata": {"name": sa, "namespace": ctx.namespace},
        },
    ]
    by_ns: dict[str, list[Rule]] = {}
    for rule in [EXECUTOR_RULE, *rules]:
        by_ns.setdefault(rule.namespace or ctx.namespace, []).append(rule)
    for namespace in sorted(by_ns):
        role_rules = []
        for rule in by_ns[namespace]:
            item: dict[str, Any] = {
                "apiGroups": list(rule.api_groups),
                "resources": list(rule.resources),
                "verbs": list(rule.verbs),
            }
            if rule.resource_names:
                item["resourceNames"] = list(rule.resource_names)
            role_rules.append(item)
        meta = {"name": sa, "namespace": namespace}
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "Role",
                "metadata": meta,
                "rules": role_rules,
            }
        )
        out.append(
            {
                "apiVersion": "rbac.authorization.k8s.io/v1",
                "kind": "RoleBinding",
                "metadata": meta,
                "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "Role", "name": sa},
                "subjects": [{"kind": "ServiceAccount", "name": sa, "namespace": ctx.namespace}],
            }
        )
    return out


def _secret_refs(node: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(node, Mapping):
        ref = node.get("secretKeyRef")
        if isinstance(ref, Mapping) and isinstance(ref.get("name"), str):
            found.add(ref["name"])
        for value in node.values():
            found |= _secret_refs(value)
    elif isinstance(node, list):
        for value in node:
            found |= _secret_refs(value)
    return found


@contextmanager
def _step_code(module: str, doing: str) -> Iterator[None]:
    """Run a step module's own code: a bug there is one error naming the module (the same
    whether it runs here or in the compiling process, `workflows.ahead`), never a traceback."""
    try:
        yield
    except BkgenError:
        raise
    except SyntaxError as err:  # its own text names the file by its path on this machine
        raise RenderError(
            f"{doing} failed: {type(err).__name__}: {err.msg}",
            location=Location(f"argo/{module}.py", err.lineno),
        ) from None
    except Exception as err:
        raise RenderError(
            f"{doing} failed: {type(err).__name__}: {err}",
            location=Location(f"argo/{module}.py"),
        ) from None


def compile_template(root: Path, ctx: StepContext) -> tuple[dict[str, Any], ModuleType]:
    with _step_code(ctx.step.module, "importing the step"):
        module = load_step(root, ctx.step.module)
    with _step_code(ctx.step.module, "building the workflow"):
        template = module.build(ctx)
        body = _strip_none(template.to_dict())
    refuse_spliced(body, ctx.step.module)
    body["metadata"] = {**body.get("metadata", {}), "name": ctx.name, "namespace": ctx.namespace}
    annotations = body["metadata"].setdefault("annotations", {})
    annotations["workflows.argoproj.io/description"] = " ".join(str(module.DESCRIPTION).split())
    external = sorted(_secret_refs(body))
    if external:
        # Created in-cluster by charts Argo CD renders or by other steps, never in git.
        annotations["bkgen.io/external-refs"] = ",".join(f"Secret/{n}" for n in external)
    spec = body.setdefault("spec", {})
    spec["serviceAccountName"] = ctx.service_account
    spec.setdefault("activeDeadlineSeconds", 3600)
    _lifecycle(spec, module, ctx)
    return body, module


def _lifecycle(spec: dict[str, Any], module: ModuleType, ctx: StepContext) -> None:
    """Keep successful runs (exactly once per input hash), replace failed ones, GC pods."""
    ttl = dict(spec.get("ttlStrategy") or {})
    bad = [k for k in FORBIDDEN_TTL if k in ttl]
    if bad:
        raise RenderError(
            f"ttlStrategy.{bad[0]} would delete a run Argo CD tracks, and self-heal would "
            "run the step again",
            location=Location(f"argo/{ctx.step.module}.py"),
            hint="set only secondsAfterFailure (or FAILED_RUN_TTL) in a step module",
        )
    failed = int(getattr(module, "FAILED_RUN_TTL", FAILED_RUN_TTL))
    spec["ttlStrategy"] = {"secondsAfterFailure": failed, **ttl}
    spec.setdefault("podGC", {"strategy": "OnPodSuccess"})


def workflow_for(template: Mapping[str, Any], ctx: StepContext) -> dict[str, Any]:
    """A Workflow running `template`; its name changes exactly when its inputs change."""
    template_spec = template.get("spec", {})
    arguments = template_spec.get("arguments", {})
    inputs = {
        **template,
        "spec": {k: v for k, v in template_spec.items() if k not in LIFECYCLE_KEYS},
    }
    digest = hashlib.sha256(
        json.dumps({"template": inputs, "arguments": arguments}, sort_keys=True).encode()
    ).hexdigest()[:8]
    lifecycle = {k: template_spec[k] for k in LIFECYCLE_KEYS if k in template_spec}
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Workflow",
        "metadata": {
            "name": f"{ctx.name}-{digest}",
            "namespace": ctx.namespace,
        },
        "spec": {
            "workflowTemplateRef": {"name": ctx.name},
            "arguments": arguments,
            "serviceAccountName": ctx.service_account,
            # explicit, not left to the template merge: this is the object Argo CD tracks
            **lifecycle,
        },
    }


def render_step(
    root: Path,
    step: StepSpec,
    values: Mapping[str, Any],
    env: str,
    extra: Mapping[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """All manifests of one step for one environment; `extra` carries catalog facts
    (e.g. `domains`, every BlueKing host name of the env) that are not values."""
    ctx = StepContext(step=step, values=values, env=env, extra=dict(extra or {}))
    template, module = compile_template(root, ctx)
    with _step_code(step.module, "listing the step's RULES"):
        rules: Sequence[Rule] = module.RULES(ctx) if callable(module.RULES) else module.RULES
    return [*_rbac(ctx, rules), template, workflow_for(template, ctx)]
