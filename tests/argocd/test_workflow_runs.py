"""Point 3 and 4: a step runs once per input hash; a failed run is replaced, not kept."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from bkgen.errors import RenderError
from bkgen.overlay.load import load_environment
from bkgen.workflows import StepSpec, render_step
from bkgen.workflows.compile import FAILED_RUN_TTL

FACTS = {"domains": ["bk.example.com"]}
REPO = Path(__file__).resolve().parents[2]
VALUES: dict[str, Any] = dict(load_environment(REPO, "prod").values.values)


def _step() -> StepSpec:
    return StepSpec(
        name="es-auto-create-index",
        module="es_settings",
        params={},
        namespace="blueking",
        needs=("bk-elastic",),
        suite="monitor-log",
    )


def _by_kind(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {d["kind"]: d for d in docs}


def test_runs_are_kept_after_success_and_replaced_after_failure(repo_root: Path) -> None:
    docs = _by_kind(render_step(repo_root, _step(), VALUES, "prod", FACTS))
    for kind in ("WorkflowTemplate", "Workflow"):
        spec = docs[kind]["spec"]
        assert spec["ttlStrategy"] == {"secondsAfterFailure": FAILED_RUN_TTL}, kind
        assert spec["podGC"] == {"strategy": "OnPodSuccess"}, kind
    retry = docs["WorkflowTemplate"]["spec"]["templates"][0]["retryStrategy"]
    assert retry["retryPolicy"] == "OnFailure" and int(retry["limit"]) >= 1


def test_every_rendered_step_keeps_successful_runs(repo_root: Path) -> None:
    import yaml

    found = 0
    for env in ("default", "prod"):
        for path in (repo_root / "rendered" / env / "workflows").rglob("Workflow*.yaml"):
            doc = yaml.safe_load(path.read_text())
            ttl = doc["spec"].get("ttlStrategy", {})
            assert "secondsAfterSuccess" not in ttl and "secondsAfterCompletion" not in ttl, path
            assert ttl.get("secondsAfterFailure") == FAILED_RUN_TTL, path
            found += 1
    assert found >= 2 * 9


def _copy_argo(repo_root: Path, tmp_path: Path) -> Path:
    root = tmp_path / "p"
    shutil.copytree(repo_root / "argo", root / "argo", ignore=shutil.ignore_patterns("__pycache__"))
    return root


def test_lifecycle_is_not_an_input_of_the_run(repo_root: Path, tmp_path: Path) -> None:
    """Changing how long a failed run is kept must not run every step again."""
    root = _copy_argo(repo_root, tmp_path)
    name = _by_kind(render_step(root, _step(), VALUES, "prod", FACTS))["Workflow"]["metadata"]
    module = root / "argo/es_settings.py"
    module.write_text(module.read_text() + "\nFAILED_RUN_TTL = 60\n")
    other = tmp_path / "q"
    shutil.copytree(root, other)
    docs = _by_kind(render_step(other, _step(), VALUES, "prod", FACTS))
    assert docs["Workflow"]["spec"]["ttlStrategy"] == {"secondsAfterFailure": 60}
    assert docs["Workflow"]["metadata"]["name"] == name["name"]


def test_a_step_that_deletes_successful_runs_is_refused(repo_root: Path, tmp_path: Path) -> None:
    root = _copy_argo(repo_root, tmp_path)
    module = root / "argo/es_settings.py"
    text = module.read_text()
    assert "    return template" in text
    module.write_text(
        text.replace(
            "    return template",
            "    template.ttl_strategy = m.TTLStrategy(seconds_after_success=60)\n    return template",
        ).replace(
            "from hera.workflows import",
            "from hera.workflows import models as m\nfrom hera.workflows import",
            1,
        )
    )
    with pytest.raises(RenderError, match="secondsAfterSuccess would delete a run Argo CD tracks"):
        render_step(root, _step(), VALUES, "prod", FACTS)
