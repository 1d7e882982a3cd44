"""helmfile `.yaml.gotmpl` files, evaluated by Helm's real Go template engine.

helmfile renders its state files and release values files with Go's text/template, sprig
and a few functions of its own. bkgen must give the same text, so it does not re-implement
Go templates: each file becomes the single template of a synthetic chart (built in memory
by `_gotmpl_worker`, never on disk) that helm_python renders in a bounded child process.

The dialect gap is closed textually by `_gotmpl_source.rewrite`, line for line:
  * `.Values` is helmfile's state values, passed as the chart's values unchanged (nothing
    reserved is added to it, so `toYaml .Values` shows exactly the user's data);
    `.StateValues` and `.Environment.Values` become `.Values`; `.Environment.Name` reads a
    Chart.yaml annotation; `.Release.Name/.Namespace` are Helm's own (render options).
  * `readFile "lit"` becomes `$.Files.Get` of a copy the chart carries, `isFile`/`isDir
    "lit"` become `true`/`false`, `env`/`requiredEnv "lit"` become the allow-listed value;
    `get`/`getOrNil "a.b"` become sprig's `dig`, `setValueAtPath` sprig's `set`;
    `exec`, `envExec`, `fetchSecretValue`, `readDir` are refused before anything runs.
  * strict rendering (missingkey=error), as helmfile renders values templates.
Limits, all found by reading, none by guessing at run time: the names are rewritten only
as written (a `tpl` string or a `define`d helper calling them from inside a string is not
rewritten; `$` in `$.Files` must be the root, so readFile inside a `define` fails);
paths of readFile/isFile/get/getOrNil/setValueAtPath must be literal double-quoted
arguments (not piped in), and setValueAtPath a plain call; `get` without a
default also fails on a present nil/"" value (Helm's `required`); `.Environment` has only
Name and Values; Helm's `toYaml` drops the final newline helmfile's keeps; Helm's own root
fields (`.Chart`, `.Files`, `.Capabilities`) exist here and not in helmfile; helmfile's
`_*.tpl` helper files are not loaded; a state file made of `---` parts (helmfile renders
each part after loading the `bases:` before it) is split by the caller, each part passed as
a job's `text` with the values known at that part (`importers.helmfile.tree_state`).

Relative readFile/isFile paths resolve against the directory of the file being rendered
(helmfile's `filepath.Dir(path)` for values files, the state file's directory for state
files) and must stay inside `tree_root` after symlinks and `..`. The process environment
never reaches the child: env/requiredEnv see only `allowed_env`; Helm has no sprig
`env`/`expandenv`.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bkgen.engines._gotmpl_source import Resolver, SourceError, rewrite
from bkgen.engines.child import Child, ChildDied
from bkgen.errors import BkgenError, Location, TemplateError
from bkgen.safety import confine, limits

# A fixed bound beside the code it protects: the Go runtime reserves ~0.7 GiB of address
# space before it renders anything, so the ceiling leaves it about 1.3 GiB of heap.
MEMORY_CEILING = 2 * 1024 * 1024 * 1024
_HELM_POS = re.compile(r"templates/values\.gotmpl:(\d+)(?::\d+)?")
_HELM_WHERE = re.compile(r'executing "[^"]*" at <[^>]*>:\s*')
_HELM_PREFIX = re.compile(
    r"^(?:(?:parse|execution) error at \([^)]*\):\s*|template:\s*|[\w./-]*values\.gotmpl:[\d:]+\s*"
    r"|error calling \w+:\s*)+"
)
MAX_MESSAGE = 400  # a recursion error repeats its chain a thousand times


@dataclass(frozen=True)
class GoTemplateContext:
    """What a helmfile template sees: its values, environment, release, files and env."""

    values: Mapping[str, Any]  # .Values == .StateValues == .Environment.Values
    environment_name: str  # .Environment.Name
    tree_root: Path  # readFile/isFile are confined to this directory
    release_name: str | None = None  # .Release.Name (None: a state file, no .Release)
    release_namespace: str | None = None  # .Release.Namespace
    allowed_env: Mapping[str, str] = field(default_factory=dict)  # never os.environ


@dataclass(frozen=True)
class GoTemplateJob:
    """One file of a batch: `shown` is the path printed in errors (tree-relative).

    `text`, when given, is rendered instead of the file's content: one `---` part of a state
    file (padded with blank lines so errors keep the file's line numbers); `path` still
    decides where relative readFile paths resolve. It is bounded like a file's content."""

    path: Path
    ctx: GoTemplateContext
    shown: str
    text: str | None = None


def render_gotmpl(path: Path, ctx: GoTemplateContext, shown: str) -> str:
    """Text of the evaluated template, or a TemplateError `<shown>:<line>: …`."""
    return render_many([GoTemplateJob(path, ctx, shown)])[0]


def render_many(jobs: Sequence[GoTemplateJob]) -> list[str]:
    """The texts of `jobs`, in order, rendered in one child process (one start-up for a
    whole tree). The first failure raises; a crash or timeout names the file it hit."""
    bound = limits.current()
    prepared = [_prepare(job) for job in jobs]  # sizes: confine, BKGEN_MAX_INPUT_BYTES
    return _run_child(jobs, prepared, bound) if jobs else []


def _error(shown: str, line: int | None, message: str) -> TemplateError:
    return TemplateError(message, location=Location(shown, line))


def _prepare(job: GoTemplateJob) -> dict[str, Any]:
    ctx = job.ctx
    try:
        text = confine.read_text(job.path, ctx.tree_root) if job.text is None else job.text
    except BkgenError as err:
        raise _error(job.shown, None, err.message) from None
    if len(text.encode()) > limits.current().max_input_bytes:
        raise _error(job.shown, None, "template text is larger than BKGEN_MAX_INPUT_BYTES")
    root = ctx.tree_root.resolve()
    base = job.path.parent
    files: dict[str, str] = {}
    chart_names: dict[Path, str] = {}

    def target(name: str, line: int) -> Path:
        candidate = Path(name) if Path(name).is_absolute() else base / name
        if not confine.inside(candidate, root):
            raise SourceError(line, f"{name}: path leaves the tree")
        return candidate.resolve()

    def read_file(name: str, line: int) -> str | None:
        real = target(name, line)
        if not real.is_file():
            return None
        if real not in chart_names:
            try:
                data = confine.read_bytes(real, root)
            except BkgenError as err:
                raise SourceError(line, f"readFile {name}: {err.message}") from None
            chart_names[real] = f"files/{len(chart_names)}"
            files[chart_names[real]] = base64.b64encode(data).decode()
        return chart_names[real]

    resolver = Resolver(
        read_file=read_file,
        is_file=lambda name, line: target(name, line).is_file(),
        is_dir=lambda name, line: target(name, line).is_dir(),
        env=ctx.allowed_env.get,
        has_release=ctx.release_name is not None,
    )
    try:
        template = rewrite(text, resolver)
    except SourceError as err:
        raise _error(job.shown, err.line, err.message) from None
    return {
        "template": template,
        "values": _plain(ctx.values),
        "name": ctx.release_name or "helmfile",
        "namespace": ctx.release_namespace or "default",
        "environment": ctx.environment_name,
        "files": files,
    }


def _plain(values: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-able values: a value JSON cannot carry is an error here, not in the child."""
    try:
        loaded: dict[str, Any] = json.loads(json.dumps(dict(values), default=str))
    except ValueError as err:
        raise TemplateError(f"values cannot be passed to the template: {err}") from None
    return loaded


def _helm_message(shown: str, message: str) -> TemplateError:
    """Helm's `templates/values.gotmpl:L:C …` becomes `<shown>:L: message`, one line: the
    innermost message of a chain of `include`/`tpl` calls, without Helm's positions."""
    flat = " ".join(message.split())
    match = _HELM_POS.search(flat)
    line = int(match.group(1)) if match else None
    text = _HELM_PREFIX.sub("", _HELM_WHERE.split(flat)[-1]) or flat
    text = text.replace("(index .Chart.Annotations", "(.Environment.Name")
    if len(text) > MAX_MESSAGE:
        text = text[:MAX_MESSAGE] + " …"
    return _error(shown, line, text)


def _run_child(
    jobs: Sequence[GoTemplateJob], prepared: Sequence[dict[str, Any]], bound: limits.Limits
) -> list[str]:
    """Texts of `jobs`, in order; raises for the first failure."""
    texts: list[str] = []
    with Child("bkgen.engines._gotmpl_worker", MEMORY_CEILING) as child:
        for job, request in zip(jobs, prepared, strict=True):
            try:
                result = child.ask(
                    {**request, "max_output": bound.max_template_output}, bound.template_seconds
                )
            except ChildDied as died:
                raise _error(job.shown, None, _death(died, bound)) from None
            if "error" in result:
                raise _helm_message(job.shown, str(result["error"]))
            texts.append(str(result["text"]))
    return texts


def _death(died: ChildDied, bound: limits.Limits) -> str:
    if died.timed_out:
        return f"template ran longer than {bound.template_seconds} s (BKGEN_TEMPLATE_SECONDS)"
    return f"the Go template engine {died.reason} (memory ceiling {MEMORY_CEILING // 2**20} MiB)"
