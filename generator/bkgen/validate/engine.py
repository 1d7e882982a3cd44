"""The built-in engine: parse, schema-check and rule-check documents, spread over cores.

The main process walks the input and hands out batches of document *texts*;
workers parse, validate and reduce each resource to its findings plus a compact
`Facts` record. Tree rules then run once over the Facts. No worker keeps a
parse tree after its document is done, so memory stays flat with input size.
"""

from __future__ import annotations

import gc
import itertools
import multiprocessing
import os
import re
import sys
from collections import deque
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.pool import AsyncResult
from pathlib import Path
from typing import Any

from bkgen.errors import BkgenError
from bkgen.kube import deprecations as deprecated
from bkgen.secrets.masking import mask_message, path_sensitive
from bkgen.validate import loader
from bkgen.validate.findings import Finding
from bkgen.validate.object_schemas import SchemaStore, crd_schemas
from bkgen.validate.rules import SECURITY_RULES, RuleContext, run_resource_rules
from bkgen.validate.rules._facts import extract

MAX_SCHEMA_ERRORS = 20  # per document: the first few say what is wrong
BATCH = 400  # documents per task: big enough to amortise pickling, small enough to balance
CRD = re.compile(r"^kind:\s*CustomResourceDefinition\s*$", re.MULTILINE)


@dataclass(frozen=True)
class EngineConfig:
    kube_version: str
    strict: bool
    ignore_missing_schemas: bool
    crd_dirs: tuple[Path, ...]
    locations: tuple[str, ...]
    rule_context: RuleContext
    # A removed apiVersion has no schema; `deprecated-api` explains it. When that rule is not
    # run (--schema-only, --ignore deprecated-api), the missing schema is the finding, as in
    # kubeconform, so the verdict never turns into a silent pass.
    removed_reported_by_rule: bool = True


_STATE: dict[str, Any] = {}


def _init(config: EngineConfig, tree_crds: Mapping[tuple[str, str], Any]) -> None:
    _STATE["config"] = config
    _STATE["store"] = SchemaStore(
        config.kube_version, config.strict, config.crd_dirs, config.locations, tree_crds
    )


def _finding(
    chunk: loader.Chunk,
    doc: Mapping[str, Any] | None,
    rule: str,
    severity: str,
    message: str,
    where: tuple[Any, ...] | None = None,
    hint: str = "",
    position: tuple[int, int] | None = None,
) -> Finding:
    """The finding, its repeated strings (message, apiVersion, kind, namespace) interned: a
    batch's findings then pickle each once, and the main process holds all of them."""
    if position is None:
        position = loader.locate(chunk, where) if where is not None else (chunk.line, 1)
    meta = (doc or {}).get("metadata") if isinstance(doc, dict) else None
    meta = meta if isinstance(meta, dict) else {}
    return Finding(
        path=chunk.path,
        line=position[0],
        column=position[1],
        rule=rule,
        severity=severity,
        message=sys.intern(message),
        hint=hint,
        api_version=sys.intern(str(doc.get("apiVersion", ""))) if isinstance(doc, dict) else "",
        kind=sys.intern(str(doc.get("kind", ""))) if isinstance(doc, dict) else "",
        namespace=sys.intern(str(meta.get("namespace") or "")),
        name=str(meta.get("name") or ""),
    )


def _resources(data: Any, chunk: loader.Chunk) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    if (
        isinstance(data, dict)
        and data.get("kind") == "List"
        and isinstance(data.get("items"), list)
    ):
        for i, item in enumerate(data["items"]):
            yield item, ("items", i)
    else:
        yield data, ()


def _check_resource(
    chunk: loader.Chunk,
    doc: Any,
    prefix: tuple[Any, ...],
    out: list[Finding],
    suppressed: list[tuple[Finding, str]],
) -> tuple[Mapping[str, Any], set[str]] | None:
    """Findings of one resource into `out`; the resource and the rules its annotation
    switches off, when it is one (for its Facts)."""
    config: EngineConfig = _STATE["config"]
    store: SchemaStore = _STATE["store"]
    if not isinstance(doc, dict):
        out.append(_finding(chunk, None, "yaml", "error", "document is not a mapping", prefix))
        return None
    api, kind = doc.get("apiVersion"), doc.get("kind")
    missing = [
        k for k, v in (("apiVersion", api), ("kind", kind)) if not isinstance(v, str) or not v
    ]
    if missing:
        out.append(
            _finding(
                chunk, doc, "schema", "error", f"resource has no {' or '.join(missing)}", prefix
            )
        )
        return None
    assert isinstance(api, str) and isinstance(kind, str)
    try:
        validator = store.validator(api, kind)
    except BkgenError as err:
        where = f"schema {err.location}: " if err.location else ""
        message = f"{where}{err.message}"
        out.append(
            _finding(chunk, doc, "schema", "error", message, (*prefix, "kind"), err.hint or "")
        )
        return None
    if validator is None:
        explained = config.removed_reported_by_rule and deprecated.removed(
            api, kind, config.rule_context.kube_minor
        )
        if not config.ignore_missing_schemas and not explained:
            out.append(
                _finding(
                    chunk,
                    doc,
                    "schema",
                    "error",
                    f"no schema for {api} {kind} (Kubernetes {store.kube_version})",
                    (*prefix, "kind"),
                    "add its CRD to the tree or schemas/crds/, or pass --ignore-missing-schemas",
                )
            )
    else:
        for count, error in enumerate(validator.iter_errors(doc), start=1):
            if count > MAX_SCHEMA_ERRORS:
                break
            path = tuple(error.instance_path)
            where = ".".join(str(p) for p in path) or "(root)"
            # Schema messages quote the value: never a credential's (bkgen.secrets.masking).
            message = mask_message(
                error.message, getattr(error, "instance", None), path_sensitive(doc, path)
            )
            out.append(
                _finding(chunk, doc, "schema", "error", f"{where}: {message}", (*prefix, *path))
            )
    ignored = _ignored(doc)
    for rule, hit in run_resource_rules(doc, config.rule_context):
        finding = _finding(
            chunk,
            doc,
            rule.ID,
            hit.severity or rule.SEVERITY,
            hit.message,
            (*prefix, *hit.path),
            hit.hint,
        )
        if rule.ID in ignored:
            suppressed.append((finding, "bkgen.io/ignore annotation"))
        else:
            out.append(finding)
    return doc, ignored


def _ignored(doc: Mapping[str, Any]) -> set[str]:
    """Rules a `bkgen.io/ignore` annotation switches off: never a security rule, since the
    annotation is part of the change being checked."""
    meta = doc.get("metadata") or {}
    annotations = meta.get("annotations") or {} if isinstance(meta, dict) else {}
    value = annotations.get("bkgen.io/ignore", "") if isinstance(annotations, dict) else ""
    return {p.strip() for p in str(value).split(",") if p.strip()} - SECURITY_RULES


BatchResult = tuple[list[Finding], list[tuple[Finding, str]], list[Any], int]


@contextmanager
def _no_cycle_collector() -> Iterator[None]:
    """Parsed documents, findings and Facts are trees (a recursive alias is refused), so
    reference counting frees them; Python's cycle collector would only rescan every object
    alive each few hundred allocations, and the Facts of a big tree are many: off while
    documents stream (measured: it was half of parsing and 80% of unpickling results)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def check_batch(chunks: Sequence[loader.Chunk]) -> BatchResult:
    """Findings, suppressed findings, Facts and resource count for a batch (in a worker)."""
    with _no_cycle_collector():
        return _check_batch(chunks)


def _check_batch(chunks: Sequence[loader.Chunk]) -> BatchResult:
    config: EngineConfig = _STATE["config"]
    out: list[Finding] = []
    suppressed: list[tuple[Finding, str]] = []
    facts: list[Any] = []
    resources = 0
    for chunk in chunks:
        try:
            data = loader.parse(chunk, config.strict)
        except loader.ParseError as err:
            position = loader.error_position(chunk, err)
            out.append(
                _finding(chunk, None, "yaml", "error", f"invalid YAML: {err}", position=position)
            )
            continue
        if data is None:
            continue
        for doc, prefix in _resources(data, chunk):
            resources += 1
            checked = _check_resource(chunk, doc, prefix, out, suppressed)
            if checked is not None:
                item = extract(checked[0], chunk.path, chunk.line)
                if checked[1]:
                    item.extra = {**item.extra, "ignore": tuple(sorted(checked[1]))}
                facts.append(item)
    return out, suppressed, facts, resources


def tree_crds(chunks: Iterable[loader.Chunk], strict: bool) -> dict[tuple[str, str], Any]:
    found: dict[tuple[str, str], Any] = {}
    for chunk in chunks:
        if not CRD.search(chunk.text):
            continue
        try:
            data = loader.parse(chunk, strict)
        except loader.ParseError:
            continue  # reported when the document itself is checked
        if isinstance(data, dict) and data.get("kind") == "CustomResourceDefinition":
            found.update(crd_schemas(data))
    return found


def _batches(chunks: Iterable[loader.Chunk]) -> Iterator[list[loader.Chunk]]:
    batch: list[loader.Chunk] = []
    for chunk in chunks:
        batch.append(chunk)
        if len(batch) >= BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def run(
    chunks: Iterable[loader.Chunk],
    config: EngineConfig,
    crds: Mapping[tuple[str, str], Any],
    jobs: int,
) -> Iterator[BatchResult]:
    """Results per batch, in input order; `jobs` > 1 uses worker processes (fork)."""
    with _no_cycle_collector():
        yield from _run(chunks, config, crds, jobs)


def _run(
    chunks: Iterable[loader.Chunk],
    config: EngineConfig,
    crds: Mapping[tuple[str, str], Any],
    jobs: int,
) -> Iterator[BatchResult]:
    batches = _batches(chunks)
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    if jobs <= 1 or second is None or "fork" not in multiprocessing.get_all_start_methods():
        _init(config, crds)
        yield check_batch(first)
        if second is not None:
            yield check_batch(second)
            for batch in batches:
                yield check_batch(batch)
        return
    context = multiprocessing.get_context("fork")
    with context.Pool(jobs, initializer=_init, initargs=(config, crds)) as pool:
        # Bounded look-ahead: Pool.imap would read the whole input into memory.
        pending: deque[AsyncResult[BatchResult]] = deque()
        for batch in itertools.chain((first, second), batches):
            pending.append(pool.apply_async(check_batch, (batch,)))
            if len(pending) >= 2 * jobs:
                yield pending.popleft().get()
        while pending:
            yield pending.popleft().get()


def default_jobs() -> int:
    return max(1, min(len(os.sched_getaffinity(0)), 8))
