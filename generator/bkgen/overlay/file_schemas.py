"""Check a user-authored file against a JSON Schema from `schemas/overlay/`, with positions.

Overlay files are checked before anything renders so a typo stops the run at
its file:line instead of surfacing as a wrong manifest three stages later.
The schemas are JSON files in the repository (reviewable, reusable by editors);
they are compiled once per process.

Two validators: jsonschema-rs (compiled) answers the common case, a valid file, in
microseconds; a file it refuses is checked again by jsonschema (Python, with the metaschema
check of the schema itself), whose errors carry the paths the message needs and whose
verdict then decides. The two implement the same drafts; the overlay schemas use plain
keywords (type, properties, pattern, enum, bounds, oneOf, $ref), and
tests/core/test_file_schema_engines.py holds both to the same verdict on every overlay
file of the repository and on mutations of them.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from bkgen.errors import Location, OverlayError, display_path
from bkgen.errors.suggest import closest
from bkgen.yamlio import dump_round_trip, load_file, position, round_trip, to_plain

if TYPE_CHECKING:  # jsonschema is imported when the first file is checked, not at start
    import jsonschema
    from jsonschema.exceptions import ValidationError


def schema_dir(root: Path) -> Path:
    return root / "schemas" / "overlay"


@cache
def _validator(path: Path) -> jsonschema.protocols.Validator:
    from bkgen.kube.compile_schema import compile_python

    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OverlayError("overlay schema missing", location=Location(path.name)) from None
    return compile_python(schema, display_path(path))


@cache
def _native(path: Path) -> Any:
    """jsonschema-rs for the common case, a valid file; None when it cannot compile the
    schema (the Python validator then says why)."""
    from bkgen.errors import BkgenError
    from bkgen.kube.compile_schema import compile_native

    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
        return compile_native(schema, display_path(path))
    except (OSError, ValueError, BkgenError):
        return None


def _locate(document: Any, error: ValidationError) -> tuple[int | None, int | None, str]:
    """Walk the ruamel tree along the error path to the deepest node that has a position."""
    node = document
    line = col = None
    pos = position(node)
    if pos:
        line, col = pos
    key_text = ""
    for part in error.absolute_path:
        pos = position(node, part)
        if pos:
            line, col = pos
        key_text = str(part)
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
    if "propertyNames" in error.absolute_schema_path and isinstance(node, dict):
        key_text = str(error.instance)
        pos = position(node, key_text)
        if pos:
            line, col = pos
    if error.validator == "additionalProperties" and isinstance(node, dict):
        allowed = set(_schema_properties(error))
        extras = sorted(str(k) for k in node if str(k) not in allowed)
        if extras:
            key_text = extras[0]
            pos = position(node, extras[0])
            if pos:
                line, col = pos
    return line, col, key_text


def _schema_properties(error: ValidationError) -> dict[str, Any]:
    schema = error.schema
    if isinstance(schema, dict):
        return dict(schema.get("properties", {}))
    return {}


def check(document: Any, schema_name: str | Path, shown_path: str, root: Path) -> None:
    """Raise one `OverlayError` for the first (most specific) schema violation; a name is a
    schema of `schemas/overlay/`, a path a platform's own."""
    from bkgen.kube.compile_schema import iter_python_errors

    path = schema_name if isinstance(schema_name, Path) else schema_dir(root) / schema_name
    plain = to_plain(document)
    fast = _native(path)
    if fast is not None and fast.is_valid(plain):
        return
    validator = _validator(path)
    errors = sorted(
        iter_python_errors(validator, plain),
        key=lambda e: (-len(e.absolute_path), list(map(str, e.absolute_path)), e.message),
    )
    if not errors:
        return
    error = _renamed_required(errors) or errors[0]
    line, col, key = _locate(document, error)
    if error.validator == "additionalProperties":
        message = f"unknown key '{key}'"
        allowed = sorted(_schema_properties(error))
        missing = _missing_required(error)
        match = closest(key, missing) or closest(key, allowed)
        if match is not None:
            required = " (required, and missing)" if match in missing else ""
            hint: str | None = f"did you mean '{match}'?{required}"
        else:
            hint = f"allowed keys here: {', '.join(allowed)}" if allowed else None
    elif "propertyNames" in error.absolute_schema_path:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        message = f"invalid key '{key}' in {where}: {error.message}"
        hint = None
    elif _sensitive(error):  # never echo what may be a credential, even a wrong one
        where = ".".join(str(p) for p in error.absolute_path)
        message = f"{where}: this value is not allowed here (not shown: a credential's key)"
        schema = error.schema if isinstance(error.schema, dict) else {}
        hint = schema.get("x-hint")
    else:
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        message = f"{where}: {error.message}"
        if error.validator == "pattern":  # the regex itself helps nobody
            message = f"{where}: {error.instance!r} is not allowed here"
        hint = _hint(error, document)
    raise OverlayError(message, location=Location(shown_path, line, col), hint=hint)


def _sensitive(error: ValidationError) -> bool:
    from bkgen.secrets.masking import credential_key

    return any(credential_key(part) for part in error.absolute_path if isinstance(part, str))


def _source_text(document: Any, error: ValidationError) -> str:
    """The value as the file spells it: `1.20`, not the float 1.2 YAML made of it."""
    node = document
    for part in error.absolute_path:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return str(error.instance)
    text = dump_round_trip(round_trip(), {"v": node}).strip()
    if text.startswith("v: ") and "\n" not in text:
        return text[len("v: ") :]
    return str(error.instance)


def _hint(error: ValidationError, document: Any = None) -> str | None:
    """The schema's own `x-hint`, or the fix for a common YAML surprise."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    wanted = schema.get("type")
    if (
        error.validator == "type"
        and wanted == "string"
        and isinstance(error.instance, int | float)
        and not isinstance(error.instance, bool)
    ):
        key = str(error.absolute_path[-1]) if error.absolute_path else "value"
        text = _source_text(document, error)
        return f'YAML reads {text} as a number; quote it: {key}: "{text}"'
    if error.validator == "required":
        return None
    hint = schema.get("x-hint")
    if not hint and error.validator == "pattern":
        return f"expected a value matching {schema.get('pattern')}"
    return str(hint) if hint else None


def _missing_required(error: ValidationError) -> list[str]:
    """Required keys absent from the mapping an additionalProperties error is about."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    instance = error.instance if isinstance(error.instance, dict) else {}
    required = list(schema.get("required", []))
    if "if" in schema and "then" in schema:  # env.yaml: required unless it extends another
        from jsonschema import Draft202012Validator

        if Draft202012Validator(schema["if"]).is_valid(instance):
            required += schema["then"].get("required", [])
    return [str(k) for k in required if k not in instance]


def _renamed_required(errors: list[ValidationError]) -> ValidationError | None:
    """`kubernetesVersion:` for `kubeVersion:` fails twice (missing + unknown); the unknown key
    is the one to name, because renaming it fixes both."""
    for error in errors:
        if error.validator != "additionalProperties":
            continue
        schema = error.schema if isinstance(error.schema, dict) else {}
        instance = error.instance if isinstance(error.instance, dict) else {}
        missing = _missing_required(error)
        extras = [str(k) for k in instance if str(k) not in schema.get("properties", {})]
        if missing and any(closest(extra, missing) for extra in extras):
            return error
    return None


def load_checked(root: Path, path: Path, schema: str | Path) -> Any:
    """A user file, parsed and checked against `schemas/overlay/<schema>`."""
    document = load_file(path, root=root)
    check(document, schema, display_path(path, root), root)
    return document
