"""`templates:` releases: jinja2 manifest templates this project owns."""

from __future__ import annotations

from bkgen.engines.jinja_sandbox import render_template
from bkgen.errors import Location, OverlayError
from bkgen.overlay.catalog import Release
from bkgen.overlay.layers import template_context
from bkgen.overlay.load import Environment
from bkgen.render import MODE_TEMPLATES, RenderedRelease, templatesets
from bkgen.render.documents import split_documents
from bkgen.safety import confine


def render(env: Environment, release: Release) -> RenderedRelease:
    assert release.templates is not None
    if release.template_set is not None:
        return templatesets.render(env, release)
    directory = env.base_dir / "templates" / release.templates
    files = sorted(directory.glob("*.yaml.j2")) if directory.is_dir() else []
    if not files:
        raise OverlayError(
            f"release '{release.name}' has no templates",
            location=Location(env.shown(directory)),
            hint="add <name>.yaml.j2 files there",
        )
    context = template_context(env, release)
    manifests = []
    for path in files:
        shown = env.shown(path)
        text = confine.read_text(path, env.root)
        manifests.extend(split_documents(render_template(text, shown, context), shown))
    return RenderedRelease(release.name, MODE_TEMPLATES, tuple(manifests))
