"""What a step module in `argo/` sees and declares; the only bkgen API argo/ imports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from bkgen.errors import RenderError


@dataclass(frozen=True)
class StepSpec:
    """A catalog entry of kind `workflow`, resolved for one environment."""

    name: str
    module: str
    params: Mapping[str, Any]
    namespace: str
    needs: tuple[str, ...]
    suite: str


@dataclass(frozen=True)
class Rule:
    """One RBAC rule a step needs; `namespace` None means the step's own namespace."""

    resources: tuple[str, ...]
    verbs: tuple[str, ...]
    api_groups: tuple[str, ...] = ("",)
    namespace: str | None = None
    resource_names: tuple[str, ...] = ()


# Argo Workflows >= 3.4 executors report outputs through this resource.
EXECUTOR_RULE = Rule(("workflowtaskresults",), ("create", "patch"), ("argoproj.io",))


@dataclass(frozen=True)
class StepContext:
    """Inputs of a step build: the step, the env's global values, typed accessors."""

    step: StepSpec
    values: Mapping[str, Any]
    env: str
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def name(self) -> str:
        return self.step.name

    @property
    def namespace(self) -> str:
        return self.step.namespace

    @property
    def service_account(self) -> str:
        return f"bkgen-step-{self.step.name}"

    def value(self, dotted: str) -> Any:
        """A global value; a missing key is a clear render error naming the step."""
        node: Any = self.values
        for part in dotted.split("."):
            if not isinstance(node, Mapping) or part not in node:
                raise RenderError(
                    f"workflow step '{self.step.name}' needs values.{dotted}, which is not set"
                )
            node = node[part]
        return node

    def param(self, key: str, default: Any = None) -> Any:
        if key in self.step.params:
            return self.step.params[key]
        if default is None:
            raise RenderError(f"workflow step '{self.step.name}' needs params.{key} in the catalog")
        return default

    @property
    def image(self) -> str:
        return str(self.value("workflows.image"))

    @property
    def bk_domain(self) -> str:
        return str(self.value("domain.bkDomain"))

    @property
    def scheme(self) -> str:
        return str(self.value("domain.bkDomainScheme"))

    def svc(self, name: str, namespace: str | None = None) -> str:
        """In-cluster DNS name of a Service."""
        return f"{name}.{namespace or self.namespace}.svc.cluster.local"
