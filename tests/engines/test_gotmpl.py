"""helmfile `.gotmpl` files through Helm's real Go template engine (bkgen.engines.gotmpl)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from bkgen.engines.gotmpl import GoTemplateContext, GoTemplateJob, render_gotmpl, render_many
from bkgen.errors import TemplateError

BKCE70 = Path(__file__).resolve().parents[3] / "shared" / "bkce70"


def _ctx(root: Path, **kwargs: Any) -> GoTemplateContext:
    base: dict[str, Any] = {
        "values": {"a": {"b": 1}, "domain": "example.com"},
        "environment_name": "prod",
        "tree_root": root,
        "release_name": "bk-one",
        "release_namespace": "blueking",
    }
    base.update(kwargs)
    return GoTemplateContext(**base)


def _render(tmp_path: Path, text: str, **kwargs: Any) -> str:
    path = tmp_path / "env" / "x.yaml.gotmpl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return render_gotmpl(path, _ctx(tmp_path, **kwargs), "env/x.yaml.gotmpl")


def _error(tmp_path: Path, text: str, **kwargs: Any) -> str:
    with pytest.raises(TemplateError) as caught:
        _render(tmp_path, text, **kwargs)
    message = str(caught.value)
    assert "\n" not in message and str(tmp_path) not in message and "Traceback" not in message
    return message


def test_helmfile_root_context(tmp_path: Path) -> None:
    text = (
        "v: {{ .Values.a.b }}\ns: {{ .StateValues.a.b }}\n"
        "e: {{ .Environment.Values.a.b }} {{ .Environment.Name }} {{ $.Environment.Name }}\n"
        "r: {{ .Release.Name }}/{{ .Release.Namespace }}\n"
        "{{ with .Values.a }}w: {{ $.Environment.Name }}{{ end }}\n"
        "all: {{ toYaml .Values | nindent 2 }}\n"
    )
    out = yaml.safe_load(_render(tmp_path, text))
    assert out["v"] == out["s"] == 1
    assert out["e"] == "1 prod prod" and out["w"] == "prod" and out["r"] == "bk-one/blueking"
    # nothing reserved is slipped into .Values
    assert out["all"] == {"a": {"b": 1}, "domain": "example.com"}


def test_release_only_inside_a_release(tmp_path: Path) -> None:
    message = _error(tmp_path, "a\n{{ .Release.Name }}", release_name=None)
    assert message.startswith("env/x.yaml.gotmpl:2: template error:")


def test_sprig_as_helm_has_it(tmp_path: Path) -> None:
    text = (
        'q: {{ "x" | quote }}\nd: {{ .Values.a.none | default "dflt" }}\n'
        "b: {{ .Values.domain | b64enc }}\n"
        'y: {{ (fromYaml "k: v").k }}\n'
        't: {{ tpl "{{ .Values.domain }}" . }}\n'
        'g: {{ get .Values.a "b" }}\n'
        "n: {{ toYaml .Values.a | nindent 2 }}\n"
        'i: |\n{{ "l1\\nl2" | indent 2 }}\n'
    )
    text = text.replace(".Values.a.none", '(.Values.a | getOrNil "none")')
    out = yaml.safe_load(_render(tmp_path, text))
    assert out == {
        "q": "x",
        "d": "dflt",
        "b": "ZXhhbXBsZS5jb20=",
        "y": "v",
        "t": "example.com",
        "g": 1,
        "n": {"b": 1},
        "i": "l1\nl2\n",
    }


def test_missing_key_is_an_error_as_in_helmfile(tmp_path: Path) -> None:
    message = _error(tmp_path, "a: 1\nb: {{ .Values.nope.x }}\n")
    assert message == 'env/x.yaml.gotmpl:2: template error: map has no entry for key "nope"'
    assert "need it" in _error(tmp_path, '{{ required "need it" "" }}')


def test_helmfile_get_getornil_setvalueatpath(tmp_path: Path) -> None:
    text = (
        'g1: {{ get "a.b" .Values }}\ng2: {{ get "a.z" "dflt" .Values }}\n'
        'g3: {{ .Values | get "a.b" }}\ng4: {{ .Values | get "a.z" "p" }}\n'
        'n1: {{ getOrNil "a.z" .Values | default "nil" }}\n'
        'n2: {{ .Values | getOrNil "a.b" }}\n'
        '{{- $_ := setValueAtPath "a.b" 42 .Values }}\n'
        "s: {{ .Values.a.b }}\n"
    )
    out = yaml.safe_load(_render(tmp_path, text))
    assert out == {"g1": 1, "g2": "dflt", "g3": 1, "g4": "p", "n1": "nil", "n2": 1, "s": 42}
    assert "no value exist for key" in _error(tmp_path, 'a\n{{ get "a.z" .Values }}')


def test_readfile_and_isfile_relative_to_the_file(tmp_path: Path) -> None:
    (tmp_path / "env" / "cert").mkdir(parents=True)
    (tmp_path / "env" / "cert" / "ca.crt").write_bytes(b"\x00\xffCA")
    text = (
        'c: {{ readFile "cert/ca.crt" | b64enc }}\n'
        'f: {{ isFile "cert/ca.crt" }} {{ isFile "cert/none" }}\n'
        '{{ if isFile "cert/none" }}{{ readFile "cert/none" }}{{ end }}\n'
    )
    out = yaml.safe_load(_render(tmp_path, text))
    assert out == {"c": "AP9DQQ==", "f": "true false"}


def test_readfile_refusals(tmp_path: Path) -> None:
    missing = _error(tmp_path, 'a\n\nb: {{ readFile "cert/gone.crt" }}')
    assert missing.startswith("env/x.yaml.gotmpl:3: template error: readFile cert/gone.crt")
    assert ":2: template error: readFile needs a literal" in _error(
        tmp_path, "a\n{{ readFile .Values.domain }}"
    )
    outside = tmp_path.parent / f"{tmp_path.name}-secret.txt"
    outside.write_text("secret")
    try:
        assert "leaves the tree" in _error(tmp_path, f'{{{{ readFile "../../{outside.name}" }}}}')
        (tmp_path / "env" / "link.txt").symlink_to(outside)
        assert "leaves the tree" in _error(tmp_path, '{{ readFile "link.txt" }}')
    finally:
        outside.unlink()


@pytest.mark.parametrize("call", ['exec "ls" (list)', 'fetchSecretValue "ref+vault://a"'])
def test_exec_and_secrets_refused(tmp_path: Path, call: str) -> None:
    message = _error(tmp_path, f"a\n{{{{ {call} }}}}")
    name = call.split(maxsplit=1)[0]
    assert message.startswith(f"env/x.yaml.gotmpl:2: template error: {name} is refused")


def test_no_process_environment_reaches_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("BKGEN_CANARY", "canary-7f3a")
    for text in (
        '{{ env "BKGEN_CANARY" }}',
        '{{ requiredEnv "BKGEN_CANARY" }}',
        '{{ expandenv "$BKGEN_CANARY" }}',
        '{{ "$BKGEN_CANARY" | expandenv }}',
    ):
        assert "canary-7f3a" not in _error(tmp_path, text)
    assert "BKGEN_CANARY" in _error(tmp_path, '{{ env "BKGEN_CANARY" }}')
    allowed = {"BK_DOMAIN": "bk.example.com", "EMPTY": ""}
    out = _render(
        tmp_path, '{{ env "BK_DOMAIN" }} {{ requiredEnv "BK_DOMAIN" }}', allowed_env=allowed
    )
    assert out == "bk.example.com bk.example.com"
    assert "is not set" in _error(tmp_path, '{{ requiredEnv "EMPTY" }}', allowed_env=allowed)


def test_strings_and_comments_are_not_rewritten(tmp_path: Path) -> None:
    text = '{{/* readFile "x" exec */}}a: {{ ".Environment.Name readFile" }}\nb: {{ `env "X"` }}'
    assert _render(tmp_path, text) == 'a: .Environment.Name readFile\nb: env "X"'


def test_syntax_error_names_the_line(tmp_path: Path) -> None:
    assert _error(tmp_path, "a\nb\n{{ if }}").startswith("env/x.yaml.gotmpl:3: template error:")


def test_output_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BKGEN_MAX_TEMPLATE_OUTPUT", "1000")
    assert "larger than 1000" in _error(tmp_path, '{{ repeat 2000 "x" }}')


def test_input_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BKGEN_MAX_INPUT_BYTES", "100")
    assert "larger than 100 bytes" in _error(tmp_path, "x" * 200)


def test_time_bound(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BKGEN_TEMPLATE_SECONDS", "1")
    message = _error(tmp_path, "{{ range until 100000 }}{{ range until 100000 }}{{ end }}{{ end }}")
    assert message == (
        "env/x.yaml.gotmpl: template error: template ran longer than 1 s (BKGEN_TEMPLATE_SECONDS)"
    )
    # tpl re-entering include: Helm's include limit is per name, the tpl chain never ends
    loop = '{{ define "r" }}{{ tpl "{{ include \\"r\\" . }}" . }}{{ end }}{{ include "r" . }}'
    # (it exhausts the child's memory or the time budget first, whichever the machine hits)
    message = _error(tmp_path, loop)
    assert "ran longer than 1 s" in message or "engine stopped" in message


def test_memory_bound_and_recursion_crash_only_the_child(tmp_path: Path) -> None:
    # A template that grows a string past the address-space ceiling.
    grow = '{{ $s := "xxxxxxxxxxxxxxxx" }}{{ range until 40 }}{{ $s = print $s $s }}{{ end }}{{ len $s }}'
    message = _error(tmp_path, grow)
    assert message.startswith("env/x.yaml.gotmpl: template error: the Go template engine stopped")
    assert "out of memory" in message
    deep = '{{ define "r" }}{{ include "r" . }}{{ end }}{{ include "r" . }}'
    assert "nested reference" in _error(tmp_path, deep)
    assert _render(tmp_path, "ok: {{ .Values.a.b }}") == "ok: 1"  # and life goes on


def test_render_many_names_the_failing_file(tmp_path: Path) -> None:
    jobs = []
    for index, text in enumerate(["a: {{ .Values.a.b }}", "b: {{ .Values.nope.x }}"]):
        path = tmp_path / f"f{index}.yaml.gotmpl"
        path.write_text(text)
        jobs.append(GoTemplateJob(path, _ctx(tmp_path), f"f{index}.yaml.gotmpl"))
    assert render_many(jobs[:1]) == ["a: 1"]
    with pytest.raises(TemplateError, match=r"^f1\.yaml\.gotmpl:1: template error"):
        render_many(jobs)


# --- the real BlueKing 7.0 tree -------------------------------------------------------------

_GATEWAYS = re.compile(r'builtinGateway "([^"]+)"')


def _real_tree(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    if not BKCE70.is_dir():
        pytest.skip(f"the real BlueKing 7.0 tree is absent ({BKCE70.name} not in ../shared)")
    root = tmp_path / "bkce70"
    shutil.copytree(BKCE70 / "environments", root / "environments")
    for state in BKCE70.glob("*.yaml.gotmpl"):
        shutil.copy(state, root / state.name)
    values_dir = root / "environments" / "default"
    texts = {str(p) for p in (BKCE70 / "environments").rglob("*.gotmpl")}
    # What an installation generates beside the values files (helmfile resolves readFile
    # against the directory of the values file being rendered): the API gateway key pairs
    # (also an environment values file) and the PaaS cluster.
    gateways = sorted({g for t in texts for g in _GATEWAYS.findall(Path(t).read_text())})
    keypairs = {
        "builtinGateway": {
            g: {"appCode": g, "privateKeyBase64": "cHJpdg==", "publicKeyBase64": "cHVi"}
            for g in gateways
        }
    }
    (values_dir / "bkapigateway_builtin_keypair.yaml").write_text(yaml.safe_dump(keypairs))
    (values_dir / "paas3_initial_cluster.yaml").write_text("clusters: []\n")
    for source in sorted(texts):
        for cert in sorted(set(_READS.findall(Path(source).read_text()))):
            if cert.startswith("cert/"):
                target = Path(source).parent.relative_to(BKCE70)
                (root / target / cert).parent.mkdir(parents=True, exist_ok=True)
                (root / target / cert).write_bytes(b"-----BEGIN TEST-----\n\x00\xff\n")
    values: dict[str, Any] = {}
    # version.yaml repeats keys with equal values; helmfile (go-yaml v2, non-strict) keeps the
    # last, as PyYAML does. Its comment line indented by one space is fine for both.
    for name in ("version.yaml", "values.yaml"):
        values.update(yaml.safe_load((values_dir / name).read_text()) or {})
    # custom.yaml, as an operator writes it. elasticsearch-values reads .Values.imageRegistry2,
    # which no published file defines: helmfile (missingkey=error) fails without it too.
    values["domain"] = {"bkDomain": "bk.example.com", "bkMainSiteDomain": "bk.example.com"}
    values["imageRegistry2"] = "docker.io"
    values["appSecret"] = {code: f"secret-{code}" for code in _APP_CODES}
    values.update(keypairs)
    return root, values


# scripts/generate_app_secret.sh's list
_APP_CODES = ("bk_repo", "bk_paas", "bk_iam", "bk_ssm", "bk_apigateway", "bk_apigw_test")
_APP_CODES += ("bk_cmdb", "bk_job", "bk_gse", "bk_paas3", "bk_usermgr", "bk_ci", "bk_monitorv3")
_APP_CODES += ("bk_bkdata", "bk_log_search", "bk_bcs_app", "bk_codecc", "bk_nodeman")
_READS = re.compile(r'readFile "([^"]+)"')


def test_real_bkce70_tree_renders_to_yaml(tmp_path: Path) -> None:
    root, values = _real_tree(tmp_path)
    files = sorted((root / "environments" / "default").rglob("*.yaml.gotmpl"))
    files += sorted(root.glob("*.yaml.gotmpl"))
    jobs = [
        GoTemplateJob(
            path,
            GoTemplateContext(
                values=values,
                environment_name="default",
                tree_root=root,
                release_name=path.name.split("-values")[0] if "-values" in path.name else None,
                release_namespace="blueking",
            ),
            path.relative_to(root).as_posix(),
        )
        for path in files
    ]
    texts = render_many(jobs)
    assert len(texts) == len(jobs) >= 40
    rendered = dict(zip((job.shown for job in jobs), texts, strict=True))
    for shown, text in rendered.items():
        assert list(yaml.safe_load_all(text)), shown  # every output parses as YAML
    assert sum("bk.example.com" in text for text in texts) >= 20
    gse = yaml.safe_load(rendered["environments/default/bkgse-ce-values.yaml.gotmpl"])
    assert (
        gse["gseCert"]["ca"] == "LS0tLS1CRUdJTiBURVNULS0tLS0KAP8K"
    )  # readFile | b64enc, bytes kept
    assert "- name: bk-repo" in rendered["base-blueking.yaml.gotmpl"]
