"""migrate-apis: conversions per family, refusals, round-trip fidelity, CLI contract."""

from __future__ import annotations

import re
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from bkgen.cli import cli
from bkgen.migrate import migrate_text

FIXTURE = Path(__file__).parent.parent / "importers" / "fixtures" / "web-nginx"


def run(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args))
    return result.exit_code, result.stdout, result.stderr


def migrate(text: str, minor: int = 23) -> tuple[str, list[dict], list[str]]:
    result = migrate_text(textwrap.dedent(text), Path("x.yaml"), minor)
    plain = re.sub(r"\{\{(\w+)\}\}", r"\1", result.migrated)  # variables as plain text
    docs = list(yaml.safe_load_all(plain))
    return result.migrated, docs, [r.reason for r in result.refusals]


def test_extensions_deployment_gets_selector_from_template_labels() -> None:
    out, docs, refused = migrate(
        """\
        # 模板示例
        apiVersion: extensions/v1beta1
        kind: Deployment
        metadata:
          name: redis-v2  # 吃豆小游戏
        spec:
          replicas: 1
          template:
            metadata:
              labels:
                app: redis-v2
                tier: "{{TIER}}"
            spec:
              containers:
                - name: redis-v2
                  image: redis:1.0
        """
    )
    assert not refused
    spec = docs[0]["spec"]
    assert docs[0]["apiVersion"] == "apps/v1"
    assert spec["selector"] == {"matchLabels": {"app": "redis-v2", "tier": "TIER"}}
    assert list(spec) == ["replicas", "selector", "template"]  # inserted before template
    assert out.startswith("# 模板示例\napiVersion: apps/v1\n")
    assert "name: redis-v2  # 吃豆小游戏\n" in out
    assert '      tier: "{{TIER}}"\n' in out  # the variable is back, quotes kept


def test_ingress_backends_and_path_type() -> None:
    _, docs, refused = migrate(
        """\
        apiVersion: extensions/v1beta1
        kind: Ingress
        metadata:
          name: servergame
        spec:
          backend:
            serviceName: default-http
            servicePort: http
          tls:
          - hosts:
            - demo.bcs.com
            secretName: servergame-secret
          rules:
          - host: demo.bcs.com
            http:
              paths:
              - backend:
                  serviceName: servergame
                  servicePort: 8080
                path: /
        """
    )
    assert not refused
    spec = docs[0]["spec"]
    assert docs[0]["apiVersion"] == "networking.k8s.io/v1"
    assert list(spec) == ["defaultBackend", "tls", "rules"]
    assert spec["defaultBackend"] == {"service": {"name": "default-http", "port": {"name": "http"}}}
    assert spec["rules"][0]["http"]["paths"][0] == {
        "backend": {"service": {"name": "servergame", "port": {"number": 8080}}},
        "path": "/",
        "pathType": "ImplementationSpecific",
    }


@pytest.mark.parametrize(
    ("api", "kind", "strategy"),
    [
        ("apps/v1beta1", "StatefulSet", "OnDelete"),
        ("apps/v1beta2", "StatefulSet", None),
        ("extensions/v1beta1", "DaemonSet", "OnDelete"),
        ("apps/v1beta2", "DaemonSet", None),
    ],
)
def test_old_update_strategy_defaults_are_kept(api: str, kind: str, strategy: str | None) -> None:
    _, docs, _ = migrate(
        f"""\
        apiVersion: {api}
        kind: {kind}
        metadata: {{name: relay}}
        spec:
          selector: {{matchLabels: {{app: relay}}}}
          template:
            metadata: {{labels: {{app: relay}}}}
            spec: {{containers: [{{name: r, image: relay:2.0.0}}]}}
        """
    )
    assert docs[0]["apiVersion"] == "apps/v1"
    assert docs[0]["spec"].get("updateStrategy", {}).get("type") == strategy


@pytest.mark.parametrize(
    ("doc", "reason"),
    [
        (
            "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata: {name: a}\nspec:\n"
            "  rules:\n  - http:\n      paths:\n      - backend:\n          serviceName: a\n"
            "          servicePort: {{PORT}}\n",
            "servicePort is a variable",
        ),
        (
            "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: a}\n"
            "spec:\n  minAvailable: 1\n",
            "empty spec.selector",
        ),
        (
            "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\n"
            "metadata: {name: a.b.c}\n",
            "structural schema",
        ),
        (
            "apiVersion: extensions/v1beta1\nkind: Deployment\nmetadata: {name: a}\n"
            "spec:\n  template:\n    spec: {containers: []}\n",
            "no pod template labels",
        ),
        (
            "apiVersion: flowcontrol.apiserver.k8s.io/v1beta1\nkind: FlowSchema\n"
            "metadata: {name: a}\n",
            "no safe automatic conversion",
        ),
    ],
)
def test_refused_documents_are_left_untouched(doc: str, reason: str) -> None:
    text = f"kind: ConfigMap\napiVersion: v1\nmetadata: {{name: keep}}\n---\n{doc}"
    result = migrate_text(text, Path("x.yaml"), 26)
    assert result.migrated == text
    assert len(result.refusals) == 1 and reason in result.refusals[0].reason
    assert result.refusals[0].line == 5


def test_psp_is_renamed_before_125_and_refused_from_125() -> None:
    doc = "apiVersion: extensions/v1beta1\nkind: PodSecurityPolicy\nmetadata: {name: p}\n"
    assert migrate_text(doc, Path("x"), 22).migrated.startswith("apiVersion: policy/v1beta1")
    late = migrate_text(doc, Path("x"), 25)
    assert late.migrated == doc and "Pod Security admission" in late.refusals[0].reason


def test_target_version_decides_what_is_removed() -> None:
    doc = "apiVersion: networking.k8s.io/v1beta1\nkind: Ingress\nmetadata: {name: a}\nspec: {}\n"
    assert not migrate_text(doc, Path("x"), 21).changed  # still served in 1.21
    assert migrate_text(doc, Path("x"), 22).changed
    cron = "apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\nspec: {}\n"
    assert not migrate_text(cron, Path("x"), 24).changed
    assert migrate_text(cron, Path("x"), 25).migrated.startswith("apiVersion: batch/v1\n")


_label = st.from_regex(r"l-[a-z0-9-]{0,8}", fullmatch=True)  # never a YAML 1.1 bool (on, y)


@given(labels=st.dictionaries(_label, _label, min_size=1, max_size=5))
def test_selector_equals_template_labels_and_unchanged_docs_stay_byte_identical(
    labels: dict[str, str],
) -> None:
    body = "\n".join(f"        {k}: {v}" for k, v in labels.items())
    text = (
        "# untouched\nkind: Service\napiVersion: v1\nmetadata:   {name: s}\n---\n"
        "apiVersion: apps/v1beta2\nkind: Deployment\nmetadata:\n  name: d\nspec:\n"
        f"  template:\n    metadata:\n      labels:\n{body}\n"
    )
    result = migrate_text(text, Path("x"), 23)
    # The document separator is a line of its own (a label value may end in "---").
    first, second = result.migrated.split("\n---\n")
    assert first == text.split("\n---\n", maxsplit=1)[0]
    doc = next(yaml.safe_load_all(second))
    assert doc["spec"]["selector"]["matchLabels"] == labels
    assert migrate_text(result.migrated, Path("x"), 23).migrated == result.migrated  # idempotent


def test_cli_diff_then_write_then_clean(tmp_path: Path, repo_root: Path) -> None:
    target = tmp_path / "set"
    shutil.copytree(FIXTURE, target)
    before = {p.name: p.read_bytes() for p in target.iterdir()}
    code, out, err = run("migrate-apis", str(target), "--to", "1.22", "--root", str(repo_root))
    assert code == 1  # changes pending
    assert out.count("\n--- a/") + out.startswith("--- a/") == 3
    assert "-apiVersion: extensions/v1beta1\n+apiVersion: apps/v1\n" in out
    assert "+        pathType: ImplementationSpecific\n" in out
    assert "3 objects to migrate in 3 files, 0 not convertible" in err
    assert {p.name: p.read_bytes() for p in target.iterdir()} == before  # diff only
    assert run("migrate-apis", str(target), "--to", "1.22", "--write")[0] == 0
    after = (target / "deployment-web-nginx.yaml").read_text()
    assert (
        "# 实例数量与容器端口以变量填写" in after
        and "replicas: {{INSTANCE_NUM}}  # 实例数量" in after
    )
    code, out, err = run("migrate-apis", str(target), "--to", "1.22")
    assert (code, out) == (0, "") and "0 objects to migrate" in err
    _, out, _ = run("validate", str(target), "--kube-version", "1.22")
    assert "deprecated-api" not in out


def test_cli_lists_what_it_cannot_convert(tmp_path: Path) -> None:
    path = tmp_path / "pdb.yaml"
    text = "apiVersion: policy/v1beta1\nkind: PodDisruptionBudget\nmetadata: {name: a}\nspec: {}\n"
    path.write_text(text)
    code, _out, err = run("migrate-apis", str(path), "--to", "1.25", "--write")
    assert code == 1 and path.read_text() == text
    assert "pdb.yaml:1: not converted: PodDisruptionBudget/a policy/v1beta1: empty" in err
    assert "Traceback" not in err


def test_deprecated_api_rule_points_at_migrate_apis() -> None:
    result = CliRunner().invoke(
        cli,
        ["validate", "-"],
        input="apiVersion: batch/v1beta1\nkind: CronJob\nmetadata: {name: c}\n",
    )
    assert "`bkgen migrate-apis` rewrites it" in result.stdout
