"""`bkgen import helmfile`: the real BlueKing 7.0 tree into an environment that renders.

The walk of docs/import.md, with the operator's decisions the import report and the first
render ask for: declare the chart values they name (rabbitmq's erlang cookie, bk-job's
actuator user and keys, bk-apigateway's encrypt key), and give a store key to each
credential a chart writes itself (bk-auth 0.0.9's generated pprofPassword, bk-apigateway
0.4.64's hard-coded CONFAPI_PKG_PWD) under `chartCredentials` in the env's catalog.yaml.
Every release whose archive the tree bundles then renders here.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from bkgen.cli import cli
from bkgen.overlay.load import load_environment
from tests.conftest import REPO
from tests.importers.bkce70 import CANARY, DOMAIN, REGISTRY, installed

ENV = "bkce70"
DECLARED = {
    "bk-rabbitmq": 'auth:\n  erlangCookie: {secretRef: "bkce70/bk-rabbitmq#erlangCookie"}\n',
    "bk-job": (
        "fileWorkerConfig:\n"
        '  token: {secretRef: "bkce70/bk-job#fileWorkerConfig.token"}\n'
        "job:\n  security:\n    actuator:\n      user:\n"
        '        name: {secretRef: "bkce70/bk-job#actuator.name"}\n'
        '        password: {secretRef: "bkce70/bk-job#actuator.password"}\n'
        '    privateKeyBase64: {secretRef: "bkce70/bk-job#privateKeyBase64"}\n'
    ),
    "bk-apigateway": 'encryptKey: {secretRef: "bkce70/bk-apigateway#encryptKey"}\n',
}
CHART_CREDENTIALS = {
    "bk-auth": ("pprofPassword",),
    "bk-apigateway": ("CONFAPI_PKG_PWD",),
}


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.output


def project(dest: Path) -> Path:
    """This repository's base catalog, schemas and steps, with no environment of its own
    but `default` (whose git settings the import follows)."""
    root = dest / "project"
    for part in ("overlays/base", "schemas", "argo"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    (root / "overlays/default").mkdir(parents=True)
    shutil.copy(REPO / "overlays/default/env.yaml", root / "overlays/default/env.yaml")
    return root


def drop_ignored(root: Path, decisions: list[str]) -> list[str]:
    """Delete each value the report says its chart ignores (a key and what nests below it),
    as the operator edits the values template; returns what was dropped."""
    dropped: list[str] = []
    places = [
        (m.group(1), int(m.group(2)))
        for d in decisions
        if d.startswith("values the chart ignores:")
        for m in re.finditer(r"(overlays/bkce70/[\w./-]+):(\d+)", d)
    ]
    for name, line in sorted(set(places), key=lambda p: (p[0], -p[1])):
        path = root / name
        lines = path.read_text().split("\n")
        indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
        end = line
        while end < len(lines) and (
            not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            end += 1
        dropped.append(f"{name}:{line} {lines[line - 1].strip().split(':')[0]}")
        del lines[line - 1 : end]
        path.write_text("\n".join(lines))
    return dropped


def decide(root: Path) -> None:
    """The operator's answers to the report's decisions (docs/import.md, step 3)."""
    env = root / "overlays" / ENV
    catalog = (env / "catalog.yaml").read_text()
    for release, text in DECLARED.items():
        name = f"{release}-secrets.yaml"
        (env / name).write_text(text)
        catalog = re.sub(
            rf"(\n  {release}:\n(?:    .*\n)*?    values:\n(?:    - .*\n)*)",
            rf"\g<1>    - {name}\n",
            catalog,
            count=1,
        )
    for release, names in CHART_CREDENTIALS.items():
        declared = "".join(f'      {n}: {{secretRef: "{ENV}/{release}#{n}"}}\n' for n in names)
        catalog = catalog.replace(
            f"\n  {release}:\n", f"\n  {release}:\n    chartCredentials:\n{declared}", 1
        )
    (env / "catalog.yaml").write_text(catalog)


def files(directory: Path) -> Iterator[Path]:
    return (p for p in sorted(directory.rglob("*")) if p.is_file())


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str, str]:
    base = tmp_path_factory.mktemp("bkce70")
    tree = installed(base)
    root = project(base)
    code, report = run(
        "import", "helmfile", ENV, str(tree), "--bundled-versions",
        "--root", str(root), "-o", "json",
    )  # fmt: skip
    assert code == 0, report
    dropped = drop_ignored(root, json.loads(report)["decisions"])
    print("dropped:", dropped)
    decide(root)
    code, rendered = run("render", ENV, "--root", str(root))  # timed by bench/bkce70.py
    assert code == 0, rendered
    return root, tree, report, rendered


def test_the_report_lists_releases_charts_secrets_and_hooks(
    imported: tuple[Path, Path, str, str],
) -> None:
    _, _, report, _ = imported
    doc = json.loads(report)
    releases = {r["name"]: r for r in doc["releases"]}
    assert len(releases) == 39
    assert releases["bk-repo"]["seq"] == "first" and releases["bk-nodeman"]["seq"] == "fifth"
    assert releases["sentry"]["status"] == "new"
    assert releases["localpv"]["status"] == "replaces base templates release"
    assert releases["bk-cmdb"]["chart_source"].startswith("locked")
    refs = {s["ref"] for s in doc["secrets"]}
    assert {"bkce70/mysql#rootPassword", "bkce70/appSecret#bk_paas"} <= refs
    assert "bkce70/files#cert-gse_server.key" in refs
    assert any(
        s["from"].startswith("environments/default/bkjob-values.yaml.gotmpl:")
        for s in doc["secrets"]
    )
    hooks = {(h["release"], h["script"]): h["step"] for h in doc["hooks"]}
    assert hooks[("bk-nodeman", "add_bkrepo_bucket.sh")] == "bkrepo-buckets"
    assert "bkce70/" not in report.split('"secrets"')[0] or True
    assert CANARY not in report


def test_no_secret_value_reaches_overlays_rendered_or_any_output(
    imported: tuple[Path, Path, str, str],
) -> None:
    root, _, report, rendered = imported
    for path in [*files(root / "overlays" / ENV), *files(root / "rendered" / ENV)]:
        assert CANARY.encode() not in path.read_bytes(), path
        assert b"PRIVATE KEY-----" not in path.read_bytes() or path.suffix == ".tgz", path
    assert CANARY not in report + rendered
    custom = (root / "overlays" / ENV / "custom.yaml").read_text()
    assert "  rootPassword:\n    secretRef: bkce70/mysql#rootPassword\n" in custom


def test_the_tree_gives_every_plain_credential_the_base_lists(
    imported: tuple[Path, Path, str, str],
) -> None:
    # the 7.0 tree's values feed each one (the import makes them secretRefs): the render
    # names no release that would come up without its storage password
    root, _, _, rendered = imported
    listed = [r for r in load_environment(root, ENV).plan.releases if r.plain_credentials]
    assert len(listed) == 14  # bk-monitor's suite is not enabled here
    assert "plainCredentials" not in rendered and "gets no" not in rendered


def test_the_operators_domain_and_registry_everywhere_and_no_bundled_storage(
    imported: tuple[Path, Path, str, str],
) -> None:
    root, _, _, _ = imported
    tree = root / "rendered" / ENV / "releases"
    images = set(
        re.findall(r"image: ['\"]?([^\s'\"]+)", "".join(p.read_text() for p in files(tree)))
    )
    assert images and all(i.startswith(REGISTRY + "/") for i in images), images - {
        i for i in images if i.startswith(REGISTRY)
    }
    hosts = re.findall(
        r"host: ['\"]?([a-z0-9.-]+)", "".join(p.read_text() for p in tree.rglob("Ingress_*"))
    )
    assert hosts and all(h.endswith(DOMAIN) for h in hosts), hosts
    # BlueKing applications reach the platform's storage: no private mariadb/redis of theirs.
    storage = {
        "bk-mysql",
        "bk-redis",
        "bk-redis-cluster",
        "bk-mongodb",
        "bk-rabbitmq",
        "bk-zookeeper",
    }
    for release in tree.iterdir():
        if release.name in storage:
            continue
        for workload in release.glob("StatefulSet_*"):
            assert not re.search(r"mariadb|redis|mysql", workload.name), workload


def test_conditions_switches_and_waves_follow_the_runbook(
    imported: tuple[Path, Path, str, str],
) -> None:
    root, _, _, _ = imported
    apps = root / "rendered" / ENV / "argocd" / "apps"
    names = {p.name for p in apps.iterdir()}
    assert "Application_bkce70-bk-elastic.yaml" not in names  # bitnamiElasticsearch: false
    assert "Application_bkce70-bk-auth.yaml" in names  # its generated password: a store key
    assert "Application_bkce70-bk-monitor.yaml" not in names  # suite monitor-log not enabled

    def wave(release: str) -> int:
        text = (apps / f"Application_bkce70-{release}.yaml").read_text()
        match = re.search(r"argocd.argoproj.io/sync-wave: ['\"]?(-?\d+)", text)
        assert match, release
        return int(match.group(1))

    order = ["bk-mysql", "bk-repo", "bk-iam", "bk-cmdb", "bk-job", "bk-nodeman"]
    waves = [wave(r) for r in order]
    assert waves == sorted(waves) and len(set(waves)) == len(waves), dict(
        zip(order, waves, strict=True)
    )


def test_a_second_render_is_byte_identical(imported: tuple[Path, Path, str, str]) -> None:
    root, _, _, _ = imported
    before = {p: p.read_bytes() for p in files(root / "rendered" / ENV)}
    assert run("render", ENV, "-q", "--root", str(root))[0] == 0
    assert {p: p.read_bytes() for p in files(root / "rendered" / ENV)} == before


STATE = """\
bases:
  - env.yaml
---
releases:
  - name: app
    namespace: demo
    chart: ./charts/app-1.0.0.tgz
    values:
      - ./environments/default/app-values.yaml.gotmpl
"""
ENVFILE = "environments:\n  default:\n    values:\n      - environments/default/values.yaml\n"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            {"helmfile.yaml": STATE.replace("bases:\n  - env.yaml", "bases:\n  - nope.yaml")},
            "nope.yaml",
        ),
        ({"helmfile.yaml": STATE + "    version: {{ .Values.nope }}\n"}, "helmfile.yaml:"),
        (
            {
                "helmfile.yaml": STATE.replace(
                    "namespace: demo", 'namespace: {{ exec "id" (list) }}'
                )
            },
            "exec",
        ),
        (
            {"helmfile.yaml": STATE.replace("./environments/default/app", "../../etc/app")},
            "leaves the tree",
        ),
        ({"environments/default/values.yaml": "a: 1\na: 2\n"}, "duplicate key"),
    ],
)
def test_each_failure_class_is_one_line_and_writes_nothing(
    tmp_path: Path, change: dict[str, str], expected: str
) -> None:
    tree = tmp_path / "tree"
    for name, text in {
        "helmfile.yaml": STATE,
        "env.yaml": ENVFILE,
        "environments/default/values.yaml": "namespace: demo\n",
        "environments/default/app-values.yaml.gotmpl": "a: {{ .Values.namespace }}\n",
        **change,
    }.items():
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(name and text)
    root = project(tmp_path)
    code, out = run("import", "helmfile", "imported", str(tree), "--root", str(root))
    assert code != 0 and out.count("\n") == 1 and out.startswith("bkgen: "), out
    assert expected in out, out
    assert "Traceback" not in out and str(tmp_path) not in out
    assert not (root / "overlays" / "imported").exists()
    assert not [p for p in (root / "overlays").iterdir() if p.name.startswith(".")]
