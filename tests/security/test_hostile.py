"""A pull request that wants the CI's secrets: one fixture per attack.

Every case runs the real `bkgen` in a subprocess against a copy of this repository and
asserts the same things: exit code as documented, exactly one `bkgen:` line, no traceback,
no canary (planted in the process environment, in a file outside the project and in a
URL) in any output or in the tree, and the previously rendered tree byte-identical.
"""

from __future__ import annotations

import os
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import REPO

CANARY = "canary-7f3a9c1e-do-not-leak"
Run = Callable[..., subprocess.CompletedProcess[str]]


def _env() -> dict[str, str]:
    keep = ("PATH", "HOME", "LANG", "TMPDIR")
    env = {k: v for k, v in os.environ.items() if k in keep}
    env.update(
        {
            "GIT_CONFIG_GLOBAL": os.devnull,
            "GIT_CONFIG_NOSYSTEM": "1",
            "CI_JOB_TOKEN": CANARY,  # what a CI job would hold
            "BKGEN_CHART_CACHE": str(Path(os.environ.get("TMPDIR", "/tmp")) / "bkgen-no-cache"),
        }
    )
    return env


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This repository with `default` rendered, as a git repo; copied per test."""
    base = tmp_path_factory.mktemp("hostile")
    root = base / "project"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(REPO / part, root / part, ignore=shutil.ignore_patterns("__pycache__"))
    for other in (root / "overlays").iterdir():
        if other.name not in ("base", "default"):
            shutil.rmtree(other)
    subprocess.run(
        [sys.executable, "-m", "bkgen", "render", "default", "-q", "--root", str(root)],
        check=True,
        env=_env(),
        capture_output=True,
    )
    for args in (
        ["init", "-q", "-b", "main"],
        ["add", "-A"],
        ["-c", "user.name=T", "-c", "user.email=t@example.com", "commit", "-qm", "base"],
    ):
        subprocess.run(["git", *args], cwd=root, check=True, env=_env())
    return root


@pytest.fixture
def project(pristine: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    shutil.copytree(pristine, root, symlinks=True)
    return root


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory outside the project holding something secret."""
    secret = tmp_path / "outside"
    secret.mkdir()
    (secret / "kubeconfig.yaml").write_text(f"token: {CANARY}\nreplicaCount: 9\n")
    (secret / "marker").write_text("untouched\n")
    return secret


def snapshot(root: Path) -> dict[str, bytes]:
    tree = root / "rendered"
    return {
        p.relative_to(tree).as_posix(): p.read_bytes()
        for p in sorted(tree.rglob("*"))
        if p.is_file() and not p.is_symlink()
    }


@pytest.fixture
def run(project: Path) -> Run:
    def go(
        *args: str, env: dict[str, str] | None = None, **kwargs: object
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "bkgen", *args, "--root", str(project)],
            cwd=project,
            env=env or _env(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            **kwargs,  # type: ignore[arg-type]
        )

    return go


def assert_refused(
    result: subprocess.CompletedProcess[str],
    code: int,
    *needles: str,
    before: dict[str, bytes],
    root: Path,
) -> None:
    out = result.stdout + result.stderr
    assert result.returncode == code, out
    lines = [line for line in out.splitlines() if line.startswith("bkgen:")]
    assert len(lines) == 1, out
    for needle in needles:
        assert needle in lines[0], lines[0]
    assert "Traceback" not in out
    assert CANARY not in out
    assert snapshot(root) == before, "the previous tree must stay byte-identical"
    assert not [p for p in (root / "rendered").iterdir() if p.name.startswith(".")]
    assert CANARY.encode() not in b"".join(snapshot(root).values())


# ---- reading outside the project ------------------------------------------------------------


def test_values_symlink_out_of_the_project(project: Path, outside: Path, run: Run) -> None:
    before = snapshot(project)
    (project / "overlays/default/bk-paas-custom-values.yaml.j2").symlink_to(
        outside / "kubeconfig.yaml"
    )
    result = run("render", "default")
    assert_refused(
        result,
        2,
        "symlink leaves the project",
        "bk-paas-custom-values.yaml.j2 ->",
        before=before,
        root=project,
    )
    assert str(outside) in result.stderr  # the link's target is named, never its content
    result = run("explain", "default", "bk-paas", "replicaCount")
    assert result.returncode == 2 and CANARY not in result.stdout + result.stderr


def test_custom_yaml_symlink_and_odd_files(project: Path, outside: Path, run: Run) -> None:
    before = snapshot(project)
    custom = project / "overlays/default/custom.yaml"
    custom.unlink()
    custom.symlink_to(outside / "kubeconfig.yaml")
    assert_refused(
        run("render", "default"), 2, "symlink leaves the project", before=before, root=project
    )
    custom.unlink()
    custom.mkdir()
    assert_refused(
        run("render", "default"), 2, "custom.yaml", "is a directory", before=before, root=project
    )
    custom.rmdir()
    os.mkfifo(custom)
    assert_refused(
        run("render", "default"),
        2,
        "custom.yaml",
        "not a regular file",
        before=before,
        root=project,
    )
    custom.unlink()
    custom.symlink_to(project / "overlays/default/nowhere.yaml")
    assert_refused(
        run("render", "default"), 2, "custom.yaml", "dangling symlink", before=before, root=project
    )


def test_chart_symlink_to_the_process_environment(project: Path, run: Run) -> None:
    from tests.charts.factory import build_chart

    before = snapshot(project)
    leak = (
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: leak\ndata:\n"
        '  env: {{ .Files.Get "env.txt" | quote }}\n'
    )
    chart = build_chart(
        project / "overlays/default/charts",
        "bkssm",
        "1.0.9",
        extra_templates={"leak.yaml": leak},
        secret_switch=None,
    )
    (chart / "env.txt").symlink_to("/proc/self/environ")
    assert_refused(
        run("render", "default"),
        2,
        "symlink leaves the chart",
        "env.txt -> /proc/self/environ",
        before=before,
        root=project,
    )


@pytest.mark.parametrize(
    ("setting", "value"),
    [("  dir: charts", "  dir: ../../.."), ("  path: rendered/default", "  path: ../../../etc")],
)
def test_paths_with_dotdot_are_refused(project: Path, run: Run, setting: str, value: str) -> None:
    before = snapshot(project)
    env_yaml = project / "overlays/default/env.yaml"
    env_yaml.write_text(env_yaml.read_text().replace(setting, value))
    assert_refused(
        run("render", "default"), 2, "is not allowed here", "no '..'", before=before, root=project
    )


# ---- writing outside the project ------------------------------------------------------------


def test_rendered_symlinked_out_is_refused(project: Path, outside: Path, run: Run) -> None:
    shutil.move(project / "rendered", outside / "rendered-moved")
    (project / "rendered").symlink_to(outside)
    result = run("render", "default")
    out = result.stdout + result.stderr
    assert result.returncode == 1 and "is a symlink to" in out and "Traceback" not in out
    assert sorted(p.name for p in outside.iterdir()) == [
        "kubeconfig.yaml",
        "marker",
        "rendered-moved",
    ]
    assert (outside / "marker").read_text() == "untouched\n"


def test_rendered_env_symlinked_out_is_refused(project: Path, outside: Path, run: Run) -> None:
    shutil.rmtree(project / "rendered/default")
    (project / "rendered/default").symlink_to(outside)
    result = run("render", "default")
    assert result.returncode == 1 and "rendered/default is a symlink to" in result.stderr
    assert (outside / "marker").read_text() == "untouched\n"


# ---- leaking through messages ----------------------------------------------------------------


def test_a_token_in_a_url_is_never_printed(project: Path, run: Run) -> None:
    result = run(
        "publish", "default", "--repo", f"https://bot:{CANARY}@127.0.0.1:9/deploy.git", "--no-push"
    )
    out = result.stdout + result.stderr
    assert result.returncode != 0 and "Traceback" not in out
    assert CANARY not in out and "***" in out


def test_no_canary_in_any_output(project: Path, run: Run) -> None:
    commands = [
        ("render", "default"),
        ("render", "default", "--output", "json"),
        ("validate", "default"),
        ("validate", "default", "-o", "json"),
        ("check", "default"),
        ("diff", "default", "--base", "HEAD"),
        ("explain", "default", "bk-cmdb", "global.imageRegistry"),
        ("catalog", "default"),
        ("hosts", "default"),
        ("graph", "default"),
    ]
    for args in commands:
        result = run(*args)
        assert result.returncode in (0, 1), (args, result.stderr)
        assert CANARY not in result.stdout + result.stderr, args
    assert CANARY.encode() not in b"".join(snapshot(project).values())


# ---- unbounded input ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("template", "needle"),
    [
        ("replicaCount: {{ range(10**9)|list|length }}\n", "Range too big"),
        ("x: {{ 'a' * (10**13) }}\n", "`*` would build"),
        ("x: {{ 'a' | center(10**9) }}\n", "center(1000000000) is too large"),
        (
            "{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}\n",
            "template ran longer than 2 s",
        ),
    ],
)
def test_template_bombs_are_stopped(project: Path, run: Run, template: str, needle: str) -> None:
    before = snapshot(project)
    (project / "overlays/default/bk-cmdb-custom-values.yaml.j2").write_text(template)
    result = run("render", "default", env={**_env(), "BKGEN_TEMPLATE_SECONDS": "2"})
    assert_refused(result, 2, "bk-cmdb-custom-values.yaml.j2", needle, before=before, root=project)


def test_deep_nesting_recursive_alias_and_huge_files(project: Path, run: Run) -> None:
    before = snapshot(project)
    custom = project / "overlays/default/custom.yaml"
    original = custom.read_text()
    custom.write_text("domain: " + "[" * 5000 + "]" * 5000 + "\n")
    assert_refused(run("render", "default"), 2, "custom.yaml", before=before, root=project)
    custom.write_text("apps:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 1000)))
    assert_refused(
        run("render", "default"), 2, "nesting deeper than 100 levels", before=before, root=project
    )
    custom.write_text(original + "a: &a {b: *a}\n")
    assert_refused(
        run("render", "default"), 2, "recursive YAML alias *a", before=before, root=project
    )
    custom.write_text(original)
    huge = project / "overlays/default/bk-cmdb-custom-values.yaml.j2"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: costs no disk
    assert_refused(  # refused before reading it: sparse, but 200 MiB if read
        run("render", "default"), 2, "larger than 5242880 bytes", before=before, root=project
    )


# ---- disk faults -----------------------------------------------------------------------------


def _limit_file_size() -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))


def test_a_write_fault_is_one_line_and_keeps_the_tree(project: Path, run: Run) -> None:
    before = snapshot(project)
    custom = project / "overlays/default/custom.yaml"
    custom.write_text(custom.read_text().replace("bkce7.bktencent.com", "bk.example.org"))
    result = run("render", "default", preexec_fn=_limit_file_size)
    assert_refused(
        result,
        1,
        "rendered/default/",
        "cannot write the rendered tree: File too large",
        before=before,
        root=project,
    )


def _chattr(flag: str, path: Path) -> bool:
    return (
        subprocess.run(["chattr", flag, str(path)], capture_output=True, check=False).returncode
        == 0
    )


@pytest.mark.skipif(shutil.which("chattr") is None, reason="no chattr")
def test_an_immutable_rendered_dir_is_one_line(project: Path, run: Run) -> None:
    rendered = project / "rendered"
    if not _chattr("+i", rendered):
        pytest.skip("file system or privileges do not allow chattr +i")
    try:
        before = snapshot(project)
        custom = project / "overlays/default/custom.yaml"
        custom.write_text(custom.read_text().replace("bkce7.bktencent.com", "bk.example.org"))
        result = run("render", "default")
        out = result.stdout + result.stderr
        assert result.returncode == 1 and out.count("bkgen:") == 1 and "Traceback" not in out
        assert "operation not permitted" in out or "permission denied" in out
        assert snapshot(project) == before
    finally:
        _chattr("-i", rendered)


def _can_mount_tmpfs() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(
        [
            "unshare",
            "-rm",
            "sh",
            "-c",
            'mount -t tmpfs -o size=64k tmpfs /mnt 2>/dev/null || mount -t tmpfs -o size=64k tmpfs "$TMPDIR"',
        ],
        capture_output=True,
        check=False,
    )
    return probe.returncode == 0


@pytest.mark.skipif(not _can_mount_tmpfs(), reason="no user/mount namespaces here")
def test_a_full_disk_is_one_line_and_keeps_the_tree(project: Path) -> None:
    rendered = project / "rendered"
    before = snapshot(project)
    keep = project.parent / "keep-rendered"
    # The tmpfs holds the current tree with room to spare, but not a second copy of it.
    script = (
        f"cp -a {rendered} {keep} && mount -t tmpfs -o size=1000k tmpfs {rendered} && "
        f"cp -a {keep}/. {rendered}/ || exit 9; "
        f'{sys.executable} -m bkgen render default --root {project}; echo "exit=$?"; '
        f"ls -a {rendered}; cmp -s {rendered}/default/index.json {keep}/default/index.json "
        '&& echo "tree intact"'
    )
    custom = project / "overlays/default/custom.yaml"
    custom.write_text(custom.read_text().replace("bkce7.bktencent.com", "bk.example.org"))
    result = subprocess.run(
        ["unshare", "-rm", "sh", "-c", script],
        capture_output=True,
        text=True,
        env=_env(),
        check=False,
    )
    out = result.stdout + result.stderr
    assert "exit=1" in out and "cannot write the rendered tree: disk full" in out, out
    assert out.count("bkgen:") == 1 and "Traceback" not in out
    assert "tree intact" in out and ".default.new" not in out  # inside the full file system
    assert snapshot(project) == before  # and the real directory under the mount


# ---- one writer at a time, never absent -----------------------------------------------------


def test_concurrent_renders_serialise_and_the_tree_never_disappears(
    project: Path, run: Run
) -> None:
    index = project / "rendered/default/index.json"
    missing: list[float] = []
    stop = threading.Event()

    def watch() -> None:
        while not stop.is_set():
            if not index.exists():
                missing.append(time.monotonic())

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "bkgen", "render", "default", "-q", "--root", str(project)],
                env=_env(),
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(3)
        ]
        results = [p.communicate(timeout=120) for p in procs]
    finally:
        stop.set()
        watcher.join()
    assert [p.returncode for p in procs] == [0, 0, 0], results
    assert missing == [], "rendered/default vanished during a swap"
    assert run("check", "default").returncode == 0
    assert not [p.name for p in (project / "rendered").iterdir() if p.name.startswith(".")]


# ---- untrusted Python -----------------------------------------------------------------------


def test_steps_from_a_trusted_ref_never_run_the_pull_requests_python(
    project: Path, run: Run, tmp_path: Path
) -> None:
    marker = tmp_path / "pwned"
    step = project / "argo/app_secrets.py"
    step.write_text(step.read_text() + f"\nopen({str(marker)!r}, 'w').write('ran')\n")
    result = run("render", "default", "-q", "--steps-from", "main")
    assert result.returncode == 0, result.stderr
    assert not marker.exists()
    assert run("check", "default", "--steps-from", "main").returncode == 0
    result = run("render", "default", "-q", "--steps-from", "no-such-ref")
    assert result.returncode == 2 and "unknown git ref 'no-such-ref'" in result.stderr
    assert not marker.exists()
    result = run("render", "default", "-q")  # without the option the PR's Python runs
    assert result.returncode == 0, result.stderr
    assert marker.exists()


# ---- parse as the cluster's tools do -------------------------------------------------------

TRICKY = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: first
data:
  a: "1"
---apiVersion: v1
kind: ConfigMap
metadata:
  name: second
data:
  text: |
    line one
    --- not a separator, indented
---{TRAILING}
apiVersion: v1
kind: ConfigMap
metadata:
  name: third
data:
  x: "---"
---
---
# only a comment
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: fourth
data:
  b: |
    ends here
""".replace("{TRAILING}", "   ")  # a separator with trailing blanks


def test_documents_split_exactly_as_helm_splits_them(tmp_path: Path) -> None:
    import helm_python
    import yaml

    from bkgen.render.documents import split_documents

    chart = tmp_path / "split"
    (chart / "templates").mkdir(parents=True)
    (chart / "Chart.yaml").write_text("apiVersion: v2\nname: split\nversion: 0.1.0\n")
    (chart / "templates/tricky.yaml").write_text(TRICKY)
    kubeconfig = "apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n"
    with helm_python.Config(
        storage_driver="memory", namespace="default", kubeconfig_content=kubeconfig
    ) as cfg:
        manifest = cfg.install(str(chart), "r", {}, dry_run="client")["manifest"]
    # Helm joins its documents with "---\n# Source: …"; splitting on that marker is exact.
    helm_docs = [
        yaml.safe_load(part.split("\n", 1)[1]) for part in manifest.split("---\n# Source: ")[1:]
    ]
    helm_objects = [d for d in helm_docs if d]
    with helm_python.Chart.load(str(chart)) as loaded:
        rendered = loaded.render(values={}, name="r")["split/templates/tricky.yaml"]
    ours = [m.body for m in split_documents(rendered, "tricky.yaml", helm=True)]
    assert ours == helm_objects
    assert [o["metadata"]["name"] for o in ours] == ["first", "second", "third", "fourth"]


def test_duplicate_keys_name_both_lines() -> None:
    from bkgen.errors import RenderError
    from bkgen.render.documents import split_documents

    text = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\ndata:\n  k: 1\n  k: 2\n"
    with pytest.raises(RenderError, match=r"duplicate key 'k' \(lines 6 and 7\)"):
        split_documents(text, "t.yaml")


def test_duplicate_keys_in_overlays_name_both_lines_and_no_value() -> None:
    from bkgen.errors import OverlayError
    from bkgen.yamlio import load_text

    text = f"mysql:\n  password: {CANARY}\n  host: db\n  password: other\n"
    with pytest.raises(OverlayError) as err:
        load_text(text, "overlays/dev/custom.yaml")
    assert str(err.value).startswith(
        "overlays/dev/custom.yaml:4:3: overlay error: duplicate key 'password' (lines 2 and 4)"
    )
    assert CANARY not in str(err.value)


def test_redaction_removes_a_password_that_itself_holds_an_at_sign() -> None:
    from bkgen.errors import GitError
    from bkgen.errors.redact import redact

    line = f"git clone https://bot@corp:{CANARY}@git.example.com/o/r.git failed"
    assert CANARY not in str(GitError(line))
    assert redact(line) == "git clone https://***@git.example.com/o/r.git failed"
    assert redact("https://git.example.com/x?q=a@b") == "https://git.example.com/x?q=a@b"


def test_redaction_reads_a_long_run_once_and_still_finds_the_url_after_it() -> None:
    """A scheme starts where no scheme character precedes it: a megabyte of base64 in a
    quoted error is read once, not from each of its characters to its end."""
    from bkgen.errors.redact import redact

    blob = "QUJD" * 100_000
    assert redact(f"{blob} https://u:{CANARY}@h/x") == f"{blob} https://***@h/x"
    assert CANARY not in redact(f"{blob}://u:{CANARY}@h/x")
    for lead in ("-", "1", ".", "10.0.0.5:8080-"):
        assert redact(f"{lead}https://u:{CANARY}@h/x") == f"{lead}https://***@h/x"
