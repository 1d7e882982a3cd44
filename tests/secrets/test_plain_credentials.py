"""Credentials a chart takes only as plain values (catalog `plainCredentials`): a render names
every release that leaves one undeclared, and a declared one reaches the pods through a Secret."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
from tests.charts.factory import build_chart
from tests.cli.conftest import run_cli as run
from tests.conftest import MINIMAL_CATALOG
from tests.secrets.conftest import ENV

Project = Callable[..., Path]

# `app` bundles a MariaDB it is told to leave off, and reads the external one's password only
# from externalDatabase.default.password, into a ConfigMap (as bkauth 0.0.9 does).
CATALOG = MINIMAL_CATALOG.replace(
    "    chart: {repo: demo, name: app}\n",
    "    chart: {repo: demo, name: app}\n"
    "    plainCredentials: [externalDatabase.default.password, externalDatabase.default.user]\n",
)
APP_VALUES = (
    "mariadb:\n  enabled: false\n"
    "externalDatabase:\n  default:\n    host: db\n    port: 3306\n"
    "existingSecret: app-credentials\n"
)
DECLARED = (
    "externalDatabase:\n  default:\n"
    '    password: {secretRef: "bkce7/mysql#password"}\n'
    '    user: {secretRef: "bkce7/mysql#user"}\n'
)


@pytest.fixture
def project(make_project: Project) -> Path:
    root = make_project(
        {
            "overlays/base/catalog.yaml": CATALOG,
            "overlays/dev/env.yaml": ENV,
            "overlays/base/releases/app-values.yaml.j2": APP_VALUES,
            "overlays/base/releases/db-values.yaml.j2": "existingSecret: db-credentials\n",
        }
    )
    charts = root / "overlays/dev/charts"
    build_chart(charts, "db", "1.0.0", statefulset=True)
    build_chart(charts, "app", "2.0.0", bundled=("mariadb",))
    return root


def catalog_line(root: Path) -> int:
    lines = (root / "overlays/base/catalog.yaml").read_text().splitlines()
    return lines.index("  app:") + 1


def test_an_undeclared_plain_credential_is_named_at_the_catalog_entry(project: Path) -> None:
    code, out, err = run(project, "render", "dev", "-q")
    assert code == 0, err
    assert err == (
        f"bkgen: overlays/base/catalog.yaml:{catalog_line(project)}: warning: release 'app' of dev "
        "gets no externalDatabase.default.password, externalDatabase.default.user: its chart takes "
        "them only as plain values and reads no Secret (hint: declare each as "
        '{secretRef: "<store key>#<property>"} in overlays/dev/app-custom-values.yaml.j2)\n'
    )
    code, out, _ = run(project, "render", "dev", "-o", "json")
    assert code == 0
    (warning,) = __import__("json").loads(out)[0]["warnings"]
    assert "release 'app' of dev gets no externalDatabase.default.password" in warning


def test_a_declared_one_reaches_the_pods_through_a_secret_and_silences_it(
    project: Path,
) -> None:
    (project / "overlays/dev/app-custom-values.yaml.j2").write_text(DECLARED)
    code, _, err = run(project, "render", "dev", "-q")
    assert code == 0 and err == "", err
    files = (project / "rendered/dev/releases/app").iterdir()
    names = sorted(p.name for p in files)
    assert "ExternalSecret_app-mariadb.yaml" in names, names
    assert not any(n.startswith("ConfigMap_app-mariadb") for n in names)
    external = yaml.safe_load(
        (project / "rendered/dev/releases/app/ExternalSecret_app-mariadb.yaml").read_text()
    )
    remote = sorted(d["remoteRef"]["property"] for d in external["spec"]["data"])
    assert remote == ["password", "user"]
    assert external["spec"]["target"]["template"]["data"]["HOST"] == "db"


def test_a_literal_is_not_a_declaration(project: Path) -> None:
    # a MongoDB URI written without its password, a user name: the pods still get none
    (project / "overlays/dev/app-custom-values.yaml.j2").write_text(
        DECLARED.replace('{secretRef: "bkce7/mysql#user"}', "root")
    )
    code, _, err = run(project, "render", "dev", "-q")
    assert code == 0
    assert "release 'app' of dev gets no externalDatabase.default.user: its chart takes it" in err


def test_left_to_argo_cd_the_releases_are_named_together_with_the_way_out(
    project: Path,
) -> None:
    import shutil

    shutil.rmtree(project / "overlays/dev/charts/app")
    code, _, err = run(project, "render", "dev", "-q")
    assert code == 0
    assert err == (
        "bkgen: overlays/base/catalog.yaml: warning: 1 release(s) of dev left to Argo CD get no "
        "credential their chart takes only as a plain value (catalog plainCredentials): app (2) "
        "(hint: render their charts here (`bkgen charts pull dev`): the render then names, per "
        'release, the values file to declare each in as {secretRef: "<store key>#<property>"}; '
        "left to Argo CD, a declared secret is refused)\n"
    )


def test_an_env_can_make_it_an_error_and_nothing_is_written(project: Path) -> None:
    code, _, err = run(project, "render", "dev", "-q")
    assert code == 0
    before = {p: p.read_bytes() for p in (project / "rendered").rglob("*") if p.is_file()}
    env = project / "overlays/dev/env.yaml"
    env.write_text(env.read_text() + "validation:\n  missingCredentials: error\n")
    (project / "overlays/dev/app-custom-values.yaml.j2").write_text("replicaCount: 2\n")
    code, _, err = run(project, "render", "dev", "-q")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith(
        f"bkgen: overlays/base/catalog.yaml:{catalog_line(project)}: overlay error: release "
        "'app' of dev gets no externalDatabase.default.password"
    ), err
    after = {p: p.read_bytes() for p in (project / "rendered").rglob("*") if p.is_file()}
    assert after == before


def test_under_trusted_the_trusted_refs_setting_holds(project: Path) -> None:
    """A pull request cannot turn the error back into a warning: the trusted ref's
    `validation:` block decides (as for every other check)."""
    from tests.gitops.conftest import commit_trusted

    env = project / "overlays/dev/env.yaml"
    env.write_text(env.read_text() + "validation:\n  missingCredentials: error\n")
    commit_trusted(project)
    env.write_text(
        env.read_text().replace("missingCredentials: error", "missingCredentials: warning")
    )
    code, _, err = run(project, "render", "dev", "-q")
    assert code == 0 and "warning: release 'app' of dev gets no" in err
    code, _, err = run(project, "render", "dev", "-q", "--trusted", "HEAD")
    assert code == 2
    assert "overlay error: release 'app' of dev gets no externalDatabase.default.password" in err


def test_an_env_catalog_sets_its_own_list_and_another_chart_drops_the_base_one(
    project: Path,
) -> None:
    catalog = project / "overlays/dev/catalog.yaml"
    catalog.write_text("releases:\n  app:\n    plainCredentials: [externalDatabase.default.user]\n")
    (project / "overlays/dev/app-custom-values.yaml.j2").write_text(
        'externalDatabase:\n  default:\n    user: {secretRef: "bkce7/mysql#user"}\n'
    )
    env = load_environment(project, "dev")
    assert env.catalog.releases["app"].plain_credentials == ("externalDatabase.default.user",)
    assert build_tree(env).summary.warnings == ()
    catalog.write_text(
        "repositories:\n  mirror:\n    url: https://mirror.example.com/demo\n"
        "releases:\n  app:\n    chart: {repo: mirror, name: app}\n"
    )
    assert len(load_environment(project, "dev").catalog.releases["app"].plain_credentials) == 2
    catalog.write_text("releases:\n  app:\n    chart: {repo: demo, name: db}\n")
    assert load_environment(project, "dev").catalog.releases["app"].plain_credentials == ()


@pytest.mark.parametrize(
    ("catalog", "message"),
    [
        (
            MINIMAL_CATALOG.replace(
                "    templates: namespaces\n",
                "    templates: namespaces\n    plainCredentials: [a.password]\n",
            ),
            "release 'namespaces' is a templates release: plainCredentials names values of a chart",
        ),
        (
            CATALOG.replace("externalDatabase.default.user]", "externalDatabase..user]"),
            "plainCredentials.1",
        ),
    ],
)
def test_a_wrong_list_is_one_line_at_its_file(
    make_project: Project, catalog: str, message: str
) -> None:
    root = make_project({"overlays/base/catalog.yaml": catalog, "overlays/dev/env.yaml": ENV})
    code, _, err = run(root, "render", "dev", "-q")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("bkgen: overlays/base/catalog.yaml:"), err
    assert message in err
    assert not (root / "rendered").exists()


def test_text_a_declaration_went_into_counts_as_declared() -> None:
    from bkgen.overlay.plain_credentials import undeclared
    from bkgen.secrets.refs import sentinel_for

    token = sentinel_for("bkce70/mongodb", "rootPassword")
    values = {
        "externalMongodb": {"uri": f"mongodb://root:{token}@bk-mongodb:27017/bkrepo"},
        "externalRedis": {"password": {"secretRef": "bkce70/redis#password"}},
        "externalMySQL": {"password": ""},
    }
    paths = ("externalMongodb.uri", "externalRedis.password", "externalMySQL.password", "a.b")
    assert undeclared(values, paths) == ["externalMySQL.password", "a.b"]
