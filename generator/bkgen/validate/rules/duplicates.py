"""No (group, kind, namespace, name) appears twice, in one release or across releases."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "duplicates"
SEVERITY = "error"
SECURITY = True
RATIONALE = "Two releases owning one object fight over it on every sync."


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    # Nested by the few (group, kind, namespace) there are, then name: a flat dict of one
    # 4-tuple (and one group string) per resource was the main process's peak, 9 MiB at 50k.
    first: dict[tuple[str, str, str], dict[str, int]] = {}
    groups: dict[str, str] = {}
    for index, item in enumerate(facts):
        group = groups.get(item.api_version)
        if group is None:
            group = groups[item.api_version] = item.api_version.rpartition("/")[0]
        names = first.setdefault((group, item.kind, item.namespace), {})
        if item.name in names:
            other = facts[names[item.name]]
            yield Hit(
                f"{item.kind} {item.namespace + '/' if item.namespace else ''}{item.name} "
                f"is also defined in {other.path}:{other.line}",
                ("metadata", "name"),
                index=index,
            )
        else:
            names[item.name] = index
