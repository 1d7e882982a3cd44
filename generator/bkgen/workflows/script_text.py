"""A step's script text is code; values never become part of it.

Argo substitutes `{{inputs.parameters.x}}` (and every other `{{...}}` expression) into a
template *before* the container runs, so a parameter spliced into `bash -c` text is parsed
as shell: `extraSubdomains: ['x$(id>/tmp/p)']` in custom.yaml would run in the cluster.
Parameters reach scripts as environment variables instead (`argo/_lib.py`, `param_env`),
which bash expands as data. This module refuses a compiled template whose command, args or
script source still contains an Argo expression; it does not look at env values, where
substitution is the intended, safe channel.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.errors import Location, RenderError

_EXPRESSION = re.compile(r"\{\{\s*[^}]*\}\}")


def _texts(template: Mapping[str, Any]) -> Iterator[tuple[str, str]]:
    for key in ("container", "script"):
        part = template.get(key)
        if not isinstance(part, Mapping):
            continue
        for field in ("command", "args"):
            for item in part.get(field) or []:
                yield f"{key}.{field}", str(item)
        if isinstance(part.get("source"), str):
            yield f"{key}.source", part["source"]


def refuse_spliced(body: Mapping[str, Any], module: str) -> None:
    """Raise when any template of a WorkflowTemplate/Workflow splices an Argo expression
    into the text a shell parses."""
    for template in (body.get("spec") or {}).get("templates") or []:
        if not isinstance(template, Mapping):
            continue
        for where, text in _texts(template):
            found = _EXPRESSION.search(text)
            if found:
                raise RenderError(
                    f"template {template.get('name')!r} splices {found.group(0)} into its "
                    f"{where}: Argo substitutes it before the shell parses the script",
                    location=Location(f"argo/{module}.py"),
                    hint="pass it as an environment variable (argo/_lib.py param_env) and "
                    'read "$P_NAME" in the script',
                )
