"""Semantic diff of rendered trees: what a reviewer needs to judge a change.

Resources are matched by (group, kind, namespace, name), not by file; changed
ones are compared field by field, with list items matched by their `name` and list order
compared too (a reordered `env` rolls every pod).
Values are compared raw; sensitive ones are masked only when printed
(`bkgen.secrets.masking`, via `present`), so a secret's change is never invisible.
"""

from __future__ import annotations

from bkgen.diff.compare import TreeDiff, diff_trees
from bkgen.diff.model import Change, ResourceDiff, load_tree

__all__ = ["Change", "ResourceDiff", "TreeDiff", "diff_trees", "load_tree"]
