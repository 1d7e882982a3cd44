"""Releases stay out of Argo CD: no Application, AppProject or ApplicationSet, nothing in
the Argo CD namespace, except bkgen's own objects under `argocd/`.

An Application a release emits may claim any AppProject (Argo CD does not check which
project a created Application names), and anything in the Argo CD namespace (its
ConfigMaps, repository Secrets) reconfigures the deployer itself. Only the objects bkgen
builds (`rendered/<env>/argocd/bootstrap|apps/`) may be there; the AppProject denies the
same kinds to child Applications (`argocd/project.py`).
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "argocd-scope"
SEVERITY = "error"
SECURITY = True
RATIONALE = "Objects in Argo CD's namespace reconfigure the deployer, not the platform."

ARGO_KINDS = frozenset({"Application", "AppProject", "ApplicationSet"})
_OWN = re.compile(r"(^|/)argocd/(bootstrap|apps)/[^/]+$")


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    for index, item in enumerate(facts):
        if _OWN.search(item.path) and "/releases/" not in item.path:
            continue
        group = item.api_version.rpartition("/")[0]
        if group == "argoproj.io" and item.kind in ARGO_KINDS:
            yield Hit(
                f"{item.kind} {item.name} outside bkgen's argocd/ folder: a release may not "
                "create Argo CD objects",
                index=index,
                hint="Applications come from the catalog; a chart's own must be disabled",
            )
        elif item.namespace == ctx.argocd_namespace:
            yield Hit(
                f"{item.kind} {item.name} is in the Argo CD namespace {item.namespace!r}",
                index=index,
                hint="releases deploy outside the Argo CD namespace",
            )
