"""Where a value enters and is not used, or is spelt so YAML changes it, bkgen says so at the
file:line that holds it: kubeVersion's quoting, values of a disabled release, env new's
domain, explain on a templates release."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.conftest import run_cli, snapshot


def test_unquoted_kube_version_hint_quotes_the_source_text(project: Path) -> None:
    env_yaml = project / "overlays/default/env.yaml"
    lines = env_yaml.read_text().splitlines(keepends=True)
    at = next(i for i, line in enumerate(lines, 1) if line.startswith("kubeVersion:"))
    lines[at - 1] = "kubeVersion: 1.20\n"
    env_yaml.write_text("".join(lines))
    before = snapshot(project)
    code, out, err = run_cli(project, "render", "default", "-q")
    assert code == 2 and out == "" and snapshot(project) == before
    assert err.startswith(f"bkgen: overlays/default/env.yaml:{at}:")
    assert 'YAML reads 1.20 as a number; quote it: kubeVersion: "1.20"' in err
    lines[at - 1] = 'kubeVersion: "1.20"\n'  # the hint, followed
    env_yaml.write_text("".join(lines))
    code, _, err = run_cli(project, "catalog", "default")
    assert code == 0, err


def test_values_of_a_disabled_release_warn_naming_the_switch(project: Path) -> None:
    custom = project / "overlays/prod/custom.yaml"
    switch = next(
        i for i, line in enumerate(custom.read_text().splitlines(), 1) if "enabled: false" in line
    )
    (project / "overlays/prod/bk-mysql-values.yaml.j2").write_text(
        "primary:\n  persistence:\n    size: 20Gi\n"
    )
    code, _, err = run_cli(project, "render", "prod", "-q")
    assert code == 0
    # the other warning prod always has: its plain credentials (tests/secrets)
    assert [line for line in err.splitlines() if "plainCredentials" not in line] == [
        "bkgen: overlays/prod/bk-mysql-values.yaml.j2: warning: values for bk-mysql, which prod "
        f"does not render: bitnamiMysql.enabled is false (overlays/prod/custom.yaml:{switch}) "
        "(hint: enable bk-mysql, or remove the file)"
    ]
    code, out, _ = run_cli(project, "explain", "prod", "bk-mysql", "primary.persistence.size")
    assert code == 0
    assert out.splitlines()[0] == (
        "note: bk-mysql is disabled in prod (bitnamiMysql.enabled is false); it does not render"
    )
    code, out, _ = run_cli(
        project, "explain", "prod", "bk-mysql", "primary.persistence.size", "-o", "json"
    )
    assert code == 0 and json.loads(out)["disabled"] == "bitnamiMysql.enabled is false"


def test_an_enabled_release_is_not_marked(repo_root: Path) -> None:
    args = ("explain", "default", "bk-mysql", "primary.persistence.size")
    code, out, err = run_cli(repo_root, *args)
    assert code == 0 and out.startswith('primary.persistence.size = "20Gi"\n')
    assert "disabled" not in out + err
    code, out, _ = run_cli(repo_root, *args, "-o", "json")
    assert code == 0 and "disabled" not in json.loads(out)


def test_env_new_from_honours_domain_and_description(project: Path) -> None:
    code, out, err = run_cli(
        project,
        "env",
        "new",
        "staging",
        "--from",
        "prod",
        "--domain",
        "staging.example.com",
        "--description",
        "Staging: prod's shape, its own domain",
    )
    assert code == 0, err
    custom = (project / "overlays/staging/custom.yaml").read_text()
    assert "bkDomain: staging.example.com\n" in custom
    assert "bkMainSiteDomain: staging.example.com\n" in custom
    assert "bk.example.com" not in custom and "imageRegistry: registry.example.com" in custom
    env_yaml = (project / "overlays/staging/env.yaml").read_text()
    assert "description: 'Staging: prod''s shape, its own domain'" in env_yaml or (
        'description: "Staging: prod\'s shape, its own domain"' in env_yaml
    )
    code, out, _ = run_cli(project, "explain", "staging", "global", "domain.bkDomain")
    assert code == 0 and out.splitlines()[0] == 'domain.bkDomain = "staging.example.com"'
    assert "overlays/staging/custom.yaml:" in out


def test_env_new_refuses_a_bad_domain_before_writing(project: Path) -> None:
    before = snapshot(project)
    code, out, err = run_cli(project, "env", "new", "x", "--domain", "https://bk.example.com")
    assert code == 2 and out == ""
    assert err.startswith("bkgen: usage error: --domain 'https://bk.example.com': not a domain")
    assert snapshot(project) == before and not (project / "overlays/x").exists()
    assert not [p for p in (project / "overlays").iterdir() if p.name.startswith(".")]


def test_env_new_without_from_writes_the_domain(project: Path) -> None:
    code, _, err = run_cli(project, "env", "new", "fresh", "--domain", "bk.fresh.example")
    assert code == 0, err
    assert "bkDomain: bk.fresh.example" in (project / "overlays/fresh/custom.yaml").read_text()
    assert "description: fresh\n" in (project / "overlays/fresh/env.yaml").read_text()


def test_explain_a_templates_release_points_at_the_globals_it_reads(repo_root: Path) -> None:
    code, out, err = run_cli(repo_root, "explain", "default", "localpv", "count")
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0].startswith("localpv: values.localpv.count read by overlays/base/templates/")
    assert lines[1] == "localpv.count = 20"
    assert lines[2].startswith("  set by overlays/base/values.yaml:")
    code, out, _ = run_cli(repo_root, "explain", "default", "localpv", "count", "-o", "json")
    document = json.loads(out)
    assert code == 0 and (document["release"], document["key"]) == ("localpv", "localpv.count")
    assert document["value"] == 20 and document["readBy"][0]["key"] == "values.localpv.count"
    assert document["readBy"][0]["file"].startswith("overlays/base/templates/localpv/")
    code, out, err = run_cli(repo_root, "explain", "default", "localpv", "nosuch")
    assert code == 2 and out == ""
    assert "localpv: templates release with no values of its own; its templates read " in err
    assert "values.localpv.count" in err and "`bkgen explain default global " in err
