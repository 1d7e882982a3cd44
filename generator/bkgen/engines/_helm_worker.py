"""The child process that renders charts with Helm's Go engine (helm_python).

Why a child, and the line protocol: `engines/child.py`. Each job is
`{"op": "render" | "merge", "archive": base64 | "path": dir, "values": {...},
"options": {...}, "max_output": chars, "max_templates": count}`; `path` is the parent's
confined copy of a chart directory (`charts/source.py: confined_copy`), the only file this
process reads. Answers:
  * `{"stage": "load", "error": …}`: the chart does not load;
  * `{"version": …, "error": …}`: Helm refused to render;
  * `{"stage": "bound", "error": …}`: too many templates, or too large an output;
  * `{"version": …, "files": {name: text}, "crds": [...]}`: rendered;
  * `{"values": {...}}`: a merge (the chart's defaults coalesced with `values`).
Helm's warnings go to this process's stderr, which the parent reads per job. It must not
read the process environment: everything it renders arrives on stdin.
"""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
from pathlib import Path
from typing import Any

from bkgen.engines.child import serve

RENDER_MARK = b"\n--- bkgen: render ---\n"
_NESTED_DEPTH = 4  # subchart archives inside subchart archives


def _archive_templates(data: bytes, depth: int = 0) -> int:
    """Files under a `templates/` folder, in nested subchart archives too."""
    count = 0
    with tarfile.open(fileobj=io.BytesIO(data), mode="r:*") as tar:
        for member in tar:
            if not member.isfile():
                continue
            parts = member.name.split("/")
            if "templates" in parts[:-1]:
                count += 1
            elif member.name.endswith(".tgz") and "charts" in parts and depth < _NESTED_DEPTH:
                nested = tar.extractfile(member)
                if nested is not None:
                    count += _archive_templates(nested.read(), depth + 1)
    return count


def _directory_templates(path: str) -> int:
    count = 0
    for current, _dirs, files in os.walk(path):
        here = Path(current)
        if "templates" in here.parts:
            count += len(files)
        for name in files:
            if name.endswith(".tgz") and "charts" in here.parts:
                count += _archive_templates((here / name).read_bytes(), 1)
    return count


class _TooMany(Exception):
    pass


def _load(job: dict[str, Any]) -> Any:
    """The chart, after counting its templates: Helm parses every one of them at load."""
    import helm_python

    data = base64.b64decode(job["archive"]) if "archive" in job else None
    count = _archive_templates(data) if data is not None else _directory_templates(job["path"])
    if count > int(job["max_templates"]):
        raise _TooMany(
            f"chart has {count} templates, more than {job['max_templates']} "
            "(BKGEN_MAX_CHART_TEMPLATES)"
        )
    if data is not None:
        return helm_python.Chart.load_archive(data)
    return helm_python.Chart.load(job["path"])


def _answer(job: dict[str, Any]) -> dict[str, Any]:
    import helm_python
    from helm_python import _native

    try:
        chart = _load(job)
    except (helm_python.HelmError, _TooMany, tarfile.TarError) as err:
        return {"stage": "bound" if isinstance(err, _TooMany) else "load", "error": str(err)}
    try:
        if job["op"] == "merge":
            try:
                return {"values": chart.merge_values(job["values"])}
            except helm_python.HelmError as err:
                return {"error": str(err)}
        version = str(chart.metadata.get("version", ""))
        os.write(2, RENDER_MARK)  # the warnings the parent reports start here
        try:
            # helm_render with kube_version/api_versions, which `Chart.render` does not
            # expose; the library rejects unknown options, so a rename upstream fails loudly.
            raw = _native.call_string(
                "helm_render", chart._raw(), json.dumps(job["values"]), json.dumps(job["options"])
            )
        except helm_python.HelmError as err:
            return {"version": version, "error": str(err)}
        files: dict[str, str] = json.loads(raw)
        if sum(len(text) for text in files.values()) > int(job["max_output"]):
            return {"version": version, "stage": "bound", "error": _too_large(job)}
        return {"version": version, "files": files, "crds": chart.crds or []}
    finally:
        chart.close()


def _too_large(job: dict[str, Any]) -> str:
    return f"rendered output is larger than {job['max_output']} characters (BKGEN_MAX_CHART_OUTPUT)"


if __name__ == "__main__":
    serve(_answer)
