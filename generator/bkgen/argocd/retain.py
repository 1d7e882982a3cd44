"""Data-safe deletion: objects that hold state survive prune and cascading deletes.

Argo CD deletes what an Application manages when the Application is deleted with its
resources finalizer (`Delete`) and when the object leaves git under automated prune
(`Prune`). For a Namespace that means every PVC in it and the Secrets bkgen's steps
created in the cluster (never in git); for a PersistentVolume or a claim, the data.
`argocd.argoproj.io/sync-options: Delete=false,Prune=false` makes Argo CD leave them.
What counts as stateful and safe is defined once, by the validation rule
`data-safe-delete`; this module applies it to what bkgen renders. docs/argocd.md says
how to tear an environment down on purpose.
"""

from __future__ import annotations

from typing import Any

from bkgen.validate.rules.data_safe_delete import REQUIRED, SYNC_OPTIONS, missing, options


def protect(body: dict[str, Any]) -> dict[str, Any]:
    """Add the missing options to a stateful object in place, keeping unrelated ones."""
    if missing(body):
        annotations = body.setdefault("metadata", {}).setdefault("annotations", {})
        # A chart's own Delete=/Prune= option must not contradict ours.
        kept = [o for o in options(annotations) if o.split("=", 1)[0] not in ("Delete", "Prune")]
        annotations[SYNC_OPTIONS] = ",".join([*kept, *REQUIRED])
    return body
