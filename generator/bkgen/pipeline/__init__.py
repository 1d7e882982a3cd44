"""The render pipeline, top to bottom, for one or more environments.

    load overlay -> merge values -> render each release -> post-process
    -> Argo CD objects -> serialize -> validate -> swap into rendered/<env>/

Each stage lives in its own module; `pipeline.build` wires them for one environment in
memory and `pipeline.envs` puts the trees on disk.
"""

from bkgen.pipeline.build import (
    ChartInputs,
    Progress,
    RenderedTree,
    build_tree,
    chart_inputs,
    env_api_versions,
    render_release,
    step_facts,
    step_spec,
    validate_tree,
)
from bkgen.pipeline.envs import (
    StagedEnv,
    render_env_to,
    render_envs,
    render_one,
    render_stamped,
    stage_one,
    write_env,
)

__all__ = [
    "ChartInputs",
    "Progress",
    "RenderedTree",
    "StagedEnv",
    "build_tree",
    "chart_inputs",
    "env_api_versions",
    "render_env_to",
    "render_envs",
    "render_one",
    "render_release",
    "render_stamped",
    "stage_one",
    "step_facts",
    "step_spec",
    "validate_tree",
    "write_env",
]
