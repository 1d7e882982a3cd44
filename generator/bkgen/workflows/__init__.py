"""Imperative runbook steps as Argo Workflows, written with Hera in `argo/`.

Each module in `argo/` describes one step (what it does, what it may touch) and
builds a Hera `WorkflowTemplate`. This package loads those modules, compiles a
step for an environment into plain manifests — the WorkflowTemplate, a
least-privilege ServiceAccount/Role/RoleBinding, and one Workflow that runs it —
and submits Workflows to an Argo server. It never decides *when* a step runs:
the catalog's `needs` place it in the sync order like any release.
"""

from __future__ import annotations

from bkgen.workflows.api import Rule, StepContext, StepSpec
from bkgen.workflows.compile import list_steps, load_step, render_step

__all__ = ["Rule", "StepContext", "StepSpec", "list_steps", "load_step", "render_step"]
