"""No (group, kind, namespace, name) appears twice, in one release or across releases."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from bkgen.validate.rules import Facts, Hit, RuleContext

ID = "duplicates"
SEVERITY = "error"
SECURITY = True
RATIONALE = "Two releases owning one object fight over it on every sync."


def check_tree(facts: Sequence[Facts], ctx: RuleContext) -> Iterator[Hit]:
    first: dict[tuple[str, str, str, str], int] = {}
    for index, item in enumerate(facts):
        group = item.api_version.rpartition("/")[0]
        key = (group, item.kind, item.namespace, item.name)
        if key in first:
            other = facts[first[key]]
            yield Hit(
                f"{item.kind} {item.namespace + '/' if item.namespace else ''}{item.name} "
                f"is also defined in {other.path}:{other.line}",
                ("metadata", "name"),
                index=index,
            )
        else:
            first[key] = index
