"""Run an emitted Workflow's DAG on this machine, the way Argo would in a cluster.

Each task's template runs under bash in its own temporary directory (its cwd, `$TMPDIR` and
`$HOME`), with the environment its container spec declares and nothing from this process
(bar `PATH`, where the project's venv stands in for the image). Parameters are substituted as
Argo substitutes them (`{{workflow.parameters.*}}`, `{{inputs.parameters.*}}`,
`{{tasks.*.status}}`, `{{tasks.*.outputs.parameters.*}}`; an unresolved one fails the run),
`secretKeyRef`s are filled from the Secrets the test hands in (a missing non-optional key
fails, as the kubelet does), `depends` expressions decide whether a task runs, the
`retryStrategy` expression decides whether a failed attempt is retried, and output
parameters are read from the container paths mapped into the task's directory.
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_REF = re.compile(r"\{\{\s*([^}]+?)\s*\}\}")


@dataclass
class TaskRun:
    name: str
    phase: str  # Succeeded | Failed | Omitted
    attempts: int = 0
    exit_code: int | None = None
    outputs: dict[str, str] = field(default_factory=dict)
    log: str = ""  # stdout + stderr of every attempt


def _substitute(text: str, scope: Mapping[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in scope:
            raise AssertionError(f"unresolved {match.group(0)}")
        return scope[key]

    return _REF.sub(one, text)


def _order(tasks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    done: list[Mapping[str, Any]] = []
    pending = list(tasks)
    while pending:
        ready = [
            t
            for t in pending
            if all(d in {x["name"] for x in done} for d in _depends_on(t.get("depends", "")))
        ]
        assert ready, "the DAG has a cycle"
        done.extend(ready)
        pending = [t for t in pending if t not in ready]
    return done


def _depends_on(expression: str) -> set[str]:
    return set(re.findall(r"([\w-]+)\.(?:Succeeded|Failed|Errored|Skipped|Omitted)", expression))


def _should_run(expression: str, runs: Mapping[str, TaskRun]) -> bool:
    if not expression:
        return True  # a root task
    python = re.sub(
        r"([\w-]+)\.(Succeeded|Failed|Errored|Skipped|Omitted)",
        lambda m: str(runs[m.group(1)].phase == m.group(2)),
        expression,
    )
    python = python.replace("&&", " and ").replace("||", " or ").replace("!", " not ")
    return bool(eval(python, {"__builtins__": {}}))


def _retry(strategy: Mapping[str, Any] | None, attempt: int, exit_code: int) -> bool:
    if not strategy or attempt > int(strategy.get("limit", 0)):
        return False
    expression = strategy.get("expression")
    if not expression:
        return True
    python = (
        expression.replace("lastRetry.status", "'Failed'")
        .replace("asInt(lastRetry.exitCode)", str(exit_code))
        .replace("||", " or ")
        .replace("&&", " and ")
    )
    return bool(eval(python, {"__builtins__": {}}))


def _env(
    container: Mapping[str, Any],
    inputs: Mapping[str, str],
    secrets: Mapping[str, Mapping[str, str]],
    out_dir: str,
    task_dir: Path,
) -> dict[str, str]:
    env: dict[str, str] = {}
    for item in container.get("env", []):
        if "value" in item:
            env[item["name"]] = _substitute(item["value"], inputs)
            continue
        ref = item["valueFrom"]["secretKeyRef"]
        secret = secrets.get(ref["name"], {})
        if ref["key"] in secret:
            env[item["name"]] = secret[ref["key"]]
        else:
            assert ref.get("optional"), f"Secret {ref['name']} has no key {ref['key']}"
    if env.get("BKGEN_OUT") == out_dir:
        env["BKGEN_OUT"] = str(task_dir / "out")
    return env


def run_dag(
    documents: Sequence[Mapping[str, Any]],
    work: Path,
    path: Sequence[Path],
    secrets: Mapping[str, Mapping[str, str]] | None = None,
    out_dir: str = "/tmp/bkgen-out",
) -> dict[str, TaskRun]:
    """Every task of the Workflow's entrypoint DAG, in topological order."""
    [workflow] = [d for d in documents if d["kind"] == "Workflow"]
    spec = workflow["spec"]
    templates = {t["name"]: t for t in spec["templates"]}
    scope = {
        f"workflow.parameters.{p['name']}": str(p["value"])
        for p in spec.get("arguments", {}).get("parameters", [])
    }
    runs: dict[str, TaskRun] = {}
    search = os.pathsep.join([*map(str, path), os.environ.get("PATH", "/usr/bin:/bin")])
    for task in _order(templates[spec["entrypoint"]]["dag"]["tasks"]):
        name = task["name"]
        if not _should_run(task.get("depends", ""), runs):
            runs[name] = TaskRun(name, "Omitted")
            continue
        template = templates[task["template"]]
        inputs = {
            f"inputs.parameters.{p['name']}": _substitute(str(p["value"]), scope)
            for p in task.get("arguments", {}).get("parameters", [])
        }
        declared = {f"inputs.parameters.{p['name']}" for p in template["inputs"]["parameters"]}
        assert set(inputs) == declared, (name, set(inputs) ^ declared)
        container = template["container"]
        assert container["command"] == ["bash", "-c"]
        run = TaskRun(name, "Failed")
        while True:
            run.attempts += 1
            task_dir = work / f"{name}-{run.attempts}"
            (task_dir / "home").mkdir(parents=True)
            env = {
                "PATH": search,
                "HOME": str(task_dir / "home"),
                "TMPDIR": str(task_dir),
                **_env(container, inputs, secrets or {}, out_dir, task_dir),
            }
            done = subprocess.run(
                ["bash", "-c", container["args"][0]],
                cwd=task_dir,
                env=env,
                capture_output=True,
                text=True,
                check=False,
            )
            run.log += done.stdout + done.stderr
            run.exit_code = done.returncode
            if done.returncode == 0 or not _retry(
                template.get("retryStrategy"), run.attempts, done.returncode
            ):
                break
        run.phase = "Succeeded" if run.exit_code == 0 else "Failed"
        for output in template.get("outputs", {}).get("parameters", []):
            source = output["valueFrom"]["path"]
            assert source.startswith(out_dir + "/"), source
            local = task_dir / "out" / source.removeprefix(out_dir + "/")
            value = local.read_text().strip() if local.is_file() else None
            if value is None:
                value = output["valueFrom"]["default"]
            run.outputs[output["name"]] = value
            scope[f"tasks.{name}.outputs.parameters.{output['name']}"] = value
        scope[f"tasks.{name}.status"] = run.phase
        runs[name] = run
    return runs
