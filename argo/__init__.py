"""BlueKing 7.1 runbook steps as Argo Workflows, written with Hera.

One module per step. Each defines `DESCRIPTION`, `RULES` (the RBAC it needs, or a
function of the context returning them) and `build(ctx) -> WorkflowTemplate`.
bkgen loads this package from the project root (`bkgen.workflows.compile`).
"""
