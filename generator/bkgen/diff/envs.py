"""Two environments side by side: what differs between, say, default and prod.

Resources are matched as they would be within one environment, except the objects whose
name carries the environment: Applications are matched by release (`default-bk-mysql` and
`prod-bk-mysql` are the same release), the root Application by its role and the AppProject
by its kind. Their names then show as an ordinary field change. Everything else (values,
namespaced objects) matches by identity as usual.

Comparing environments is not a sync, so the review-only parts of a diff (what happens to
data, what to apply by hand) do not apply; sync-waves are compared as old -> new.
"""

from __future__ import annotations

from collections.abc import Mapping

from bkgen.diff.labels import BOOTSTRAP
from bkgen.diff.model import Key, Resource, mapping, metadata

ENV_NAME = "<env>"


def by_release(tree: Mapping[Key, Resource]) -> dict[Key, Resource]:
    """The tree with environment-named objects keyed by what they are for."""
    out: dict[Key, Resource] = {}
    for key, resource in tree.items():
        group, kind, namespace, _ = key
        if kind == "Application" and group.startswith("argoproj.io"):
            labels = mapping(metadata(resource.body).get("labels"))
            release = labels.get("bkgen.io/release")
            role = "root" if resource.path.startswith(BOOTSTRAP) and not release else release
            if role:
                key = (group, kind, namespace, f"{ENV_NAME}-{role}")
        elif kind == "AppProject" and group.startswith("argoproj.io"):
            # two per environment: the children's and the root app's (`<project>-root`)
            root = key[3].endswith("-root")
            key = (group, kind, namespace, "<project>-root" if root else "<project>")
        out[key] = Resource(key, resource.path, resource.body)
    return out
