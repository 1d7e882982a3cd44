"""Byte-identical trees across runs and PYTHONHASHSEED values."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.render.test_helm import make_chart

Project = Callable[..., Path]

_DIGEST = """
import hashlib, sys
from pathlib import Path
from bkgen.overlay.load import load_environment
from bkgen.pipeline import build_tree
tree = build_tree(load_environment(Path(sys.argv[1]), "dev"))
h = hashlib.sha256()
for name in sorted(tree.files):
    h.update(name.encode() + b"\\0" + tree.files[name])
print(h.hexdigest(), len(tree.files))
"""


def _digest(root: Path, seed: str) -> str:
    env = {**os.environ, "PYTHONHASHSEED": seed}
    out = subprocess.run(
        [sys.executable, "-c", _DIGEST, str(root)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    return out.stdout.strip()


def test_tree_is_identical_across_hash_seeds(make_project: Project) -> None:
    root = make_project(
        {
            "overlays/base/releases/db-values.yaml.j2": "z: 1\na: {y: 2, b: [3, 1]}\nm: {{ values.domain | to_yaml | quote }}\n",
            # `helm create`'s chart has no `host`: the base sets only what it defines
            "overlays/base/releases/app-values.yaml.j2": "replicaCount: 1\n",
        }
    )
    make_chart(root / "overlays/dev/charts", "app", "2.0.0")
    digests = {_digest(root, seed) for seed in ("0", "1", "12345")}
    assert len(digests) == 1, digests
