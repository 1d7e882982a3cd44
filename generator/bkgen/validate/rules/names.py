"""Names are DNS-1123 and label values fit the 63-character limit."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.validate.rules import Hit, RuleContext

ID = "names"
SEVERITY = "error"
RATIONALE = "The API server rejects invalid names and label values at sync time, mid-wave."

_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_LABEL_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$")
# Kinds whose names may hold ':' or upper case (RBAC objects are path segments, not DNS names).
_PATH_SEGMENT_KINDS = {"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding"}
_LABEL_KINDS = {"Namespace", "Service"}  # names that must be a DNS-1123 label (<= 63)


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    meta = doc.get("metadata") or {}
    name = meta.get("name")
    kind = doc.get("kind")
    if isinstance(name, str) and kind not in _PATH_SEGMENT_KINDS:
        if kind in _LABEL_KINDS:
            if len(name) > 63 or not _LABEL_NAME.match(name):
                yield Hit(
                    f"{kind} name {name!r} is not a DNS-1123 label (a-z, 0-9, '-', <= 63)",
                    ("metadata", "name"),
                )
        elif len(name) > 253 or not _SUBDOMAIN.match(name):
            yield Hit(f"name {name!r} is not a DNS-1123 subdomain", ("metadata", "name"))
    namespace = meta.get("namespace")
    if isinstance(namespace, str) and (len(namespace) > 63 or not _LABEL_NAME.match(namespace)):
        yield Hit(f"namespace {namespace!r} is not a DNS-1123 label", ("metadata", "namespace"))
    for key, value in (meta.get("labels") or {}).items():
        text = "" if value is None else str(value)
        if len(text) > 63 or not _LABEL_VALUE.match(text):
            yield Hit(
                f"label {key}={text!r} is not a valid label value (<= 63 characters)",
                ("metadata", "labels", str(key)),
            )
