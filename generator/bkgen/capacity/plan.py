"""Capacity plan: what a rendered tree asks of its nodes, per suite, against the platform's table.

The inputs are plain data: the rendered tree on disk (`rendered/<env>/`: its index names each
release's mode, its release folders hold the objects), which suite each release belongs to,
the platform catalog's `capacity:` table and the env's declared `nodes:`. The sums are of
pod templates the tree holds:

- Deployment, StatefulSet, ReplicaSet, ReplicationController: replicas (default 1) × pod;
  a DaemonSet's pod runs on every node, so it is summed per node and counted once per
  declared node; a bare Pod once. Jobs and CronJobs run to completion and are listed, not summed.
- a pod asks for the larger of its containers' sum and its biggest init container (the
  scheduler's rule); a container with limits and no requests requests its limits.
- a release Argo CD renders (`helm-argocd`) is not in the tree: it is listed as not
  counted, never guessed. Workflow releases run to completion: listed too.

The table (seed 002 §3.2.2 node sizes, §5 nodes per suite) is data of the BlueKing catalog;
a platform without one gets sums and no runbook verdict. This module must not render,
load an environment or print.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bkgen.errors import Location, OverlayError, RenderError
from bkgen.kube import quantity
from bkgen.kube.pods import pod_spec
from bkgen.safety import confine
from bkgen.yamlio import load_file

REPLICATED = {"Deployment", "StatefulSet", "ReplicaSet", "ReplicationController"}
TRANSIENT = {"Job", "CronJob"}
COUNTED_MODES = ("templates", "helm-local")
ZERO = Decimal(0)


@dataclass(frozen=True)
class Use:
    """CPU in cores, memory in bytes; exact."""

    cpu_requests: Decimal = ZERO
    cpu_limits: Decimal = ZERO
    memory_requests: Decimal = ZERO
    memory_limits: Decimal = ZERO

    def __add__(self, other: Use) -> Use:
        return Use(
            self.cpu_requests + other.cpu_requests,
            self.cpu_limits + other.cpu_limits,
            self.memory_requests + other.memory_requests,
            self.memory_limits + other.memory_limits,
        )

    def times(self, count: int) -> Use:
        return Use(
            self.cpu_requests * count,
            self.cpu_limits * count,
            self.memory_requests * count,
            self.memory_limits * count,
        )

    @staticmethod
    def larger(a: Use, b: Use) -> Use:
        return Use(
            max(a.cpu_requests, b.cpu_requests),
            max(a.cpu_limits, b.cpu_limits),
            max(a.memory_requests, b.memory_requests),
            max(a.memory_limits, b.memory_limits),
        )


@dataclass(frozen=True)
class ReleaseUse:
    name: str
    suite: str
    mode: str
    use: Use = Use()  # replicated workloads and bare pods
    per_node: Use = Use()  # DaemonSet pods, on every node
    pods: int = 0  # pods summed (DaemonSets once)
    unbounded: tuple[str, ...] = ()  # containers requesting nothing: "Kind/name:container"
    transient: tuple[str, ...] = ()  # Jobs and CronJobs: "Kind/name"

    @property
    def counted(self) -> bool:
        return self.mode in COUNTED_MODES


@dataclass(frozen=True)
class Nodes:
    count: int
    cpu: Decimal
    memory: Decimal
    line: int | None = None


@dataclass(frozen=True)
class Capacity:
    """The platform's runbook table: node sizes and nodes per suite (minimum, recommended)."""

    source: str
    minimum: tuple[Decimal, Decimal]  # cpu cores, memory bytes of one node
    recommended: tuple[Decimal, Decimal]
    suites: Mapping[str, tuple[Decimal, Decimal]]  # suite -> (minimum, recommended) nodes


@dataclass(frozen=True)
class Check:
    level: str  # "ok", "warn", "fail"
    message: str


@dataclass(frozen=True)
class Plan:
    env: str
    suites: tuple[str, ...]
    releases: tuple[ReleaseUse, ...]
    nodes: Nodes | None
    capacity: Capacity | None
    checks: tuple[Check, ...] = field(default_factory=tuple)

    @property
    def verdict(self) -> str:
        levels = [c.level for c in self.checks]
        return next((lvl for lvl in ("fail", "warn") if lvl in levels), "ok")

    def suite_use(self, suite: str) -> tuple[Use, Use]:
        """(replicated, per node) of the counted releases of a suite."""
        mine = [r for r in self.releases if r.suite == suite and r.counted]
        return sum((r.use for r in mine), Use()), sum((r.per_node for r in mine), Use())

    def total(self) -> Use:
        """Everything counted, DaemonSets once per declared node (once without `nodes:`)."""
        per_node_count = self.nodes.count if self.nodes else 1
        return sum(
            (r.use + r.per_node.times(per_node_count) for r in self.releases if r.counted), Use()
        )


def read_nodes(declared: Mapping[str, Any], shown: str, line: int | None) -> Nodes | None:
    """env.yaml `nodes:` (its shape schema-checked); the quantities are checked here."""
    if not declared:
        return None
    try:
        return Nodes(
            int(declared["count"]),
            quantity.cpu(declared["cpu"]),
            quantity.memory(declared["memory"]),
            line,
        )
    except quantity.QuantityError as err:
        raise OverlayError(f"nodes: {err}", location=Location(shown, line)) from None


def read_capacity(table: Mapping[str, Any]) -> Capacity | None:
    """The catalog's `capacity:` (schema-checked); None for a platform without one."""
    if not table:
        return None

    def size(entry: Mapping[str, Any]) -> tuple[Decimal, Decimal]:
        return quantity.cpu(entry["cpu"]), quantity.memory(entry["memory"])

    return Capacity(
        source=str(table["source"]),
        minimum=size(table["node"]["minimum"]),
        recommended=size(table["node"]["recommended"]),
        suites={
            str(k): (Decimal(str(v["minimum"])), Decimal(str(v["recommended"])))
            for k, v in (table.get("suites") or {}).items()
        },
    )


def container_use(container: Mapping[str, Any]) -> tuple[Use, bool]:
    """(use, requests anything) of one container; requests default to limits."""
    resources = container.get("resources") or {}
    requests = resources.get("requests") or {}
    limits = resources.get("limits") or {}

    def amount(kind: str, parse: Any, source: Mapping[str, Any]) -> Decimal:
        value = source.get(kind)
        return ZERO if value is None else Decimal(parse(value))

    cpu_lim = amount("cpu", quantity.cpu, limits)
    mem_lim = amount("memory", quantity.memory, limits)
    cpu_req = amount("cpu", quantity.cpu, requests) if "cpu" in requests else cpu_lim
    mem_req = amount("memory", quantity.memory, requests) if "memory" in requests else mem_lim
    return Use(cpu_req, cpu_lim, mem_req, mem_lim), bool(cpu_req or mem_req)


def pod_use(pod: Mapping[str, Any], label: str) -> tuple[Use, list[str]]:
    """(use, unbounded containers) of a pod spec: max(sum of containers, largest init)."""
    total, init, unbounded = Use(), Use(), []
    for key in ("containers", "initContainers"):
        for container in pod.get(key) or []:
            if not isinstance(container, Mapping):
                continue
            use, bounded = container_use(container)
            if key == "containers":
                total += use
                if not bounded:
                    unbounded.append(f"{label}:{container.get('name', '?')}")
            else:
                init = Use.larger(init, use)
    return Use.larger(total, init), unbounded


def release_use(
    name: str, suite: str, mode: str, objects: Sequence[Mapping[str, Any]]
) -> ReleaseUse:
    """What one release's objects ask for (nothing for a mode whose objects are not here)."""
    if mode not in COUNTED_MODES:
        return ReleaseUse(name, suite, mode)
    use, per_node, pods = Use(), Use(), 0
    unbounded: list[str] = []
    transient: list[str] = []
    for doc in objects:
        kind = str(doc.get("kind", ""))
        label = f"{kind}/{(doc.get('metadata') or {}).get('name', '?')}"
        if kind in TRANSIENT:
            transient.append(label)
            continue
        found = pod_spec(doc)
        if found is None:
            continue
        one, empty = pod_use(found[1], label)
        unbounded.extend(empty)
        if kind == "DaemonSet":
            per_node += one
            pods += 1
            continue
        replicas = int((doc.get("spec") or {}).get("replicas", 1)) if kind in REPLICATED else 1
        use += one.times(replicas)
        pods += replicas
    return ReleaseUse(
        name, suite, mode, use, per_node, pods, tuple(sorted(unbounded)), tuple(sorted(transient))
    )


def read_tree(tree: Path, root: Path, suites: Mapping[str, str]) -> tuple[ReleaseUse, ...]:
    """Every release of a rendered tree; `suites` maps release -> suite (the env's catalog)."""
    index_path = tree / "index.json"
    if not index_path.is_file():
        raise RenderError(
            "no rendered tree to plan from",
            location=Location(index_path.relative_to(root).as_posix()),
            hint=f"run `bkgen render {tree.name}` first",
        )
    index = json.loads(confine.read_text(index_path, root))
    out = []
    for name, entry in sorted(index.get("releases", {}).items()):
        mode = str(entry.get("mode", ""))
        folder = tree / "releases" / name
        objects = []
        if mode in COUNTED_MODES and folder.is_dir():
            for path in sorted(folder.glob("*.yaml")):
                doc = load_file(path, root=root)
                if isinstance(doc, Mapping) and "kind" in doc and "apiVersion" in doc:
                    objects.append(doc)
        try:
            out.append(release_use(name, suites.get(name, "?"), mode, objects))
        except quantity.QuantityError as err:
            raise RenderError(
                f"release '{name}': {err}",
                location=Location((tree / "releases" / name).relative_to(root).as_posix()),
            ) from None
    return tuple(out)


def build(
    env: str,
    suites: Sequence[str],
    releases: Sequence[ReleaseUse],
    nodes: Nodes | None,
    capacity: Capacity | None,
) -> Plan:
    plan = Plan(env, tuple(suites), tuple(releases), nodes, capacity)
    return Plan(env, plan.suites, plan.releases, nodes, capacity, judge(plan))


DAEMON_TEMPLATE = ("nodes", "daemon.json.j2")


def node_settings(
    platform_dir: Path, root: Path, values: Mapping[str, Any], releases: Sequence[str]
) -> dict[str, Any] | None:
    """The platform's daemon.json keys for every node (`<platform>/nodes/daemon.json.j2`).

    The template is the platform's data: BlueKing's names its registry and cache; a
    platform without one has no node settings.
    """
    from bkgen.engines.jinja_sandbox import render_template  # jinja2 only when there is one

    path = platform_dir.joinpath(*DAEMON_TEMPLATE)
    if not confine.exists(path):
        return None
    shown = path.relative_to(root).as_posix()
    context = {"values": values, "env": {"releases": sorted(releases)}}
    text = render_template(confine.read_text(path, root), shown, context)
    try:
        settings = json.loads(text)
    except json.JSONDecodeError as err:
        raise OverlayError(
            f"renders no JSON object: {err.msg}", location=Location(shown, err.lineno)
        ) from None
    if not isinstance(settings, dict):
        raise OverlayError("renders no JSON object", location=Location(shown))
    return settings


def judge(plan: Plan) -> tuple[Check, ...]:
    """The checks behind the verdict, in the order a reader asks them."""
    checks: list[Check] = []
    cap, nodes = plan.capacity, plan.nodes
    if nodes is None:
        checks.append(Check("warn", "no nodes: in env.yaml, so nothing to compare against"))
    if cap is not None and nodes is not None:
        checks.append(_node_size(nodes, cap))
    if cap is not None:
        known = [s for s in plan.suites if s in cap.suites]
        if known:
            low = sum((cap.suites[s][0] for s in known), ZERO)
            rec = sum((cap.suites[s][1] for s in known), ZERO)
            need = (
                f"the runbook's nodes for {' + '.join(known)}: {_n(low)} at least, "
                f"{_n(rec)} recommended"
            )
            if nodes is None:
                checks.append(Check("warn", need))
            elif nodes.count < math.ceil(low):
                checks.append(Check("fail", f"{nodes.count} nodes: {need}"))
            elif nodes.count < math.ceil(rec):
                checks.append(Check("warn", f"{nodes.count} nodes: {need}"))
            else:
                checks.append(Check("ok", f"{nodes.count} nodes: {need}"))
        for suite in plan.suites:
            if suite not in cap.suites:
                checks.append(Check("ok", f"suite {suite}: the runbook gives no node count"))
    if nodes is not None:
        checks.extend(_fits(plan.total(), nodes))
    left = [r.name for r in plan.releases if not r.counted and r.mode == "helm-argocd"]
    if left:
        checks.append(
            Check(
                "warn",
                f"{len(left)} release(s) rendered by Argo CD are not counted: "
                "the sums are a lower bound",
            )
        )
    return tuple(checks)


def _node_size(nodes: Nodes, cap: Capacity) -> Check:
    have = f"node {quantity.format_cpu(nodes.cpu)} CPU / {quantity.format_memory(nodes.memory)}"
    low = f"{quantity.format_cpu(cap.minimum[0])} CPU / {quantity.format_memory(cap.minimum[1])}"
    rec = (
        f"{quantity.format_cpu(cap.recommended[0])} CPU / "
        f"{quantity.format_memory(cap.recommended[1])}"
    )
    if nodes.cpu < cap.minimum[0] or nodes.memory < cap.minimum[1]:
        return Check("fail", f"{have} is below the minimum {low}")
    if nodes.cpu < cap.recommended[0] or nodes.memory < cap.recommended[1]:
        return Check("warn", f"{have} meets the minimum {low}, not the recommended {rec}")
    return Check("ok", f"{have} meets the recommended {rec}")


def _fits(total: Use, nodes: Nodes) -> list[Check]:
    out = []
    for what, asked, have, fmt in (
        ("CPU", total.cpu_requests, nodes.cpu * nodes.count, quantity.format_cpu),
        ("memory", total.memory_requests, nodes.memory * nodes.count, quantity.format_memory),
    ):
        share = (asked / have * 100) if have else Decimal(100)
        text = f"{what} requests {fmt(asked)} of {fmt(have)} ({share:.0f}%)"
        out.append(Check("fail" if asked > have else "ok", text))
    return out


def _n(value: Decimal) -> str:
    return f"{value.normalize():f}"
