"""The import report: what came over, what moved to the secret store, what needs a human.

Text for the operator at the terminal, JSON (`-o json`) for a pipeline. It names store
keys, properties and the tree file:line each value sits in today, and a command sequence
that loads the store from the tree (yq reads the value, the store's CLI receives it):
bkgen itself never prints a value.
"""

from __future__ import annotations

import json
from typing import Any

from bkgen.importers.helmfile.conversion import Conversion
from bkgen.importers.helmfile.secrets import SecretMove


def as_json(result: Conversion, written: bool) -> str:
    doc: dict[str, Any] = {
        "environment": result.env,
        "written": written,
        "releases": [row.__dict__ for row in result.releases],
        "switchedOff": result.switched_off,
        "valuesFiles": result.values_kept,
        "secrets": [
            {"ref": m.ref, "kind": m.kind, "from": m.origin, "path": m.yaml_path}
            for m in result.secrets
        ],
        "hooks": [
            {"release": r, "script": s, "step": step, "mapped": step is not None}
            for r, s, step in result.hooks
        ],
        "decisions": result.decisions,
        "notes": result.notes,
        "files": sorted(result.files),
    }
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def as_text(result: Conversion, written: bool, shown_env: str) -> str:
    lines: list[str] = []
    enabled = [r for r in result.releases if r.enabled]
    locked = [r for r in result.releases if r.chart_source.startswith("locked")]
    lines.append(
        f"{shown_env}: {len(result.releases)} releases imported ({len(enabled)} enabled), "
        f"{len(result.values_kept)} values files kept, {len(locked)} charts locked from the "
        f"tree, {len(result.releases) - len(locked)} to pull, {len(result.secrets)} secrets "
        f"moved, {len(result.decisions)} decisions for you"
        + ("" if written else " (dry run: nothing written)")
    )
    lines += ["", "Releases (wave order follows the base catalog and seq):"]
    width = max((len(r.name) for r in result.releases), default=10)
    for row in result.releases:
        state = "on " if row.enabled else "off"
        lines.append(
            f"  {state} {row.name:<{width}}  {row.chart:<32} {row.suite}/{row.seq:<8} "
            f"{row.status}; {row.chart_source}"
        )
    if result.switched_off:
        lines.append(
            "  base chart releases the tree does not install, switched off: "
            + ", ".join(result.switched_off)
        )
    lines += ["", "Secrets moved to the store (declared as secretRef; values never shown):"]
    lines += [f"  {m.ref:<60} from {m.origin}" for m in result.secrets] or ["  none"]
    if result.secrets:
        lines += ["", "Load them (Vault shown; any external-secrets store works), from the tree:"]
        lines += [f"  {command}" for command in load_commands(result.secrets)]
    lines += ["", "Hooks:"]
    for release, script, step in result.hooks:
        target = f"workflow step '{step}'" if step else "NO equivalent: needs a manual port"
        lines.append(f"  {release}: {script} -> {target}")
    if not result.hooks:
        lines.append("  none")
    lines += ["", "Needs a human decision:"]
    lines += [f"  - {d}" for d in result.decisions] or ["  none"]
    if result.notes:
        lines += ["", "Notes:"]
        lines += [f"  - {n}" for n in result.notes]
    return "\n".join(lines) + "\n"


def load_commands(moves: list[SecretMove]) -> list[str]:
    """One `vault kv put` per store key, each property read from where it is in the tree
    (yq for a value, the file itself for a file): the report carries paths, not values."""
    by_key: dict[str, list[str]] = {}
    for move in moves:
        path = move.origin.partition(":")[0]
        if move.kind == "file":
            arg = f"{move.prop}=@{path}"
        elif move.yaml_path:
            arg = f"{move.prop}=\"$(yq -r '{move.yaml_path}' {path})\""
        else:  # a literal line of a values template: the value after its key
            line = move.origin.rpartition(":")[2]
            arg = f"{move.prop}=\"$(sed -n '{line}s/^[^:]*:[[:space:]]*//p' {path})\""
        by_key.setdefault(move.store_key, []).append(arg)
    return [f"vault kv put {key} " + " ".join(args) for key, args in sorted(by_key.items())]
