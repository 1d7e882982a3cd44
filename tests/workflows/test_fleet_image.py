"""The fleet image: its Dockerfile obeys the hadolint rules that apply, and what it does can run here.

The image itself cannot be built on these machines (no base images), so the tests build the
wheel from exactly the build context `.dockerignore` admits, install it with pip's `--no-index`
into a venv laid out as the image's `/opt/bkgen`, and render with the installed `bkgen`.
"""

from __future__ import annotations

import fnmatch
import re
import shlex
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from bkgen import __version__

REPO = Path(__file__).resolve().parents[2]
VENV = "/opt/bkgen"  # where the Dockerfile's second stage installs bkgen


def instructions(text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs: continuation lines joined, comments and directives out."""
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    joined = code.replace("\\\n", " ")
    out = []
    for line in joined.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        word, _, rest = stripped.partition(" ")
        out.append((word.upper(), rest.strip()))
    return out


def build_args(steps: list[tuple[str, str]]) -> dict[str, str]:
    args = {}
    for word, rest in steps:
        if word == "ARG" and "=" in rest:
            name, _, value = rest.partition("=")
            args[name] = value
    return args


def context_files(root: Path) -> list[str]:
    """The files of `root` a docker build context holds under `.dockerignore` (last rule wins)."""
    rules = [
        line.strip()
        for line in (root / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    kept = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = path.relative_to(root).as_posix()
        included = True
        for rule in rules:
            negate = rule.startswith("!")
            pattern = rule.lstrip("!").rstrip("/")
            prefixes = ["/".join(rel.split("/")[: i + 1]) for i in range(rel.count("/") + 1)]
            if pattern.startswith("**/"):
                hit = any(fnmatch.fnmatch(p.rsplit("/", 1)[-1], pattern[3:]) for p in prefixes)
            else:
                hit = any(fnmatch.fnmatch(p, pattern) for p in prefixes)
            if hit:
                included = negate
        if included:
            kept.append(rel)
    return kept


STEPS = instructions((REPO / "Dockerfile").read_text())


def test_dockerfile_follows_the_hadolint_rules_that_apply() -> None:
    args = build_args(STEPS)
    froms = [rest for word, rest in STEPS if word == "FROM"]
    assert len(froms) == 2, "multi-stage: a wheel stage and the runtime stage"
    stages = set()
    for rest in froms:
        image = rest.split()[0]
        resolved = re.sub(r"\$\{(\w+)\}", lambda m: args[m.group(1)], image)
        # DL3006/DL3007: a tag, never latest; and beyond hadolint: pinned by digest
        name, _, digest = resolved.partition("@")
        assert re.fullmatch(r"sha256:[0-9a-f]{64}", digest), resolved
        assert ":" in name and not name.endswith(":latest"), resolved
        if " AS " in rest.upper():
            stages.add(rest.split()[-1])
    assert "latest" not in (REPO / "Dockerfile").read_text()
    users = [rest for word, rest in STEPS if word == "USER"]
    assert users and users[-1] not in {"0", "root"}, "DL3002: the last USER is not root"
    runs = [rest for word, rest in STEPS if word == "RUN"]
    for run in runs:
        assert not re.search(r"pip3? install[^&]*(\s-e\s|--editable)", run), run
        if "pip install" in run or "pip wheel" in run:
            assert "--no-cache-dir" in run, f"DL3042: {run}"
        if "apt-get install" in run:
            assert "--no-install-recommends" in run, f"DL3015: {run}"
            assert "rm -rf /var/lib/apt/lists/*" in run, f"DL3009: {run}"
            assert " -y " in run, f"DL3014: {run}"
        assert "sudo" not in run, "DL3004"
        assert not re.search(r"(^|&&)\s*cd\s", run), "DL3003: WORKDIR, not cd"
    assert all(word != "ADD" for word, _ in STEPS), "DL3020: COPY, not ADD"
    assert all(rest.startswith("/") for word, rest in STEPS if word == "WORKDIR"), "DL3000"
    assert any("--no-index" in run and "pip install" in run for run in runs), "offline install"
    assert any("org.opencontainers.image.version" in rest for w, rest in STEPS if w == "LABEL")
    # every COPY from the build context names files the context holds
    context = context_files(REPO)
    for word, rest in STEPS:
        if word != "COPY" or "--from" in rest:
            continue
        *sources, _dest = shlex.split(rest)
        for source in sources:
            source = source.rstrip("/")
            assert any(f == source or f.startswith(source + "/") for f in context), source
    # DL3025: exec form; and it names the console script the runtime stage installs
    [entrypoint] = [rest for word, rest in STEPS if word == "ENTRYPOINT"]
    assert entrypoint == f'["{VENV}/bin/bkgen"]'
    assert any(f"python -m venv {VENV}" in run for run in runs)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """bkgen's wheel built from the docker build context alone (what stage 1 sees)."""
    context = tmp_path_factory.mktemp("context")
    for rel in context_files(REPO):
        target = context / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, target)
    out = tmp_path_factory.mktemp("wheels")
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(context)],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0 and "setuptools" in done.stderr and "No matching" in done.stderr:
        pytest.skip("no package index holds the build backend (setuptools, wheel)")
    assert done.returncode == 0, done.stderr
    [built] = out.glob("bkgen-*.whl")
    assert built.name == f"bkgen-{__version__}-py3-none-any.whl"
    return built


def test_wheel_installs_offline_and_renders(wheel: Path, tmp_path: Path) -> None:
    """`pip install --no-index` of the wheel into the image's layout, then a real render.

    The dependencies are the ones this test runs with (this venv's site-packages, on the new
    venv's path by a .pth file, after its own), not downloaded: the install is offline."""
    venv = tmp_path / VENV.lstrip("/")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    site = venv / "lib" / "python3.11" / "site-packages"
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            *(sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python")),
            *("install", "-q", "--no-index", "--no-deps", str(wheel)),
        ],
        check=True,
        capture_output=True,
    )
    bkgen = venv / "bin" / "bkgen"  # the ENTRYPOINT, relative to the image's root
    assert bkgen.is_file()
    where = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import bkgen; print(bkgen.__file__)"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(site)), "the wheel's bkgen, not the editable checkout"
    assert not (site / "__editable__.bkgen-0.1.0.pth").exists()
    project = tmp_path / "project"
    for part in ("overlays", "schemas", "argo"):
        shutil.copytree(REPO / part, project / part, ignore=shutil.ignore_patterns("__pycache__"))
    done = subprocess.run(
        [str(bkgen), "render", "default", "-q", "--root", str(project)],
        capture_output=True,
        text=True,
        check=False,
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    rendered = sorted(p.relative_to(project) for p in (project / "rendered/default").rglob("*"))
    expected = sorted(p.relative_to(REPO) for p in (REPO / "rendered/default").rglob("*"))
    assert rendered == expected
    for rel in expected:
        if (REPO / rel).is_file():
            assert (project / rel).read_bytes() == (REPO / rel).read_bytes(), rel
