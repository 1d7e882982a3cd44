"""A chart in a pull request that wants to take the CI runner down: one fixture per bomb.

Helm's Go engine renders charts in a bounded child (`engines/_helm_worker.py`). Each case
builds a small chart beside the env (`overlays/default/charts/bkssm` for release bk-ssm), runs the real
`bkgen render` with lowered limits and asserts: exit 1, one `bkgen:` line naming the
release and the chart, the previous tree byte-identical, nothing left in the temp dir, and
a bounded run time.
"""

from __future__ import annotations

import io
import json
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.security.test_hostile import Run, _env, assert_refused, snapshot

RELEASE = "bk-ssm"
CHART = "bkssm"
VERSION = "1.0.5"  # what the env pins
CHARTS = "overlays/default/charts"
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {name}\ndata:\n  x: {value}\n"


def _release_values(project: Path) -> dict[str, object]:
    """What the env sets for the release: the chart must define each key (bkgen checks)."""
    from bkgen.overlay.layers import release_values
    from bkgen.overlay.load import load_environment

    env = load_environment(project, "default")
    return dict(release_values(env, env.catalog.releases[RELEASE]).values)


def _directory(project: Path, templates: dict[str, str], values: str = "") -> str:
    from tests.charts.factory import build_chart

    chart = build_chart(
        project / CHARTS,
        CHART,
        VERSION,
        extra_templates=templates,
        secret_switch=None,
        accepts=_release_values(project),
    )
    if values:
        with (chart / "values.yaml").open("a") as out:
            out.write(values)
    return f"{CHARTS}/{CHART}"


def tpl_recursion(project: Path) -> str:
    bomb = "tplBomb: '{{ tpl .Values.tplBomb . }}'\n"
    return _directory(project, {"bomb.yaml": "{{ tpl .Values.tplBomb . }}\n"}, bomb)


def nested_until(project: Path) -> str:
    loops = "{{ range until 100000 }}{{ range until 100000 }}{{ range until 100000 }}"
    return _directory(project, {"bomb.yaml": loops + "{{ end }}{{ end }}{{ end }}\n"})


def nested_includes(project: Path) -> str:
    helpers = "".join(
        f'{{{{- define "b{i}" }}}}{{{{ include "b{i + 1}" . }}}}{{{{ include "b{i + 1}" . }}}}'
        "{{- end }}\n"
        for i in range(40)
    )
    helpers += '{{- define "b40" }}x{{- end }}\n'
    body = CONFIGMAP.format(name="b", value='{{ include "b0" . | len }}')
    return _directory(project, {"_bomb.tpl": helpers, "bomb.yaml": body})


def huge_repeat(project: Path) -> str:
    body = CONFIGMAP.format(name="r", value='{{ repeat 1000000000 "x" | len }}')
    return _directory(project, {"bomb.yaml": body})


def large_output(project: Path) -> str:
    return _directory(
        project, {"big.yaml": CONFIGMAP.format(name="big", value='{{ repeat 300000 "x" }}')}
    )


def many_objects(project: Path) -> str:
    body = (
        "{{ range until 50 }}\n---\n" + CONFIGMAP.format(name="c{{ . }}", value="y") + "{{ end }}\n"
    )
    return _directory(project, {"many.yaml": body})


def many_templates(project: Path) -> str:
    """100,000 one-line templates in a ~1 MB archive."""
    files = {
        f"{CHART}/Chart.yaml": f"apiVersion: v2\nname: {CHART}\nversion: {VERSION}\n",
        f"{CHART}/values.yaml": json.dumps(_release_values(project)),
        **{f"{CHART}/templates/t{i}.yaml": f"# {i}\n" for i in range(100_000)},
    }
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    archive = project / CHARTS / f"{CHART}-{VERSION}.tgz"
    archive.parent.mkdir(parents=True, exist_ok=True)
    archive.write_bytes(buffer.getvalue())
    return f"{CHARTS}/{CHART}-{VERSION}.tgz"


Bomb = Callable[[Path], str]
LIMITS = {
    "BKGEN_MAX_CHART_OUTPUT": "100000",
    "BKGEN_MAX_CHART_OBJECTS": "20",
    "BKGEN_MAX_CHART_TEMPLATES": "1000",
}
# Each bomb meets exactly one bound, whatever the runner's speed: the time bombs a 3 s budget
# (nothing else can stop them), the memory bombs a 1024 MiB ceiling, the size bombs their
# limit, each of the last two under a 60 s budget a slow or loaded runner never reaches (a
# 3 s budget once came first on CI and the bound under test went unchecked).
TIME = {"BKGEN_CHART_SECONDS": "3"}
MEMORY = {"BKGEN_CHART_MEMORY_MIB": "1024", "BKGEN_CHART_SECONDS": "60"}
SIZE = {"BKGEN_CHART_SECONDS": "60"}
STOPPED = "the Helm engine stopped (exit"  # a crash names its exit and the ceiling it met


@pytest.mark.parametrize(
    ("bomb", "bounds", "needle"),
    [
        (tpl_recursion, MEMORY, STOPPED),
        (nested_until, TIME, "ran longer than 3 s (BKGEN_CHART_SECONDS)"),
        (nested_includes, TIME, "ran longer than 3 s (BKGEN_CHART_SECONDS)"),
        (huge_repeat, MEMORY, STOPPED),
        (large_output, SIZE, "larger than 100000 characters (BKGEN_MAX_CHART_OUTPUT)"),
        (many_objects, SIZE, "more than 20 objects (BKGEN_MAX_CHART_OBJECTS)"),
        (many_templates, SIZE, "100000 templates, more than 1000 (BKGEN_MAX_CHART_TEMPLATES)"),
    ],
    ids=lambda v: v.__name__ if callable(v) else None,
)
def test_a_chart_bomb_is_one_line_and_leaves_nothing(
    project: Path, run: Run, tmp_path: Path, bomb: Bomb, bounds: dict[str, str], needle: str
) -> None:
    before = snapshot(project)
    shown = bomb(project)
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {**_env(), **LIMITS, **bounds, "TMPDIR": str(scratch)}
    result = run("render", "default", env=env)
    if bounds is MEMORY:
        assert "(memory ceiling 1024 MiB, BKGEN_CHART_MEMORY_MIB)" in result.stderr, result.stderr
    assert_refused(result, 1, f"release '{RELEASE}'", shown, needle, before=before, root=project)
    assert not list(scratch.iterdir()), "nothing may be left in the temp dir"
