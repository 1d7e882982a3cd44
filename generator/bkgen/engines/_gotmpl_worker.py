"""The child process that runs Helm's Go template engine on prepared `.gotmpl` jobs.

Why a child, and the line protocol: `engines/child.py`. Each job is
`{"template": text, "values": {...}, "name": str, "namespace": str, "environment": str,
"files": {"files/N": base64}, "max_output": chars}`; each answer `{"text": …}` or
`{"error": …}`. It must not read the process environment or any file: everything it renders
arrives on stdin.
"""

from __future__ import annotations

import base64
import io
import json
import tarfile
from typing import Any

from bkgen.engines._gotmpl_source import ENV_ANNOTATION
from bkgen.engines.child import serve

CHART = "bkgen-gotmpl"
TEMPLATE = "templates/values.gotmpl"


def _archive(job: dict[str, Any]) -> bytes:
    """A chart in memory: nothing touches the disk, nothing is left behind."""
    chart_yaml = json.dumps(
        {
            "apiVersion": "v2",
            "name": CHART,
            "version": "0.0.0",
            "annotations": {ENV_ANNOTATION: job["environment"]},
        }
    )
    files = {
        "Chart.yaml": chart_yaml.encode(),
        TEMPLATE: job["template"].encode(),
    }
    files.update({name: base64.b64decode(data) for name, data in job["files"].items()})
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name in sorted(files):
            info = tarfile.TarInfo(f"{CHART}/{name}")
            info.size = len(files[name])
            info.mode = 0o644
            tar.addfile(info, io.BytesIO(files[name]))
    return buffer.getvalue()


def _render(job: dict[str, Any], max_output: int) -> dict[str, str]:
    import helm_python
    from helm_python import _native

    try:
        chart = helm_python.Chart.load_archive(_archive(job))
    except helm_python.HelmError as err:
        return {"error": f"cannot load template: {err}"}
    try:
        # strict is Go's missingkey=error, which helmfile uses for every values template.
        options = {"name": job["name"], "namespace": job["namespace"], "strict": True}
        raw = _native.call_string(
            "helm_render", chart._raw(), json.dumps(job["values"]), json.dumps(options)
        )
        text = json.loads(raw).get(f"{CHART}/{TEMPLATE}", "")
    except helm_python.HelmError as err:
        return {"error": str(err)}
    finally:
        chart.close()
    if len(text) > max_output:
        return {"error": f"output is larger than {max_output} characters"}
    return {"text": text}


def _answer(job: dict[str, Any]) -> dict[str, str]:
    return _render(job, int(job["max_output"]))


if __name__ == "__main__":
    serve(_answer)
