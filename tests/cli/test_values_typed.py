"""Global values are typed where they enter: a wrong value stops at the custom.yaml line
that holds it, and `bkgen set` refuses it before writing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli.conftest import run_cli, snapshot

CUSTOM = "overlays/default/custom.yaml"


@pytest.mark.parametrize(
    ("line", "needle"),
    [
        ('replicas: "2"', "replicas: '2' is not of type 'integer'"),
        ("replicas: 2.5", "replicas: 2.5 is not of type 'integer'"),
        ("replicas: -1", "replicas: -1 is less than the minimum of 1"),
        ("mysql:\n  port: abc", "mysql.port: 'abc' is not of type 'integer'"),
        ("redis:\n  port: 70000", "redis.port: 70000 is greater than the maximum of 65535"),
        ("mysql:\n  host: http://db:3306", "mysql.host: 'http://db:3306' is not allowed here"),
        ("localpv:\n  enabled: 'yes'", "localpv.enabled: 'yes' is not of type 'boolean'"),
        ("bitnamiMysql:\n  enabled: 1", "bitnamiMysql.enabled: 1 is not of type 'boolean'"),
        ("workflows:\n  image: python 3", "workflows.image: 'python 3' is not allowed here"),
        ("registryCache:\n  storage: lots", "registryCache.storage: 'lots' is not allowed"),
    ],
)
def test_a_wrong_global_value_names_its_custom_yaml_line(
    project: Path, line: str, needle: str
) -> None:
    custom = project / CUSTOM
    text = custom.read_text()
    wrong_at = text.count("\n") + 1 + line.count("\n")  # the value's own line
    custom.write_text(text + line + "\n")
    before = snapshot(project)
    code, out, err = run_cli(project, "render", "default", "-q")
    assert code == 2, (out, err)
    assert err.startswith(f"bkgen: {CUSTOM}:{wrong_at}:"), err
    assert needle in err and "hint: " in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err and not (project / "rendered").exists()
    assert snapshot(project) == before


def test_every_shipped_layer_passes_the_schema(repo_root: Path) -> None:
    for env in ("default", "prod", "bcs-demo"):
        code, _, err = run_cli(repo_root, "catalog", env)
        assert code == 0, err


@pytest.mark.parametrize(
    ("assignment", "needle"),
    [
        ("replicas=abc", "replicas: 'abc' is not of type 'integer'"),
        ("replicas='2'", "replicas: '2' is not of type 'integer'"),
        ("mysql.port=0", "mysql.port: 0 is less than the minimum of 1"),
        ("serviceMonitor.enabled=maybe", "serviceMonitor.enabled: 'maybe' is not of type"),
    ],
)
def test_set_refuses_a_wrong_value_before_writing(
    project: Path, assignment: str, needle: str
) -> None:
    before = snapshot(project)
    code, out, err = run_cli(project, "set", "default", "mysql.host=db.example.com", assignment)
    assert code == 2 and out == "", (out, err)
    assert err.startswith(f"bkgen: usage error: refused {assignment}: ") and needle in err
    assert f"{CUSTOM} is unchanged" in err and "hint: " in err
    assert snapshot(project) == before  # byte for byte, the valid assignment included


def test_set_writes_a_typed_value(project: Path) -> None:
    code, out, _ = run_cli(project, "set", "default", "replicas=3", "mysql.port=3307")
    assert code == 0 and out == f"{CUSTOM}: set replicas, mysql.port\n"
    text = (project / CUSTOM).read_text()
    assert "replicas: 3\n" in text and "port: 3307\n" in text
