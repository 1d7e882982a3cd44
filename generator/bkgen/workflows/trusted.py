"""Workflow steps from a trusted git ref: render a pull request without running its Python.

`argo/*.py` is Python imported at render time, so rendering a pull request would run the
code it brings. CI renders untrusted changes with the steps of a trusted ref
(`--trusted origin/main`): a changed step shows up as a diff of rendered files, never as
code run in CI. The directory is passed to the render as data (`Environment.steps_root`),
never set as process state. It holds everything else the trusted ref governs too
(`bkgen.gitops.trusted`): the policy file and each environment's `validation:` block.
"""

from __future__ import annotations

from bkgen.gitops.trusted import trusted_at as steps_at

__all__ = ["steps_at"]
