"""A Secret whose values hold sentinels, rebuilt as an ExternalSecret (external-secrets.io).

Each key of the Secret becomes an entry of `target.template.data`: its text with every
sentinel replaced by `{{ .<variable> }}` and everything else kept literally (Go-template
escaped), so a secret embedded in a config file (`config.ini`, a DSN) is rebuilt in the
cluster exactly as the chart wrote it. `spec.data` fetches each referenced property once.
The ExternalSecret keeps the Secret's name, namespace, type, labels and annotations, so
whatever reads the Secret (`secretKeyRef`, volumes, `existingSecret`) is unchanged.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bkgen.secrets.refs import SENTINEL, SecretRef, token_of, tokens_in

API = "external-secrets.io/v1beta1"
DEFAULT_REFRESH = "1h"


def _escape(text: str) -> str:
    """Literal text inside a Go template: `{{` must not start an action."""
    return text.replace("{{", '{{ "{{" }}')


def template_text(value: str, refs: Mapping[str, SecretRef]) -> str:
    out: list[str] = []
    pos = 0
    for match in SENTINEL.finditer(value):
        out.append(_escape(value[pos : match.start()]))
        out.append("{{ ." + refs[token_of(match)].variable + " }}")
        pos = match.end()
    out.append(_escape(value[pos:]))
    return "".join(out)


def build(
    secret: Mapping[str, Any],
    values: Mapping[str, str],
    refs: Mapping[str, SecretRef],
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """`values` are the Secret's decoded key -> text (data and stringData merged)."""
    metadata = secret.get("metadata") or {}
    used = {token: refs[token] for text in values.values() for token in tokens_in(text)}
    store = settings.get("store") or {}
    template_meta = {k: dict(metadata[k]) for k in ("labels", "annotations") if metadata.get(k)}
    template: dict[str, Any] = {
        "engineVersion": "v2",
        "type": str(secret.get("type") or "Opaque"),
        "data": {key: template_text(text, refs) for key, text in sorted(values.items())},
    }
    if template_meta:
        template["metadata"] = template_meta
    out_meta: dict[str, Any] = {"name": metadata["name"]}
    for key in ("namespace", "labels", "annotations"):
        if metadata.get(key):
            out_meta[key] = metadata[key]
    return {
        "apiVersion": API,
        "kind": "ExternalSecret",
        "metadata": out_meta,
        "spec": {
            "refreshInterval": str(settings.get("refreshInterval", DEFAULT_REFRESH)),
            "secretStoreRef": {
                "kind": str(store.get("kind", "ClusterSecretStore")),
                "name": str(store.get("name", "")),
            },
            "target": {
                "name": metadata["name"],
                "creationPolicy": "Owner",
                "template": template,
            },
            "data": [
                {
                    "secretKey": ref.variable,
                    "remoteRef": {"key": ref.key, "property": ref.prop},
                }
                for ref in sorted(used.values(), key=lambda r: r.variable)
            ],
        },
    }
