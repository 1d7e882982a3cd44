"""Values are data, never code in a workflow step (#25, point 3).

Argo substitutes `{{...}}` expressions into a template before the pod starts; spliced into
`bash -c` text, a value such as `x$(id>/tmp/p)` from custom.yaml would run in the cluster.
Every step here is rendered, every input parameter is given each payload below the way Argo
would (substituting it into the pod spec), and the script then runs under real bash with
stub `kubectl`, `curl`, `git`, … on PATH: no payload may ever execute.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bkgen.errors import RenderError
from bkgen.workflows.script_text import refuse_spliced
from tests.workflows.test_steps import FACTS, _steps

PAYLOADS = (
    "x$(touch {mark}/a)",
    "x`touch {mark}/b`",
    'x"; touch {mark}/c; echo "',
    "x'; touch {mark}/d; echo '",
    "x; touch {mark}/e",
    "x\ntouch {mark}/f\n",
    "$(touch {mark}/g)",
    "x && touch {mark}/h || touch {mark}/i",
    "${{IFS}}x$(touch${{IFS}}{mark}/j)",
)
_STUB = """#!/bin/sh
# stub {name}: records its arguments, never runs anything
printf '%s\\n' "$*" >> "$STUB_LOG"
case "{name}" in
  curl)
    out=""; prev=""
    for a in "$@"; do [ "$prev" = "-o" ] && out="$a"; prev="$a"; done
    [ -n "$out" ] && echo '{{"result": true, "code": 0, "data": {{"id": 1}}, "results": []}}' > "$out"
    for a in "$@"; do [ "$a" = "-w" ] && printf 200; done
    ;;
esac
exit 0
"""
STUBS = ("kubectl", "curl", "git", "python", "openssl", "sleep", "helm")


@pytest.fixture(scope="module")
def stubs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("stubs")
    for name in STUBS:
        path = folder / name
        path.write_text(_STUB.format(name=name))
        path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return folder


def _containers(docs: list[Mapping[str, Any]]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for doc in docs:
        if doc.get("kind") != "WorkflowTemplate":
            continue
        for template in doc["spec"].get("templates") or []:
            for key in ("container", "script"):
                if isinstance(template.get(key), Mapping):
                    yield f"{doc['metadata']['name']}/{template['name']}", template[key]


def _argo_substitute(text: str, value: str) -> str:
    """What Argo does to a pod spec string: every input parameter becomes `value`."""
    return re.sub(r"\{\{\s*inputs\.parameters\.[A-Za-z0-9_-]+\s*\}\}", lambda _: value, text)


def _run(container: Mapping[str, Any], payload: str, stubs: Path, work: Path) -> None:
    command = [*container.get("command", []), *container.get("args", [])]
    assert command[:2] == ["bash", "-c"], command
    script = _argo_substitute(command[2], payload)
    env = {
        "PATH": f"{stubs}{os.pathsep}/usr/bin:/bin",
        "HOME": str(work),
        "TMPDIR": str(work),
        "STUB_LOG": str(work / "stub.log"),
    }
    for var in container.get("env") or []:
        if "value" in var:
            env[var["name"]] = _argo_substitute(var["value"], payload)
        else:
            env[var["name"]] = "from-a-secret"
    subprocess.run(
        ["bash", "-c", script],
        env=env,
        cwd=work,
        capture_output=True,
        timeout=60,
        check=False,
    )


def test_no_parameter_is_spliced_into_a_script(repo_root: Path) -> None:
    count = 0
    for spec, values in _steps(repo_root):
        from bkgen.workflows import render_step

        docs = render_step(repo_root, spec, values, "prod", FACTS)
        for _, container in _containers(docs):
            count += 1
            text = " ".join(str(c) for c in [*container.get("command", []), *container["args"]])
            assert "{{" not in text
    assert count >= 15


@pytest.mark.parametrize("payload", PAYLOADS)
def test_shell_metacharacters_in_every_parameter_never_execute(
    repo_root: Path, stubs: Path, tmp_path: Path, payload: str
) -> None:
    from bkgen.workflows import render_step

    mark = tmp_path / "mark"
    mark.mkdir()
    value = payload.format(mark=mark)
    ran = 0
    for spec, values in _steps(repo_root):
        docs = render_step(repo_root, spec, values, "prod", FACTS)
        for name, container in _containers(docs):
            work = tmp_path / name.replace("/", "_")
            work.mkdir()
            _run(container, value, stubs, work)
            ran += 1
            assert not list(mark.iterdir()), f"{name}: the payload ran: {value!r}"
    assert ran >= 15


def test_the_stubs_would_see_an_injection(stubs: Path, tmp_path: Path) -> None:
    """The harness itself: a script that splices a parameter does run the payload."""
    mark = tmp_path / "mark"
    mark.mkdir()
    container = {
        "command": ["bash", "-c"],
        "args": ['DOMAINS="{{inputs.parameters.domains}}"\necho "$DOMAINS"'],
    }
    _run(container, f"x$(touch {mark}/a)", stubs, tmp_path)
    assert (mark / "a").exists()


def test_a_spliced_parameter_is_refused_at_compile_time() -> None:
    body = {
        "spec": {
            "templates": [
                {"name": "update", "container": {"args": ['D="{{inputs.parameters.domains}}"']}}
            ]
        }
    }
    with pytest.raises(RenderError, match=r"splices \{\{inputs.parameters.domains\}\}"):
        refuse_spliced(body, "coredns_hosts")


def test_a_hostile_subdomain_in_custom_yaml_stays_data(repo_root: Path, tmp_path: Path) -> None:
    """The issue's case: `extraSubdomains: ['x$(id>…)']` is refused where it enters (the
    values schema types a subdomain as a DNS label); and should one reach the coredns-hosts
    step anyway, it is only a parameter value, never script text."""
    from bkgen.errors import OverlayError
    from bkgen.overlay.load import load_environment
    from bkgen.pipeline import build_tree

    root = tmp_path / "project"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(repo_root / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    custom = root / "overlays/default/custom.yaml"
    original = custom.read_text()
    custom.write_text(
        original.replace("domain:\n", "domain:\n  extraSubdomains: ['x$(id>/tmp/pwned)']\n")
    )
    with pytest.raises(OverlayError, match=r"custom\.yaml:3:.*extraSubdomains\.0"):
        load_environment(root, "default")
    custom.write_text(original)
    env = load_environment(root, "default")
    env.values.values["domain"]["extraSubdomains"] = ["x$(id>/tmp/pwned)"]  # past the schema
    tree = build_tree(env)
    template = next(p for p in tree.files if p.endswith("WorkflowTemplate_coredns-hosts.yaml"))
    body = tree.files[template]
    arguments, templates = body.split(b"templates:")
    assert b"x$(id>/tmp/pwned)" in arguments  # a parameter value: data
    assert b"$(id" not in templates  # never in the script text
    assert b'DOMAINS="${P_DOMAINS}"' in templates
