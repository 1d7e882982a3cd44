"""The real BlueKing 7.0 tree beside the repository, and what an installation adds to it.

`../shared/bkce70` is the published bkhelmfile `blueking/` directory: the files a first
install generates (`app_secret.yaml`, the API-gateway keypair, `paas3_initial_cluster.yaml`,
`cert/*`, the operator's `custom.yaml`) are absent, as they are upstream. `installed()`
copies the tree and adds them as an installation would, with canary values that must
never appear in any output, and replaces the default passwords of `values.yaml` with
canaries too (the operator's real ones).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

BKCE70 = Path(__file__).resolve().parents[3] / "shared" / "bkce70"
CANARY = "CANARYbkce70"
DOMAIN = "bk.corp.example"
REGISTRY = "registry.corp.example"
_CREDENTIAL = re.compile(
    r"^(\s*)((?:root)?[pP]assword|token|encryptSecretKey|initalAdminPassword):\s*\S.*$"
)


def require() -> Path:
    if not (BKCE70 / "base.yaml.gotmpl").is_file():
        pytest.skip("the real BlueKing 7.0 tree (../shared/bkce70) is absent")
    return BKCE70


def installed(dest: Path) -> Path:
    """A copy of the tree as a first install leaves it (see the module docstring)."""
    tree = dest / "blueking"
    shutil.copytree(require(), tree)
    for path in tree.rglob("*"):
        path.chmod(path.stat().st_mode | 0o200)
    env = tree / "environments" / "default"
    values = env / "values.yaml"
    lines = values.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines):
        match = _CREDENTIAL.match(line)
        if match:
            lines[number] = f"{match.group(1)}{match.group(2)}: {CANARY}pw{number}"
    values.write_text("\n".join(lines), encoding="utf-8")
    codes = ["bk_paas", "bk_iam", "bk_paas3", "bk_job", "bk_usermgr", "bk_apigateway", "bk_cmdb"]
    codes += ["bk_gse", "bk_nodeman", "bk_ssm", "bk_repo", "bk_log_search", "bk_monitorv3"]
    codes += ["bk_bcs_app", "bk_apigw_test", "bk_ci", "bk_codecc", "bk_bkdata"]
    (env / "app_secret.yaml").write_text(
        "appSecret:\n" + "".join(f"  {c}: {CANARY}app{i}\n" for i, c in enumerate(codes))
    )
    systems = {"bk-iam": "bk_iam", "bk-auth": "bk_auth", "bk-user": "bk_usermgr"}
    systems |= {"bk-gse": "bk_gse", "bcs-app": "bk_bcs_app"}
    (env / "bkapigateway_builtin_keypair.yaml").write_text(
        "builtinGateway:\n"
        + "".join(
            f'  "{s}":\n    appCode: {c}\n    privateKeyBase64: {CANARY}priv{c}\n'
            f"    publicKeyBase64: UFVCTElDS0VZ\n"
            for s, c in systems.items()
        )
    )
    # as scripts/create_k8s_cluster_admin_for_paas3.sh writes it
    (env / "paas3_initial_cluster.yaml").write_text(
        'enabled: true\napiServers:\n- url: "https://kubernetes.default.svc.cluster.local"\n'
        f'caData: "Q0E="\ntokenValue: "{CANARY}clustertoken"\n'
    )
    cert = env / "cert"
    cert.mkdir()
    for name in sorted(set(re.findall(r'readFile "cert/([^"]+)"', _templates(env)))):
        if name.endswith(".key"):
            text = f"-----BEGIN PRIVATE KEY-----\n{CANARY}{name}\n-----END PRIVATE KEY-----\n"
            (cert / name).write_text(text)
        elif name.endswith((".p12", ".keystore")):
            (cert / name).write_bytes(f"{CANARY}\0{name}".encode())
        else:
            (cert / name).write_text(
                f"-----BEGIN CERTIFICATE-----\n{name}\n-----END CERTIFICATE-----\n"
            )
    # The operator's own settings: their domain and registry, an external Elasticsearch.
    (env / "custom.yaml").write_text(
        f"domain:\n  bkDomain: {DOMAIN}\n  bkMainSiteDomain: {DOMAIN}\n"
        f"imageRegistry: {REGISTRY}\nimageRegistry2: {REGISTRY}\n"
        "bitnamiElasticsearch:\n  enabled: false\n"
    )
    return tree


def _templates(env: Path) -> str:
    return "".join(p.read_text(encoding="utf-8") for p in sorted(env.rglob("*.gotmpl")))
