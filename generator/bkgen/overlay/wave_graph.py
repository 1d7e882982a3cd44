"""The release dependency graph as Mermaid or Graphviz dot, grouped by wave."""

from __future__ import annotations

from bkgen.overlay.waves import Plan


def _node_id(name: str) -> str:
    return name.replace("-", "_")


def _by_wave(plan: Plan) -> dict[int, list[str]]:
    waves: dict[int, list[str]] = {}
    for release in plan.releases:
        waves.setdefault(plan.waves[release.name], []).append(release.name)
    return dict(sorted(waves.items()))


def mermaid(plan: Plan) -> str:
    lines = ["flowchart LR"]
    waves = _by_wave(plan)
    for wave in waves:
        lines.append(f'  subgraph wave{wave}["wave {wave}"]')
        lines += [f'    {_node_id(n)}["{n}"]' for n in waves[wave]]
        lines.append("  end")
    for release in plan.releases:
        for need in plan.needs[release.name]:
            lines.append(f"  {_node_id(need)} --> {_node_id(release.name)}")
    return "\n".join(lines) + "\n"


def dot(plan: Plan) -> str:
    lines = ["digraph bkgen {", "  rankdir=LR;", "  node [shape=box];"]
    waves = _by_wave(plan)
    for wave in waves:
        lines.append(f'  subgraph cluster_wave{wave} {{ label="wave {wave}";')
        lines += [f'    "{n}";' for n in waves[wave]]
        lines.append("  }")
    for release in plan.releases:
        for need in plan.needs[release.name]:
            lines.append(f'  "{need}" -> "{release.name}";')
    lines.append("}")
    return "\n".join(lines) + "\n"
