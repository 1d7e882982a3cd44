"""Admission webhooks see (and may rewrite) every object the API server admits.

A mutating webhook can inject a container into any pod; a validating one can read every
Secret written. Only webhooks the trusted policy names (`allow.webhooks`, e.g. the ingress
controller's own) may be rendered.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from bkgen.validate.rules import Hit, RuleContext, subjects

ID = "admission-webhook"
SEVERITY = "error"
SECURITY = True
RATIONALE = "A webhook intercepts every matching request of the whole cluster."

KINDS = frozenset({"MutatingWebhookConfiguration", "ValidatingWebhookConfiguration"})


def check(doc: Mapping[str, Any], ctx: RuleContext) -> Iterator[Hit]:
    if doc.get("kind") not in KINDS:
        return
    if str(doc.get("apiVersion", "")).rpartition("/")[0] != "admissionregistration.k8s.io":
        return
    if not ctx.allowed("webhooks", *subjects(doc)):
        yield Hit(
            f"{doc.get('kind')} is not in the trusted policy's allow.webhooks",
            ("kind",),
            "declare it in overlays/base/policy.yaml allow.webhooks (trusted ref) if it is meant",
        )
