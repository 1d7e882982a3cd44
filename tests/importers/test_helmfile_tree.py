"""importers.helmfile.tree: the real BlueKing 7.0 tree, and one small tree per failure class."""

from __future__ import annotations

from pathlib import Path

import pytest

from bkgen.errors import BkgenError
from bkgen.importers.helmfile.tree import HelmfileTree, TreeRelease, read_tree
from tests.importers.bkce70 import BKCE70


@pytest.fixture(scope="module")
def bkce70() -> HelmfileTree:
    if not (BKCE70 / "base.yaml.gotmpl").is_file():
        pytest.skip("the real BlueKing 7.0 tree (../shared/bkce70) is absent")
    return read_tree(BKCE70)


def _release(tree: HelmfileTree, name: str) -> TreeRelease:
    return next(r for r in tree.releases if r.name == name)


def test_bkce70_releases(bkce70: HelmfileTree) -> None:
    names = [r.name for r in bkce70.releases]
    assert len(names) == len(set(names)) == 39
    repo = _release(bkce70, "bk-repo")
    assert (repo.chart, repo.namespace, repo.version) == ("blueking/bkrepo", "blueking", "1.1.25")
    assert repo.labels == {"seq": "first"} and repo.common_labels == {"tier": "base"}
    assert [(v.path, v.exists) for v in repo.values] == [
        ("environments/default/bkrepo-values.yaml.gotmpl", True),
        ("environments/default/bkrepo-custom-values.yaml.gotmpl", False),
    ]
    assert (repo.state_file, repo.line) == ("base-blueking.yaml.gotmpl", 12)
    mysql = _release(bkce70, "bk-mysql")
    assert mysql.condition == "bitnamiMysql.enabled"
    assert mysql.chart == "./charts/mysql-4.5.5.tgz"
    assert mysql.common_labels == {"tier": "storage"}
    assert _release(bkce70, "bcs-services-stack").helm_defaults["wait"] is False
    assert _release(bkce70, "bk-cmdb").settings["wait"] is False


def test_bkce70_inline_values_and_hooks(bkce70: HelmfileTree) -> None:
    nodeman = _release(bkce70, "bk-nodeman")
    (hook,) = nodeman.hooks
    assert hook.events == ("presync",) and hook.command == "./scripts/add_bkrepo_bucket.sh"
    assert hook.args[0] == "http://bkrepo.{{.Values.domain.bkDomain }}"  # a release template
    assert nodeman.labels == {"seq": "fifth"}
    sentry = _release(bkce70, "sentry")
    assert sentry.values[2].inline["ingress"]["hostname"] == "sentry.paas.example.com"
    assert all(v.path is None and v.exists for v in sentry.values)
    nginx = _release(bkce70, "ingress-nginx")
    image = nginx.values[0].inline["controller"]["image"]
    assert image["registry"] == "hub.bktencent.com/k8s.gcr.io"


def test_bkce70_environment(bkce70: HelmfileTree) -> None:
    assert bkce70.values["domain"]["bkDomain"] == "paas.example.com"
    assert bkce70.values["version"]["sentry"] == "4.3.3"
    assert bkce70.origins[("domain", "bkDomain")] == ("environments/default/values.yaml", 7)
    assert bkce70.origins[("version", "bkrepo")] == ("environments/default/version.yaml", 22)
    assert [(v.path, v.exists, v.line) for v in bkce70.values_files] == [
        ("environments/default/version.yaml", True, 5),
        ("environments/default/app_secret.yaml", False, 6),
        ("environments/default/bkapigateway_builtin_keypair.yaml", False, 7),
        ("environments/default/values.yaml", True, 8),
        ("environments/default/custom.yaml", False, 9),
    ]
    assert bkce70.helm_defaults["timeout"] == 600
    assert bkce70.repositories == {}
    assert "base.yaml.gotmpl" in bkce70.entries and "env.yaml" not in bkce70.entries


def test_bkce70_notes(bkce70: HelmfileTree) -> None:
    notes = "\n".join(bkce70.notes)
    for missing in ("app_secret.yaml", "bkapigateway_builtin_keypair.yaml", "custom.yaml"):
        assert f"environments/default/{missing} is missing (missingFileHandler: Warn)" in notes
    for key, line in (("sentry", 17), ("consul", 18), ("influxdb", 19)):
        assert f"version.yaml:{line}: duplicate key 'version.{key}'" in notes
    assert "address.yaml.gotmpl: skipped" in notes
    assert str(BKCE70) not in notes


def test_bkce70_selectors() -> None:
    if not (BKCE70 / "base.yaml.gotmpl").is_file():
        pytest.skip("the real BlueKing 7.0 tree (../shared/bkce70) is absent")
    tree = read_tree(BKCE70, ["base.yaml.gotmpl"])
    names = {r.name for r in tree.releases}
    assert "bk-repo" in names and "bk-mysql" in names
    assert "bk-nodeman" not in names  # seq=fifth: no helmfiles entry selects it
    assert len(names) == 7 + 16


# --- small trees, one per failure class ------------------------------------------------

ENV = "environments:\n  default:\n    values:\n    - values.yaml\n"
STATE = "bases:\n  - env.yaml\n---\nreleases:\n  - name: app\n    namespace: {{ .Values.ns }}\n    chart: ./charts/app.tgz\n"


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    files = {"env.yaml": ENV, "values.yaml": "ns: demo\n", **files}
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    return tmp_path


def _error(root: Path, entries: list[str] | None = None) -> str:
    with pytest.raises(BkgenError) as caught:
        read_tree(root, entries)
    text = str(caught.value)
    assert "\n" not in text and "/tmp" not in text and str(root) not in text
    return text


def test_small_tree_reads(tmp_path: Path) -> None:
    tree = read_tree(_tree(tmp_path, {"app.yaml.gotmpl": STATE}))
    (app,) = tree.releases
    assert (app.name, app.namespace, app.line) == ("app", "demo", 5)
    assert tree.origins == {("ns",): ("values.yaml", 1)}


def test_missing_state_file(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"top.yaml": "helmfiles:\n  - path: ./gone.yaml.gotmpl\n"})
    assert _error(root) == "top.yaml:2: overlay error: helmfile gone.yaml.gotmpl not found"
    assert "nothing.yaml: overlay error: state file not found" in _error(root, ["nothing.yaml"])


def test_template_error_names_file_and_line(tmp_path: Path) -> None:
    broken = STATE.replace("chart: ./charts/app.tgz", "chart: {{ .Values.nope.deeper }}")
    message = _error(_tree(tmp_path, {"app.yaml.gotmpl": broken}))
    assert message.startswith("app.yaml.gotmpl:7: template error:"), message


def test_exec_is_refused(tmp_path: Path) -> None:
    state = STATE + '    version: {{ exec "sh" (list "-c" "id") }}\n'
    message = _error(_tree(tmp_path, {"app.yaml.gotmpl": state}))
    assert message.startswith("app.yaml.gotmpl:8:") and "never runs commands" in message


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (
            {"app.yaml": STATE + "    values:\n    - ../../outside.yaml\n"},
            "app.yaml:9: overlay error: path '../../outside.yaml' leaves the tree",
        ),
        (
            {"app.yaml": "bases:\n  - ../env.yaml\n---\nreleases: []\n"},
            "app.yaml:2: overlay error: path '../env.yaml' leaves the tree",
        ),
        (
            {"app.yaml": "helmfiles:\n  - /etc/helmfile.yaml\n"},
            "app.yaml:2: overlay error: absolute path '/etc/helmfile.yaml'",
        ),
    ],
)
def test_paths_escaping_the_tree(tmp_path: Path, files: dict[str, str], expected: str) -> None:
    assert _error(_tree(tmp_path / "tree", files)).startswith(expected)


def test_symlink_escaping_the_tree(tmp_path: Path) -> None:
    (tmp_path / "secret.yaml").write_text("a: 1\n")
    root = _tree(tmp_path / "tree", {"app.yaml": STATE + "    values:\n    - v/link.yaml\n"})
    (root / "v").mkdir()
    (root / "v" / "link.yaml").symlink_to(tmp_path / "secret.yaml")
    assert _error(root) == (
        "app.yaml:9: overlay error: path 'v/link.yaml' leaves the tree through a symlink"
    )


def test_top_level_symlink_out_is_refused(tmp_path: Path) -> None:
    (tmp_path / "outside.yaml").write_text("releases: []\n")
    root = _tree(tmp_path / "tree", {"app.yaml": STATE})
    (root / "z.yaml").symlink_to(tmp_path / "outside.yaml")
    assert _error(root) == "z.yaml: overlay error: symlink leaves the tree"


def test_parts_of_every_file_render_in_one_child(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bkgen.importers.helmfile import tree as module

    batches: list[int] = []

    def spy(jobs: list[object]) -> list[str]:
        batches.append(len(jobs))
        return real(jobs)  # type: ignore[arg-type]

    real = module.render_many
    monkeypatch.setattr(module, "render_many", spy)
    other = STATE.replace("name: app", "name: other")
    read_tree(_tree(tmp_path, {"a.yaml.gotmpl": STATE, "b.yaml.gotmpl": other, "c.yaml": ENV}))
    assert batches == [2]


def test_duplicate_keys(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"app.yaml": STATE, "values.yaml": "ns: demo\nx: 1\nx: 1\n"})
    assert "values.yaml:3: duplicate key 'x' (also line 2), equal values" in read_tree(root).notes
    (root / "values.yaml").write_text("ns: demo\nx: 1\n # a comment\nx: 2\n")
    assert _error(root) == (
        "values.yaml:4: overlay error: duplicate key 'x' with different values (lines 2 and 4); "
        "helmfile would silently keep line 4"
    )


def test_missing_values_file_with_error_handler(tmp_path: Path) -> None:
    env = ENV + "    - absent.yaml\n"
    message = _error(_tree(tmp_path, {"env.yaml": env, "app.yaml": STATE}))
    assert message.startswith("env.yaml:5: overlay error: environment values file absent.yaml")


def test_helmfiles_cycle(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"a.yaml": "helmfiles:\n  - b.yaml\n", "b.yaml": "helmfiles:\n  - path: a.yaml\n"},
    )
    assert "helmfiles cycle: a.yaml -> b.yaml -> a.yaml" in _error(root)


def test_release_defined_twice_differently(tmp_path: Path) -> None:
    other = STATE.replace("app.tgz", "other.tgz")
    root = _tree(tmp_path, {"a.yaml.gotmpl": STATE, "b.yaml.gotmpl": other})
    assert _error(root) == (
        "b.yaml.gotmpl:5: overlay error: release app (namespace demo) is defined "
        "differently at a.yaml.gotmpl:5 and here"
    )


def test_hostile_yaml_is_bounded(tmp_path: Path) -> None:
    bomb = "a: &a [1,1,1,1,1,1,1,1,1,1]\n" + "".join(
        f"{c}: &{c} [{', '.join([f'*{p}'] * 10)}]\n" for p, c in zip("abcde", "bcdef", strict=True)
    )
    root = _tree(tmp_path, {"app.yaml": STATE, "values.yaml": "ns: demo\n" + bomb})
    assert "alias bomb" in _error(root)
    (root / "values.yaml").write_text("ns: " + "[" * 500 + "]" * 500 + "\n")
    assert "nesting deeper than" in _error(root)


def test_bases_cycle(tmp_path: Path) -> None:
    root = _tree(
        tmp_path,
        {"app.yaml": "bases:\n  - b.yaml\n---\nreleases: []\n", "b.yaml": "bases:\n  - app.yaml\n"},
    )
    assert "bases cycle: app.yaml -> b.yaml -> app.yaml" in _error(root, ["app.yaml"])


def test_gotmpl_environment_values_see_earlier_values(tmp_path: Path) -> None:
    env = ENV + "    - more.yaml.gotmpl\n    - {inline: 1}\n"
    files = {"env.yaml": env, "more.yaml.gotmpl": "host: {{ .Values.ns }}.svc\n", "a.yaml": STATE}
    tree = read_tree(_tree(tmp_path, files), ["a.yaml"])
    assert tree.values == {"ns": "demo", "host": "demo.svc", "inline": 1}
    assert tree.origins[("host",)] == ("more.yaml.gotmpl", 1)
    assert [v.path for v in tree.values_files] == ["values.yaml", "more.yaml.gotmpl", None]


def test_unknown_environment(tmp_path: Path) -> None:
    root = _tree(tmp_path, {"app.yaml": STATE})
    with pytest.raises(BkgenError, match="environment 'prod' is not defined"):
        read_tree(root, environment="prod")
