"""BCS template sets: every manifest instantiated once per instance namespace.

Instantiating is what BCS does when a set is instantiated into a namespace:
substitute the variables (`bcs_vars`), parse, and put each namespaced object
into the instance's namespace. Three things are checked here because only here
the template file, its line and the variable are all known: undefined
variables, values of the wrong type for the field they land in, and objects of
two instances (or one instance twice) with the same identity.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import YAMLError

from bkgen.errors import Location, OverlayError, TemplateError
from bkgen.kube import field_types
from bkgen.overlay.bcs_variables import Resolved, references, registry_setting, resolve, substitute
from bkgen.overlay.catalog import Release
from bkgen.overlay.load import Environment
from bkgen.overlay.merge import format_key_path
from bkgen.overlay.templatesets import Instance, TemplateSet
from bkgen.render import MODE_TEMPLATES, Manifest, RenderedRelease
from bkgen.render.documents import check_object
from bkgen.render.postprocess import CLUSTER_SCOPED
from bkgen.safety import confine
from bkgen.yamlio import to_plain

# A line whose whole value is one variable: `key: {{X}}`, `- {{X}}`, optionally quoted.
_WHOLE = re.compile(
    r"""^\s*(?:-\s+)?(?:[^\s#'"][^#]*?:\s+)?(["']?)\{\{\s*(\w+)\s*\}\}\1\s*(#.*)?$"""
)

Identity = tuple[str, str, str, str]  # group, kind, namespace, name
Leaf = tuple[int, tuple[str | int, ...], Any]  # 1-based line, path, scalar


def _parse(text: str, source: str) -> list[Any]:
    try:
        return [d for d in YAML(typ="rt").load_all(text) if d is not None]
    except YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise TemplateError(
            f"not valid YAML after substituting variables: {problem}",
            location=Location(source, mark.line + 1 if mark else None),
        ) from None


def _leaves(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[Leaf]:
    """(1-based line, path, value) of every scalar in a parsed document."""
    if isinstance(node, CommentedMap):
        for key, value in node.items():
            if isinstance(value, CommentedMap | CommentedSeq):
                yield from _leaves(value, (*path, str(key)))
            else:
                yield node.lc.value(key)[0] + 1, (*path, str(key)), value
    elif isinstance(node, CommentedSeq):
        for index, value in enumerate(node):
            if isinstance(value, CommentedMap | CommentedSeq):
                yield from _leaves(value, (*path, index))
            else:
                yield node.lc.item(index)[0] + 1, (*path, index), value


def _check_types(
    template: str,
    doc: Any,
    values: Mapping[str, Resolved],
    source: str,
    instance: Instance,
    kube_version: str,
) -> None:
    lines = template.splitlines()
    by_line = {line: (path, value) for line, path, value in _leaves(doc)}
    api, kind = str(doc.get("apiVersion", "")), str(doc.get("kind", ""))
    for number, (path, value) in sorted(by_line.items()):
        match = _WHOLE.match(lines[number - 1]) if number <= len(lines) else None
        if match is None or match.group(2) not in values:
            continue
        allowed = field_types.expected_types(api, kind, path, kube_version)
        plain = to_plain(value)
        if allowed is None or field_types.fits(plain, allowed):
            continue
        key = match.group(2)
        where = format_key_path(tuple(str(p) for p in path))
        quoted = bool(match.group(1))
        want = " or ".join(sorted(allowed))
        hint = (
            "remove the quotes around the variable"
            if quoted and "string" not in allowed
            else f"the value comes from {values[key].chain[-1][1].origin}"
        )
        raise TemplateError(
            f"variable {key} = {plain!r} (instance '{instance.namespace}') is a "
            f"{field_types.json_type(plain)}, but {kind} {where} expects {want}",
            location=Location(source, number, lines[number - 1].find("{{") + 1),
            hint=hint,
        )


def _name_line(doc: Any) -> int | None:
    meta = doc.get("metadata")
    if isinstance(meta, CommentedMap) and "name" in meta:
        return int(meta.lc.value("name")[0]) + 1
    return None


def _identity(body: Mapping[str, Any], namespace: str) -> Identity:
    api = str(body["apiVersion"])
    group = api.split("/", 1)[0] if "/" in api else ""
    return group, str(body["kind"]), namespace, str(body["metadata"]["name"])


def _instantiate(
    env: Environment,
    tset: TemplateSet,
    instance: Instance,
    values: Mapping[str, Resolved],
    templates: Mapping[str, str],
) -> Iterator[tuple[Manifest, Any, str, str]]:
    """`templates`: shown path -> text of every manifest of the set, read once per render."""
    kube = env.settings.kube_version
    for shown, template in templates.items():
        text = substitute(template, values, shown, instance.namespace, tset)
        for index, doc in enumerate(_parse(text, shown)):
            check_object(doc, Location(shown), TemplateError, noun="manifest")
            _check_types(template, doc, values, shown, instance, kube)
            body = to_plain(doc)
            if body["kind"] not in CLUSTER_SCOPED:
                body["metadata"]["namespace"] = instance.namespace
            else:
                body["metadata"].pop("namespace", None)
            manifest = Manifest(body, f"{shown}#{index} ({instance.namespace})")
            yield manifest, doc, shown, template


def render(env: Environment, release: Release) -> RenderedRelease:
    assert release.template_set is not None
    tset = env.template_sets[release.template_set]
    if not tset.instances:
        raise OverlayError(
            f"template set '{tset.name}' has no instances",
            location=Location(tset.source),
            hint="add instances: [{namespace: dev, values: {...}}]",
        )
    registry = registry_setting(env.values)
    templates = {env.shown(p): confine.read_text(p, env.root) for p in tset.manifests}
    seen: dict[Identity, str] = {}
    manifests: list[Manifest] = []
    for instance in tset.instances:
        values = resolve(tset, instance, env.bcs, registry)
        for manifest, doc, shown, template in _instantiate(env, tset, instance, values, templates):
            body = manifest.body
            ident = _identity(body, str(body["metadata"].get("namespace", "")))
            if ident in seen:
                line = _name_line(doc)
                names = [k for ln, _, k in references(template) if ln == line]
                other = seen[ident]
                where = "the same instance" if other == instance.namespace else f"'{other}'"
                raise TemplateError(
                    f"{body['kind']} '{ident[3]}' of instance '{instance.namespace}' collides "
                    f"with {where}" + (f" (name from variable {names[0]})" if names else ""),
                    location=Location(shown, line),
                    hint="cluster-scoped objects need a per-instance name, "
                    "e.g. put {{SYS_NAMESPACE}} in metadata.name"
                    if not ident[2]
                    else "give each object of the set its own name",
                )
            seen[ident] = instance.namespace
            manifests.append(manifest)
    return RenderedRelease(release.name, MODE_TEMPLATES, tuple(manifests))
