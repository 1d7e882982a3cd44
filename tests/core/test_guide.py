"""docs/overlays.md "Adding an environment": every command in it runs here, in a copy of the
repository, and prints what the guide says it prints.

The section holds two kinds of fenced blocks and nothing else: ```yaml file=PATH blocks (the
test writes PATH with that content, as the reader would) and ```console blocks (`$ command`
lines, each followed by its output). A documented output line must appear in the actual output,
in order; `…` in it stands for any text (digests). A command with no documented output must
print nothing.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from bkgen.overlay.files import KNOWN_DIRS, KNOWN_FILES

SECTION = "## Adding an environment"
_FENCE = re.compile(r"^```(\S*)(?:\s+file=(\S+))?\s*$")


@dataclass(frozen=True)
class Step:
    kind: str  # "file" or "command"
    text: str  # file content or command line
    path: str = ""  # for files
    expected: tuple[str, ...] = ()  # for commands


def section(repo_root: Path) -> str:
    text = (repo_root / "docs" / "overlays.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.find("\n## ", start + len(SECTION))
    return text[start : end if end != -1 else len(text)]


def steps(text: str) -> list[Step]:
    out: list[Step] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        match = _FENCE.match(lines[i])
        if not match:
            i += 1
            continue
        lang, path = match.group(1), match.group(2)
        body: list[str] = []
        i += 1
        while not lines[i].startswith("```"):
            body.append(lines[i])
            i += 1
        i += 1
        if path:
            out.append(Step("file", "\n".join(body) + "\n", path=path))
        elif lang == "console":
            out.extend(_commands(body))
        else:
            raise AssertionError(f"untested block in the guide: ```{lang} (use console or file=)")
    return out


def _commands(body: list[str]) -> list[Step]:
    out: list[Step] = []
    for line in body:
        if line.startswith("$ "):
            out.append(Step("command", line[2:]))
        elif out:
            last = out[-1]
            out[-1] = Step("command", last.text, expected=(*last.expected, line))
        elif line.strip():
            raise AssertionError(f"output before any command: {line!r}")
    return out


def project(repo_root: Path, tmp_path: Path) -> Path:
    """The repository as a new user clones it: base, the default env, schemas, steps; git."""
    root = tmp_path / "bkce7-gitops"
    for rel in ("overlays/base", "overlays/default", "schemas", "argo"):
        shutil.copytree(repo_root / rel, root / rel, ignore=shutil.ignore_patterns("__pycache__"))
    git = ["git", "-c", "user.name=guide", "-c", "user.email=guide@example.com"]
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    subprocess.run([*git, "commit", "-qm", "initial"], cwd=root, check=True)
    return root


def run(root: Path, command: str) -> list[str]:
    env = {
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(root.parent),
        "PYTHONUNBUFFERED": "1",  # stdout and stderr interleave in the order they were written
        "GIT_AUTHOR_NAME": "guide",
        "GIT_AUTHOR_EMAIL": "guide@example.com",
        "GIT_COMMITTER_NAME": "guide",
        "GIT_COMMITTER_EMAIL": "guide@example.com",
        "LANG": "C.UTF-8",
    }
    result = subprocess.run(
        ["bash", "-c", command],
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        timeout=300,
        check=False,
    )
    return result.stdout.splitlines()


def matches(expected: tuple[str, ...], actual: list[str]) -> bool:
    if not expected:
        return not actual
    patterns = [
        re.compile("^" + ".*".join(map(re.escape, line.rstrip().split("…"))) + r"\s*$")
        for line in expected
    ]
    position = 0
    for pattern in patterns:
        while position < len(actual) and not pattern.match(actual[position]):
            position += 1
        if position == len(actual):
            return False
        position += 1
    return True


def play(repo_root: Path, tmp_path: Path) -> list[tuple[Step, list[str]]]:
    root = project(repo_root, tmp_path)
    results: list[tuple[Step, list[str]]] = []
    for step in steps(section(repo_root)):
        if step.kind == "file":
            target = root / step.path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(step.text, encoding="utf-8")
            continue
        results.append((step, run(root, step.text)))
    return results


@pytest.mark.slow
def test_every_command_of_the_guide_prints_what_it_says(repo_root: Path, tmp_path: Path) -> None:
    results = play(repo_root, tmp_path)
    assert len(results) >= 10
    for step, actual in results:
        assert matches(step.expected, actual), (
            f"$ {step.text}\n--- documented:\n"
            + "\n".join(step.expected)
            + "\n--- actual:\n"
            + "\n".join(actual)
        )


def test_the_guide_names_every_known_file(repo_root: Path) -> None:
    text = section(repo_root)
    for name in [*KNOWN_FILES, *KNOWN_DIRS]:
        assert f"`{name}" in text, name


def test_matching_rules() -> None:
    assert matches(("input …",), ["x", "input 1234 rest"])
    assert not matches(("b", "a"), ["a", "b"])
    assert matches((), [])
    assert not matches((), ["noise"])


if __name__ == "__main__":  # print actual outputs, to write the guide from a real session
    import tempfile

    repo = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory() as tmp:
        for step, actual in play(repo, Path(tmp)):
            print(f"$ {step.text}")
            print("\n".join(actual))
