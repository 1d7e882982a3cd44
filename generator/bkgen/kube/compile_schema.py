"""Compile JSON Schemas with no network: the metaschema is chosen here, nothing is retrieved.

Both validators bkgen uses would otherwise reach out: jsonschema-rs retrieves any `$schema`
or `$ref` URI it does not know (the bundled Kubernetes schemas declare
`http://json-schema.org/schema#`, which it tried to fetch on every compile), and a
`referencing` registry can be given a retriever. A render in CI must depend on nothing but
the repository and the installed packages, so every schema goes through this module:

- the draft is taken from `$schema` by an explicit table (`http://json-schema.org/schema#`,
  "the latest draft", means 2020-12 as in kubeconform); an unknown `$schema` is an error;
- the retriever refuses every URI with an error naming the URI and the schema file.

This module must not read files or know where schemas live; callers pass the document and
the name to show in errors.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import jsonschema
import jsonschema_rs
import referencing
import referencing.exceptions
import referencing.jsonschema

from bkgen.errors import Location, UsageError

DRAFT4 = "draft4"
DRAFT6 = "draft6"
DRAFT7 = "draft7"
DRAFT2019 = "draft2019-09"
DRAFT2020 = "draft2020-12"

_BY_URI = {
    "http://json-schema.org/draft-04/schema": DRAFT4,
    "http://json-schema.org/draft-06/schema": DRAFT6,
    "http://json-schema.org/draft-07/schema": DRAFT7,
    "https://json-schema.org/draft/2019-09/schema": DRAFT2019,
    "https://json-schema.org/draft/2020-12/schema": DRAFT2020,
    # "the latest": what Kubernetes' openapi2jsonschema output declares; kubeconform's
    # compiler reads it as its newest draft, and so did jsonschema-rs after failing to fetch it.
    "http://json-schema.org/schema": DRAFT2020,
}

_RS = {
    DRAFT4: jsonschema_rs.Draft4Validator,
    DRAFT6: jsonschema_rs.Draft6Validator,
    DRAFT7: jsonschema_rs.Draft7Validator,
    DRAFT2019: jsonschema_rs.Draft201909Validator,
    DRAFT2020: jsonschema_rs.Draft202012Validator,
}

_PY = {
    DRAFT4: jsonschema.Draft4Validator,
    DRAFT6: jsonschema.Draft6Validator,
    DRAFT7: jsonschema.Draft7Validator,
    DRAFT2019: jsonschema.Draft201909Validator,
    DRAFT2020: jsonschema.Draft202012Validator,
}


class RemoteSchemaRefused(UsageError):
    """A schema refers to something outside what is bundled."""


def draft_of(schema: Mapping[str, Any], source: str, default: str = DRAFT2020) -> str:
    """The draft a schema declares, from the table above; unknown URIs are refused."""
    declared = schema.get("$schema")
    if declared is None:
        return default
    key = str(declared).rstrip("#").rstrip("/")
    if key not in _BY_URI:
        raise RemoteSchemaRefused(
            f"unknown metaschema {declared!r}; bkgen does not fetch schemas",
            location=Location(source),
            hint=f"declare one of: {', '.join(sorted(_BY_URI))}",
        )
    return _BY_URI[key]


def _refusal(uri: str, source: str) -> RemoteSchemaRefused:
    return RemoteSchemaRefused(
        f"refers to {uri}, which is not bundled; bkgen never fetches schemas",
        location=Location(source),
        hint="inline the referenced definitions or add the schema to schemas/crds/",
    )


def _refuse(source: str) -> Any:
    """A retriever for either library: every URI is refused, naming it and `source`."""

    def retrieve(uri: str) -> Any:
        raise _refusal(uri, source)

    return retrieve


def compile_native(schema: Mapping[str, Any], source: str, default: str = DRAFT2020) -> Any:
    """A jsonschema-rs validator for `schema`; any remote reference raises."""
    draft = draft_of(schema, source, default)
    body = {k: v for k, v in schema.items() if k != "$schema"}
    try:
        return _RS[draft](body, retriever=_refuse(source))
    except jsonschema_rs.ValidationError as err:
        # jsonschema-rs wraps what the retriever raised; say it in one line.
        first = str(err).splitlines()[0] if str(err) else "invalid schema"
        if "retriev" in first or "registry" in first:
            uri = first.split("'")[1] if first.count("'") >= 2 else first
            raise _refusal(uri, source) from None
        raise UsageError(f"invalid schema: {first}", location=Location(source)) from None


def compile_python(schema: Mapping[str, Any], source: str) -> jsonschema.protocols.Validator:
    """A jsonschema (pure Python) validator with a registry that retrieves nothing."""
    draft = draft_of(schema, source)
    cls = _PY[draft]
    cls.check_schema(schema)

    registry: referencing.Registry[Any] = referencing.Registry(retrieve=_refuse(source))  # type: ignore[call-arg]
    return cls(schema, registry=registry)


def iter_python_errors(validator: jsonschema.protocols.Validator, instance: Any) -> list[Any]:
    """All errors; a `$ref` the registry cannot resolve surfaces as our refusal, not a crash."""
    try:
        return list(validator.iter_errors(instance))
    except referencing.exceptions.Unresolvable as err:
        cause: BaseException | None = err
        while cause is not None and not isinstance(cause, RemoteSchemaRefused):
            cause = cause.__cause__ or cause.__context__
        if cause is None:
            message = f"cannot resolve {err}; bkgen never fetches schemas"
            raise RemoteSchemaRefused(message) from None
        raise cause from None
