"""Semantic diff of rendered trees: what a reviewer needs to judge a change.

Resources are matched by (group, kind, namespace, name), not by file; changed
ones are compared field by field, with list items matched by their `name` and list order
compared too (a reordered `env` rolls every pod).
Values are compared raw; sensitive ones are masked only when printed
(`bkgen.secrets.masking`, via `present`), so a secret's change is never invisible.

The package itself imports nothing, so the CLI reads the Markdown budget without paying
for the YAML loader: a diff is made with `bkgen.diff.compare.diff_trees` over trees
from `bkgen.diff.model.load_tree`.
"""

MARKDOWN_LIMIT = 65_536  # GitHub refuses a comment beyond this (HTTP 422)
